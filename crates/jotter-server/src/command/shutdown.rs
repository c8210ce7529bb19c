//! `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: the same orderly stop
//! as SIGTERM (no new clients, every client closed after its current
//! command, pending writes drained to the store within `shutdown-timeout`,
//! the last log line and the exit status saying what reached it; see
//! `main.rs` and `stop.rs`). `NOSAVE` does not wait for the drain, as Redis
//! skips its last save: what is still pending stays in the write-ahead log
//! and reaches the store at the next start (exit status 3). `NOW` and `FORCE` change
//! nothing (Jotter waits for no replica, and its drain cannot fail the
//! stop); `ABORT` answers Redis's "No shutdown in progress": once a stop
//! has begun, no client is served to abort it. As in Redis, a successful
//! SHUTDOWN sends no reply: the connection closes.

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Spec, flag, now};

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "shutdown",
    -1,
    flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::NO_MULTI,
    "server",
    "Synchronously saves the database(s) to disk and shuts down the server.",
    "1.0.0",
    now(shutdown),
)];

fn shutdown(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let (mut nosave, mut save, mut abort, mut other) = (false, false, false, false);
    for arg in req.args().skip(1) {
        let is = |name: &[u8]| arg.eq_ignore_ascii_case(name);
        if is(b"nosave") {
            nosave = true;
        } else if is(b"save") {
            save = true;
        } else if is(b"now") || is(b"force") {
            other = true;
        } else if is(b"abort") {
            abort = true;
        } else {
            ctx.syntax_error();
            return Flow::Continue;
        }
    }
    if (abort && (nosave || save || other)) || (nosave && save) {
        ctx.syntax_error();
        return Flow::Continue;
    }
    if abort {
        ctx.reply().error(b"ERR No shutdown in progress.");
        return Flow::Continue;
    }
    if nosave {
        ctx.shared.saves.skip_drain_at_stop();
    }
    tracing::info!(
        client = ctx.session.entry.id,
        drain = !nosave,
        "stopping: SHUTDOWN from a client; no new clients, draining pending writes"
    );
    ctx.shared.shutdown.cancel();
    Flow::Close
}
