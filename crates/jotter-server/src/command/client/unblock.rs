//! CLIENT UNBLOCK: ends another client's wait in a blocking command
//! (BLPOP, BZPOPMIN, XREAD BLOCK, ...) as a timeout or as an error. The
//! blocked command sees the request in its loop (`command/blocking.rs`).

use jotter_resp::Request;

use crate::command::args::parse_i64;
use crate::command::spec::{Ctx, Flow};
use crate::command::subcommand;
use crate::unblock::Unblocked;

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: 1 if the client was blocked and
/// is now released, else 0. A client held by `CLIENT PAUSE` is not
/// blocked in this sense.
pub(super) fn unblock(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let choices = [("timeout", Unblocked::Timeout), ("error", Unblocked::Error)];
    let error = b"ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
    let Some(how) =
        subcommand::last_choice(req, ctx, "CLIENT", Unblocked::Timeout, &choices, error)
    else {
        return Flow::Continue;
    };
    let Some(id) = req.arg(2).and_then(parse_i64) else {
        ctx.reply().error(b"ERR value is not an integer or out of range");
        return Flow::Continue;
    };
    let client = u64::try_from(id).ok().and_then(|id| ctx.shared.clients.get(id));
    let released = client.is_some_and(|c| c.unblock.request(how));
    ctx.reply().integer(i64::from(released));
    Flow::Continue
}
