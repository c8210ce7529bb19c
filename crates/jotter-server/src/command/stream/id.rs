//! Stream ids as Redis reads and writes them (`streamGenericParseIDOrReply`,
//! `streamParseIntervalIDOrReply`): `ms-seq`, `ms` alone (its sequence
//! filled in by the caller's rule), `-` and `+` where a range allows them,
//! `ms-*` where XADD allows it, and `(` for an exclusive range bound.

use jotter::StreamId;
use jotter_resp::ReplyWriter;

use crate::command::fail::{self, Fail};

/// Redis's error for an id it cannot read.
pub(super) fn invalid() -> Fail {
    fail::error("ERR Invalid stream ID specified as stream command argument")
}

/// An id as XADD takes it: `ms-seq`, `ms` (sequence 0) or `ms-*` (the
/// sequence to be generated: `seq_given` false).
#[derive(Clone, Copy, Debug)]
pub(super) struct GivenId {
    pub(super) id: StreamId,
    pub(super) seq_given: bool,
}

/// An id where `-` and `+` are not allowed (`strict`), the sequence
/// `missing_seq` when only milliseconds are given.
pub(super) fn parse_strict(arg: &[u8], missing_seq: u64) -> Result<StreamId, Fail> {
    parse(arg, missing_seq, true, false).map(|g| g.id)
}

/// An id where `-` and `+` are allowed (the least and greatest ids).
pub(super) fn parse_loose(arg: &[u8], missing_seq: u64) -> Result<StreamId, Fail> {
    parse(arg, missing_seq, false, false).map(|g| g.id)
}

/// XADD's id: strict, and `ms-*` allowed.
pub(super) fn parse_for_add(arg: &[u8]) -> Result<GivenId, Fail> {
    parse(arg, 0, true, true)
}

/// A range bound: `-`, `+`, an id, or with `(` an exclusive one; the
/// sequence `missing_seq` when only milliseconds are given. Returns the
/// id and whether it is exclusive.
pub(super) fn parse_bound(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Fail> {
    match arg {
        [b'(', rest @ ..] if !rest.is_empty() => Ok((parse_strict(rest, missing_seq)?, true)),
        _ => Ok((parse_loose(arg, missing_seq)?, false)),
    }
}

fn parse(arg: &[u8], missing_seq: u64, strict: bool, star: bool) -> Result<GivenId, Fail> {
    if arg.len() > 127 {
        return Err(invalid());
    }
    match arg {
        b"-" | b"+" if strict => return Err(invalid()),
        b"-" => return Ok(GivenId { id: StreamId::MIN, seq_given: true }),
        b"+" => return Ok(GivenId { id: StreamId::MAX, seq_given: true }),
        _ => {}
    }
    // Redis cuts at the first NUL, as C strings end there.
    let arg = arg.split(|&b| b == 0).next().unwrap_or(arg);
    let (ms, seq) = match arg.iter().position(|&b| b == b'-') {
        Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
        None => (arg, None),
    };
    let ms = parse_u64(ms).ok_or_else(invalid)?;
    match seq {
        Some(b"*") if star => Ok(GivenId { id: StreamId { ms, seq: 0 }, seq_given: false }),
        Some(seq) => Ok(GivenId {
            id: StreamId { ms, seq: parse_u64(seq).ok_or_else(invalid)? },
            seq_given: true,
        }),
        None => Ok(GivenId { id: StreamId { ms, seq: missing_seq }, seq_given: true }),
    }
}

/// An unsigned 64-bit number as Redis's `string2ull` reads it: a plain
/// decimal, or failing that what C's `strtoull` takes whole (leading
/// spaces, a sign, leading zeros; a `-` wraps around as in C).
pub(super) fn parse_u64(s: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(s).ok()?;
    // What Redis's `string2ll` takes: no `+`, no leading zero.
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !(text.starts_with('+') || digits.len() > 1 && digits.starts_with('0'));
    if let (true, Ok(n)) = (plain, text.parse::<i64>()) {
        return u64::try_from(n).ok();
    }
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.parse::<u64>().ok()?;
    Some(if negative { n.wrapping_neg() } else { n })
}

/// Writes an id as a bulk string (`ms-seq`).
pub(super) fn reply_id(w: &mut ReplyWriter<'_>, id: StreamId) {
    w.bulk(id.to_string().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_redis_reads_them() {
        assert_eq!(parse_u64(b"12"), Some(12));
        assert_eq!(parse_u64(b"012"), Some(12));
        assert_eq!(parse_u64(b" +7"), Some(7));
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"-01"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"1x"), None);
    }
}
