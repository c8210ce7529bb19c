//! `JOTTER.KEY key [FROM-STORE]`: where the key's newest write stands
//! ("where is my write?"), from the engine's memory (`Cache::key_status`),
//! and with `FROM-STORE` the version the store holds for it now. Its
//! fields, in order, are [`KeyReport::fields`]; the HTTP admin port's
//! `GET /keys/{key}` (`admin/keys.rs`) answers with the same ones, and a
//! cluster front end (`cluster/key_status.rs`) fills the same report from
//! Redis and replies with [`write_key_reply`].

use std::time::{SystemTime, UNIX_EPOCH};

use jotter::KeyStatus;
use jotter_resp::{ReplyWriter, Request};

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

/// What a `JOTTER.KEY` reply says, whoever knows it: a single node's
/// engine ([`KeyReport::of`]) or a cluster's Redis (`cluster/key_status.rs`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KeyReport {
    pub state: &'static str,
    pub cache_version: Option<u64>,
    pub stored_version: Option<u64>,
    /// Milliseconds since the Unix epoch.
    pub pending_since: Option<u64>,
    /// `None` where it is not known (a cluster does not count them).
    pub pending_writes: Option<u64>,
    pub last_error: Option<String>,
    pub dead_letter_ids: Vec<u64>,
    /// `Some` only when the store was asked: the version it holds.
    pub store_version: Option<Option<u64>>,
}

impl KeyReport {
    /// A single node's status; `from_store`: the store was asked.
    pub(crate) fn of(s: &KeyStatus, from_store: bool) -> Self {
        KeyReport {
            state: s.state.name(),
            cache_version: s.cache_version,
            stored_version: s.stored_version,
            pending_since: s.pending_since.map(unix_millis),
            pending_writes: Some(s.pending_writes as u64),
            last_error: s.last_error.clone(),
            dead_letter_ids: s.dead_letter_ids.clone(),
            store_version: from_store.then_some(s.store_version),
        }
    }

    /// The reply's fields, in order, under their RESP names (HTTP uses them
    /// with `_` for `-`); `store-version` only when the store was asked.
    pub(crate) fn fields(&self) -> Vec<(&'static str, Field)> {
        let mut fields = vec![
            ("state", Field::Word(self.state)),
            ("cache-version", Field::Int(self.cache_version)),
            ("stored-version", Field::Int(self.stored_version)),
            ("pending-since", Field::Int(self.pending_since)),
            ("pending-writes", Field::Int(self.pending_writes)),
            ("last-error", Field::Text(self.last_error.clone())),
            ("dead-letter-ids", Field::Ints(self.dead_letter_ids.clone())),
        ];
        if let Some(version) = self.store_version {
            fields.push(("store-version", Field::Int(version)));
        }
        fields
    }
}

fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `JOTTER.KEY`'s key and whether it asks `FROM-STORE`, or the error to
/// reply.
pub(crate) fn key_args(req: &Request) -> Result<(&[u8], bool), String> {
    let Some(key) = req.arg(1) else {
        return Err("ERR wrong number of arguments for 'jotter.key' command".to_owned());
    };
    match req.len() {
        2 => Ok((key, false)),
        3 if req.arg(2).is_some_and(|a| a.eq_ignore_ascii_case(b"from-store")) => Ok((key, true)),
        _ => Err("ERR syntax error: JOTTER.KEY takes a key and optionally FROM-STORE".to_owned()),
    }
}

/// The reply: a map (RESP3) or flat pairs (RESP2) of `report`'s fields.
pub(crate) fn write_key_reply(reply: &mut ReplyWriter<'_>, report: &KeyReport) {
    let fields = report.fields();
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
}

fn key<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(key_inner(req, ctx))
}

async fn key_inner(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let (key, from_store) = match key_args(req) {
        Ok(args) => args,
        Err(text) => {
            ctx.reply().error(text.as_bytes());
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
    write_key_reply(&mut ctx.reply(), &KeyReport::of(&status, from_store));
    Flow::Continue
}
