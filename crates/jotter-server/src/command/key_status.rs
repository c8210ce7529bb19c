//! `JOTTER.KEY key [FROM-STORE]`: where the key's newest write stands
//! ("where is my write?"), from the engine's memory (`Cache::key_status`),
//! and with `FROM-STORE` the version the store holds for it now. Its
//! fields, in order, are [`key_fields`]; the HTTP admin port's
//! `GET /keys/{key}` (`admin/keys.rs`) answers with the same ones.

use std::time::{SystemTime, UNIX_EPOCH};

use jotter::KeyStatus;
use jotter_resp::Request;

use super::spec::{BoxFlow, Ctx, Flow, Spec, flag, waits};

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "jotter.key",
    -2,
    flag::READONLY,
    "server",
    "Reports where the key's newest write stands: absent, clean (in the store), pending, in flight, \
     retrying or dead-lettered, with its versions; FROM-STORE also reads the store's version.",
    "7.0.0",
    waits(key),
)
.keys(1, 1, 1)];

/// One field's value in a `JOTTER.KEY` reply.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Field {
    /// A word (the state).
    Word(&'static str),
    /// An integer, or null.
    Int(Option<u64>),
    /// A text, or null.
    Text(Option<String>),
    /// A list of integers.
    Ints(Vec<u64>),
}

/// The reply's fields, in order, under their RESP names (HTTP uses them
/// with `_` for `-`); `store-version` only when the store was asked.
pub(crate) fn key_fields(s: &KeyStatus, from_store: bool) -> Vec<(&'static str, Field)> {
    let mut fields = vec![
        ("state", Field::Word(s.state.name())),
        ("cache-version", Field::Int(s.cache_version)),
        ("stored-version", Field::Int(s.stored_version)),
        ("pending-since", Field::Int(s.pending_since.map(unix_millis))),
        ("pending-writes", Field::Int(Some(s.pending_writes as u64))),
        ("last-error", Field::Text(s.last_error.clone())),
        ("dead-letter-ids", Field::Ints(s.dead_letter_ids.clone())),
    ];
    if from_store {
        fields.push(("store-version", Field::Int(s.store_version)));
    }
    fields
}

fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn key<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(key_inner(req, ctx))
}

async fn key_inner(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let Some(key) = req.arg(1) else {
        ctx.arity_error("jotter.key");
        return Flow::Continue;
    };
    let from_store = match req.len() {
        2 => false,
        3 if req.arg(2).is_some_and(|a| a.eq_ignore_ascii_case(b"from-store")) => true,
        _ => {
            ctx.reply()
                .error(b"ERR syntax error: JOTTER.KEY takes a key and optionally FROM-STORE");
            return Flow::Continue;
        }
    };
    let status = if from_store {
        match ctx.shared.cache.key_status_from_store(key).await {
            Ok(status) => status,
            Err(e) => {
                ctx.engine_error(&e);
                return Flow::Continue;
            }
        }
    } else {
        ctx.shared.cache.key_status(key)
    };
    let fields = key_fields(&status, from_store);
    let mut reply = ctx.reply();
    reply.map(fields.len());
    for (name, value) in fields {
        reply.bulk(name.as_bytes());
        match value {
            Field::Word(w) => reply.simple(w.as_bytes()),
            Field::Int(n) => match n {
                Some(n) => reply.integer(i64::try_from(n).unwrap_or(i64::MAX)),
                None => reply.null(),
            },
            Field::Text(t) => reply.bulk_or_null(t.as_deref().map(str::as_bytes)),
            Field::Ints(ids) => {
                reply.array(ids.len());
                for id in ids {
                    reply.integer(i64::try_from(id).unwrap_or(i64::MAX));
                }
            }
        }
    }
    Flow::Continue
}
