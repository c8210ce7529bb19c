//! The sorted-set family (Redis 7.0's `sorted-set` group), as Redis runs
//! it: same options, reply shapes in RESP2 and RESP3, error texts and order
//! of checks (`t_zset.c`).
//!
//! - `query.rs`: reading a key's sorted set, ZRANGE-style queries and their
//!   parsing, and the reply shapes the commands share;
//! - `read.rs`: ZSCORE, ZMSCORE, ZCARD, ZRANGE and its older forms, ZRANK,
//!   ZREVRANK, ZCOUNT, ZLEXCOUNT, ZRANDMEMBER, ZSCAN;
//! - `write.rs`: ZADD, ZINCRBY, ZREM, ZREMRANGEBYRANK/SCORE/LEX;
//! - `combine.rs`: ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD,
//!   ZRANGESTORE;
//! - `pop.rs`: ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX
//!   and BZMPOP.
//!
//! A sorted set is the engine's [`ScoreMap`](jotter::ScoreMap); its
//! `(score, member)` index gives ranges in rank order without sorting. The
//! engine's index has no order statistics, so what needs a rank (ZRANK,
//! ZCOUNT, a range starting deep in the middle) walks from the nearer end:
//! O(distance), where Redis's skiplist is O(log n).
//!
//! The `numkeys` forms report Redis's legacy key positions in `COMMAND
//! INFO` (none, or only the destination); their keys are found by the
//! count (`combine.rs`).

mod combine;
mod pop;
mod query;
mod read;
mod write;

pub(crate) use self::combine::{counted_at_1, counted_at_2};
use self::combine::{
    destination_and_counted, zdiff, zdiffstore, zinter, zintercard, zinterstore, zrangestore,
    zunion, zunionstore,
};
pub(crate) use self::pop::wait;
use self::pop::{block, pop_once, zmpop, zpopmax, zpopmin};
use self::read::{
    zcard, zcount, zlexcount, zmscore, zrandmember, zrange, zrangebylex, zrangebyscore, zrank,
    zrevrange, zrevrangebylex, zrevrangebyscore, zrevrank, zscan, zscore,
};
// The geo family reads sorted sets and writes them through ZADD.
pub(super) use self::query::sorted_set;
pub(super) use self::write::zadd;
use self::write::{zincrby, zrem, zremrangebylex, zremrangebyrank, zremrangebyscore};
use super::spec::{Spec, data, flag};

const GROUP: &str = "sorted-set";

const W: u16 = flag::WRITE;
const WD: u16 = flag::WRITE | flag::DENYOOM;
const R: u16 = flag::READONLY;
const F: u16 = flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    Spec::new("zadd", -4, WD | F, GROUP, "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", "1.2.0", data(zadd)).keys(1, 1, 1),
    Spec::new("zincrby", 4, WD | F, GROUP, "Increments the score of a member in a sorted set.", "1.2.0", data(zincrby)).keys(1, 1, 1),
    Spec::new("zscore", 3, R | F, GROUP, "Returns the score of a member in a sorted set.", "1.2.0", data(zscore)).keys(1, 1, 1),
    Spec::new("zmscore", -3, R | F, GROUP, "Returns the score of one or more members in a sorted set.", "6.2.0", data(zmscore)).keys(1, 1, 1),
    Spec::new("zcard", 2, R | F, GROUP, "Returns the number of members in a sorted set.", "1.2.0", data(zcard)).keys(1, 1, 1),
    Spec::new("zrange", -4, R, GROUP, "Returns members in a sorted set within a range of indexes.", "1.2.0", data(zrange)).keys(1, 1, 1),
    Spec::new("zrangebyscore", -4, R, GROUP, "Returns members in a sorted set within a range of scores.", "1.0.5", data(zrangebyscore)).keys(1, 1, 1),
    Spec::new("zrevrangebyscore", -4, R, GROUP, "Returns members in a sorted set within a range of scores in reverse order.", "2.2.0", data(zrevrangebyscore)).keys(1, 1, 1),
    Spec::new("zrangebylex", -4, R, GROUP, "Returns members in a sorted set within a lexicographical range.", "2.8.9", data(zrangebylex)).keys(1, 1, 1),
    Spec::new("zrevrangebylex", -4, R, GROUP, "Returns members in a sorted set within a lexicographical range in reverse order.", "2.8.9", data(zrevrangebylex)).keys(1, 1, 1),
    Spec::new("zrevrange", -4, R, GROUP, "Returns members in a sorted set within a range of indexes in reverse order.", "1.2.0", data(zrevrange)).keys(1, 1, 1),
    Spec::new("zrank", 3, R | F, GROUP, "Returns the index of a member in a sorted set ordered by ascending scores.", "2.0.0", data(zrank)).keys(1, 1, 1),
    Spec::new("zrevrank", 3, R | F, GROUP, "Returns the index of a member in a sorted set ordered by descending scores.", "2.0.0", data(zrevrank)).keys(1, 1, 1),
    Spec::new("zcount", 4, R | F, GROUP, "Returns the count of members in a sorted set that have scores within a range.", "2.0.0", data(zcount)).keys(1, 1, 1),
    Spec::new("zlexcount", 4, R | F, GROUP, "Returns the number of members in a sorted set within a lexicographical range.", "2.8.9", data(zlexcount)).keys(1, 1, 1),
    Spec::new("zrem", -3, W | F, GROUP, "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", "1.2.0", data(zrem)).keys(1, 1, 1),
    Spec::new("zremrangebyrank", 4, W, GROUP, "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", "2.0.0", data(zremrangebyrank)).keys(1, 1, 1),
    Spec::new("zremrangebyscore", 4, W, GROUP, "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", "1.2.0", data(zremrangebyscore)).keys(1, 1, 1),
    Spec::new("zremrangebylex", 4, W, GROUP, "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", "2.8.9", data(zremrangebylex)).keys(1, 1, 1),
    Spec::new("zrandmember", -2, R, GROUP, "Returns one or more random members from a sorted set.", "6.2.0", data(zrandmember)).keys(1, 1, 1),
    Spec::new("zscan", -3, R, GROUP, "Iterates over members and scores of a sorted set.", "2.8.0", data(zscan)).keys(1, 1, 1),
    Spec::new("zunion", -3, R, GROUP, "Add multiple sorted sets", "6.2.0", data(zunion).keys_by(counted_at_1)),
    Spec::new("zinter", -3, R, GROUP, "Intersect multiple sorted sets", "6.2.0", data(zinter).keys_by(counted_at_1)),
    Spec::new("zdiff", -3, R, GROUP, "Subtract multiple sorted sets", "6.2.0", data(zdiff).keys_by(counted_at_1)),
    Spec::new("zunionstore", -4, WD, GROUP, "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", data(zunionstore).keys_by(destination_and_counted)).keys(1, 1, 1),
    Spec::new("zinterstore", -4, WD, GROUP, "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", data(zinterstore).keys_by(destination_and_counted)).keys(1, 1, 1),
    Spec::new("zdiffstore", -4, WD, GROUP, "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0", data(zdiffstore).keys_by(destination_and_counted)).keys(1, 1, 1),
    Spec::new("zintercard", -3, R, GROUP, "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0", data(zintercard).keys_by(counted_at_1)),
    Spec::new("zpopmin", -2, W | flag::FAST, GROUP, "Remove and return members with the lowest scores in a sorted set", "5.0.0", data(zpopmin)).keys(1, 1, 1),
    Spec::new("zpopmax", -2, W | flag::FAST, GROUP, "Remove and return members with the highest scores in a sorted set", "5.0.0", data(zpopmax)).keys(1, 1, 1),
    Spec::new("bzpopmin", -3, W | flag::NOSCRIPT | flag::BLOCKING | flag::FAST, GROUP, "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "5.0.0", data(pop_once).blocking(block)).keys(1, -2, 1),
    Spec::new("bzpopmax", -3, W | flag::NOSCRIPT | flag::BLOCKING | flag::FAST, GROUP, "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "5.0.0", data(pop_once).blocking(block)).keys(1, -2, 1),
    Spec::new("zmpop", -4, W, GROUP, "Remove and return members with scores in a sorted set", "7.0.0", data(zmpop).keys_by(counted_at_1)),
    Spec::new("bzmpop", -5, W | flag::BLOCKING, GROUP, "Remove and return members with scores in a sorted set or block until one is available", "7.0.0", data(pop_once).keys_by(counted_at_2).blocking(block)),
    Spec::new("zrangestore", -5, WD, GROUP, "Store a range of members from sorted set into another key", "6.2.0", data(zrangestore)).keys(1, 2, 1),
];
