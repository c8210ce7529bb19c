//! BITCOUNT and BITPOS, over the whole string or a range of bytes or of
//! bits (`BYTE`/`BIT`), with Redis's order of checks: BITCOUNT looks at the
//! key before its arguments, BITPOS checks its bit argument first.

use bytes::Bytes;
use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::value::{arg, bitmap, key};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail, Outcome};

/// An inclusive range of bit positions within a string, never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BitRange {
    first: u64,
    last: u64,
}

/// `BITCOUNT key [start end [BYTE|BIT]]`.
pub(super) fn bitcount(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let Some(bytes) = bitmap(txn, key(req))? else {
        w.integer(0);
        return Ok(());
    };
    let range = match req.len() {
        2 => whole(bytes.len()),
        4 | 5 => {
            let (start, end) = (int(req, 2)?, int(req, 3)?);
            // Both from the end and crossed: empty before any clamping,
            // and before the unit is read.
            if start < 0 && end < 0 && start > end {
                None
            } else {
                resolve(start, Some(end), bytes.len(), unit_is_bit(req, 4)?)
            }
        }
        _ => return Err(fail::syntax()),
    };
    w.integer(range.map_or(0, |r| count_ones(bytes, r)) as i64);
    Ok(())
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]`.
pub(super) fn bitpos(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let bit = match int(req, 2)? {
        0 => false,
        1 => true,
        _ => return Err(fail::error("ERR The bit argument must be 1 or 0.")),
    };
    // A missing key is an endless run of zeros.
    let Some(bytes) = bitmap(txn, key(req))? else {
        w.integer(if bit { -1 } else { 0 });
        return Ok(());
    };
    let (range, end_given) = match req.len() {
        3 => (whole(bytes.len()), false),
        4..=6 => {
            let start = int(req, 3)?;
            let in_bits = unit_is_bit(req, 5)?;
            let end = if req.len() >= 5 { Some(int(req, 4)?) } else { None };
            (resolve(start, end, bytes.len(), in_bits), end.is_some())
        }
        _ => return Err(fail::syntax()),
    };
    let pos = match range {
        None => -1,
        Some(range) => match first_bit(bytes, range, bit) {
            Some(pos) => pos as i64,
            // Looking for a clear bit past an open-ended range finds the
            // zero padding right after it.
            None if !bit && !end_given => (range.last + 1) as i64,
            None => -1,
        },
    };
    w.integer(pos);
    Ok(())
}

fn int(req: &Request, i: usize) -> Result<i64, Fail> {
    parse_i64(arg(req, i)).ok_or_else(fail::not_integer)
}

/// Whether the optional unit argument at `i` says BIT (absent: BYTE).
fn unit_is_bit(req: &Request, i: usize) -> Result<bool, Fail> {
    match req.arg(i) {
        None => Ok(false),
        Some(unit) if unit.eq_ignore_ascii_case(b"bit") => Ok(true),
        Some(unit) if unit.eq_ignore_ascii_case(b"byte") => Ok(false),
        Some(_) => Err(fail::syntax()),
    }
}

/// Every bit of a string of `len` bytes.
fn whole(len: usize) -> Option<BitRange> {
    (len > 0).then(|| BitRange { first: 0, last: len as u64 * 8 - 1 })
}

/// A `start end` range (negatives from the end, clamped) over `len` bytes,
/// counted in bits or bytes; `end` absent is the last one. `None` if empty.
fn resolve(start: i64, end: Option<i64>, len: usize, in_bits: bool) -> Option<BitRange> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let start = from_end(start);
    let end = from_end(end.unwrap_or(total - 1)).min(total - 1);
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if in_bits {
        BitRange { first: start, last: end }
    } else {
        BitRange { first: start * 8, last: end * 8 + 7 }
    })
}

/// Byte `i` of the range with the bits outside it cleared.
fn masked(bytes: &[u8], range: BitRange, i: u64, flip: bool) -> u8 {
    let mut byte = bytes[i as usize];
    if flip {
        byte = !byte;
    }
    if i == range.first / 8 {
        byte &= 0xff >> (range.first % 8);
    }
    if i == range.last / 8 {
        byte &= 0xff << (7 - range.last % 8);
    }
    byte
}

fn count_ones(bytes: &Bytes, range: BitRange) -> u64 {
    let (first, last) = (range.first / 8, range.last / 8);
    let edges = u64::from(masked(bytes, range, first, false).count_ones())
        + if last > first { u64::from(masked(bytes, range, last, false).count_ones()) } else { 0 };
    let middle = bytes.get(first as usize + 1..last as usize).unwrap_or_default();
    edges + middle.iter().map(|b| u64::from(b.count_ones())).sum::<u64>()
}

/// The first bit equal to `bit` within `range`.
fn first_bit(bytes: &[u8], range: BitRange, bit: bool) -> Option<u64> {
    (range.first / 8..=range.last / 8).find_map(|i| {
        let byte = masked(bytes, range, i, !bit);
        (byte != 0).then(|| i * 8 + u64::from(byte.leading_zeros()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_as_redis() {
        assert_eq!(resolve(0, Some(-1), 2, false), Some(BitRange { first: 0, last: 15 }));
        assert_eq!(resolve(-10, Some(-20), 3, false), Some(BitRange { first: 0, last: 7 }));
        assert_eq!(resolve(5, Some(100), 1, true), Some(BitRange { first: 5, last: 7 }));
        assert_eq!(resolve(3, Some(2), 4, true), None);
        assert_eq!(resolve(0, None, 0, false), None);
    }

    #[test]
    fn counts_and_positions_respect_bit_edges() {
        let bytes = Bytes::from_static(&[0b1111_0000, 0xff, 0b0000_1111]);
        let r = BitRange { first: 2, last: 21 };
        assert_eq!(count_ones(&bytes, r), 2 + 8 + 2);
        assert_eq!(first_bit(&bytes, r, false), Some(4));
        assert_eq!(first_bit(&bytes, BitRange { first: 8, last: 15 }, false), None);
        assert_eq!(first_bit(&bytes, BitRange { first: 17, last: 23 }, true), Some(20));
    }
}
