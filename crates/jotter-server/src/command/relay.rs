//! What a front end that relays requests to Redis (`cluster/`) needs to
//! know of one, from the command table: its name as the table spells it,
//! whether it writes, may block or is a pub/sub command, and every key it
//! names; and, for a blocking command, what it waits on and how long (read
//! by the command's own parser). The table stays the one place that knows
//! commands.

use bytes::Bytes;
use jotter_resp::Request;

use super::blocking::Wait;
use super::dispatch::{lookup, may_block};
use super::introspect::request_keys;
use super::spec::flag;

/// A request as the command table describes it.
#[derive(Debug)]
pub(crate) struct Facts {
    /// The command's name, lowercase.
    pub name: &'static str,
    /// It writes (the `write` flag, a container's subcommand's own).
    pub write: bool,
    /// It may block (BLPOP, XREAD ... BLOCK).
    pub blocking: bool,
    /// A pub/sub command.
    pub pubsub: bool,
    /// The arity is right.
    pub arity_ok: bool,
    /// Every key it names.
    pub keys: Vec<Bytes>,
}

/// The facts of `req`; `None` when the table does not know the command.
pub(crate) fn facts(req: &Request) -> Option<Facts> {
    let found = lookup(req.name());
    let (_, spec) = found?;
    let flags = spec.flags_of(req);
    let arity_ok = spec.arity_ok(req.len());
    Some(Facts {
        name: spec.name,
        write: flags & flag::WRITE != 0,
        blocking: may_block(found, req),
        pubsub: flags & flag::PUBSUB != 0,
        arity_ok,
        keys: if arity_ok { request_keys(spec, req) } else { Vec::new() },
    })
}

/// What the blocking command `facts` describes waits on and how long, read
/// as the single node reads it; or the error Redis answers for its
/// arguments.
pub(crate) fn wait(req: &Request, facts: &Facts) -> Result<Wait, String> {
    let wait = match facts.name {
        "xread" | "xreadgroup" => super::stream::wait(req),
        "bzpopmin" | "bzpopmax" | "bzmpop" => super::zset::wait(req),
        _ => super::list::wait(req),
    };
    wait.map_err(|fail| fail.text().into_owned())
}
