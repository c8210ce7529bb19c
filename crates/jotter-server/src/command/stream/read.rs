//! XREAD (`xreadCommand` without a group) and the options it shares with
//! XREADGROUP: COUNT, BLOCK, STREAMS and the keys' ids.
//!
//! Without BLOCK, or inside `EXEC`, XREAD is one look: the entries after
//! each key's id, or a null array. With BLOCK, outside `EXEC`, the
//! dispatcher sends it to [`block`]: the first look resolves `$` to each
//! stream's last id, and later looks (after a write, see `block.rs`) ask
//! for entries after those same ids, skipping a key that holds another type
//! meanwhile, as Redis 7.0 leaves such a client blocked.

use std::time::Duration;

use bytes::Bytes;
use jotter::{StreamId, Txn};
use jotter_resp::{Protocol, ReplyWriter, Request};

use super::id::parse_strict;
use super::range::after;
use super::reply::{self, stream};
use crate::command::args::parse_i64;
use crate::command::blocking::Wait;
use crate::command::fail::{self, Fail, Outcome};
use crate::command::spec::{BoxFlow, Ctx, Flow, Spec};
use crate::command::{blocking, data};

/// XREAD's and XREADGROUP's options.
#[derive(Clone, Debug)]
pub(super) struct ReadArgs {
    /// At most this many entries a stream (0: all).
    pub(super) count: usize,
    /// BLOCK's milliseconds (0: forever); `None` without BLOCK.
    pub(super) block: Option<u64>,
    /// The first key's argument.
    pub(super) streams_at: usize,
    /// How many keys.
    pub(super) keys: usize,
    /// XREADGROUP's group and consumer.
    pub(super) group: Option<(Bytes, Bytes)>,
    pub(super) noack: bool,
}

impl ReadArgs {
    /// The key of stream `i` and its id argument.
    pub(super) fn key_and_id<'r>(&self, req: &'r Request, i: usize) -> (&'r [u8], &'r [u8]) {
        let key = req.arg(self.streams_at + i).unwrap_or_default();
        (key, req.arg(self.streams_at + self.keys + i).unwrap_or_default())
    }

    /// BLOCK's timeout for the blocking loop (`None`: forever).
    pub(super) fn timeout(&self) -> Option<Duration> {
        self.block.filter(|&ms| ms > 0).map(Duration::from_millis)
    }
}

/// Parses the options; `grouped` for XREADGROUP.
pub(super) fn parse(req: &Request, grouped: bool) -> Result<ReadArgs, Fail> {
    let mut args =
        ReadArgs { count: 0, block: None, streams_at: 0, keys: 0, group: None, noack: false };
    let argc = req.len();
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let opt = req.arg(i).unwrap_or_default();
        let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
        if is(b"block") && more > 0 {
            i += 1;
            let ms = parse_i64(req.arg(i).unwrap_or_default())
                .ok_or_else(|| fail::error("ERR timeout is not an integer or out of range"))?;
            args.block =
                Some(u64::try_from(ms).map_err(|_| fail::error("ERR timeout is negative"))?);
        } else if is(b"count") && more > 0 {
            i += 1;
            let n = parse_i64(req.arg(i).unwrap_or_default()).ok_or_else(fail::not_integer)?;
            args.count = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
        } else if is(b"streams") && more > 0 {
            args.streams_at = i + 1;
            let n = argc - args.streams_at;
            if !n.is_multiple_of(2) {
                let (name, symbol) = if grouped { ("xreadgroup", '>') } else { ("xread", '$') };
                return Err(fail::error(format!(
                    "ERR Unbalanced '{name}' list of streams: for each stream key an ID or '{symbol}' must be specified."
                )));
            }
            args.keys = n / 2;
            break;
        } else if is(b"group") && more >= 2 {
            if !grouped {
                return Err(fail::error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            let name = |j| req.arg_bytes(j).unwrap_or_default();
            args.group = Some((name(i + 1), name(i + 2)));
            i += 2;
        } else if is(b"noack") {
            if !grouped {
                return Err(fail::error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            args.noack = true;
        } else {
            return Err(fail::syntax());
        }
        i += 1;
    }
    if args.streams_at == 0 || (grouped && args.group.is_none()) {
        return Err(fail::syntax());
    }
    Ok(args)
}

/// The keys of XREAD and XREADGROUP: the first half of what follows
/// STREAMS (none if the options do not parse).
pub(super) fn stream_keys(_spec: &Spec, req: &Request) -> Vec<Bytes> {
    wait(req).map(|wait| wait.waits_on).unwrap_or_default()
}

/// What a blocking XREAD or XREADGROUP waits on (every stream it names),
/// or the error it answers.
pub(crate) fn wait(req: &Request) -> Result<Wait, Fail> {
    let grouped = req.name().eq_ignore_ascii_case(b"xreadgroup");
    let args = parse(req, grouped)?;
    let keys = (0..args.keys).filter_map(|i| req.arg_bytes(args.streams_at + i)).collect();
    Ok(Wait { waits_on: keys, timeout: args.timeout(), blocks: args.block.is_some() })
}

/// Starts the reply of the streams served: a map (RESP3) or an array of
/// `[key, entries]` pairs (RESP2).
pub(super) fn served_header(w: &mut ReplyWriter<'_>, n: usize) {
    if w.protocol() == Protocol::Resp3 { w.map(n) } else { w.array(n) }
}

/// One served stream's key, before its entries.
pub(super) fn served_key(w: &mut ReplyWriter<'_>, key: &[u8]) {
    if w.protocol() != Protocol::Resp3 {
        w.array(2);
    }
    w.bulk(key);
}

/// Each key's id: `$` its stream's last id (0-0 if absent), else an id.
fn resolve(req: &Request, args: &ReadArgs, txn: &Txn<'_>) -> Result<Vec<StreamId>, Fail> {
    (0..args.keys)
        .map(|i| {
            let (key, id) = args.key_and_id(req, i);
            let s = stream(txn, key)?;
            match id {
                b"$" => Ok(s.map_or(StreamId::MIN, |s| s.meta().last_id)),
                b">" => Err(fail::error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                )),
                id => parse_strict(id, 0),
            }
        })
        .collect()
}

/// Replies with the entries after each key's id, if any key has some;
/// whether it did. A retry skips keys of another type.
fn serve(
    req: &Request,
    args: &ReadArgs,
    ids: &[StreamId],
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    retry: bool,
) -> Result<bool, Fail> {
    let mut served = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        let (key, _) = args.key_and_id(req, i);
        let s = match stream(txn, key) {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(_) if retry => continue,
            Err(e) => return Err(e),
        };
        let entries = after(s, id, args.count);
        if !entries.is_empty() {
            served.push((key, entries));
        }
    }
    if served.is_empty() {
        return Ok(false);
    }
    served_header(w, served.len());
    for (key, entries) in &served {
        served_key(w, key);
        reply::entries(w, entries);
    }
    Ok(true)
}

/// Serves the keys after their ids (see [`Reading`]).
pub(super) type Serve<I> =
    fn(&Request, &ReadArgs, &[I], &mut Txn<'_>, &mut ReplyWriter<'_>, bool) -> Result<bool, Fail>;

/// How XREAD or XREADGROUP resolves its keys' ids (`I`) and serves them;
/// the rest, one look or the blocking loop, is the same for both.
pub(super) struct Reading<I> {
    pub(super) grouped: bool,
    pub(super) resolve: fn(&Request, &ReadArgs, &Txn<'_>) -> Result<Vec<I>, Fail>,
    /// Replies with what the keys have after their ids, if any has some;
    /// whether it did. The last argument says the look is a retry.
    pub(super) serve: Serve<I>,
}

impl<I: Send + Sync> Reading<I> {
    /// One look, a null array if nothing is served (also inside `EXEC`,
    /// where it never blocks).
    pub(super) fn once(
        &self,
        req: &Request,
        txn: &mut Txn<'_>,
        w: &mut ReplyWriter<'_>,
    ) -> Outcome {
        let args = parse(req, self.grouped)?;
        let ids = (self.resolve)(req, &args, txn)?;
        if !(self.serve)(req, &args, &ids, txn, w, false)? {
            w.null_array();
        }
        Ok(())
    }

    /// Outside `EXEC`: with BLOCK, the blocking loop; the first look
    /// resolves the ids, later looks keep them.
    pub(super) async fn blocking(&self, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
        let args = match parse(req, self.grouped) {
            Ok(args) => args,
            Err(e) => {
                ctx.reply().error(e.text().as_bytes());
                return Flow::Continue;
            }
        };
        let keys: Vec<Bytes> =
            (0..args.keys).filter_map(|i| req.arg_bytes(args.streams_at + i)).collect();
        if args.block.is_none() {
            return data::run(ctx, &keys, false, |txn, w| self.once(req, txn, w)).await;
        }
        let mut ids: Option<Vec<I>> = None;
        blocking::watch(ctx, &keys, args.timeout(), |txn, w, retry| {
            if ids.is_none() {
                ids = Some((self.resolve)(req, &args, txn)?);
            }
            (self.serve)(req, &args, ids.as_deref().unwrap_or_default(), txn, w, retry)
        })
        .await
    }
}

const XREAD: Reading<StreamId> = Reading { grouped: false, resolve, serve };

/// XREAD as one look.
pub(super) fn xread(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    XREAD.once(req, txn, w)
}

/// XREAD outside `EXEC`.
pub(super) fn block<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(XREAD.blocking(req, ctx))
}
