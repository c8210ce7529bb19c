//! LCS (`lcsCommand`): the longest common subsequence of two strings, its
//! length, or the matching ranges.

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::value::{MAX_STRING, integer_arg};
use crate::command::fail::{self, Outcome};

/// One matching range of an LCS IDX reply: (a start, a end, b start, b end).
type Match = (u32, u32, u32, u32);

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]` (`lcsCommand`).
pub(super) fn lcs(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let side = |key: &[u8]| match txn.get(key) {
        None => Ok(Bytes::new()),
        Some(Value::Blob(value)) => Ok(value.clone()),
        Some(_) => Err(fail::error("ERR The specified keys must contain string values")),
    };
    let a = side(req.arg(1).unwrap_or_default())?;
    let b = side(req.arg(2).unwrap_or_default())?;
    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len = 0i64;
    let mut j = 3;
    while j < req.len() {
        let opt = req.arg(j).unwrap_or_default();
        let more = j + 1 < req.len();
        if opt.eq_ignore_ascii_case(b"idx") {
            get_idx = true;
        } else if opt.eq_ignore_ascii_case(b"len") {
            get_len = true;
        } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
            with_match_len = true;
        } else if opt.eq_ignore_ascii_case(b"minmatchlen") && more {
            min_match_len = integer_arg(req, j + 1)?.max(0);
            j += 1;
        } else {
            return Err(fail::syntax());
        }
        j += 1;
    }
    if get_len && get_idx {
        return Err(fail::error(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let limit = u32::MAX as usize - 1;
    if a.len() >= limit || b.len() >= limit {
        return Err(fail::error("ERR String too long for LCS"));
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells.saturating_mul(4) > MAX_STRING {
        return Err(fail::error(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }

    // table[i * (blen + 1) + j]: the LCS length of a[..i] and b[..j].
    let (alen, blen) = (a.len(), b.len());
    let width = blen + 1;
    let mut table = vec![0u32; (alen + 1) * width];
    for i in 1..=alen {
        for j in 1..=blen {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[alen * width + blen];
    if get_len {
        w.integer(i64::from(total));
        return Ok(());
    }

    // Walk back from the end, as Redis does, collecting the LCS and the
    // ranges of contiguous matches (last ones first).
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut ranges: Vec<Match> = Vec::new();
    let unset = alen as u32;
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (unset, 0u32, 0u32, 0u32);
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == unset {
                a_start = (i - 1) as u32;
                a_end = (i - 1) as u32;
                b_start = (j - 1) as u32;
                b_end = (j - 1) as u32;
            } else if a_start == i as u32 && b_start == j as u32 {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != unset {
                emit = true;
            }
        }
        if emit {
            let match_len = a_end.wrapping_sub(a_start).wrapping_add(1);
            if min_match_len == 0 || i64::from(match_len) >= min_match_len {
                ranges.push((a_start, a_end, b_start, b_end));
            }
            a_start = unset;
        }
    }
    if !get_idx {
        w.bulk(&result);
        return Ok(());
    }
    w.map(2);
    w.bulk(b"matches");
    w.array(ranges.len());
    for (a_start, a_end, b_start, b_end) in ranges {
        w.array(if with_match_len { 3 } else { 2 });
        w.array(2);
        w.integer(i64::from(a_start));
        w.integer(i64::from(a_end));
        w.array(2);
        w.integer(i64::from(b_start));
        w.integer(i64::from(b_end));
        if with_match_len {
            w.integer(i64::from(a_end - a_start + 1));
        }
    }
    w.bulk(b"len");
    w.integer(i64::from(total));
    Ok(())
}
