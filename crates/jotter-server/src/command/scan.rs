//! What HSCAN, ZSCAN and SSCAN share: reading their `MATCH`/`COUNT`
//! options and the reply for a key that is not there, both as Redis's
//! `scanGenericCommand`, and the paging of a large collection in hash order
//! (ZSCAN, SSCAN).

use bytes::Bytes;
use jotter_resp::{ReplyWriter, Request};

use super::args::parse_i64;
use super::fail::{self, Fail};

/// `[MATCH pattern] [COUNT count]` from argument `from` on: the count
/// (default 10) and the pattern (`None` for none, or for `*`).
pub(crate) fn options(req: &Request, from: usize) -> Result<(usize, Option<&[u8]>), Fail> {
    let mut count = 10usize;
    let mut pattern: Option<&[u8]> = None;
    let mut i = from;
    while i < req.len() {
        let option = req.arg(i).unwrap_or_default();
        match req.arg(i + 1) {
            Some(value) if option.eq_ignore_ascii_case(b"count") => {
                let n = parse_i64(value).ok_or_else(fail::not_integer)?;
                if n < 1 {
                    return Err(fail::syntax());
                }
                count = usize::try_from(n).unwrap_or(usize::MAX);
            }
            Some(value) if option.eq_ignore_ascii_case(b"match") => {
                pattern = (value != b"*").then_some(value);
            }
            _ => return Err(fail::syntax()),
        }
        i += 2;
    }
    Ok((count, pattern))
}

/// The reply for a key that does not exist: cursor 0, nothing found.
pub(crate) fn nothing(w: &mut ReplyWriter<'_>) {
    w.array(2);
    w.bulk(b"0");
    w.array(0);
}

/// An element's place in the scan of a large collection: a fixed hash
/// (FNV-1a, then mixed), stable across calls and restarts. Never 0, so that
/// a cursor (the next hash to visit) is 0 only at the start and the end.
fn scan_hash(element: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in element {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    // Leave 0 for "start"/"done" and keep cursors within i64 for clients
    // that read them signed.
    (h >> 1).max(1)
}

/// One page of a scan over `items` from `cursor`: the next cursor (0 at
/// the end) and at least `count` items, in the order of a fixed hash of
/// each element, the cursor being the next hash to visit. Every element
/// present for the whole scan is returned exactly once, whatever changes
/// between calls. Each call walks the collection once (O(n)).
pub(crate) fn hashed_page<'a, T>(
    items: impl Iterator<Item = (&'a Bytes, T)>,
    cursor: u64,
    count: usize,
) -> (u64, Vec<(&'a Bytes, T)>) {
    let mut candidates: Vec<(u64, &Bytes, T)> =
        items.map(|(e, v)| (scan_hash(e), e, v)).filter(|(h, _, _)| *h >= cursor).collect();
    if candidates.len() <= count {
        candidates.sort_unstable_by_key(|c| c.0);
        return (0, candidates.into_iter().map(|(_, e, v)| (e, v)).collect());
    }
    candidates.select_nth_unstable_by_key(count - 1, |c| c.0);
    let top = candidates[count - 1].0;
    // Elements sharing the last hash come now too: the cursor moves past
    // that hash.
    let mut batch: Vec<_> = candidates.into_iter().filter(|c| c.0 <= top).collect();
    batch.sort_unstable_by_key(|c| c.0);
    (top.wrapping_add(1), batch.into_iter().map(|(_, e, v)| (e, v)).collect())
}
