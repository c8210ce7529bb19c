//! The engine's errors in Redis's words: the one place where a
//! [`jotter::Error`] becomes the text of an error reply. The engine says what
//! went wrong in its own terms and gives each error an [`ErrorKind`]; this
//! module picks, by kind, the reply a Redis client expects (`WRONGTYPE`,
//! `TRYAGAIN`, Redis's own wording for a bad number) and falls back to
//! `ERR` followed by the engine's text, which names the cause and what to
//! do about it.
//!
//! Beside it, the engine's values in Redis's words: the type name TYPE and
//! SCAN's TYPE filter give a value ([`type_name`]). Both say what kind of
//! value a key holds, so a new value type adds its arm here, next to the
//! WRONGTYPE its commands reply on a key of another type.

use std::borrow::Cow;

use jotter::{Error, ErrorKind, Value};

/// Redis's reply to a command on a key holding another type.
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// A value's type as TYPE replies it and SCAN's TYPE option matches it.
pub(crate) fn type_name(value: &Value) -> &'static [u8] {
    match value {
        Value::Blob(_) => b"string",
        Value::Hash(_) => b"hash",
        Value::Scores(_) => b"zset",
        Value::Stream(_) => b"stream",
        Value::Set(_) => b"set",
        Value::List(_) => b"list",
    }
}

/// An engine error's reply text (without the leading `-`).
pub(crate) fn reply_text(error: &Error) -> Cow<'static, str> {
    match error.kind() {
        ErrorKind::WrongType => WRONGTYPE.into(),
        ErrorKind::NotAnInteger => "ERR value is not an integer or out of range".into(),
        ErrorKind::NotAFloat => "ERR value is not a valid float".into(),
        // Retryable, under Redis's name for "try again later": the command
        // needs a value not in memory and the store cannot be reached.
        ErrorKind::Store if store_unavailable(error) => format!("TRYAGAIN {error}").into(),
        // The engine's text names the bound and what to do about it.
        _ => format!("ERR {error}").into(),
    }
}

fn store_unavailable(error: &Error) -> bool {
    matches!(error, Error::Store(e) if e.is_unavailable())
}

#[cfg(test)]
mod tests {
    use jotter::{BoundKind, Shape, StoreError};

    use super::*;

    #[test]
    fn each_kind_has_the_reply_a_redis_client_expects() {
        let cases: [(Error, &str); 5] = [
            (Error::WrongType { expected: Shape::Blob }, WRONGTYPE),
            (Error::NotAnInteger, "ERR value is not an integer or out of range"),
            (Error::NotAFloat, "ERR value is not a valid float"),
            (
                Error::Full { bound: BoundKind::Entries, limit: 3 },
                "ERR write buffer full: max_pending_entries = 3 reached; the store is not keeping up \
                 (raise max_pending_entries, add flush workers, or slow the writers down)",
            ),
            (Error::ShuttingDown, "ERR the cache is shutting down and accepts no new writes"),
        ];
        for (error, reply) in cases {
            assert_eq!(reply_text(&error), reply, "{error:?}");
        }
        let down = Error::Store(StoreError::unavailable("connection refused"));
        assert!(reply_text(&down).starts_with("TRYAGAIN "), "{}", reply_text(&down));
        let refused = Error::Store(StoreError::permanent("no"));
        assert!(reply_text(&refused).starts_with("ERR "), "{}", reply_text(&refused));
    }
}
