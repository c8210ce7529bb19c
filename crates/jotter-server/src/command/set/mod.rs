//! The set family (Redis 7.0's `set` group), as Redis runs it: same
//! options, reply shapes in RESP2 and RESP3 (a RESP3 set where Redis
//! replies one), error texts and order of checks (`t_set.c`).
//!
//! - `members.rs`: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS,
//!   SMOVE, SSCAN;
//! - `random.rs`: SRANDMEMBER and SPOP;
//! - `algebra.rs`: SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms;
//! - `value.rs`: reading a key's set, changing its members, the set reply.
//!
//! A set is the engine's [`MapKind::Set`](jotter::MapKind::Set) map: a
//! member is a field with no value, written with `Txn::set_fields`, so an
//! added or removed member costs one row in the store (`jotter_sets`), the
//! key keeps its expiry, and removing the last member removes the key.
//!
//! Where this differs from Redis: members are kept sorted, so SMEMBERS and
//! the algebra commands list them in byte order rather than Redis's
//! hash-table order (which Redis leaves unspecified), and SSCAN returns a
//! set of up to 128 members whole with cursor 0 and pages a larger one in
//! the order of a fixed hash of each member (every member present for the
//! whole scan is returned exactly once).

mod algebra;
mod members;
mod random;
mod value;

use self::algebra::{sdiff, sdiffstore, sinter, sintercard, sinterstore, sunion, sunionstore};
use self::members::{sadd, scard, sismember, smembers, smismember, smove, srem, sscan};
use self::random::{spop, srandmember};
pub(crate) use self::value::Members;
use super::spec::{Spec, data, flag};

const GROUP: &str = "set";

const W: u16 = flag::WRITE;
const WD: u16 = flag::WRITE | flag::DENYOOM;
const R: u16 = flag::READONLY;
const F: u16 = flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    Spec::new("sadd", -3, WD | F, GROUP, "Adds one or more members to a set. Creates the key if it doesn't exist.", "1.0.0", data(sadd)).keys(1, 1, 1),
    Spec::new("srem", -3, W | F, GROUP, "Removes one or more members from a set. Deletes the set if the last member was removed.", "1.0.0", data(srem)).keys(1, 1, 1),
    Spec::new("scard", 2, R | F, GROUP, "Returns the number of members in a set.", "1.0.0", data(scard)).keys(1, 1, 1),
    Spec::new("sismember", 3, R | F, GROUP, "Determines whether a member belongs to a set.", "1.0.0", data(sismember)).keys(1, 1, 1),
    Spec::new("smismember", -3, R | F, GROUP, "Determines whether multiple members belong to a set.", "6.2.0", data(smismember)).keys(1, 1, 1),
    Spec::new("smembers", 2, R, GROUP, "Returns all members of a set.", "1.0.0", data(smembers)).keys(1, 1, 1),
    Spec::new("smove", 4, W | F, GROUP, "Moves a member from one set to another.", "1.0.0", data(smove)).keys(1, 2, 1),
    Spec::new("srandmember", -2, R, GROUP, "Get one or multiple random members from a set", "1.0.0", data(srandmember)).keys(1, 1, 1),
    Spec::new("spop", -2, W | F, GROUP, "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", "1.0.0", data(spop)).keys(1, 1, 1),
    Spec::new("sinter", -2, R, GROUP, "Returns the intersect of multiple sets.", "1.0.0", data(sinter)).keys(1, -1, 1),
    Spec::new("sintercard", -3, R, GROUP, "Returns the number of members of the intersect of multiple sets.", "7.0.0", data(sintercard).keys_by(super::zset::counted_at_1)),
    Spec::new("sinterstore", -3, WD, GROUP, "Stores the intersect of multiple sets in a key.", "1.0.0", data(sinterstore)).keys(1, -1, 1),
    Spec::new("sunion", -2, R, GROUP, "Returns the union of multiple sets.", "1.0.0", data(sunion)).keys(1, -1, 1),
    Spec::new("sunionstore", -3, WD, GROUP, "Stores the union of multiple sets in a key.", "1.0.0", data(sunionstore)).keys(1, -1, 1),
    Spec::new("sdiff", -2, R, GROUP, "Returns the difference of multiple sets.", "1.0.0", data(sdiff)).keys(1, -1, 1),
    Spec::new("sdiffstore", -3, WD, GROUP, "Stores the difference of multiple sets in a key.", "1.0.0", data(sdiffstore)).keys(1, -1, 1),
    Spec::new("sscan", -3, R, GROUP, "Iterates over members of a set.", "2.8.0", data(sscan)).keys(1, 1, 1),
];
