//! Random command histories over strings, counters, hashes and sorted sets,
//! sent to Jotter and to a private redis-server: every reply must be the
//! same, in RESP2 and in RESP3. Each family's own test file fuzzes its
//! commands in depth; this one mixes the families on a few shared keys, so
//! WRONGTYPE answers and type changes (DEL, SET over a hash) are compared
//! too.

mod common;

use common::differential::{Command, Pair, Rng};

const KEYS: &[&str] = &["a", "b", "c"];
const FIELDS: &[&str] = &["f", "g", "h"];
const VALUES: &[&str] = &["1", "-2", "x", "", "3.5", "9223372036854775807"];

fn one(rng: &mut Rng) -> Command {
    let key = rng.pick(KEYS);
    let other = rng.pick(KEYS);
    let field = rng.pick(FIELDS);
    let value = rng.pick(VALUES);
    let score = rng.between(-3, 3).to_string();
    let command: &[&str] = match rng.below(22) {
        0 => &["SET", key, value],
        1 => &["GET", key],
        2 => &["INCR", key],
        3 => &["INCRBY", key, value],
        4 => &["APPEND", key, value],
        5 => &["STRLEN", key],
        6 => &["DEL", key],
        7 => &["TYPE", key],
        8 => &["EXISTS", key, other],
        9 => &["HSET", key, field, value],
        10 => &["HGET", key, field],
        11 => &["HDEL", key, field],
        12 => &["HINCRBY", key, field, value],
        13 => &["HLEN", key],
        14 => return Command::new(&["HGETALL", key]).unordered(),
        15 => &["ZADD", key, &score, field],
        16 => &["ZINCRBY", key, value, field],
        17 => &["ZRANGE", key, "0", "-1", "WITHSCORES"],
        18 => &["ZREM", key, field],
        19 => &["ZSCORE", key, field],
        20 => &["RENAME", key, other],
        _ => &["GETRANGE", key, "0", &score],
    };
    Command::new(command)
}

#[test]
fn mixed_families_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.fuzz_both_protocols(1, 1500, one);
}
