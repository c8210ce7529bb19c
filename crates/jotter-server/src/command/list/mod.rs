//! The list family (Redis 7.0's `list` group), as Redis runs it: same
//! options, reply shapes in RESP2 and RESP3, error texts and order of
//! checks (`t_list.c`).
//!
//! - `elements.rs`: a key's list, and pushing, popping and moving
//!   elements, as the commands share them;
//! - `push.rs`: LPUSH, RPUSH, LPUSHX, RPUSHX, LINSERT, LSET;
//! - `read.rs`: LLEN, LRANGE, LINDEX, LPOS;
//! - `remove.rs`: LREM, LTRIM;
//! - `pop.rs`: LPOP, RPOP, LMPOP, LMOVE, RPOPLPUSH and the blocking BLPOP,
//!   BRPOP, BLMPOP, BLMOVE and BRPOPLPUSH.
//!
//! A list is the engine's [`Value::List`]: each element under an order key
//! chosen by [`jotter::list_order`], so a push or a pop changes one row in
//! the store, whatever the list's length. Reaching the element at an index
//! walks from the nearer end: O(distance), as in Redis's quicklist.

mod elements;
mod pop;
mod push;
mod read;
mod remove;

pub(crate) use self::pop::wait;
use self::pop::{block, lmove, lmpop, lpop, rpop, rpoplpush, serve_once};
use self::push::{linsert, lpush, lpushx, lset, rpush, rpushx};
use self::read::{lindex, llen, lpos, lrange};
use self::remove::{lrem, ltrim};
use super::spec::{Spec, data, flag};
use super::zset::{counted_at_1, counted_at_2};

const GROUP: &str = "list";

const W: u16 = flag::WRITE;
const WD: u16 = flag::WRITE | flag::DENYOOM;
const R: u16 = flag::READONLY;
const F: u16 = flag::FAST;
const B: u16 = flag::WRITE | flag::NOSCRIPT | flag::BLOCKING;

#[rustfmt::skip]
pub(super) const SPECS: &[Spec] = &[
    Spec::new("lpush", -3, WD | F, GROUP, "Prepend one or multiple elements to a list", "1.0.0", data(lpush)).keys(1, 1, 1),
    Spec::new("rpush", -3, WD | F, GROUP, "Append one or multiple elements to a list", "1.0.0", data(rpush)).keys(1, 1, 1),
    Spec::new("lpushx", -3, WD | F, GROUP, "Prepend an element to a list, only if the list exists", "2.2.0", data(lpushx)).keys(1, 1, 1),
    Spec::new("rpushx", -3, WD | F, GROUP, "Append an element to a list, only if the list exists", "2.2.0", data(rpushx)).keys(1, 1, 1),
    Spec::new("lpop", -2, W | F, GROUP, "Remove and get the first elements in a list", "1.0.0", data(lpop)).keys(1, 1, 1),
    Spec::new("rpop", -2, W | F, GROUP, "Remove and get the last elements in a list", "1.0.0", data(rpop)).keys(1, 1, 1),
    Spec::new("llen", 2, R | F, GROUP, "Get the length of a list", "1.0.0", data(llen)).keys(1, 1, 1),
    Spec::new("lrange", 4, R, GROUP, "Get a range of elements from a list", "1.0.0", data(lrange)).keys(1, 1, 1),
    Spec::new("lindex", 3, R, GROUP, "Get an element from a list by its index", "1.0.0", data(lindex)).keys(1, 1, 1),
    Spec::new("lset", 4, WD, GROUP, "Set the value of an element in a list by its index", "1.0.0", data(lset)).keys(1, 1, 1),
    Spec::new("linsert", 5, WD, GROUP, "Insert an element before or after another element in a list", "2.2.0", data(linsert)).keys(1, 1, 1),
    Spec::new("lrem", 4, W, GROUP, "Remove elements from a list", "1.0.0", data(lrem)).keys(1, 1, 1),
    Spec::new("ltrim", 4, W, GROUP, "Trim a list to the specified range", "1.0.0", data(ltrim)).keys(1, 1, 1),
    Spec::new("lpos", -3, R, GROUP, "Return the index of matching elements on a list", "6.0.6", data(lpos)).keys(1, 1, 1),
    Spec::new("lmove", 5, WD, GROUP, "Pop an element from a list, push it to another list and return it", "6.2.0", data(lmove)).keys(1, 2, 1),
    Spec::new("rpoplpush", 3, WD, GROUP, "Remove the last element in a list, prepend it to another list and return it", "1.2.0", data(rpoplpush)).keys(1, 2, 1),
    Spec::new("lmpop", -4, W, GROUP, "Pop elements from a list", "7.0.0", data(lmpop).keys_by(counted_at_1)),
    Spec::new("blpop", -3, B, GROUP, "Remove and get the first element in a list, or block until one is available", "2.0.0", data(serve_once).blocking(block)).keys(1, -2, 1),
    Spec::new("brpop", -3, B, GROUP, "Remove and get the last element in a list, or block until one is available", "2.0.0", data(serve_once).blocking(block)).keys(1, -2, 1),
    Spec::new("blmove", 6, B | flag::DENYOOM, GROUP, "Pop an element from a list, push it to another list and return it; or block until one is available", "6.2.0", data(serve_once).blocking(block)).keys(1, 2, 1),
    Spec::new("brpoplpush", 4, B | flag::DENYOOM, GROUP, "Pop an element from a list, push it to another list and return it; or block until one is available", "2.2.0", data(serve_once).blocking(block)).keys(1, 2, 1),
    Spec::new("blmpop", -5, flag::WRITE | flag::BLOCKING, GROUP, "Pop elements from a list, or block until one is available", "7.0.0", data(serve_once).keys_by(counted_at_2).blocking(block)),
];
