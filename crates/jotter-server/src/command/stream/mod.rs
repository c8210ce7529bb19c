//! The stream family (Redis 7.0's `stream` group), as Redis runs it: same
//! options, reply shapes in RESP2 and RESP3, error texts and order of
//! checks (`t_stream.c`).
//!
//! - `id.rs`: ids as arguments and replies;
//! - `reply.rs`: reading a key's stream, entries as replies;
//! - `trim.rs`: XADD's and XTRIM's options, and what a trim removes;
//! - `write.rs`: XADD, XDEL, XTRIM, XSETID;
//! - `range.rs`: XRANGE, XREVRANGE, XLEN;
//! - `read.rs`: XREAD and the options XREADGROUP shares;
//! - `block.rs`: the blocking loop of XREAD and XREADGROUP.
//!
//! A stream is the engine's [`Stream`](jotter::Stream): each entry is a
//! field of its own, as is its metadata, so a command changes the rows of
//! what it touches and nothing else (see `jotter::StreamWrite`).

mod block;
mod id;
mod range;
mod read;
mod reply;
mod trim;
mod write;

use self::range::{xlen, xrange, xrevrange};
use self::read::{block as xread_block, stream_keys, xread};
use self::write::{xadd, xdel, xsetid, xtrim};
use super::spec::{Spec, data, flag};

const GROUP: &str = "stream";

const W: u16 = flag::WRITE;
const WD: u16 = flag::WRITE | flag::DENYOOM;
const R: u16 = flag::READONLY;
const F: u16 = flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    Spec::new("xadd", -5, WD | F, GROUP, "Appends a new message to a stream. Creates the key if it doesn't exist.", "5.0.0", data(xadd)).keys(1, 1, 1),
    Spec::new("xrange", -4, R, GROUP, "Returns the messages from a stream within a range of IDs.", "5.0.0", data(xrange)).keys(1, 1, 1),
    Spec::new("xrevrange", -4, R, GROUP, "Returns the messages from a stream within a range of IDs in reverse order.", "5.0.0", data(xrevrange)).keys(1, 1, 1),
    Spec::new("xlen", 2, R | F, GROUP, "Return the number of messages in a stream.", "5.0.0", data(xlen)).keys(1, 1, 1),
    Spec::new("xdel", -3, W | F, GROUP, "Returns the number of messages after removing them from a stream.", "5.0.0", data(xdel)).keys(1, 1, 1),
    Spec::new("xtrim", -4, W, GROUP, "Deletes messages from the beginning of a stream.", "5.0.0", data(xtrim)).keys(1, 1, 1),
    Spec::new("xsetid", -3, WD | F, GROUP, "An internal command for replicating stream values.", "5.0.0", data(xsetid)).keys(1, 1, 1),
    Spec::new("xread", -4, R | flag::BLOCKING, GROUP, "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", "5.0.0", data(xread).keys_by(stream_keys).blocking(xread_block)),
];
