//! SORT and SORT_RO (`sortCommandGeneric`): the elements of a set or a
//! sorted set (a list too, once lists are served: see `input.rs`), sorted
//! by number or ALPHA, by themselves or BY the keys a pattern names, cut by
//! LIMIT, answered as themselves or as what GET patterns name, or stored
//! (STORE writes a list).
//!
//! - `options.rs`: the options and LIMIT's window;
//! - `pattern.rs`: BY and GET patterns (`#`, `*`, `->field`);
//! - `input.rs`: each type's elements, and the list STORE writes;
//! - `order.rs`: the comparison and the sort.
//!
//! The keys a BY or GET pattern names depend on the elements, so they are
//! not known before the key is read: SORT reads the key, then runs one
//! engine transaction over it, the keys its patterns name for those
//! elements and the STORE destination, and, if the key changed meanwhile
//! so that it names a key not in the transaction, tries again with those
//! too. What it answers is therefore one atomic view, as in Redis.
//!
//! Where this differs from Redis: because of that first read, SORT and
//! SORT_RO are not data commands: inside MULTI, SORT is refused (as every
//! command that writes and is not one) and SORT_RO runs after the
//! transaction's data commands, in its own transaction. `BY nosort` on a
//! set (without STORE) keeps the set's byte order, where Redis's order is
//! its hash table's (unspecified).

mod input;
mod options;
mod order;
mod pattern;

use std::collections::BTreeSet;

use bytes::Bytes;
use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use self::input::{Input, elements};
use self::options::Options;
use self::pattern::Pattern;
use super::data;
use super::fail::Outcome;
use super::spec::{BoxFlow, Ctx, Flow, Spec, flag, waits};

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "sort",
        -2,
        flag::WRITE | flag::DENYOOM,
        "generic",
        "Sorts the elements in a set or a sorted set, optionally storing the result.",
        "1.0.0",
        waits(sort),
    )
    .keys(1, 1, 1),
    Spec::new(
        "sort_ro",
        -2,
        flag::READONLY,
        "generic",
        "Returns the sorted elements of a set or a sorted set.",
        "7.0.0",
        waits(sort_ro),
    )
    .keys(1, 1, 1),
];

/// Attempts before SORT gives up on a key that keeps changing under it.
const ATTEMPTS: usize = 16;

fn sort<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(run(req, ctx, false))
}

fn sort_ro<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(run(req, ctx, true))
}

async fn run(req: &Request, ctx: &mut Ctx<'_>, readonly: bool) -> Flow {
    let options = match Options::parse(req, readonly) {
        Ok(options) => options,
        Err(fail) => {
            ctx.reply().error(fail.text().as_bytes());
            return Flow::Continue;
        }
    };
    let source = req.arg_bytes(1).unwrap_or_default();
    let mut keys: BTreeSet<Bytes> =
        std::iter::once(source.clone()).chain(options.store.clone()).collect();
    for _ in 0..ATTEMPTS {
        // The keys the patterns name for the elements the key holds now;
        // the transaction checks that they are still all it needs.
        match ctx.shared.cache.get_entry(source.clone()).await {
            Ok(entry) => {
                if let Ok(input) = elements(entry.as_ref().map(|e| &e.value)) {
                    keys.extend(named_keys(&input, &options));
                }
            }
            Err(e) => {
                ctx.engine_error(&e);
                return Flow::Continue;
            }
        }
        let declared: Vec<Bytes> = keys.iter().cloned().collect();
        let mut retry = false;
        let mark = ctx.out().len();
        let flow = data::run(ctx, &declared, false, |txn, w| {
            body(txn, w, (&source, &options), &keys, &mut retry)
        })
        .await;
        if !retry {
            return flow;
        }
        ctx.out().truncate(mark);
    }
    ctx.reply().error(b"ERR the key to sort kept changing; try again");
    Flow::Continue
}

/// Every key the patterns SORT reads name for `input`'s elements.
fn named_keys<'a>(input: &'a Input, o: &'a Options) -> impl Iterator<Item = Bytes> + 'a {
    let by = o.by.iter().filter(|_| !o.dont_sort);
    let patterns: Vec<Pattern<'a>> = by.chain(&o.gets).map(|p| Pattern::parse(p)).collect();
    input
        .elements
        .iter()
        .flat_map(move |e| patterns.iter().filter_map(|p| p.key(e)).collect::<Vec<_>>())
}

/// One attempt inside the transaction over `declared`: sets `retry` (and
/// answers nothing) if the key now names keys not declared.
fn body(
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    (source, o): (&Bytes, &Options),
    declared: &BTreeSet<Bytes>,
    retry: &mut bool,
) -> Outcome {
    let input = elements(txn.get(source))?;
    if !named_keys(&input, o).all(|k| declared.contains(&k)) {
        *retry = true;
        return Ok(());
    }
    let chosen = order::select(txn, input, o)?;
    let gets: Vec<Pattern<'_>> = o.gets.iter().map(|g| Pattern::parse(g)).collect();
    let per_element = gets.len().max(1);
    let Some(dst) = &o.store else {
        w.array(chosen.len() * per_element);
        for element in &chosen {
            if gets.is_empty() {
                w.bulk(element);
            }
            for get in &gets {
                w.bulk_or_null(get.lookup(txn, element).as_deref());
            }
        }
        return Ok(());
    };
    // Stored, a GET that finds nothing is an empty string.
    let items: Vec<Bytes> = if gets.is_empty() {
        chosen
    } else {
        chosen
            .iter()
            .flat_map(|e| gets.iter().map(|g| g.lookup(txn, e).unwrap_or_default()))
            .collect()
    };
    let stored = items.len();
    input::store(txn, dst, items)?;
    w.integer(i64::try_from(stored).unwrap_or(i64::MAX));
    Ok(())
}
