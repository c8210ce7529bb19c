//! Errors in Redis's words. Why a data command failed: a data command's
//! body returns its error instead of writing it, so that the caller can
//! drop what the body wrote first and reply the error in its place (alone,
//! or in `EXEC`'s reply). An engine error's text comes from
//! `engine_error.rs`, the one place that knows Redis's words for it.

use std::borrow::Cow;

use jotter::Error;

use crate::engine_error::reply_text;

/// Why a data command failed; the error is its reply.
#[derive(Debug)]
pub(crate) enum Fail {
    /// An engine error, replied in Redis's words where Redis has them.
    Engine(Error),
    /// A Redis error reply, the text after the `-`.
    Reply(Cow<'static, str>),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Engine(e)
    }
}

impl Fail {
    /// The error reply's text.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Fail::Engine(e) => reply_text(e),
            Fail::Reply(text) => Cow::Borrowed(text),
        }
    }
}

/// A data command body's result.
pub(crate) type Outcome = Result<(), Fail>;

/// `-WRONGTYPE ...`.
pub(crate) fn wrong_type() -> Fail {
    Fail::Engine(Error::WrongType { expected: jotter::Shape::Blob })
}

/// `-ERR syntax error`.
pub(crate) fn syntax() -> Fail {
    Fail::Reply(Cow::Borrowed("ERR syntax error"))
}

/// `-ERR value is not an integer or out of range`.
pub(crate) fn not_integer() -> Fail {
    Fail::Reply(Cow::Borrowed("ERR value is not an integer or out of range"))
}

/// `-ERR value is not a valid float`.
pub(crate) fn not_float() -> Fail {
    Fail::Reply(Cow::Borrowed("ERR value is not a valid float"))
}

/// `-ERR wrong number of arguments for '<name>' command`, found by the
/// body (a count of pairs, say) rather than by the arity check.
pub(crate) fn arity(name: &str) -> Fail {
    Fail::Reply(format!("ERR wrong number of arguments for '{name}' command").into())
}

/// Any other error reply.
pub(crate) fn error(text: impl Into<Cow<'static, str>>) -> Fail {
    Fail::Reply(text.into())
}
