//! String commands, minimal: GET, SET key value, DEL, INCR. They prove the
//! path from socket to engine to store end to end; the full string family
//! (SET options, MGET, APPEND, ...) replaces this file on the next engine
//! API.

use jotter::{Edit, Value};
use jotter_resp::Request;

use super::{Command, Ctx, Flow, Spec, flag, reply_engine_error};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Get,
    Set,
    Del,
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
    Spec::new(
        "del",
        -2,
        flag::WRITE,
        "keyspace",
        "Deletes one or more keys.",
        "1.0.0",
        Command::Strings(Cmd::Del),
    )
    .keys(1, -1, 1),
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

pub(super) async fn execute(cmd: Cmd, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    // Keys and values are spans of the request buffer: `arg_bytes` shares it
    // (a reference count), it does not copy.
    let key = req.arg_bytes(1).unwrap_or_default();
    let cache = &ctx.shared.cache;
    match cmd {
        Cmd::Get => match cache.get(key).await {
            Ok(None) => ctx.reply().null(),
            Ok(Some(Value::Blob(value))) => ctx.reply().bulk(&value),
            Ok(Some(_)) => {
                reply_engine_error(ctx, &jotter::Error::WrongType { expected: jotter::Shape::Blob })
            }
            Err(e) => reply_engine_error(ctx, &e),
        },
        Cmd::Set => {
            let value = req.arg_bytes(2).unwrap_or_default();
            match cache.put(key, value).await {
                Ok(_) => ctx.reply().ok(),
                Err(e) => reply_engine_error(ctx, &e),
            }
        }
        Cmd::Del => {
            let mut deleted = 0i64;
            for i in 1..req.len() {
                let key = req.arg_bytes(i).unwrap_or_default();
                // Read and delete atomically, so the count is right under
                // concurrent writers; an absent key writes nothing.
                let existed = cache
                    .modify(key, |value| {
                        Ok(if value.is_some() { (Edit::Delete, true) } else { (Edit::Keep, false) })
                    })
                    .await;
                match existed {
                    Ok((true, _)) => deleted += 1,
                    Ok((false, _)) => {}
                    Err(e) => {
                        reply_engine_error(ctx, &e);
                        return Flow::Continue;
                    }
                }
            }
            ctx.reply().integer(deleted);
        }
        Cmd::Incr => match cache.incr(key, 1).await {
            Ok((total, _)) => ctx.reply().integer(total),
            Err(e) => reply_engine_error(ctx, &e),
        },
    }
    Flow::Continue
}
