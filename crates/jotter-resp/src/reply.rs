//! Writing replies straight into a connection's output buffer, in RESP2 or RESP3.
//!
//! A command handler calls [`ReplyWriter`] methods in reply order; nothing builds a reply value
//! first, so a reply costs the bytes it writes and no allocation besides the buffer's own
//! growth. Aggregates are written as a header followed by their elements.
//!
//! RESP3 types are downgraded under RESP2 exactly as Redis 7.0 downgrades them (`addReplyMap`,
//! `addReplyBool`, `addReplyDouble`, ...), so a handler writes one reply for both protocols:
//!
//! | method | RESP3 | RESP2 |
//! |---|---|---|
//! | [`null`](ReplyWriter::null) | `_` | `$-1` |
//! | [`null_array`](ReplyWriter::null_array) | `_` | `*-1` |
//! | [`map`](ReplyWriter::map) | `%N` | `*2N` (keys and values alternate) |
//! | [`set`](ReplyWriter::set) | `~N` | `*N` |
//! | [`push`](ReplyWriter::push) | `>N` | `*N` |
//! | [`double`](ReplyWriter::double) | `,1.5` | `$3 1.5` (bulk) |
//! | [`boolean`](ReplyWriter::boolean) | `#t` / `#f` | `:1` / `:0` |
//! | [`verbatim`](ReplyWriter::verbatim) | `=N txt:...` | bulk of the text alone |
//! | [`big_number`](ReplyWriter::big_number) | `(123...` | bulk of the digits |
//! | [`blob_error`](ReplyWriter::blob_error) | `!N ...` | `-...` (CR and LF as spaces) |

use bytes::{BufMut, BytesMut};

use crate::ProtocolError;
use crate::double;

/// Which protocol a connection speaks: RESP2 until the client sends `HELLO 3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// RESP2, every connection's protocol at the start.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

/// Writes replies into an output buffer in one protocol.
///
/// ```
/// use bytes::BytesMut;
/// use jotter_resp::{Protocol, ReplyWriter};
///
/// let mut out = BytesMut::new();
/// let mut reply = ReplyWriter::new(&mut out, Protocol::Resp2);
/// reply.map(1);
/// reply.bulk(b"score");
/// reply.double(10.0);
/// assert_eq!(&out[..], b"*2\r\n$5\r\nscore\r\n$2\r\n10\r\n");
/// ```
#[derive(Debug)]
pub struct ReplyWriter<'a> {
    out: &'a mut BytesMut,
    protocol: Protocol,
}

impl<'a> ReplyWriter<'a> {
    /// A writer appending to `out` in `protocol`.
    pub fn new(out: &'a mut BytesMut, protocol: Protocol) -> Self {
        Self { out, protocol }
    }

    /// The protocol replies are written in.
    #[must_use]
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// `+text`, a simple string. CR and LF in `text` become spaces: a simple string is one line.
    pub fn simple(&mut self, text: &[u8]) {
        self.line(b'+', text);
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.out.extend_from_slice(b"+OK\r\n");
    }

    /// `-text`, an error. `text` starts with the error code, as clients expect:
    /// `ERR syntax error`, `WRONGTYPE Operation against a key holding the wrong kind of value`.
    /// CR and LF become spaces, as Redis does.
    pub fn error(&mut self, text: &[u8]) {
        self.line(b'-', text);
    }

    /// `-ERR Protocol error: ...`, the reply to a request the decoder refused, byte for byte as
    /// Redis sends it. The server closes the connection after it.
    pub fn protocol_error(&mut self, error: ProtocolError) {
        let start = self.out.len();
        self.out.extend_from_slice(b"-ERR ");
        error.write_message(self.out);
        sanitize_line(&mut self.out[start + 1..]);
        self.out.extend_from_slice(b"\r\n");
    }

    /// `:n`, an integer.
    pub fn integer(&mut self, n: i64) {
        self.header(b':', itoa::Buffer::new().format(n).as_bytes());
    }

    /// `$len` and `data`, a bulk string (binary safe).
    pub fn bulk(&mut self, data: &[u8]) {
        let mut len = itoa::Buffer::new();
        let len = len.format(data.len()).as_bytes();
        // The header is assembled on the stack and appended in one copy: each append to a
        // `BytesMut` checks its capacity, and for small values those checks dominate.
        let mut header = [0_u8; 24];
        header[0] = b'$';
        header[1..=len.len()].copy_from_slice(len);
        header[len.len() + 1..len.len() + 3].copy_from_slice(b"\r\n");
        let header = &header[..len.len() + 3];
        self.out.reserve(header.len() + data.len() + 2);
        self.out.extend_from_slice(header);
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\r\n");
    }

    /// The null reply for a missing value (`GET` of a missing key): `_` in RESP3, the null bulk
    /// string `$-1` in RESP2.
    pub fn null(&mut self) {
        self.out.extend_from_slice(match self.protocol {
            Protocol::Resp2 => b"$-1\r\n",
            Protocol::Resp3 => b"_\r\n",
        });
    }

    /// `value` as a bulk string, or the null reply where there is none (`GET`, `HGET` of a
    /// missing key or field).
    pub fn bulk_or_null(&mut self, value: Option<&[u8]>) {
        match value {
            Some(value) => self.bulk(value),
            None => self.null(),
        }
    }

    /// `value` as a [`double`](Self::double), or the null reply where there is none (`ZSCORE`
    /// of a missing member).
    pub fn double_or_null(&mut self, value: Option<f64>) {
        match value {
            Some(value) => self.double(value),
            None => self.null(),
        }
    }

    /// The null reply where an array was due (`EXEC` of an aborted transaction, a timed-out
    /// blocking pop): `_` in RESP3, the null array `*-1` in RESP2.
    pub fn null_array(&mut self) {
        self.out.extend_from_slice(match self.protocol {
            Protocol::Resp2 => b"*-1\r\n",
            Protocol::Resp3 => b"_\r\n",
        });
    }

    /// `*len`, the header of an array; write its `len` elements next.
    pub fn array(&mut self, len: usize) {
        self.aggregate(b'*', len);
    }

    /// The header of a map of `pairs` key-value pairs; write key, value, key, value... next.
    /// `%pairs` in RESP3, an array of `2 × pairs` in RESP2.
    pub fn map(&mut self, pairs: usize) {
        match self.protocol {
            Protocol::Resp2 => self.aggregate(b'*', pairs.saturating_mul(2)),
            Protocol::Resp3 => self.aggregate(b'%', pairs),
        }
    }

    /// The header of a set of `len` elements: `~len` in RESP3, an array in RESP2.
    pub fn set(&mut self, len: usize) {
        self.downgraded_aggregate(b'~', len);
    }

    /// The header of an out-of-band push message (pub/sub, invalidation) of `len` elements:
    /// `>len` in RESP3, an array in RESP2.
    pub fn push(&mut self, len: usize) {
        self.downgraded_aggregate(b'>', len);
    }

    /// A double, formatted as Redis formats double replies ([`double::format`]): `,1.5` in
    /// RESP3, the bulk string `1.5` in RESP2.
    pub fn double(&mut self, value: f64) {
        self.double_text(double::format(value).as_bytes());
    }

    /// A double formatted as Redis's `addReplyHumanLongDouble` does ([`double::format_human`]):
    /// `,10.5` in RESP3, the bulk string `10.5` in RESP2.
    pub fn human_double(&mut self, value: f64) {
        self.double_text(double::format_human(value).as_bytes());
    }

    /// A double already formatted as `text` (a format of the caller's, such as Redis's
    /// `%.17Lf` of a position): `,text` in RESP3, the bulk string `text` in RESP2.
    pub fn double_text(&mut self, text: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => self.header(b',', text),
        }
    }

    /// A boolean: `#t` or `#f` in RESP3, the integer `1` or `0` in RESP2.
    pub fn boolean(&mut self, value: bool) {
        self.out.extend_from_slice(match (self.protocol, value) {
            (Protocol::Resp2, true) => b":1\r\n",
            (Protocol::Resp2, false) => b":0\r\n",
            (Protocol::Resp3, true) => b"#t\r\n",
            (Protocol::Resp3, false) => b"#f\r\n",
        });
    }

    /// A verbatim string with its three-byte format (`txt`, `mkd`): `=len\r\ntxt:text` in RESP3,
    /// the bulk string `text` in RESP2 (as `INFO`, `CLIENT LIST` reply).
    pub fn verbatim(&mut self, format: [u8; 3], text: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => {
                self.header(b'=', itoa::Buffer::new().format(text.len() + 4).as_bytes());
                self.out.reserve(4 + text.len() + 2);
                self.out.extend_from_slice(&format);
                self.out.put_u8(b':');
                self.out.extend_from_slice(text);
                self.out.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A big number given as its decimal digits (optionally signed): `(digits` in RESP3, the
    /// bulk string `digits` in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => self.bulk(digits),
            Protocol::Resp3 => self.line(b'(', digits),
        }
    }

    /// A binary-safe error starting with its code: `!len\r\ntext` in RESP3, the simple error
    /// `-text` (CR and LF as spaces) in RESP2.
    pub fn blob_error(&mut self, text: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => self.error(text),
            Protocol::Resp3 => {
                self.header(b'!', itoa::Buffer::new().format(text.len()).as_bytes());
                self.out.reserve(text.len() + 2);
                self.out.extend_from_slice(text);
                self.out.extend_from_slice(b"\r\n");
            }
        }
    }

    /// `|pairs`, the header of RESP3 attributes, followed by their pairs and then the reply they
    /// describe. Only [`Frame::encode`](crate::Frame::encode) uses it, and only in RESP3: RESP2
    /// has no attributes and drops them.
    pub(crate) fn attribute(&mut self, pairs: usize) {
        self.aggregate(b'|', pairs);
    }

    fn downgraded_aggregate(&mut self, resp3_type: u8, len: usize) {
        match self.protocol {
            Protocol::Resp2 => self.aggregate(b'*', len),
            Protocol::Resp3 => self.aggregate(resp3_type, len),
        }
    }

    fn aggregate(&mut self, kind: u8, len: usize) {
        self.header(kind, itoa::Buffer::new().format(len).as_bytes());
    }

    /// `kind`, `text` and CRLF, for text known to be one line.
    fn header(&mut self, kind: u8, text: &[u8]) {
        self.out.reserve(1 + text.len() + 2);
        self.out.put_u8(kind);
        self.out.extend_from_slice(text);
        self.out.extend_from_slice(b"\r\n");
    }

    /// `kind`, `text` with CR and LF turned into spaces, and CRLF.
    fn line(&mut self, kind: u8, text: &[u8]) {
        let start = self.out.len() + 1;
        self.header(kind, text);
        let end = self.out.len() - 2;
        sanitize_line(&mut self.out[start..end]);
    }
}

/// Turns CR and LF into spaces, so a one-line reply cannot break the stream (Redis does the
/// same to error messages).
pub(crate) fn sanitize_line(text: &mut [u8]) {
    for byte in text {
        if *byte == b'\r' || *byte == b'\n' {
            *byte = b' ';
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::{Protocol, ReplyWriter};
    use crate::ProtocolError;

    fn written(protocol: Protocol, write: impl FnOnce(&mut ReplyWriter<'_>)) -> Vec<u8> {
        let mut out = BytesMut::new();
        write(&mut ReplyWriter::new(&mut out, protocol));
        out.to_vec()
    }

    fn both(write: impl Fn(&mut ReplyWriter<'_>), resp2: &[u8], resp3: &[u8]) {
        assert_eq!(
            written(Protocol::Resp2, &write),
            resp2,
            "RESP2: {:?}",
            String::from_utf8_lossy(&written(Protocol::Resp2, &write))
        );
        assert_eq!(
            written(Protocol::Resp3, &write),
            resp3,
            "RESP3: {:?}",
            String::from_utf8_lossy(&written(Protocol::Resp3, &write))
        );
    }

    #[test]
    fn reply_bytes_per_protocol() {
        both(|r| r.ok(), b"+OK\r\n", b"+OK\r\n");
        both(|r| r.simple(b"PONG"), b"+PONG\r\n", b"+PONG\r\n");
        both(|r| r.simple(b"a\r\nb"), b"+a  b\r\n", b"+a  b\r\n");
        both(|r| r.error(b"ERR syntax error"), b"-ERR syntax error\r\n", b"-ERR syntax error\r\n");
        both(|r| r.error(b"ERR a\nb"), b"-ERR a b\r\n", b"-ERR a b\r\n");
        both(|r| r.integer(-42), b":-42\r\n", b":-42\r\n");
        both(|r| r.integer(i64::MIN), b":-9223372036854775808\r\n", b":-9223372036854775808\r\n");
        both(|r| r.bulk(b""), b"$0\r\n\r\n", b"$0\r\n\r\n");
        both(|r| r.bulk(b"a\r\nb"), b"$4\r\na\r\nb\r\n", b"$4\r\na\r\nb\r\n");
        both(|r| r.null(), b"$-1\r\n", b"_\r\n");
        both(|r| r.null_array(), b"*-1\r\n", b"_\r\n");
        both(|r| r.array(3), b"*3\r\n", b"*3\r\n");
        both(|r| r.map(2), b"*4\r\n", b"%2\r\n");
        both(|r| r.set(5), b"*5\r\n", b"~5\r\n");
        both(|r| r.push(3), b"*3\r\n", b">3\r\n");
        both(|r| r.double(1.5), b"$3\r\n1.5\r\n", b",1.5\r\n");
        both(|r| r.double(10.0), b"$2\r\n10\r\n", b",10\r\n");
        both(|r| r.double(1e20), b"$5\r\n1e+20\r\n", b",1e+20\r\n");
        both(|r| r.double(f64::INFINITY), b"$3\r\ninf\r\n", b",inf\r\n");
        both(|r| r.double(f64::NEG_INFINITY), b"$4\r\n-inf\r\n", b",-inf\r\n");
        both(|r| r.double(f64::NAN), b"$3\r\nnan\r\n", b",nan\r\n");
        both(|r| r.human_double(10.5), b"$4\r\n10.5\r\n", b",10.5\r\n");
        both(|r| r.boolean(true), b":1\r\n", b"#t\r\n");
        both(|r| r.boolean(false), b":0\r\n", b"#f\r\n");
        both(
            |r| r.verbatim(*b"txt", b"Some string"),
            b"$11\r\nSome string\r\n",
            b"=15\r\ntxt:Some string\r\n",
        );
        both(
            |r| r.big_number(b"3492890328409238509324850943850943825024385"),
            b"$43\r\n3492890328409238509324850943850943825024385\r\n",
            b"(3492890328409238509324850943850943825024385\r\n",
        );
        both(|r| r.blob_error(b"SYNTAX x\r\ny"), b"-SYNTAX x  y\r\n", b"!11\r\nSYNTAX x\r\ny\r\n");
    }

    #[test]
    fn protocol_errors_are_written_as_redis_writes_them() {
        let cases: &[(ProtocolError, &[u8])] = &[
            (
                ProtocolError::InvalidMultibulkLength,
                b"-ERR Protocol error: invalid multibulk length\r\n",
            ),
            (ProtocolError::InvalidBulkLength, b"-ERR Protocol error: invalid bulk length\r\n"),
            (
                ProtocolError::ExpectedDollar { got: b'f' },
                b"-ERR Protocol error: expected '$', got 'f'\r\n",
            ),
            (
                ProtocolError::ExpectedDollar { got: b'\r' },
                b"-ERR Protocol error: expected '$', got ' '\r\n",
            ),
            (
                ProtocolError::ExpectedDollar { got: 0xff },
                b"-ERR Protocol error: expected '$', got '\xff'\r\n",
            ),
            (
                ProtocolError::TooBigInlineRequest,
                b"-ERR Protocol error: too big inline request\r\n",
            ),
            (
                ProtocolError::UnbalancedQuotes,
                b"-ERR Protocol error: unbalanced quotes in request\r\n",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(written(Protocol::Resp2, |r| r.protocol_error(*error)), *expected);
        }
    }

    #[test]
    fn replies_append_after_existing_bytes() {
        let mut out = BytesMut::from(&b"+OK\r\n"[..]);
        let mut reply = ReplyWriter::new(&mut out, Protocol::Resp3);
        reply.simple(b"x\ny");
        reply.bulk(b"\r\n");
        assert_eq!(&out[..], b"+OK\r\n+x y\r\n$2\r\n\r\n\r\n");
    }
}
