//! What an operator sees of a dead letter, in one place for every surface
//! that shows one (`JOTTER.DEADLETTERS LIST` on a single node or a cluster
//! front end, `GET /dead-letters`, `jotter dead-letters list`): its fields,
//! a prefix of its value, its JSON form, its ids as arguments, and bytes
//! made printable for text formats.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use jotter::DeadLetter;
use jotter_scaleout::StreamLetter;
use serde::{Serialize, Serializer};

/// The bytes of a value a listing shows.
pub(crate) const PREFIX_BYTES: usize = 64;

/// A dead letter as listed, fields in the order the listings show them;
/// its JSON object (the admin port's and `jotter dead-letters list
/// --json`'s) shows the byte strings as [`printable`] text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct LetterFields {
    pub id: u64,
    #[serde(serialize_with = "as_printable")]
    pub key: Bytes,
    pub op: String,
    pub value_size: u64,
    #[serde(serialize_with = "as_printable")]
    pub value_prefix: Bytes,
    pub error_kind: String,
    pub error: String,
    pub attempts: u64,
    pub first_failure_ms: u64,
    pub last_failure_ms: u64,
}

fn as_printable<S: Serializer>(bytes: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&printable(bytes))
}

impl From<&DeadLetter> for LetterFields {
    fn from(letter: &DeadLetter) -> Self {
        LetterFields {
            id: letter.id(),
            key: letter.write.key.clone(),
            op: letter.op().to_owned(),
            value_size: letter.value_size(),
            value_prefix: letter.value_prefix(PREFIX_BYTES),
            error_kind: letter.error_kind.as_str().to_owned(),
            error: letter.error.clone(),
            attempts: u64::from(letter.attempts),
            first_failure_ms: unix_ms(letter.first_failure),
            last_failure_ms: unix_ms(letter.last_failure),
        }
    }
}

impl From<&StreamLetter> for LetterFields {
    /// A cluster's letter, from the fields a worker wrote (the same ones,
    /// the id being the one a front end names it by).
    fn from(letter: &StreamLetter) -> Self {
        LetterFields {
            id: letter.id,
            key: Bytes::copy_from_slice(letter.bytes("key")),
            op: letter.text("op"),
            value_size: letter.number("value_size"),
            value_prefix: Bytes::copy_from_slice(letter.bytes("value_prefix")),
            error_kind: letter.text("error_kind"),
            error: letter.text("error"),
            attempts: letter.number("attempts"),
            first_failure_ms: letter.number("first_failure_ms"),
            last_failure_ms: letter.number("last_failure_ms"),
        }
    }
}

/// Milliseconds since the Unix epoch; 0 for an earlier time.
fn unix_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// "1 dead letter", "3 dead letters": a count as the operator reads it.
pub(crate) fn counted(n: u64) -> String {
    if n == 1 { "1 dead letter".to_owned() } else { format!("{n} dead letters") }
}

/// A dead letter's id given as an argument, or the error that names it.
pub(crate) fn parse_id(arg: &[u8]) -> Result<u64, String> {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&id| id > 0)
        .ok_or_else(|| {
            format!(
                "invalid dead letter id '{}'",
                String::from_utf8_lossy(&arg[..arg.len().min(128)])
            )
        })
}

/// Bytes as text: valid UTF-8 as it is, every other byte as `\xNN` (and a
/// backslash as `\\`, so the escape cannot be confused with the bytes), as
/// redis-cli shows binary strings.
pub(crate) fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_keeps_utf8_and_escapes_other_bytes() {
        assert_eq!(printable(b"user:42"), "user:42");
        assert_eq!(printable("héllo".as_bytes()), "héllo");
        assert_eq!(printable(b"a\xff\xfeb"), "a\\xff\\xfeb");
        assert_eq!(printable(b"back\\slash"), "back\\\\slash");
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(counted(0), "0 dead letters");
        assert_eq!(counted(1), "1 dead letter");
        assert_eq!(counted(2), "2 dead letters");
    }

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(parse_id(b"42"), Ok(42));
        assert_eq!(parse_id(b"x").unwrap_err(), "invalid dead letter id 'x'");
        assert!(parse_id(b"0").is_err());
        assert!(parse_id(b"-1").is_err());
    }
}
