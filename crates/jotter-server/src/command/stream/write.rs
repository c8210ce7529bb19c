//! XADD, XDEL, XTRIM and XSETID (`xaddCommand`, `xdelCommand`,
//! `xtrimCommand`, `xsetidCommand`): each change is an entry field set or
//! removed, and the metadata field set, so the store writes a row per
//! entry touched.

use bytes::Bytes;
use jotter::{MapKind, StreamId, StreamMeta, StreamWrite, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::id::{parse_strict, reply_id};
use super::reply::stream;
use super::trim::{self, Strategy};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};

fn key(req: &Request) -> Bytes {
    req.arg_bytes(1).unwrap_or_default()
}

pub(super) fn xadd(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let args = trim::parse(req, true)?;
    let pairs = req.len().saturating_sub(args.fields_at);
    if pairs < 2 || pairs % 2 == 1 {
        return Err(fail::arity("xadd"));
    }
    if args.id.is_some_and(|g| g.seq_given && g.id == StreamId::MIN) {
        return Err(fail::error("ERR The ID specified in XADD must be greater than 0-0"));
    }
    let key = key(req);
    let meta = match stream(txn, &key)? {
        Some(s) => s.meta(),
        None if args.no_mkstream => {
            w.null();
            return Ok(());
        }
        None => StreamMeta::default(),
    };
    let last = meta.last_id;
    if last == StreamId::MAX {
        return Err(fail::error(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let too_small = || {
        fail::error(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        )
    };
    let id = match args.id {
        Some(g) if g.seq_given => g.id,
        Some(g) if g.id.ms == last.ms => {
            StreamId { ms: last.ms, seq: last.seq.checked_add(1).ok_or_else(too_small)? }
        }
        Some(g) => g.id,
        None if txn.now() > last.ms => StreamId { ms: txn.now(), seq: 0 },
        None => last.next().ok_or_else(too_small)?,
    };
    if id <= last {
        return Err(too_small());
    }
    let flat: Vec<Bytes> = (args.fields_at..req.len()).filter_map(|i| req.arg_bytes(i)).collect();
    let meta = StreamMeta { last_id: id, entries_added: meta.entries_added + 1, ..meta };
    txn.set_fields(
        &key,
        MapKind::Stream,
        [StreamWrite::entry(id, &flat), StreamWrite::meta(&meta)],
    )?;
    if args.strategy != Strategy::None {
        trim::trim(txn, &key, &args)?;
    }
    reply_id(w, id);
    Ok(())
}

pub(super) fn xdel(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let Some(s) = stream(txn, &key)? else {
        w.integer(0);
        return Ok(());
    };
    let ids = (2..req.len())
        .map(|i| parse_strict(req.arg(i).unwrap_or_default(), 0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut meta = s.meta();
    let mut gone: Vec<StreamId> =
        ids.into_iter().filter(|id| s.entries().contains_key(id)).collect();
    gone.sort_unstable();
    gone.dedup();
    if let Some(&max) = gone.last() {
        meta.max_deleted_id = meta.max_deleted_id.max(max);
        let changes: Vec<_> = gone
            .iter()
            .map(|id| StreamWrite::remove_entry(*id))
            .chain([StreamWrite::meta(&meta)])
            .collect();
        txn.set_fields(&key, MapKind::Stream, changes)?;
    }
    w.integer(i64::try_from(gone.len()).unwrap_or(i64::MAX));
    Ok(())
}

pub(super) fn xtrim(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let args = trim::parse(req, false)?;
    let n = trim::trim(txn, &key(req), &args)?;
    w.integer(i64::try_from(n).unwrap_or(i64::MAX));
    Ok(())
}

pub(super) fn xsetid(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let id = parse_strict(req.arg(2).unwrap_or_default(), 0)?;
    let (mut entries_added, mut max_deleted) = (None, StreamId::MIN);
    let mut i = 3;
    while i < req.len() {
        let opt = req.arg(i).unwrap_or_default();
        let value = req.arg(i + 1);
        match value {
            Some(v) if opt.eq_ignore_ascii_case(b"entriesadded") => {
                let n = parse_i64(v).ok_or_else(fail::not_integer)?;
                entries_added = Some(
                    u64::try_from(n)
                        .map_err(|_| fail::error("ERR entries_added must be positive"))?,
                );
            }
            Some(v) if opt.eq_ignore_ascii_case(b"maxdeletedid") => {
                max_deleted = parse_strict(v, 0)?;
                if id < max_deleted {
                    return Err(fail::error(
                        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                    ));
                }
            }
            _ => return Err(fail::syntax()),
        }
        i += 2;
    }
    let key = key(req);
    let Some(s) = stream(txn, &key)? else {
        return Err(fail::error("ERR no such key"));
    };
    let mut meta = s.meta();
    if let Some((&top, _)) = s.entries().last_key_value() {
        if id < top {
            return Err(fail::error(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| n < s.entries().len() as u64) {
            return Err(fail::error(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    meta.last_id = id;
    if let Some(n) = entries_added {
        meta.entries_added = n;
    }
    if max_deleted != StreamId::MIN {
        meta.max_deleted_id = max_deleted;
    }
    txn.set_fields(&key, MapKind::Stream, [StreamWrite::meta(&meta)])?;
    w.ok();
    Ok(())
}
