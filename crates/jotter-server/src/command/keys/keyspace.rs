//! The commands over the whole keyspace: KEYS, SCAN, RANDOMKEY, DBSIZE,
//! FLUSHDB and FLUSHALL (control commands: they list keys page by page,
//! not in one transaction).

use std::collections::{HashMap, VecDeque};
use std::sync::LazyLock;

use bytes::Bytes;
use jotter_resp::Request;
use parking_lot::Mutex;

use crate::command::args::parse_i64;
use crate::command::glob::glob_match;
use crate::command::spec::{BoxFlow, Ctx, Flow};

/// A whole-keyspace command: engine errors are its reply.
macro_rules! keyspace_command {
    ($name:ident, $inner:ident) => {
        pub(super) fn $name<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
            Box::pin(async move {
                if let Err(e) = $inner(req, ctx).await {
                    ctx.engine_error(&e);
                }
                Flow::Continue
            })
        }
    };
}

keyspace_command!(keys, keys_command);
keyspace_command!(scan, scan_command);
keyspace_command!(randomkey, random_key);
keyspace_command!(dbsize, db_size);
keyspace_command!(flush, flush_command);

/// Keys listed per call to the engine by KEYS, DBSIZE and FLUSHDB.
const PAGE: usize = 1024;

/// Keys deleted per engine transaction by FLUSHDB.
const FLUSH_PAGE: usize = 256;

/// KEYS pattern.
async fn keys_command(req: &Request, ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let pattern = req.arg(1).unwrap_or_default();
    // As Redis: `*` is every key, the empty one included.
    let all = pattern == b"*";
    let mut found = Vec::new();
    let mut after: Option<Bytes> = None;
    loop {
        let page = ctx.shared.cache.keys(after.as_deref(), PAGE).await?;
        let Some(last) = page.last().cloned() else { break };
        found.extend(page.into_iter().filter(|k| all || glob_match(pattern, k, false)));
        after = Some(last);
    }
    let mut w = ctx.reply();
    w.array(found.len());
    for key in &found {
        w.bulk(key);
    }
    Ok(())
}

/// DBSIZE: counts every live key.
async fn db_size(_req: &Request, ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let mut count = 0usize;
    let mut after: Option<Bytes> = None;
    loop {
        let page = ctx.shared.cache.keys(after.as_deref(), PAGE).await?;
        let Some(last) = page.last().cloned() else { break };
        count += page.len();
        after = Some(last);
    }
    ctx.reply().integer(i64::try_from(count).unwrap_or(i64::MAX));
    Ok(())
}

/// FLUSHDB / FLUSHALL [ASYNC|SYNC]: deletes every key, a page of keys per
/// engine transaction, moving forward in byte order.
async fn flush_command(req: &Request, ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let mode_ok = match req.len() {
        1 => true,
        2 => {
            let mode = req.arg(1).unwrap_or_default();
            mode.eq_ignore_ascii_case(b"async") || mode.eq_ignore_ascii_case(b"sync")
        }
        _ => false,
    };
    if !mode_ok {
        ctx.syntax_error();
        return Ok(());
    }
    let cache = &ctx.shared.cache;
    let mut after: Option<Bytes> = None;
    loop {
        let page = cache.keys(after.as_deref(), FLUSH_PAGE).await?;
        let Some(last) = page.last().cloned() else { break };
        cache
            .transact(&page, |txn| {
                for key in &page {
                    txn.delete(key);
                }
                Ok(())
            })
            .await?;
        after = Some(last);
    }
    if ctx.session.write_through {
        // Write-through: the reply says the deletes are in the store.
        cache.flush().await?;
    }
    ctx.reply().ok();
    Ok(())
}

/// Keys RANDOMKEY chooses among uniformly when the keyspace is this small.
pub(crate) const RANDOM_PAGE: usize = 256;

/// RANDOMKEY: uniform over a small keyspace; otherwise the first key after
/// a random point of the byte order, wrapping to the first key.
async fn random_key(_req: &Request, ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let cache = &ctx.shared.cache;
    let first = cache.keys(None, RANDOM_PAGE).await?;
    let chosen = if first.len() < RANDOM_PAGE {
        let n = u64::try_from(first.len()).unwrap_or(1).max(1);
        first.get(usize::try_from(fastrand::u64(..) % n).unwrap_or(0)).cloned()
    } else {
        let point = fastrand::u64(..).to_be_bytes();
        match cache.keys(Some(&point), 1).await?.into_iter().next() {
            Some(key) => Some(key),
            None => first.into_iter().next(),
        }
    };
    match chosen {
        Some(key) => ctx.reply().bulk(&key),
        None => ctx.reply().null(),
    }
    Ok(())
}

/// How many SCAN cursors the server remembers; the oldest is dropped first.
pub(crate) const MAX_CURSORS: usize = 10_000;

/// SCAN cursors: number → the last key returned. A cursor is removed when
/// used; numbers start at a random point so a restarted server does not
/// take an old cursor for one of its own.
struct Cursors {
    next: u64,
    positions: HashMap<u64, Bytes>,
    order: VecDeque<u64>,
}

impl Cursors {
    /// A new cursor resuming after `key`.
    fn insert(&mut self, key: Bytes) -> u64 {
        while self.positions.len() >= MAX_CURSORS {
            let Some(oldest) = self.order.pop_front() else { break };
            self.positions.remove(&oldest);
        }
        let id = self.next;
        // Kept below 2^53 so every client (JavaScript included) reads it
        // exactly; never 0, which means "start" and "done".
        self.next = if id >= (1 << 53) { 1 } else { id + 1 };
        self.positions.insert(id, key);
        self.order.push_back(id);
        // Ids of cursors already used linger in `order`; drop them.
        if self.order.len() > 2 * MAX_CURSORS {
            let positions = &self.positions;
            self.order.retain(|id| positions.contains_key(id));
        }
        id
    }

    fn take(&mut self, id: u64) -> Option<Bytes> {
        self.positions.remove(&id)
    }
}

static CURSORS: LazyLock<Mutex<Cursors>> = LazyLock::new(|| {
    Mutex::new(Cursors {
        next: (fastrand::u64(..) & ((1 << 40) - 1)) + 1,
        positions: HashMap::new(),
        order: VecDeque::new(),
    })
});

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
async fn scan_command(req: &Request, ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let Some(cursor) = req.arg(1).and_then(crate::command::args::parse_scan_cursor) else {
        ctx.reply().error(b"ERR invalid cursor");
        return Ok(());
    };
    let mut count: usize = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while let Some(opt) = req.arg(i) {
        let value = req.arg(i + 1);
        match value {
            Some(v) if opt.eq_ignore_ascii_case(b"count") => {
                let Some(n) = parse_i64(v) else {
                    ctx.reply().error(b"ERR value is not an integer or out of range");
                    return Ok(());
                };
                if n < 1 {
                    ctx.syntax_error();
                    return Ok(());
                }
                count = usize::try_from(n).unwrap_or(usize::MAX);
            }
            Some(v) if opt.eq_ignore_ascii_case(b"match") => {
                // `*` matches everything, the empty key included (as Redis).
                pattern = (v != b"*").then_some(v);
            }
            Some(v) if opt.eq_ignore_ascii_case(b"type") => type_name = Some(v),
            _ => {
                ctx.syntax_error();
                return Ok(());
            }
        }
        i += 2;
    }
    let mut after = if cursor == 0 { None } else { CURSORS.lock().take(cursor) };
    let cache = &ctx.shared.cache;
    let mut found = Vec::new();
    let mut examined = 0usize;
    let mut done = false;
    while examined < count {
        // COUNT bounds the keys examined, as in Redis; a page is at most
        // PAGE keys, so a huge COUNT does not list the keyspace at once.
        let page = cache.keys(after.as_deref(), (count - examined).min(PAGE)).await?;
        let Some(last) = page.last().cloned() else {
            done = true;
            break;
        };
        examined += page.len();
        for key in page {
            if pattern.is_some_and(|p| !glob_match(p, &key, false)) {
                continue;
            }
            if let Some(wanted) = type_name {
                let Some(entry) = cache.get_entry(key.clone()).await? else { continue };
                if !crate::engine_error::type_name(&entry.value).eq_ignore_ascii_case(wanted) {
                    continue;
                }
            }
            found.push(key);
        }
        after = Some(last);
    }
    let next = match after {
        Some(key) if !done => CURSORS.lock().insert(key),
        _ => 0,
    };
    let mut w = ctx.reply();
    w.array(2);
    w.bulk(itoa::Buffer::new().format(next).as_bytes());
    w.array(found.len());
    for key in &found {
        w.bulk(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_table_is_bounded_and_forgets_used_cursors() {
        let mut table = Cursors { next: 1, positions: HashMap::new(), order: VecDeque::new() };
        let first = table.insert(Bytes::from_static(b"a"));
        for _ in 0..MAX_CURSORS {
            table.insert(Bytes::from_static(b"b"));
        }
        assert_eq!(table.positions.len(), MAX_CURSORS);
        assert_eq!(table.take(first), None, "the oldest was dropped");
        let id = table.insert(Bytes::from_static(b"c"));
        assert_eq!(table.take(id).as_deref(), Some(&b"c"[..]));
        assert_eq!(table.take(id), None);
        assert!(table.order.len() <= 2 * MAX_CURSORS + 1);
    }
}
