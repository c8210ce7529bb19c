//! What the server learns from each command after it ran: the time it took
//! (INFO commandstats, the slow log, the latency monitor) and whether it
//! replied an error (INFO errorstats, a command's failed or rejected
//! calls); a command run inside EXEC is counted with its error. The cost on the hot path is two clock reads, two relaxed loads
//! of the thresholds and a look at the reply's first byte; the slow log and
//! the latency monitor take their locks only for a slow command.

use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use jotter_resp::Request;

use super::spec::{Ctx, Spec, flag};
use crate::state::Shared;

/// How far a command got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ran {
    /// Refused before running (unknown, arity, authentication,
    /// permissions, not allowed inside `MULTI`).
    Refused,
    /// Queued inside `MULTI`.
    Queued,
    /// Ran in its blocking loop: the time blocked is not the command's
    /// cost, so it is not timed.
    Blocking,
    /// Ran to its end.
    Whole,
}

/// Records what the command run by `found` (its reply from `mark` in the
/// output) showed, `started` when it began.
pub(super) fn ran(
    ctx: &mut Ctx<'_>,
    found: Option<(usize, &'static Spec)>,
    req: &Request,
    mark: usize,
    started: Instant,
    ran: Ran,
) {
    let error = error_at(ctx.out(), mark);
    let stats = &ctx.shared.command_stats;
    let Some((index, spec)) = found else {
        if let Some(error) = error {
            stats.error(&error);
        }
        return;
    };
    match ran {
        Ran::Refused => {
            if let Some(error) = error {
                stats.rejected(index, &error);
            }
        }
        Ran::Queued => {}
        Ran::Blocking => {
            if let Some(error) = error {
                stats.failed(index, &error);
            }
        }
        Ran::Whole => {
            if let Some(error) = error {
                stats.failed(index, &error);
            }
            let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            timed(ctx, index, spec, req, usec);
        }
    }
}

/// Counts a command that ran inside EXEC (`reply` its reply there): its
/// call, and its error if it failed. Its time is EXEC's.
pub(super) fn in_exec(shared: &Shared, index: usize, reply: &[u8]) {
    shared.command_stats.ran(index, 1, 0);
    shared.commands_processed.fetch_add(1, Ordering::Relaxed);
    if let Some(error) = error_at(reply, 0) {
        shared.command_stats.failed(index, &error);
    }
}

/// The error a reply starting at `mark` is, without its `-`, if it is one.
fn error_at(out: &[u8], mark: usize) -> Option<Bytes> {
    let reply = out.get(mark..)?;
    if reply.first() != Some(&b'-') {
        return None;
    }
    let end = reply.iter().position(|&b| b == b'\r').unwrap_or(reply.len());
    Some(Bytes::copy_from_slice(&reply[1..end]))
}

/// A run of `usec`: counted with its command's calls, and logged when slow.
fn timed(ctx: &mut Ctx<'_>, index: usize, spec: &Spec, req: &Request, usec: u64) {
    let session = &mut *ctx.session;
    if session.uncounted.0 == index && session.uncounted.1 > 0 {
        session.uncounted_usec += usec;
    } else {
        // Its call was already added (a control command settles before it
        // runs, so that INFO counts itself): its time goes straight in.
        ctx.shared.command_stats.ran(index, 0, usec);
    }
    let live = &ctx.shared.live;
    let slower_than = live.slowlog_log_slower_than();
    // AUTH and HELLO carry passwords, which the log must not show.
    if slower_than >= 0 && usec >= slower_than.unsigned_abs() && !spec.has(flag::NOAUTH) {
        let entry = &ctx.session.entry;
        let name = entry.name.lock().clone().unwrap_or_default();
        let max_len = live.slowlog_max_len();
        ctx.shared.slowlog.push(req.args(), usec, entry.addr.to_string(), name, max_len);
    }
    let threshold = live.latency_monitor_threshold();
    let millis = usec / 1000;
    if threshold > 0 && millis >= threshold {
        let event = if spec.has(flag::FAST) { "fast-command" } else { "command" };
        ctx.shared.latency.add(event, millis);
    }
}
