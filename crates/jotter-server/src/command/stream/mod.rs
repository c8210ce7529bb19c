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
//! - blocking XREAD and XREADGROUP wait through `command/blocking.rs` (`watch`);
//! - `groups.rs`: what the group commands share (lookups, read counters,
//!   lag, pending changes);
//! - `group.rs`: XGROUP;
//! - `readgroup.rs`: XREADGROUP;
//! - `pending.rs`: XACK, XPENDING;
//! - `claim.rs`: XCLAIM, XAUTOCLAIM;
//! - `info.rs`: XINFO.
//!
//! A group's state is fields of the stream too: its header (last delivered
//! id, entries read), each consumer and each pending entry, so delivering,
//! acknowledging or claiming an entry writes a row, and the state is read
//! back with the stream after a restart.
//!
//! A stream is the engine's [`Stream`](jotter::Stream): each entry is a
//! field of its own, as is its metadata, so a command changes the rows of
//! what it touches and nothing else (see `jotter::StreamWrite`).

mod claim;
mod group;
mod groups;
mod id;
mod info;
mod pending;
mod range;
mod read;
mod readgroup;
mod reply;
mod trim;
mod write;

use self::claim::{xautoclaim, xclaim};
use self::group::xgroup;
use self::info::xinfo;
use self::pending::{xack, xpending};
pub(crate) use self::read::wait;
use self::readgroup::{block as xreadgroup_block, xreadgroup};

use self::range::{xlen, xrange, xrevrange};
use self::read::{block as xread_block, stream_keys, xread};
use self::write::{xadd, xdel, xsetid, xtrim};
use super::spec::{Spec, data, flag};
use super::subcommand;

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
    Spec::new("xgroup", -2, 0, GROUP, "A container for consumer groups commands", "5.0.0", data(xgroup).keys_by(subcommand::keys)).subs(group::SUBS),
    Spec::new("xreadgroup", -7, W | flag::BLOCKING, GROUP, "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.", "5.0.0", data(xreadgroup).keys_by(stream_keys).blocking(xreadgroup_block)),
    Spec::new("xack", -4, W | F, GROUP, "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.", "5.0.0", data(xack)).keys(1, 1, 1),
    Spec::new("xpending", -3, R, GROUP, "Returns the information and entries from a stream consumer group's pending entries list.", "5.0.0", data(xpending)).keys(1, 1, 1),
    Spec::new("xclaim", -6, W | F, GROUP, "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.", "5.0.0", data(xclaim)).keys(1, 1, 1),
    Spec::new("xautoclaim", -6, W | F, GROUP, "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.", "6.2.0", data(xautoclaim)).keys(1, 1, 1),
    Spec::new("xinfo", -2, 0, GROUP, "A container for stream introspection commands", "5.0.0", data(xinfo).keys_by(subcommand::keys)).subs(info::SUBS),
    Spec::new("xread", -4, R | flag::BLOCKING, GROUP, "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", "5.0.0", data(xread).keys_by(stream_keys).blocking(xread_block)),
];
