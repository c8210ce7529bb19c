//! OBJECT: what Redis would say of a key's value. ENCODING names the
//! encoding Redis 7.0 picks for a value of this size and content, with its
//! default thresholds, so a client that checks it (for a small hash kept
//! compact, say) sees what it would see on Redis; it does not describe
//! Jotter's memory, which has layouts of its own. Jotter keeps no access
//! time or frequency per key (its eviction needs neither), so IDLETIME and
//! FREQ say so in an error rather than invent a number; REFCOUNT is 1,
//! because a value is never shared between keys.

use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use crate::command::fail::{self, Outcome};
use crate::command::spec::{Sub, flag};
use crate::command::subcommand;

/// Redis 7.0's defaults for its compact encodings: entries of a hash and of
/// a sorted set, and bytes of a field, value or member.
const HASH_LISTPACK_ENTRIES: usize = 512;
const ZSET_LISTPACK_ENTRIES: usize = 128;
const LISTPACK_VALUE: usize = 64;
/// Redis 7.0's `set-max-intset-entries`: a set of integers up to this size
/// is an intset (7.0 has no listpack for sets).
const SET_INTSET_ENTRIES: usize = 512;
/// The longest string Redis embeds in its object header.
const EMBSTR_LIMIT: usize = 44;

/// OBJECT's subcommands, in `OBJECT HELP`'s order; every one but HELP
/// runs [`describe`].
pub(super) const SUBS: &[Sub] = &[
    Sub::data(
        "encoding",
        3,
        flag::READONLY,
        "Inspect the internal encoding of a Redis object",
        "2.2.3",
        &[
            b"ENCODING <key>",
            b"    Return the kind of internal representation used in order to store the value",
            b"    associated with a <key>.",
        ],
        describe,
    )
    .key(2),
    Sub::data(
        "freq",
        3,
        flag::READONLY,
        "Get the logarithmic access frequency counter of a Redis object",
        "4.0.0",
        &[
            b"FREQ <key>",
            b"    Return the access frequency index of the <key>. The returned integer is",
            b"    proportional to the logarithm of the recent access frequency of the key.",
        ],
        describe,
    )
    .key(2),
    Sub::data(
        "idletime",
        3,
        flag::READONLY,
        "Get the time since a Redis object was last accessed",
        "2.2.3",
        &[
            b"IDLETIME <key>",
            b"    Return the idle time of the <key>, that is the approximated number of",
            b"    seconds elapsed since the last access to the key.",
        ],
        describe,
    )
    .key(2),
    Sub::data(
        "refcount",
        3,
        flag::READONLY,
        "Get the number of references to the value of the key",
        "2.2.3",
        &[
            b"REFCOUNT <key>",
            b"    Return the number of references of the value associated with the specified",
            b"    <key>.",
        ],
        describe,
    )
    .key(2),
    subcommand::help_row("6.2.0"),
];

/// `OBJECT <subcommand> key` and `OBJECT HELP`.
pub(super) fn object(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    subcommand::apply(SUBS, "OBJECT", req, txn, w)
}

/// ENCODING, FREQ, IDLETIME and REFCOUNT of the key: null when it does
/// not exist.
fn describe(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let Some(value) = txn.get(req.arg(2).unwrap_or_default()) else {
        w.null();
        return Ok(());
    };
    let sub = req.arg(1).unwrap_or_default().to_ascii_lowercase();
    match sub.as_slice() {
        b"encoding" => w.bulk(encoding(value).as_bytes()),
        b"refcount" => w.integer(1),
        b"freq" => {
            return Err(fail::error(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                 Jotter keeps no access frequency per key.",
            ));
        }
        _ => {
            return Err(fail::error(
                "ERR Jotter keeps no access time per key, so a key's idle time is not known.",
            ));
        }
    }
    Ok(())
}

/// The encoding Redis 7.0 would use for `value`.
fn encoding(value: &Value) -> &'static str {
    match value {
        Value::Blob(b) if is_long(b) => "int",
        Value::Blob(b) if b.len() <= EMBSTR_LIMIT => "embstr",
        Value::Blob(_) => "raw",
        Value::Hash(m)
            if fits_listpack(
                m.len(),
                HASH_LISTPACK_ENTRIES,
                m.iter().flat_map(|(f, v)| [f.len(), v.len()]),
            ) =>
        {
            "listpack"
        }
        Value::Hash(_) => "hashtable",
        Value::Scores(m)
            if fits_listpack(
                m.len(),
                ZSET_LISTPACK_ENTRIES,
                m.iter().map(|(member, _)| member.len()),
            ) =>
        {
            "listpack"
        }
        Value::Scores(_) => "skiplist",
        Value::Stream(_) => "stream",
        Value::Set(m) if m.len() <= SET_INTSET_ENTRIES && m.iter().all(|m| is_long(m)) => "intset",
        Value::Set(_) => "hashtable",
        // Redis 7.0 keeps every list in a quicklist (7.2 packs small ones).
        Value::List(_) => "quicklist",
    }
}

/// Whether a collection of `len` entries whose strings have `sizes` stays
/// in Redis's compact listpack encoding, which holds at most `entries`.
fn fits_listpack(len: usize, entries: usize, mut sizes: impl Iterator<Item = usize>) -> bool {
    len <= entries && sizes.all(|size| size <= LISTPACK_VALUE)
}

/// Whether Redis would keep `s` as an integer: at most 20 bytes, the
/// canonical decimal form of an `i64` (no sign but a leading `-`, no
/// leading zeros, not `-0`).
fn is_long(s: &[u8]) -> bool {
    s.len() <= 20
        && std::str::from_utf8(s)
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
            .is_some_and(|n| n.to_string().as_bytes() == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_integers_are_ints() {
        for (s, int) in [("0", true), ("-12", true), ("9223372036854775807", true), ("+1", false)] {
            assert_eq!(is_long(s.as_bytes()), int, "{s}");
        }
        for s in ["007", "-0", " 1", "9223372036854775808", "1.0", ""] {
            assert!(!is_long(s.as_bytes()), "{s}");
        }
    }
}
