//! Every RESP2 and RESP3 type as a value: [`Frame`].
//!
//! Frames are for reading what a server sends ([`Frame::parse`], in `frame/parse.rs`) and for
//! tests that compare replies; the server itself writes replies with
//! [`ReplyWriter`](crate::ReplyWriter) and never builds a `Frame`. [`Frame::encode`] goes
//! through `ReplyWriter`, so a frame encodes exactly as the server's reply of the same shape.

mod parse;

use bytes::{Bytes, BytesMut};

use crate::reply::sanitize_line;
use crate::{Protocol, ReplyWriter, double};

/// One RESP value, of any RESP2 or RESP3 type.
///
/// Each variant names its wire type. Streamed RESP3 strings and aggregates (`$?`, `*?`), which
/// Redis never sends, are not represented.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+`: a simple string, one line of text (`OK`, `PONG`).
    Simple(Bytes),
    /// `-`: an error, its code first (`ERR syntax error`).
    Error(Bytes),
    /// `:`: a signed 64-bit integer.
    Integer(i64),
    /// `$`: a binary-safe bulk string.
    Bulk(Bytes),
    /// RESP3's null `_`, and RESP2's null bulk string `$-1`.
    Null,
    /// RESP2's null array `*-1` (RESP3 has one null: this encodes as `_` there).
    NullArray,
    /// `*`: an array.
    Array(Vec<Frame>),
    /// `,`: a double (RESP3).
    Double(f64),
    /// `#`: a boolean (RESP3).
    Boolean(bool),
    /// `!`: a binary-safe error (RESP3).
    BlobError(Bytes),
    /// `=`: a verbatim string with its three-byte format, such as `txt` (RESP3).
    Verbatim {
        /// The format, `txt` or `mkd`.
        format: [u8; 3],
        /// The text after `format:`.
        text: Bytes,
    },
    /// `(`: a big number, as its decimal digits with an optional sign (RESP3).
    BigNumber(Bytes),
    /// `%`: a map, its pairs in wire order (RESP3).
    Map(Vec<(Frame, Frame)>),
    /// `~`: a set, its elements in wire order (RESP3).
    Set(Vec<Frame>),
    /// `|`: attributes (RESP3), which describe the frame that follows them, `data`.
    Attribute {
        /// The attribute pairs.
        attributes: Vec<(Frame, Frame)>,
        /// The frame the attributes describe.
        data: Box<Frame>,
    },
    /// `>`: an out-of-band push message (RESP3).
    Push(Vec<Frame>),
}

impl Frame {
    /// Appends the frame in `protocol`, as the server would write the same reply.
    ///
    /// In RESP3 every frame is written natively ([`Frame::NullArray`] as `_`): the result
    /// reads back as [`Frame::into_resp3`]. In RESP2 the RESP3 types are downgraded as
    /// [`ReplyWriter`] downgrades them, and attributes are dropped: the result reads back as
    /// [`Frame::into_resp2`]. Simple strings and errors have
    /// CR and LF written as spaces.
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use jotter_resp::{Frame, Protocol};
    ///
    /// let frame = Frame::Map(vec![(Frame::Bulk(Bytes::from("a")), Frame::Boolean(true))]);
    /// let mut out = BytesMut::new();
    /// frame.encode(Protocol::Resp3, &mut out);
    /// assert_eq!(&out[..], b"%1\r\n$1\r\na\r\n#t\r\n");
    /// out.clear();
    /// frame.encode(Protocol::Resp2, &mut out);
    /// assert_eq!(&out[..], b"*2\r\n$1\r\na\r\n:1\r\n");
    /// ```
    pub fn encode(&self, protocol: Protocol, out: &mut BytesMut) {
        self.write(&mut ReplyWriter::new(out, protocol));
    }

    fn write(&self, reply: &mut ReplyWriter<'_>) {
        match self {
            Self::Simple(text) => reply.simple(text),
            Self::Error(text) => reply.error(text),
            Self::Integer(n) => reply.integer(*n),
            Self::Bulk(data) => reply.bulk(data),
            Self::Null => reply.null(),
            Self::NullArray => reply.null_array(),
            Self::Array(items) => {
                reply.array(items.len());
                for item in items {
                    item.write(reply);
                }
            }
            Self::Double(value) => reply.double(*value),
            Self::Boolean(value) => reply.boolean(*value),
            Self::BlobError(text) => reply.blob_error(text),
            Self::Verbatim { format, text } => reply.verbatim(*format, text),
            Self::BigNumber(digits) => reply.big_number(digits),
            Self::Map(pairs) => {
                reply.map(pairs.len());
                write_pairs(pairs, reply);
            }
            Self::Set(items) => {
                reply.set(items.len());
                for item in items {
                    item.write(reply);
                }
            }
            Self::Attribute { attributes, data } => {
                if reply.protocol() == Protocol::Resp3 {
                    reply.attribute(attributes.len());
                    write_pairs(attributes, reply);
                }
                data.write(reply);
            }
            Self::Push(items) => {
                reply.push(items.len());
                for item in items {
                    item.write(reply);
                }
            }
        }
    }

    /// The frame a RESP3 client reads when this frame is encoded in RESP3: the same frame,
    /// except that [`Frame::NullArray`] becomes [`Frame::Null`] (RESP3 has one null).
    #[must_use]
    pub fn into_resp3(self) -> Frame {
        fn all(items: Vec<Frame>) -> Vec<Frame> {
            items.into_iter().map(Frame::into_resp3).collect()
        }
        fn pairs(pairs: Vec<(Frame, Frame)>) -> Vec<(Frame, Frame)> {
            pairs.into_iter().map(|(key, value)| (key.into_resp3(), value.into_resp3())).collect()
        }
        match self {
            Self::NullArray => Self::Null,
            Self::Array(items) => Self::Array(all(items)),
            Self::Set(items) => Self::Set(all(items)),
            Self::Push(items) => Self::Push(all(items)),
            Self::Map(entries) => Self::Map(pairs(entries)),
            Self::Attribute { attributes, data } => {
                Self::Attribute { attributes: pairs(attributes), data: Box::new(data.into_resp3()) }
            }
            other => other,
        }
    }

    /// The frame a RESP2 client reads when this frame is encoded in RESP2: maps become flat
    /// arrays, sets and pushes arrays, doubles bulk strings (as [`double::format`] spells
    /// them), booleans the integers 1 and 0, verbatim strings and big numbers bulk strings,
    /// blob errors simple errors, attributes are dropped, and CR and LF in simple strings and
    /// errors become spaces.
    #[must_use]
    pub fn into_resp2(self) -> Frame {
        fn all(items: Vec<Frame>) -> Vec<Frame> {
            items.into_iter().map(Frame::into_resp2).collect()
        }
        match self {
            Self::Simple(text) => Self::Simple(one_line(text)),
            Self::Error(text) | Self::BlobError(text) => Self::Error(one_line(text)),
            Self::Integer(_) | Self::Bulk(_) | Self::Null | Self::NullArray => self,
            Self::Array(items) | Self::Set(items) | Self::Push(items) => Self::Array(all(items)),
            Self::Double(value) => {
                Self::Bulk(Bytes::copy_from_slice(double::format(value).as_bytes()))
            }
            Self::Boolean(value) => Self::Integer(i64::from(value)),
            Self::Verbatim { text, .. } => Self::Bulk(text),
            Self::BigNumber(digits) => Self::Bulk(digits),
            Self::Map(pairs) => Self::Array(
                pairs
                    .into_iter()
                    .flat_map(|(key, value)| [key.into_resp2(), value.into_resp2()])
                    .collect(),
            ),
            Self::Attribute { data, .. } => data.into_resp2(),
        }
    }
}

fn write_pairs(pairs: &[(Frame, Frame)], reply: &mut ReplyWriter<'_>) {
    for (key, value) in pairs {
        key.write(reply);
        value.write(reply);
    }
}

/// `text` as a one-line reply carries it: CR and LF as spaces.
fn one_line(text: Bytes) -> Bytes {
    if text.iter().any(|&byte| byte == b'\r' || byte == b'\n') {
        let mut line = text.to_vec();
        sanitize_line(&mut line);
        Bytes::from(line)
    } else {
        text
    }
}
