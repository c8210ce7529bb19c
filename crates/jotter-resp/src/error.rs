//! The two ways input can be malformed: a client's request ([`ProtocolError`]) and a server's
//! reply ([`FrameError`]).
//!
//! Request errors carry Redis's exact words (from `networking.c`), because client libraries and
//! people grep for them. Reply errors are only seen by Jotter's own tests and test client, so
//! they say what is wrong in plain words instead.

use bytes::BytesMut;

/// A request that breaks the protocol. The connection cannot continue after one: the server
/// replies with [`ReplyWriter::protocol_error`](crate::ReplyWriter::protocol_error) and closes
/// it, as Redis does.
///
/// `Display` gives Redis's message, e.g. `Protocol error: invalid bulk length`; on the wire it
/// is preceded by `-ERR `.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An inline command line longer than the inline limit (64 KB) with no `\n` yet.
    #[error("Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// An inline command line with a quote that is not closed, or a closing quote followed by
    /// something other than a space.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A `*<count>` line longer than the inline limit with no `\r` yet.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// A `*<count>` that is not a number or exceeds the multibulk limit.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// More arguments than an unauthenticated client may send (10).
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A `$<length>` line longer than the inline limit with no `\r` yet.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// An argument of a multibulk request that does not start with `$`.
    #[error("Protocol error: expected '$', got '{}'", char::from(sanitized(*.got)))]
    ExpectedDollar {
        /// The byte found instead of `$`.
        got: u8,
    },
    /// A `$<length>` that is not a number, is negative, or exceeds `proto-max-bulk-len`.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// An argument longer than an unauthenticated client may send (16 KB).
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// Appends the message bytes exactly as Redis sends them (without `-ERR ` and `\r\n`).
    ///
    /// This differs from `Display` only for [`ProtocolError::ExpectedDollar`] with a byte that
    /// is not ASCII: Redis sends the raw byte, `Display` (a `str`) cannot.
    pub(crate) fn write_message(self, out: &mut BytesMut) {
        match self {
            Self::ExpectedDollar { got } => {
                out.extend_from_slice(b"Protocol error: expected '$', got '");
                out.extend_from_slice(&[sanitized(got)]);
                out.extend_from_slice(b"'");
            }
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
    }
}

/// Redis replaces CR and LF in error messages with spaces, so that the reply stays one line.
fn sanitized(byte: u8) -> u8 {
    if byte == b'\r' || byte == b'\n' { b' ' } else { byte }
}

/// A server reply that [`Frame::parse`](crate::Frame::parse) cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The first byte of a frame is no RESP2 or RESP3 type.
    #[error("invalid RESP type byte {0:#04x}")]
    InvalidType(u8),
    /// A length or integer field is not a decimal integer, or is out of range.
    #[error("invalid integer or length")]
    InvalidInteger,
    /// A `,` frame that is not a double.
    #[error("invalid double")]
    InvalidDouble,
    /// A `#` frame other than `#t` or `#f`.
    #[error("invalid boolean")]
    InvalidBoolean,
    /// A `_` frame with content.
    #[error("invalid null")]
    InvalidNull,
    /// A `(` frame that is not an optionally signed run of digits.
    #[error("invalid big number")]
    InvalidBigNumber,
    /// A `=` frame without its three-byte format and `:`.
    #[error("verbatim string without a format prefix")]
    InvalidVerbatim,
    /// A payload not followed by `\r\n`.
    #[error("missing CRLF after a payload")]
    MissingCrlf,
    /// Aggregates nested deeper than the parser follows.
    #[error("frames nested deeper than {0} levels")]
    TooDeep(usize),
    /// A streamed RESP3 string or aggregate (`$?`, `*?`, ...), which Redis never sends.
    #[error("streamed RESP3 frames are not supported")]
    Streamed,
}
