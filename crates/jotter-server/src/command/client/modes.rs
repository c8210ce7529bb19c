//! CLIENT REPLY and CLIENT NO-EVICT: modes a connection sets for itself.
//! The reply mode is applied by the connection after each command
//! (`reply_mode.rs`); no-evict exempts the client from being closed when
//! its pending replies would take the server past `maxmemory`
//! (`client_memory.rs`), Jotter's form of Redis's client eviction.

use jotter_resp::Request;

use crate::clients::flags;
use crate::command::spec::{Ctx, Flow};

pub(super) fn reply(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let mode = req.arg(2).unwrap_or_default();
    let mode_is = |name: &[u8]| mode.eq_ignore_ascii_case(name);
    if mode_is(b"on") {
        ctx.session.reply_mode.on();
        ctx.reply().ok();
    } else if mode_is(b"off") {
        ctx.session.reply_mode.off();
    } else if mode_is(b"skip") {
        ctx.session.reply_mode.skip();
    } else {
        ctx.syntax_error();
    }
    Flow::Continue
}

pub(super) fn no_evict(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let mode = req.arg(2).unwrap_or_default();
    if mode.eq_ignore_ascii_case(b"on") || mode.eq_ignore_ascii_case(b"off") {
        ctx.session.entry.set_flag(flags::NO_EVICT, mode.eq_ignore_ascii_case(b"on"));
        ctx.reply().ok();
    } else {
        ctx.syntax_error();
    }
    Flow::Continue
}
