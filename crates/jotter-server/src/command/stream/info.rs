//! XINFO (`xinfoCommand`): STREAM (and FULL with COUNT), GROUPS, CONSUMERS
//! and HELP, with Redis's field names and order.
//!
//! `radix-tree-keys` and `radix-tree-nodes` describe Redis's own layout
//! (nodes of up to a hundred entries), which the engine does not have:
//! they are reported as that layout would have them for a stream without
//! deletions, never as a measure of anything here.

use std::sync::Arc;

use jotter::{Stream, StreamGroup, StreamId, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::groups::lag;
use super::id::reply_id;
use super::reply::{self, stream};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail, Outcome};
use crate::command::spec::{Sub, flag};
use crate::command::subcommand;

/// Redis's entries a node.
const NODE_ENTRIES: usize = 100;

/// XINFO's subcommands, in `XINFO HELP`'s order; every one but HELP runs
/// [`describe`].
pub(super) const SUBS: &[Sub] = &[
    Sub::data(
        "consumers",
        4,
        flag::READONLY,
        "List the consumers in a consumer group",
        "5.0.0",
        &[b"CONSUMERS <key> <groupname>", b"    Show consumers of <groupname>."],
        describe,
    )
    .key(2),
    Sub::data(
        "groups",
        3,
        flag::READONLY,
        "List the consumer groups of a stream",
        "5.0.0",
        &[b"GROUPS <key>", b"    Show the stream consumer groups."],
        describe,
    )
    .key(2),
    Sub::data(
        "stream",
        -3,
        flag::READONLY,
        "Get information about a stream",
        "5.0.0",
        &[b"STREAM <key> [FULL [COUNT <count>]", b"    Show information about the stream."],
        describe,
    )
    .key(2),
    subcommand::help_row("5.0.0"),
];

pub(super) fn xinfo(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    subcommand::apply(SUBS, "XINFO", req, txn, w)
}

fn int(w: &mut ReplyWriter<'_>, n: usize) {
    w.integer(i64::try_from(n).unwrap_or(i64::MAX));
}

fn u64_int(w: &mut ReplyWriter<'_>, n: u64) {
    w.integer(i64::try_from(n).unwrap_or(i64::MAX));
}

fn name(w: &mut ReplyWriter<'_>, field: &str) {
    w.bulk(field.as_bytes());
}

/// CONSUMERS, GROUPS and STREAM, once the subcommand and its arity are
/// known.
fn describe(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let sub = String::from_utf8_lossy(req.arg(1).unwrap_or_default()).to_ascii_lowercase();
    let key = req.arg(2).unwrap_or_default();
    let Some(s) = stream(txn, key)?.cloned() else {
        return Err(fail::error("ERR no such key"));
    };
    let now = txn.now();
    match sub.as_str() {
        "consumers" => {
            let group_name = req.arg(3).unwrap_or_default();
            let Some(g) = s.groups().get(group_name) else {
                return Err(fail::error(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    String::from_utf8_lossy(group_name),
                    String::from_utf8_lossy(key)
                )));
            };
            w.array(g.consumers().len());
            for (c, consumer) in g.consumers() {
                w.map(3);
                name(w, "name");
                w.bulk(c);
                name(w, "pending");
                int(w, g.pending().values().filter(|p| p.consumer == *c).count());
                name(w, "idle");
                u64_int(w, now.saturating_sub(consumer.seen));
            }
        }
        "groups" => {
            w.array(s.groups().len());
            for (n, g) in s.groups() {
                w.map(6);
                name(w, "name");
                w.bulk(n);
                name(w, "consumers");
                int(w, g.consumers().len());
                name(w, "pending");
                int(w, g.pending().len());
                group_progress(w, &s, g);
            }
        }
        _ => stream_info(req, w, &s)?,
    }
    Ok(())
}

/// A group's last delivered id, entries read and lag.
fn group_progress(w: &mut ReplyWriter<'_>, s: &Stream, g: &StreamGroup) {
    let h = g.header();
    name(w, "last-delivered-id");
    reply_id(w, h.last_id);
    name(w, "entries-read");
    match h.entries_read {
        Some(n) => u64_int(w, n),
        None => w.null(),
    }
    name(w, "lag");
    match lag(s, &h) {
        Some(n) => u64_int(w, n),
        None => w.null(),
    }
}

/// What every XINFO STREAM reply starts with.
fn stream_head(w: &mut ReplyWriter<'_>, s: &Stream) {
    let len = s.entries().len();
    let meta = s.meta();
    name(w, "length");
    int(w, len);
    name(w, "radix-tree-keys");
    let keys = len.div_ceil(NODE_ENTRIES);
    int(w, keys);
    name(w, "radix-tree-nodes");
    int(w, keys + 1);
    name(w, "last-generated-id");
    reply_id(w, meta.last_id);
    name(w, "max-deleted-entry-id");
    reply_id(w, meta.max_deleted_id);
    name(w, "entries-added");
    u64_int(w, meta.entries_added);
    name(w, "recorded-first-entry-id");
    reply_id(w, s.entries().first_key_value().map_or(StreamId::MIN, |(id, _)| *id));
}

fn stream_info(req: &Request, w: &mut ReplyWriter<'_>, s: &Arc<Stream>) -> Result<(), Fail> {
    let argc = req.len();
    let syntax = || {
        let sub = String::from_utf8_lossy(req.arg(1).unwrap_or_default());
        fail::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try XINFO HELP."
        ))
    };
    let mut full = false;
    let mut count = 10usize;
    if argc > 3 {
        if !req.arg(3).unwrap_or_default().eq_ignore_ascii_case(b"full") || (argc != 4 && argc != 6)
        {
            return Err(syntax());
        }
        full = true;
        if argc == 6 {
            if !req.arg(4).unwrap_or_default().eq_ignore_ascii_case(b"count") {
                return Err(syntax());
            }
            let n = parse_i64(req.arg(5).unwrap_or_default()).ok_or_else(fail::not_integer)?;
            count = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
        }
    }
    if !full {
        w.map(10);
        stream_head(w, s);
        name(w, "groups");
        int(w, s.groups().len());
        let first = s.entries().first_key_value();
        let last = s.entries().last_key_value();
        for (field, entry) in [("first-entry", first), ("last-entry", last)] {
            name(w, field);
            match entry {
                Some((id, pairs)) => reply::entry(w, *id, pairs),
                None => w.null(),
            }
        }
        return Ok(());
    }
    w.map(9);
    stream_head(w, s);
    name(w, "entries");
    reply::entries(w, &reply::range(s, StreamId::MIN..=StreamId::MAX, false, count));
    name(w, "groups");
    w.array(s.groups().len());
    let take = if count == 0 { usize::MAX } else { count };
    for (n, g) in s.groups() {
        w.map(7);
        name(w, "name");
        w.bulk(n);
        group_progress(w, s, g);
        name(w, "pel-count");
        int(w, g.pending().len());
        name(w, "pending");
        let pel: Vec<_> = g.pending().iter().take(take).collect();
        w.array(pel.len());
        for (id, p) in pel {
            w.array(4);
            reply_id(w, *id);
            w.bulk(&p.consumer);
            u64_int(w, p.delivered_at);
            u64_int(w, p.deliveries);
        }
        name(w, "consumers");
        w.array(g.consumers().len());
        for (c, consumer) in g.consumers() {
            w.map(4);
            name(w, "name");
            w.bulk(c);
            name(w, "seen-time");
            u64_int(w, consumer.seen);
            let mine: Vec<_> = g.pending().iter().filter(|(_, p)| p.consumer == *c).collect();
            name(w, "pel-count");
            int(w, mine.len());
            name(w, "pending");
            let shown: Vec<_> = mine.into_iter().take(take).collect();
            w.array(shown.len());
            for (id, p) in shown {
                w.array(3);
                reply_id(w, *id);
                u64_int(w, p.delivered_at);
                u64_int(w, p.deliveries);
            }
        }
    }
    Ok(())
}
