//! Every list command against a real redis-server, reply for reply: fixed
//! cases for each option and error, then random histories of every list
//! command (the blocking ones with a short timeout, and inside MULTI where
//! they do not block) over a few keys, one of them a string, in RESP2 and
//! RESP3. Without redis-server the tests skip loudly, or fail with
//! `JOTTER_REQUIRE_SERVICES=1`.

mod common;

use common::differential::{Pair, Rng};

#[test]
fn list_commands_match_redis_case_by_case() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let cases: &[&[&str]] = &[
        &["RPUSH", "l", "a", "b", "a", "c", "a"],
        &["LPUSH", "l", "z", "y"],
        &["LPUSHX", "nokey", "a"],
        &["RPUSHX", "l", "q", "r"],
        &["LLEN", "l"],
        &["LLEN", "nokey"],
        &["LRANGE", "l", "0", "-1"],
        &["LRANGE", "l", "-3", "100"],
        &["LRANGE", "l", "5", "2"],
        &["LRANGE", "l", "x", "1"],
        &["LRANGE", "nokey", "0", "-1"],
        &["LINDEX", "l", "-1"],
        &["LINDEX", "l", "100"],
        &["LINDEX", "l", "x"],
        &["LINDEX", "nokey", "x"],
        &["LPOS", "l", "a"],
        &["LPOS", "l", "a", "RANK", "-1", "COUNT", "0"],
        &["LPOS", "l", "a", "RANK", "2", "COUNT", "2", "MAXLEN", "6"],
        &["LPOS", "l", "a", "RANK", "0"],
        &["LPOS", "l", "a", "RANK", "-9223372036854775808"],
        &["LPOS", "l", "a", "COUNT", "-1"],
        &["LPOS", "l", "a", "COUNT", "x"],
        &["LPOS", "l", "a", "MAXLEN", "-1"],
        &["LPOS", "l", "a", "RANK"],
        &["LPOS", "l", "a", "FOO", "1"],
        &["LPOS", "l", "nothere"],
        &["LPOS", "nokey", "a", "COUNT", "1"],
        &["LINSERT", "l", "BEFORE", "c", "n"],
        &["LINSERT", "l", "after", "nothere", "n"],
        &["LINSERT", "l", "middle", "c", "n"],
        &["LINSERT", "nokey", "BEFORE", "c", "n"],
        &["LSET", "l", "0", "first"],
        &["LSET", "l", "-1", "last"],
        &["LSET", "l", "100", "x"],
        &["LSET", "l", "x", "x"],
        &["LSET", "nokey", "0", "x"],
        &["LREM", "l", "1", "a"],
        &["LREM", "l", "-1", "a"],
        &["LREM", "l", "0", "a"],
        &["LREM", "l", "x", "a"],
        &["LTRIM", "l", "1", "-2"],
        &["LTRIM", "nokey", "0", "1"],
        &["LTRIM", "l", "x", "1"],
        &["LPOP", "l"],
        &["RPOP", "l", "2"],
        &["LPOP", "l", "0"],
        &["LPOP", "l", "-1"],
        &["LPOP", "l", "1", "2"],
        &["LPOP", "nokey"],
        &["LPOP", "nokey", "2"],
        &["RPUSH", "src", "1", "2", "3"],
        &["LMOVE", "src", "dst", "LEFT", "RIGHT"],
        &["LMOVE", "src", "src", "RIGHT", "LEFT"],
        &["LMOVE", "src", "dst", "UP", "LEFT"],
        &["LMOVE", "nokey", "dst", "LEFT", "LEFT"],
        &["RPOPLPUSH", "src", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SET", "s", "v"],
        &["LMOVE", "src", "s", "LEFT", "LEFT"],
        &["LMOVE", "nokey", "s", "LEFT", "LEFT"],
        &["LPUSH", "s", "x"],
        &["LRANGE", "s", "0", "1"],
        &["LMPOP", "2", "nokey", "dst", "RIGHT", "COUNT", "5"],
        &["LMPOP", "1", "nokey", "LEFT"],
        &["LMPOP", "0", "l", "LEFT"],
        &["LMPOP", "1", "l", "MIDDLE"],
        &["LMPOP", "1", "l", "LEFT", "COUNT", "0"],
        &["LMPOP", "2", "s", "l", "LEFT"],
        &["RPUSH", "b", "1", "2", "3"],
        &["BLPOP", "nokey", "b", "0"],
        &["BRPOP", "b", "1"],
        &["BLPOP", "b", "x"],
        &["BLPOP", "b", "-1"],
        &["BLPOP", "s", "0"],
        &["BLMPOP", "0", "1", "b", "RIGHT", "COUNT", "9"],
        &["BLMPOP", "x", "0", "b", "LEFT"],
        &["RPUSH", "b", "4"],
        &["BLMOVE", "b", "dst", "RIGHT", "LEFT", "0"],
        &["BLMOVE", "b", "dst", "UP", "LEFT", "x"],
        &["BRPOPLPUSH", "dst", "b", "0"],
        &["BLPOP", "nokey", "0.01"],
        &["BLMOVE", "nokey", "dst", "LEFT", "LEFT", "0.01"],
        &["MULTI"],
        &["BLPOP", "nokey", "0"],
        &["BLMOVE", "nokey", "dst", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "nokey", "dst", "0"],
        &["BLMPOP", "0", "1", "nokey", "LEFT"],
        &["BRPOP", "dst", "0"],
        &["EXEC"],
        &["TYPE", "dst"],
        &["RPUSH", "k", "1", "2", "3"],
        &["COPY", "k", "k2"],
        &["RENAME", "k2", "k3"],
        &["EXPIRE", "k3", "100"],
        &["TTL", "k3"],
        &["LPUSH", "k3", "0"],
        &["TTL", "k3"],
        &["LRANGE", "k3", "0", "-1"],
        &["OBJECT", "ENCODING", "k3"],
        &["DEL", "k", "k3"],
        &["EXISTS", "k", "k3"],
    ];
    for resp3 in [false, true] {
        if resp3 {
            pair.resp3();
            pair.same(&["FLUSHALL"]);
        }
        for case in cases {
            pair.same(case);
        }
    }
}

/// One random list command (or MULTI, EXEC, SET on a key) over a few keys.
fn random_command(rng: &mut Rng) -> Vec<String> {
    let key = |rng: &mut Rng| rng.pick(&["la", "lb", "lc", "s"]).to_string();
    let value = |rng: &mut Rng| rng.pick(&["a", "b", "c", ""]).to_string();
    let index = |rng: &mut Rng| rng.between(-6, 6).to_string();
    let end = |rng: &mut Rng| rng.pick(&["LEFT", "RIGHT", "left"]).to_string();
    let values = |rng: &mut Rng| (0..1 + rng.below(4)).map(|_| value(rng)).collect::<Vec<_>>();
    let s = |x: &str| x.to_string();
    match rng.below(26) {
        0 => [s("LPUSH"), key(rng)].into_iter().chain(values(rng)).collect(),
        1 | 2 => [s("RPUSH"), key(rng)].into_iter().chain(values(rng)).collect(),
        3 => vec![s(rng.pick(&["LPUSHX", "RPUSHX"])), key(rng), value(rng)],
        4 => vec![s("LPOP"), key(rng)],
        5 => vec![s(rng.pick(&["LPOP", "RPOP"])), key(rng), rng.below(4).to_string()],
        6 => vec![s("LLEN"), key(rng)],
        7 | 8 => vec![s("LRANGE"), key(rng), index(rng), index(rng)],
        9 => vec![s("LINDEX"), key(rng), index(rng)],
        10 => vec![s("LSET"), key(rng), index(rng), value(rng)],
        11 | 12 => {
            let side = rng.pick(&["BEFORE", "AFTER"]).to_string();
            vec![s("LINSERT"), key(rng), side, value(rng), value(rng)]
        }
        13 => vec![s("LREM"), key(rng), index(rng), value(rng)],
        14 => vec![s("LTRIM"), key(rng), index(rng), index(rng)],
        15 => {
            let mut c = vec![s("LPOS"), key(rng), value(rng)];
            if rng.chance(0.5) {
                c.extend([s("RANK"), rng.pick(&["1", "-1", "2", "-2"]).to_string()]);
            }
            if rng.chance(0.5) {
                c.extend([s("COUNT"), rng.below(3).to_string()]);
            }
            if rng.chance(0.3) {
                c.extend([s("MAXLEN"), rng.below(4).to_string()]);
            }
            c
        }
        16 => vec![s("LMOVE"), key(rng), key(rng), end(rng), end(rng)],
        17 => vec![s("RPOPLPUSH"), key(rng), key(rng)],
        18 => {
            let mut c = vec![s("LMPOP"), s("2"), key(rng), key(rng), end(rng)];
            if rng.chance(0.5) {
                c.extend([s("COUNT"), (1 + rng.below(3)).to_string()]);
            }
            c
        }
        19 => vec![s(rng.pick(&["BLPOP", "BRPOP"])), key(rng), key(rng), s("0.01")],
        20 => vec![s("BLMOVE"), key(rng), key(rng), end(rng), end(rng), s("0.01")],
        21 => vec![s("BRPOPLPUSH"), key(rng), key(rng), s("0.01")],
        22 => vec![s("BLMPOP"), s("0.01"), s("1"), key(rng), end(rng), s("COUNT"), s("2")],
        23 => vec![s(rng.pick(&["MULTI", "EXEC", "EXEC"]))],
        24 => vec![s("SET"), s("s"), value(rng)],
        _ => vec![s(rng.pick(&["DEL", "TYPE"])), key(rng)],
    }
}

/// Both servers empty, out of any MULTI a history left open (FLUSHALL is
/// refused inside MULTI here, queued there).
fn fresh(pair: &mut Pair) {
    pair.both(&["DISCARD"]);
    pair.same(&["FLUSHALL"]);
}

#[test]
fn random_list_histories_match_redis_in_resp2() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    for seed in 1..=20 {
        fresh(&mut pair);
        pair.fuzz(seed, 300, |rng| random_command(rng).into());
    }
}

#[test]
fn random_list_histories_match_redis_in_resp3() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.resp3();
    for seed in 100..=110 {
        fresh(&mut pair);
        pair.fuzz(seed, 300, |rng| random_command(rng).into());
    }
}
