//! The Redis protocol (RESP2 and RESP3) as Jotter's server speaks it.
//!
//! Jotter answers on the Redis protocol so that any Redis client works unchanged. This crate is
//! the codec only: it turns the bytes a client sends into [`Request`]s, and writes replies into
//! the connection's output buffer. It knows nothing about commands, sockets or the engine.
//!
//! # Layout
//!
//! - [`RequestDecoder`] (`request.rs`, `inline.rs`): the server's hot path. Clients send either
//!   an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or an inline command line
//!   (`GET k\r\n`, split with Redis's quoting rules). The decoder keeps the state of a request
//!   that is still arriving, so a 512 MB argument that comes in ten thousand pieces is not
//!   re-scanned from its start each time. A decoded request is split off the input buffer in
//!   one piece and its arguments are spans of it: no copy, one reference count per request.
//! - [`Limits`] (`limits.rs`): Redis's protocol limits (`proto-max-bulk-len` and friends) with
//!   Redis's defaults.
//! - [`ProtocolError`] (`error.rs`): what a malformed request gets, in Redis's exact words,
//!   because client libraries and users match on them.
//! - [`ReplyWriter`] (`reply.rs`): writes every reply type straight into a [`bytes::BytesMut`],
//!   switching between RESP2 and RESP3 shapes on [`Protocol`] (what `HELLO 2|3` selects).
//! - [`double`] (`double.rs`): doubles formatted byte for byte as Redis formats them.
//! - [`Frame`] (`frame.rs`, `frame/parse.rs`): every RESP3 type as a value, with a parser for
//!   server replies. It is for tests and for Jotter's own test client; the request path never
//!   touches it, so that path stays lean.
//!
//! # The contract
//!
//! - Decoding is incremental and allocation-bounded: the decoder reserves memory for an argument
//!   only as its bytes arrive ([`RequestDecoder::reserve`]), so a peer that declares a 512 MB
//!   bulk and sends ten bytes costs kilobytes, not 512 MB.
//! - A [`ProtocolError`] leaves the stream unusable (RESP has no resynchronisation point): the
//!   server writes the error with [`ReplyWriter::protocol_error`] and closes the connection, as
//!   Redis does.
//! - Byte compatibility with Redis 7.0 is the goal wherever Redis defines the bytes: error texts,
//!   which malformed inputs are accepted (Redis does not check the two bytes after a bulk
//!   argument, and neither does this decoder), double formatting.
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use jotter_resp::{Limits, Protocol, ReplyWriter, RequestDecoder};
//!
//! let mut decoder = RequestDecoder::new(Limits::default());
//! let mut input = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\n"[..]);
//!
//! let set = decoder.decode(&mut input)?.expect("a whole request");
//! assert_eq!(set.args().collect::<Vec<_>>(), [&b"SET"[..], b"k", b"v"]);
//! let get = decoder.decode(&mut input)?.expect("an inline request");
//! assert_eq!(get.name(), b"GET");
//! assert_eq!(get.arg(1), Some(&b"k"[..]));
//! assert!(decoder.decode(&mut input)?.is_none()); // needs more bytes
//!
//! let mut output = BytesMut::new();
//! let mut reply = ReplyWriter::new(&mut output, Protocol::Resp3);
//! reply.ok();
//! reply.bulk(b"v");
//! reply.double(1.5);
//! assert_eq!(&output[..], b"+OK\r\n$1\r\nv\r\n,1.5\r\n");
//! # Ok::<(), jotter_resp::ProtocolError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod double;
mod error;
mod frame;
mod inline;
mod integer;
mod limits;
mod reply;
mod request;

pub use error::{FrameError, ProtocolError};
pub use frame::Frame;
pub use limits::Limits;
pub use reply::{Protocol, ReplyWriter};
pub use request::{Args, Request, RequestDecoder, encode_request};
