//! CLIENT KILL: the old form (`ip:port`, which may close the caller and
//! replies OK or an error) and the filters (ID, TYPE, USER, ADDR, LADDR,
//! SKIPME, any together: a client must match them all), which reply how
//! many clients were closed.

use jotter_resp::Request;

use crate::clients::{ClientType, KillFilter};
use crate::command::args::parse_i64;
use crate::command::spec::{Ctx, Flow};
use crate::state::Shared;

pub(super) const HELP: &[&[u8]] = &[
    b"KILL <ip:port>",
    b"    Kill connection made from <ip:port>.",
    b"KILL <option> <value> [<option> <value> [...]]",
    b"    Kill connections. Options are:",
    b"    * ADDR (<ip:port>|<unixsocket>:0)",
    b"      Kill connections made from the specified address",
    b"    * LADDR (<ip:port>|<unixsocket>:0)",
    b"      Kill connections made to specified local address",
    b"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    b"      Kill connections by type.",
    b"    * USER <username>",
    b"      Kill connections authenticated by <username>.",
    b"    * SKIPME (YES|NO)",
    b"      Skip killing current connection (default: yes).",
];

pub(super) fn kill(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let me = ctx.session.entry.id;
    if req.len() == 3 {
        // The old form, which may kill the caller too.
        let addr = String::from_utf8_lossy(req.arg(2).unwrap_or_default()).into_owned();
        let filter = KillFilter { addr: Some(addr), ..KillFilter::default() };
        if ctx.shared.clients.kill(&filter) == 0 {
            ctx.reply().error(b"ERR No such client");
        } else {
            ctx.reply().ok();
        }
        return closed_self(ctx);
    }
    let filter = match parse_filter(req, ctx.shared, me) {
        Ok(filter) => filter,
        Err(text) => {
            ctx.reply().error(text.as_bytes());
            return Flow::Continue;
        }
    };
    let killed = ctx.shared.clients.kill(&filter);
    ctx.reply().integer(i64::try_from(killed).unwrap_or(i64::MAX));
    closed_self(ctx)
}

/// The filters of `CLIENT KILL <option> <value> ...`, or Redis's error.
fn parse_filter(req: &Request, shared: &Shared, me: u64) -> Result<KillFilter, String> {
    let syntax = || "ERR syntax error".to_owned();
    let mut filter = KillFilter { skip: Some(me), ..KillFilter::default() };
    let mut at = 2;
    while at < req.len() {
        let option = req.arg(at).unwrap_or_default();
        let value = req.arg(at + 1).ok_or_else(syntax)?;
        let is = |name: &[u8]| option.eq_ignore_ascii_case(name);
        let text = || String::from_utf8_lossy(value).into_owned();
        if is(b"ID") {
            match parse_i64(value) {
                Some(id) if id > 0 => filter.id = Some(id.unsigned_abs()),
                _ => return Err("ERR client-id should be greater than 0".to_owned()),
            }
        } else if is(b"TYPE") {
            let kind = ClientType::parse(value)
                .ok_or_else(|| format!("ERR Unknown client type '{}'", text()))?;
            filter.kind = Some(kind);
        } else if is(b"ADDR") {
            filter.addr = Some(text());
        } else if is(b"LADDR") {
            filter.laddr = Some(text());
        } else if is(b"USER") {
            crate::command::known_user(shared, value)?;
            filter.user = Some(text());
        } else if is(b"SKIPME") {
            if value.eq_ignore_ascii_case(b"yes") {
                filter.skip = Some(me);
            } else if value.eq_ignore_ascii_case(b"no") {
                filter.skip = None;
            } else {
                return Err(syntax());
            }
        } else {
            return Err(syntax());
        }
        at += 2;
    }
    Ok(filter)
}

/// A client that killed itself closes after this reply.
fn closed_self(ctx: &Ctx<'_>) -> Flow {
    if ctx.session.entry.kill.is_cancelled() { Flow::Close } else { Flow::Continue }
}
