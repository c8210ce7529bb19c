//! String commands, minimal: GET, SET key value, DEL, INCR. They prove the
//! path from socket to engine to store end to end; the full string family
//! (SET options, MGET, APPEND, ...) replaces this file on the next engine
//! API.

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::data::{self, Outcome};
use super::{Command, Ctx, Flow, Spec, flag, parse_i64};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Get,
    Set,
    Incr,
}

const fn spec(
    name: &'static str,
    arity: i16,
    flags: u16,
    summary: &'static str,
    since: &'static str,
    cmd: Cmd,
) -> Spec {
    Spec::new(name, arity, flags, "string", summary, since, Command::Strings(cmd))
}

pub(super) const SPECS: &[Spec] = &[
    spec(
        "get",
        2,
        flag::READONLY | flag::FAST,
        "Returns the string value of a key.",
        "1.0.0",
        Cmd::Get,
    )
    .keys(1, 1, 1),
    spec(
        "set",
        3,
        flag::WRITE | flag::DENYOOM,
        "Sets the string value of a key.",
        "1.0.0",
        Cmd::Set,
    )
    .keys(1, 1, 1),
    spec(
        "incr",
        2,
        flag::WRITE | flag::DENYOOM | flag::FAST,
        "Increments the integer value of a key by one.",
        "1.0.0",
        Cmd::Incr,
    )
    .keys(1, 1, 1),
];

/// The keys of a data command; every string command is one.
pub(super) fn keys(_cmd: Cmd, spec: &Spec, req: &Request) -> Option<Vec<Bytes>> {
    Some(data::spec_keys(spec, req))
}

/// Whether the command overwrites its key without reading it.
pub(super) fn blind(cmd: Cmd, req: &Request) -> bool {
    cmd == Cmd::Set && req.len() == 3
}

/// The body of each command, run under the locks of its keys.
pub(super) fn apply(
    cmd: Cmd,
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    match cmd {
        Cmd::Get => match txn.get(key) {
            None => w.null(),
            Some(Value::Blob(value)) => w.bulk(value),
            Some(_) => return Err(data::wrong_type()),
        },
        Cmd::Set => {
            let value = req.arg_bytes(2).unwrap_or_default();
            txn.put(key, Value::Blob(value), None);
            w.ok();
        }
        Cmd::Incr => {
            let current = match txn.get(key) {
                None => 0,
                Some(Value::Blob(b)) => parse_i64(b).ok_or_else(data::not_integer)?,
                Some(_) => return Err(data::wrong_type()),
            };
            let total = current
                .checked_add(1)
                .ok_or_else(|| data::error("ERR increment or decrement would overflow"))?;
            let expires_at = txn.expires_at(key);
            txn.put(key, Value::Blob(Bytes::from(total.to_string())), expires_at);
            w.integer(total);
        }
    }
    Ok(())
}

/// Commands that are not data commands; there are none in this family.
pub(super) async fn execute(_cmd: Cmd, _req: &Request, _ctx: &mut Ctx<'_>) -> Flow {
    unreachable!("every string command is a data command")
}
