//! Errors in Redis's words. Why a data command failed: a data command's
//! body returns its error instead of writing it, so that the caller can
//! drop what the body wrote first and reply the error in its place (alone,
//! or in `EXEC`'s reply). And an engine error's reply text, which every
//! command replying an engine error uses.

use std::borrow::Cow;

use jotter::Error;

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
            Fail::Engine(e) => engine_error_text(e),
            Fail::Reply(text) => Cow::Borrowed(text),
        }
    }
}

/// An engine error's reply text: Redis's words where Redis has them.
pub(crate) fn engine_error_text(error: &Error) -> Cow<'static, str> {
    match error {
        Error::WrongType { .. } => {
            "WRONGTYPE Operation against a key holding the wrong kind of value".into()
        }
        Error::NotAnInteger => "ERR value is not an integer or out of range".into(),
        Error::NotAFloat => "ERR value is not a valid float".into(),
        // Retryable, under Redis's name for "try again later": the command
        // needs a value not in memory and the store cannot be reached.
        Error::Store(e) if e.is_unavailable() => format!("TRYAGAIN {e}").into(),
        // The engine's text names the bound and what to do about it.
        other => format!("ERR {other}").into(),
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
