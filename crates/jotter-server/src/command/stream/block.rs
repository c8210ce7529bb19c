//! Waiting for a stream to be written: XREAD and XREADGROUP with BLOCK run
//! here outside `EXEC`. Each attempt is one transaction over the command's
//! keys that either writes its reply or writes nothing; between attempts
//! the command waits for the next write (or at most [`POLL`]), its
//! timeout, a kill, the server stopping, or its client leaving (no reply
//! then). An attempt that replied is never lost: the loop stops only at
//! its one wait.
//!
//! The wake-up is the command module's `WriteWait`, taken before each
//! attempt so that a write after the look wakes the wait; this file is the
//! one place streams use it.

use std::time::{Duration, Instant};

use bytes::Bytes;
use jotter::Txn;
use jotter_resp::ReplyWriter;

use crate::command::data;
use crate::command::fail::Outcome;
use crate::command::spec::{Ctx, Flow};
use crate::command::wake::WriteWait;

/// How often a blocked read looks again without a write to wake it.
const POLL: Duration = Duration::from_millis(10);

/// Runs `attempt` over `keys` until it replies, then returns its flow; a
/// null array at `timeout` (`None`: never). `attempt` is told whether it
/// is a retry.
pub(super) async fn until_served(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    timeout: Option<Duration>,
    mut attempt: impl FnMut(&mut Txn<'_>, &mut ReplyWriter<'_>, bool) -> Outcome,
) -> Flow {
    let started = Instant::now();
    let deadline = timeout.and_then(|t| started.checked_add(t));
    let kill = ctx.session.entry.kill.clone();
    let shutdown = ctx.shared.shutdown.clone();
    let mut retry = false;
    loop {
        let mut write = WriteWait::new();
        let mark = ctx.out().len();
        let flow = data::run(ctx, keys, false, |txn, w| attempt(txn, w, retry)).await;
        if ctx.out().len() != mark {
            return flow;
        }
        retry = true;
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) || kill.is_cancelled() || shutdown.is_cancelled() {
            ctx.reply().null_array();
            return Flow::Continue;
        }
        let nap = deadline.map_or(POLL, |d| d.saturating_duration_since(now).min(POLL));
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            () = write.written() => {}
            () = kill.cancelled() => {}
            () = shutdown.cancelled() => {}
            () = ctx.client_closed() => return Flow::Close,
        }
    }
}
