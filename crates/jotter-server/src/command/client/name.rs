//! CLIENT ID, GETNAME, SETNAME and SETINFO: the connection's identity.
//! [`set_name`] is HELLO's `SETNAME` too.

use bytes::Bytes;
use jotter_resp::Request;

use crate::command::spec::{Ctx, Flow};

pub(super) fn id(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let id = i64::try_from(ctx.session.entry.id).unwrap_or(i64::MAX);
    ctx.reply().integer(id);
    Flow::Continue
}

pub(super) fn getname(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let name = ctx.session.entry.name.lock().clone();
    ctx.reply().bulk_or_null(name.as_deref());
    Flow::Continue
}

pub(super) fn setname(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    if set_name(ctx, req.arg_bytes(2).unwrap_or_default()) {
        ctx.reply().ok();
    }
    Flow::Continue
}

/// Accepted and not kept: Redis 7.0 has no such subcommand, and the
/// clients that send it on connect (Redis 7.2's) need only the `OK`.
pub(super) fn setinfo(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.reply().ok();
    Flow::Continue
}

/// Sets the connection's name (empty clears it), or replies the error and
/// returns false.
pub(crate) fn set_name(ctx: &mut Ctx<'_>, name: Bytes) -> bool {
    // Redis refuses what would break the space-separated CLIENT LIST line.
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        ctx.reply()
            .error(b"ERR Client names cannot contain spaces, newlines or special characters.");
        return false;
    }
    *ctx.session.entry.name.lock() = (!name.is_empty()).then_some(name);
    true
}
