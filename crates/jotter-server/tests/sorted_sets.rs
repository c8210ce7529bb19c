//! Sorted-set commands through the real server, reply bytes checked in
//! RESP2 and RESP3 against Redis 7.0's: ZADD and its options, ZINCRBY,
//! ZSCORE, ZMSCORE, ZCARD, every ZRANGE form, ZRANK, ZCOUNT, ZLEXCOUNT,
//! ZREM, ZREMRANGEBY*; WRONGTYPE; MULTI/EXEC; the rows in SQLite after
//! JOTTER.FLUSH. ZRANDMEMBER, ZSCAN and the leaderboard model are in
//! sorted_set_sampling.rs.

mod common;

use std::collections::BTreeMap;

use common::reply::{
    GT_LT_NX, LEX_RANGE, LIMIT_NEEDS_BY, NOT_FLOAT, NOT_INT, SCORE_RANGE, SYNTAX, WRONGTYPE, check,
    q, resp3,
};
use common::sqlite::stored_zset;
use common::{Server, resp};

#[test]
fn zadd_flags_and_their_replies() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3");
    // CH counts changed scores too; plain counts only added members.
    check(&mut c, &["ZADD", "z", "1", "a", "5", "b", "7", "d"], ":1");
    check(&mut c, &["ZADD", "z", "ch", "1", "a", "6", "b", "8", "e"], ":2");
    // NX adds only new members; XX only updates existing ones.
    check(&mut c, &["ZADD", "z", "NX", "CH", "9", "a", "9", "f"], ":1");
    check(&mut c, &["ZSCORE", "z", "a"], "\"1\"");
    check(&mut c, &["ZADD", "z", "XX", "CH", "10", "a", "10", "new"], ":1");
    check(&mut c, &["ZSCORE", "z", "new"], "nil");
    check(&mut c, &["ZSCORE", "z", "a"], "\"10\"");
    // GT / LT update only upward / downward, but still add new members.
    check(&mut c, &["ZADD", "z", "GT", "CH", "1", "a", "20", "b", "4", "g"], ":2");
    check(&mut c, &["ZMSCORE", "z", "a", "b", "g"], "[\"10\", \"20\", \"4\"]");
    check(&mut c, &["ZADD", "z", "LT", "CH", "100", "a", "2", "b"], ":1");
    check(&mut c, &["ZMSCORE", "z", "a", "b"], "[\"10\", \"2\"]");
    check(&mut c, &["ZADD", "z", "XX", "GT", "CH", "11", "a", "1", "b"], ":1");
    // INCR replies the new score, or nil when NX/XX/GT/LT stopped it.
    check(&mut c, &["ZADD", "z", "INCR", "5", "a"], "\"16\"");
    check(&mut c, &["ZADD", "z", "NX", "INCR", "5", "a"], "nil");
    check(&mut c, &["ZADD", "z", "XX", "INCR", "5", "nosuch"], "nil");
    check(&mut c, &["ZADD", "z", "GT", "INCR", "-1", "a"], "nil");
    check(&mut c, &["ZADD", "z", "LT", "INCR", "-1", "a"], "\"15\"");
    check(&mut c, &["ZADD", "z", "NX", "INCR", "2.5", "fresh"], "\"2.5\"");
    // XX on a missing key creates nothing.
    check(&mut c, &["ZADD", "missing", "XX", "1", "a"], ":0");
    check(&mut c, &["ZADD", "missing", "XX", "INCR", "1", "a"], "nil");
    check(&mut c, &["ZCARD", "missing"], ":0");
    // A member given twice: the second sees the first.
    check(&mut c, &["ZADD", "d", "1", "m", "2", "m"], ":1");
    check(&mut c, &["ZSCORE", "d", "m"], "\"2\"");
    check(&mut c, &["ZADD", "d", "CH", "3", "n", "3", "n", "4", "n"], ":2");
    check(&mut c, &["ZADD", "d", "NX", "5", "o", "6", "o"], ":1");
    check(&mut c, &["ZSCORE", "d", "o"], "\"5\"");
    // Setting the same score is no change.
    check(&mut c, &["ZADD", "d", "CH", "5", "o"], ":0");
}

#[test]
fn zadd_errors_in_redis_words_and_order() {
    let (_server, mut c) = Server::start_raw();
    check(
        &mut c,
        &["ZADD", "z", "XX", "NX", "1", "a"],
        "-ERR XX and NX options at the same time are not compatible",
    );
    check(&mut c, &["ZADD", "z", "NX", "GT", "1", "a"], GT_LT_NX);
    check(&mut c, &["ZADD", "z", "LT", "NX", "1", "a"], GT_LT_NX);
    check(&mut c, &["ZADD", "z", "GT", "LT", "1", "a"], GT_LT_NX);
    check(
        &mut c,
        &["ZADD", "z", "INCR", "1", "a", "2", "b"],
        "-ERR INCR option supports a single increment-element pair",
    );
    // The element count is checked first.
    check(&mut c, &["ZADD", "z", "XX", "NX", "1"], SYNTAX);
    check(&mut c, &["ZADD", "z", "1", "a", "2"], SYNTAX);
    check(&mut c, &["ZADD", "z", "INCR", "NX"], SYNTAX);
    check(&mut c, &["ZADD", "z", "1"], "-ERR wrong number of arguments for 'zadd' command");
    check(&mut c, &["ZADD", "z", "foo", "1", "a"], SYNTAX);
    check(&mut c, &["ZADD", "z", "abc", "a"], NOT_FLOAT);
    check(&mut c, &["ZADD", "z", "1", "a", "nan", "b"], NOT_FLOAT);
    check(&mut c, &["ZADD", "z", " 1", "a"], NOT_FLOAT);
    // A failing ZADD writes nothing, even its valid pairs.
    check(&mut c, &["ZCARD", "z"], ":0");
    // inf + -inf is NaN.
    check(&mut c, &["ZADD", "z", "inf", "top", "-inf", "bottom"], ":2");
    check(
        &mut c,
        &["ZADD", "z", "INCR", "-inf", "top"],
        "-ERR resulting score is not a number (NaN)",
    );
    check(
        &mut c,
        &["ZINCRBY", "z", "+inf", "bottom"],
        "-ERR resulting score is not a number (NaN)",
    );
    check(&mut c, &["ZINCRBY", "z", "x", "top"], NOT_FLOAT);
    check(&mut c, &["ZMSCORE", "z", "top", "bottom"], "[\"inf\", \"-inf\"]");
}

#[test]
fn zincrby_zscore_zmscore_zcard_and_score_text() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["ZINCRBY", "board:weekly", "15", "player:42"], "\"15\"");
    check(&mut c, &["ZINCRBY", "board:weekly", "15", "player:42"], "\"30\"");
    check(&mut c, &["ZINCRBY", "board:weekly", "-0.5", "player:42"], "\"29.5\"");
    check(
        &mut c,
        &[
            "ZADD",
            "s",
            "0.1",
            "tenth",
            "1e20",
            "big",
            "1e-5",
            "small",
            "-0",
            "negz",
            "12345678901234567890",
            "huge",
            "inf",
            "pinf",
            "-inf",
            "ninf",
        ],
        ":7",
    );
    check(&mut c, &["ZSCORE", "s", "tenth"], "\"0.10000000000000001\"");
    check(&mut c, &["ZSCORE", "s", "big"], "\"1e+20\"");
    check(&mut c, &["ZSCORE", "s", "small"], "\"1.0000000000000001e-05\"");
    check(&mut c, &["ZSCORE", "s", "negz"], "\"0\"");
    check(&mut c, &["ZSCORE", "s", "huge"], "\"1.2345678901234567e+19\"");
    check(&mut c, &["ZSCORE", "s", "pinf"], "\"inf\"");
    check(&mut c, &["ZSCORE", "s", "ninf"], "\"-inf\"");
    check(&mut c, &["ZSCORE", "s", "nope"], "nil");
    check(&mut c, &["ZSCORE", "nokey", "nope"], "nil");
    check(
        &mut c,
        &["ZMSCORE", "s", "tenth", "nope", "pinf"],
        "[\"0.10000000000000001\", nil, \"inf\"]",
    );
    check(&mut c, &["ZMSCORE", "nokey", "a", "b"], "[nil, nil]");
    check(&mut c, &["ZMSCORE", "s"], "-ERR wrong number of arguments for 'zmscore' command");
    check(&mut c, &["ZCARD", "s"], ":7");
    check(&mut c, &["ZCARD", "nokey"], ":0");
    // ZINCRBY on a missing member starts at 0; inf stays inf.
    check(&mut c, &["ZINCRBY", "s", "1", "pinf"], "\"inf\"");
    check(&mut c, &["ZINCRBY", "s", "2.5", "brand-new"], "\"2.5\"");
    // -0 is kept as 0, as Redis's small sets keep it; ZADD INCR shows the
    // -0 it computed for a new member.
    check(&mut c, &["ZADD", "s", "INCR", "-0", "negz2"], "\"-0\"");
    check(&mut c, &["ZSCORE", "s", "negz2"], "\"0\"");
    check(&mut c, &["ZINCRBY", "s", "-0", "negz"], "\"0\"");
}

#[test]
fn zrange_by_rank_score_and_lex_with_every_option() {
    let (_server, mut c) = Server::start_raw();
    check(
        &mut c,
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "-inf", "lo", "inf", "hi"],
        ":7",
    );
    check(
        &mut c,
        &["ZRANGE", "z", "0", "-1"],
        "[\"lo\", \"a\", \"b\", \"c\", \"d\", \"e\", \"hi\"]",
    );
    check(&mut c, &["ZRANGE", "z", "1", "2", "WITHSCORES"], "[\"a\", \"1\", \"b\", \"2\"]");
    check(&mut c, &["ZRANGE", "z", "-2", "-1", "withscores"], "[\"e\", \"5\", \"hi\", \"inf\"]");
    check(
        &mut c,
        &["ZRANGE", "z", "0", "1", "REV", "WITHSCORES"],
        "[\"hi\", \"inf\", \"e\", \"5\"]",
    );
    check(&mut c, &["ZRANGE", "z", "-1", "-1", "REV"], "[\"lo\"]");
    check(&mut c, &["ZRANGE", "z", "2", "1"], "[]");
    check(&mut c, &["ZRANGE", "z", "100", "200"], "[]");
    check(&mut c, &["ZRANGE", "z", "-100", "0"], "[\"lo\"]");
    check(&mut c, &["ZRANGE", "nokey", "0", "-1"], "[]");
    // BYSCORE, exclusive bounds, infinities, LIMIT.
    check(
        &mut c,
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE"],
        "[\"lo\", \"a\", \"b\", \"c\", \"d\", \"e\", \"hi\"]",
    );
    check(
        &mut c,
        &["ZRANGE", "z", "(-inf", "(+inf", "BYSCORE"],
        "[\"a\", \"b\", \"c\", \"d\", \"e\"]",
    );
    check(
        &mut c,
        &["ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"],
        "[\"b\", \"2\", \"c\", \"3\"]",
    );
    check(
        &mut c,
        &["ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "WITHSCORES"],
        "[\"c\", \"3\", \"b\", \"2\"]",
    );
    check(&mut c, &["ZRANGE", "z", "(1", "3", "BYSCORE", "REV"], "[]");
    check(
        &mut c,
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "3"],
        "[\"a\", \"b\", \"c\"]",
    );
    check(
        &mut c,
        &["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"],
        "[\"e\", \"d\"]",
    );
    check(&mut c, &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "3"], "[]");
    check(
        &mut c,
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "5", "-1"],
        "[\"e\", \"hi\"]",
    );
    check(&mut c, &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "0"], "[]");
    check(&mut c, &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "50", "5"], "[]");
    check(&mut c, &["ZRANGE", "z", "5", "1", "BYSCORE"], "[]");
    check(&mut c, &["ZRANGE", "z", "(2", "(2", "BYSCORE"], "[]");
    // Errors, in Redis's words.
    check(&mut c, &["ZRANGE", "z", "0", "-1", "LIMIT", "1", "2"], LIMIT_NEEDS_BY);
    check(
        &mut c,
        &["ZRANGE", "z", "0", "-1", "LIMIT", "1", "-1"],
        "[\"lo\", \"a\", \"b\", \"c\", \"d\", \"e\", \"hi\"]",
    );
    check(
        &mut c,
        &["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX",
    );
    check(&mut c, &["ZRANGE", "z", "0", "-1", "BYSCORE", "BYSCORE"], SYNTAX);
    check(&mut c, &["ZRANGE", "z", "0", "-1", "REV", "REV"], SYNTAX);
    check(&mut c, &["ZRANGE", "z", "0", "-1", "bogus"], SYNTAX);
    check(&mut c, &["ZRANGE", "z", "1", "2", "BYSCORE", "LIMIT", "1"], SYNTAX);
    check(&mut c, &["ZRANGE", "z", "1", "2", "BYSCORE", "LIMIT", "x", "1"], NOT_INT);
    check(&mut c, &["ZRANGE", "z", "x", "1"], NOT_INT);
    check(&mut c, &["ZRANGE", "z", "x", "1", "BYSCORE"], SCORE_RANGE);
    check(&mut c, &["ZRANGE", "z", "a", "b", "BYLEX"], LEX_RANGE);
    check(&mut c, &["ZRANGE", "z", "0"], "-ERR wrong number of arguments for 'zrange' command");
    // The older forms.
    check(
        &mut c,
        &["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "0", "2"],
        "[\"lo\", \"-inf\", \"a\", \"1\"]",
    );
    check(&mut c, &["ZRANGEBYSCORE", "z", "(1", "(4"], "[\"b\", \"c\"]");
    check(&mut c, &["ZRANGEBYSCORE", "z", "1", "2", "REV"], SYNTAX);
    check(&mut c, &["ZRANGEBYSCORE", "z", "1", "2", "BYSCORE"], SYNTAX);
    check(&mut c, &["ZRANGEBYSCORE", "z", "1", "x"], SCORE_RANGE);
    check(&mut c, &["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "2"], "[\"hi\", \"e\"]");
    check(
        &mut c,
        &["ZREVRANGEBYSCORE", "z", "4", "(1", "WITHSCORES"],
        "[\"d\", \"4\", \"c\", \"3\", \"b\", \"2\"]",
    );
    check(&mut c, &["ZREVRANGEBYSCORE", "z", "1", "4"], "[]");
    check(
        &mut c,
        &["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
        "[\"hi\", \"inf\", \"e\", \"5\", \"d\", \"4\"]",
    );
    check(&mut c, &["ZREVRANGE", "z", "-2", "-1"], "[\"a\", \"lo\"]");
    check(&mut c, &["ZREVRANGE", "z", "0", "2", "LIMIT", "0", "1"], LIMIT_NEEDS_BY);
    check(&mut c, &["ZREVRANGE", "z", "0", "2", "BYSCORE"], SYNTAX);
    check(&mut c, &["ZREVRANGE", "z", "0", "2", "REV"], SYNTAX);
}

#[test]
fn lex_ranges_counts_and_ranks() {
    let (_server, mut c) = Server::start_raw();
    check(
        &mut c,
        &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g"],
        ":7",
    );
    check(
        &mut c,
        &["ZRANGEBYLEX", "l", "-", "+"],
        "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\"]",
    );
    check(&mut c, &["ZRANGEBYLEX", "l", "[b", "(e"], "[\"b\", \"c\", \"d\"]");
    check(&mut c, &["ZRANGEBYLEX", "l", "(b", "[e", "LIMIT", "1", "2"], "[\"d\", \"e\"]");
    check(&mut c, &["ZRANGEBYLEX", "l", "[c", "+"], "[\"c\", \"d\", \"e\", \"f\", \"g\"]");
    check(&mut c, &["ZRANGEBYLEX", "l", "+", "-"], "[]");
    check(&mut c, &["ZRANGEBYLEX", "l", "[z", "+"], "[]");
    check(&mut c, &["ZRANGE", "l", "[e", "(b", "BYLEX", "REV"], "[\"e\", \"d\", \"c\"]");
    check(&mut c, &["ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", "2", "2"], "[\"c\", \"d\"]");
    check(&mut c, &["ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "0", "3"], "[\"g\", \"f\", \"e\"]");
    check(&mut c, &["ZREVRANGEBYLEX", "l", "[e", "(b"], "[\"e\", \"d\", \"c\"]");
    check(&mut c, &["ZRANGEBYLEX", "l", "a", "c"], LEX_RANGE);
    check(
        &mut c,
        &["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"],
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX",
    );
    check(&mut c, &["ZRANGEBYLEX", "l", "-", "+", "REV"], SYNTAX);
    check(&mut c, &["ZLEXCOUNT", "l", "-", "+"], ":7");
    check(&mut c, &["ZLEXCOUNT", "l", "[b", "[d"], ":3");
    check(&mut c, &["ZLEXCOUNT", "l", "(b", "(d"], ":1");
    check(&mut c, &["ZLEXCOUNT", "l", "+", "-"], ":0");
    check(&mut c, &["ZLEXCOUNT", "l", "b", "d"], LEX_RANGE);
    check(&mut c, &["ZLEXCOUNT", "nokey", "-", "+"], ":0");

    check(&mut c, &["ZADD", "z", "1", "a", "2", "b", "2", "c", "-inf", "lo", "inf", "hi"], ":5");
    check(&mut c, &["ZRANK", "z", "lo"], ":0");
    check(&mut c, &["ZRANK", "z", "c"], ":3");
    check(&mut c, &["ZRANK", "z", "hi"], ":4");
    check(&mut c, &["ZREVRANK", "z", "hi"], ":0");
    check(&mut c, &["ZREVRANK", "z", "b"], ":2");
    check(&mut c, &["ZRANK", "z", "nope"], "nil");
    check(&mut c, &["ZREVRANK", "nokey", "a"], "nil");
    check(&mut c, &["ZCOUNT", "z", "-inf", "+inf"], ":5");
    check(&mut c, &["ZCOUNT", "z", "(1", "2"], ":2");
    check(&mut c, &["ZCOUNT", "z", "(-inf", "(inf"], ":3");
    check(&mut c, &["ZCOUNT", "z", "2", "1"], ":0");
    check(&mut c, &["ZCOUNT", "z", "x", "1"], SCORE_RANGE);
    check(&mut c, &["ZCOUNT", "nokey", "1", "2"], ":0");
}

#[test]
fn removals_and_the_key_going_when_empty() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"], ":6");
    check(&mut c, &["ZREM", "z", "a", "a", "nope", "b"], ":2");
    check(&mut c, &["ZREM", "nokey", "a"], ":0");
    check(&mut c, &["ZREMRANGEBYRANK", "z", "x", "1"], NOT_INT);
    check(&mut c, &["ZREMRANGEBYRANK", "z", "-1", "-1"], ":1");
    check(&mut c, &["ZREMRANGEBYRANK", "z", "5", "10"], ":0");
    check(&mut c, &["ZREMRANGEBYRANK", "nokey", "0", "-1"], ":0");
    check(&mut c, &["ZRANGE", "z", "0", "-1"], "[\"c\", \"d\", \"e\"]");
    check(&mut c, &["ZREMRANGEBYSCORE", "z", "a", "3"], SCORE_RANGE);
    check(&mut c, &["ZREMRANGEBYSCORE", "z", "(3", "4"], ":1");
    check(&mut c, &["ZREMRANGEBYSCORE", "z", "4", "3"], ":0");
    check(&mut c, &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"], ":2");
    check(&mut c, &["ZCARD", "z"], ":0");
    check(&mut c, &["ZRANGE", "z", "0", "-1"], "[]");
    // The key is gone: a string may take its place.
    check(&mut c, &["SET", "z", "now a string"], "+OK");
    check(&mut c, &["DEL", "z"], ":1");
    check(&mut c, &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"], ":4");
    check(&mut c, &["ZREMRANGEBYLEX", "l", "x", "y"], LEX_RANGE);
    check(&mut c, &["ZREMRANGEBYLEX", "l", "[b", "(d"], ":2");
    check(&mut c, &["ZRANGE", "l", "0", "-1"], "[\"a\", \"d\"]");
    check(&mut c, &["ZREMRANGEBYLEX", "l", "-", "+"], ":2");
    check(&mut c, &["ZCARD", "l"], ":0");
    check(&mut c, &["ZADD", "r", "1", "x"], ":1");
    check(&mut c, &["ZREM", "r", "x"], ":1");
    check(&mut c, &["DEL", "r"], ":0");
}

#[test]
fn every_command_refuses_another_type() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["SET", "s", "v"], "+OK");
    let commands: &[&[&str]] = &[
        &["ZADD", "s", "1", "a"],
        &["ZADD", "s", "XX", "INCR", "1", "a"],
        &["ZINCRBY", "s", "1", "a"],
        &["ZSCORE", "s", "a"],
        &["ZMSCORE", "s", "a"],
        &["ZCARD", "s"],
        &["ZRANGE", "s", "0", "-1"],
        &["ZRANGE", "s", "-inf", "inf", "BYSCORE"],
        &["ZRANGEBYSCORE", "s", "0", "1"],
        &["ZREVRANGEBYSCORE", "s", "1", "0"],
        &["ZRANGEBYLEX", "s", "-", "+"],
        &["ZREVRANGEBYLEX", "s", "+", "-"],
        &["ZREVRANGE", "s", "0", "-1"],
        &["ZRANK", "s", "a"],
        &["ZREVRANK", "s", "a"],
        &["ZCOUNT", "s", "0", "1"],
        &["ZLEXCOUNT", "s", "-", "+"],
        &["ZREM", "s", "a"],
        &["ZREMRANGEBYRANK", "s", "0", "-1"],
        &["ZREMRANGEBYSCORE", "s", "0", "1"],
        &["ZREMRANGEBYLEX", "s", "-", "+"],
        &["ZRANDMEMBER", "s"],
        &["ZRANDMEMBER", "s", "2"],
        &["ZSCAN", "s", "0"],
    ];
    for args in commands {
        check(&mut c, args, WRONGTYPE);
    }
    // Argument errors come before the type check, as in Redis.
    check(&mut c, &["ZADD", "s", "x", "a"], NOT_FLOAT);
    check(&mut c, &["ZRANGE", "s", "x", "1"], NOT_INT);
    check(&mut c, &["ZSCAN", "s", "x"], "-ERR invalid cursor");
    check(&mut c, &["GET", "s"], "\"v\"");
}

#[test]
fn reply_shapes_in_resp3_and_resp2() {
    let server = Server::start(&[]);
    let mut c = resp3(&server);
    check(&mut c, &["ZADD", "z", "1", "a", "2.5", "b", "inf", "c", "-inf", "d"], ":4");
    check(
        &mut c,
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        "[[\"d\", ,-inf], [\"a\", ,1], [\"b\", ,2.5], [\"c\", ,inf]]",
    );
    check(&mut c, &["ZRANGE", "z", "0", "1"], "[\"d\", \"a\"]");
    check(
        &mut c,
        &["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"],
        "[[\"a\", ,1], [\"b\", ,2.5]]",
    );
    check(&mut c, &["ZREVRANGE", "z", "0", "0", "WITHSCORES"], "[[\"c\", ,inf]]");
    check(&mut c, &["ZSCORE", "z", "b"], ",2.5");
    check(&mut c, &["ZSCORE", "z", "nope"], "_");
    check(&mut c, &["ZMSCORE", "z", "a", "nope"], "[,1, _]");
    check(&mut c, &["ZRANK", "z", "nope"], "_");
    check(&mut c, &["ZINCRBY", "z", "1", "a"], ",2");
    check(&mut c, &["ZADD", "z", "INCR", "1", "a"], ",3");
    check(&mut c, &["ZADD", "z", "NX", "INCR", "1", "a"], "_");
    check(
        &mut c,
        &["ZRANDMEMBER", "z", "10", "WITHSCORES"],
        "[[\"c\", ,inf], [\"a\", ,3], [\"b\", ,2.5], [\"d\", ,-inf]]",
    );
    let picks = q(&mut c, &["ZRANDMEMBER", "z", "-3", "WITHSCORES"]);
    assert_eq!(picks.matches("], [").count(), 2, "three [member, score] pairs: {picks}");
    check(&mut c, &["ZRANDMEMBER", "nokey"], "_");
    // ZSCAN's scores are bulk strings in both protocols, as in Redis.
    check(
        &mut c,
        &["ZSCAN", "z", "0"],
        "[\"0\", [\"d\", \"-inf\", \"b\", \"2.5\", \"a\", \"3\", \"c\", \"inf\"]]",
    );
    check(&mut c, &["ZRANGE", "nokey", "0", "-1", "WITHSCORES"], "[]");

    let mut c = server.raw();
    check(
        &mut c,
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        "[\"d\", \"-inf\", \"b\", \"2.5\", \"a\", \"3\", \"c\", \"inf\"]",
    );
    check(&mut c, &["ZSCORE", "z", "b"], "\"2.5\"");
    check(&mut c, &["ZMSCORE", "z", "a", "nope"], "[\"3\", nil]");
    check(&mut c, &["ZRANK", "z", "nope"], "nil");
    check(&mut c, &["ZADD", "z", "NX", "INCR", "1", "a"], "nil");
    check(
        &mut c,
        &["ZRANDMEMBER", "z", "10", "WITHSCORES"],
        "[\"c\", \"inf\", \"a\", \"3\", \"b\", \"2.5\", \"d\", \"-inf\"]",
    );
    check(&mut c, &["ZRANDMEMBER", "nokey"], "nil");

    // Exact bytes, for one of each.
    c.roundtrip(
        &resp(&["ZRANGE", "z", "0", "0", "WITHSCORES"]),
        b"*2\r\n$1\r\nd\r\n$4\r\n-inf\r\n",
    );
    let mut c3 = resp3(&server);
    c3.roundtrip(
        &resp(&["ZRANGE", "z", "0", "0", "WITHSCORES"]),
        b"*1\r\n*2\r\n$1\r\nd\r\n,-inf\r\n",
    );
    c3.roundtrip(&resp(&["ZSCORE", "z", "b"]), b",2.5\r\n");
}

#[test]
fn multi_exec_runs_zadd_zincrby_zrange_as_one() {
    let (server, mut c) = Server::start_raw();
    check(&mut c, &["MULTI"], "+OK");
    check(&mut c, &["ZADD", "board", "10", "ann", "20", "bob"], "+QUEUED");
    check(&mut c, &["ZINCRBY", "board", "15", "ann"], "+QUEUED");
    check(&mut c, &["ZADD", "board", "x", "carl"], "+QUEUED");
    check(&mut c, &["ZRANGE", "board", "0", "-1", "WITHSCORES"], "+QUEUED");
    check(&mut c, &["ZREVRANK", "board", "ann"], "+QUEUED");
    check(
        &mut c,
        &["EXEC"],
        "[:2, \"25\", -ERR value is not a valid float, [\"bob\", \"20\", \"ann\", \"25\"], :0]",
    );
    let mut c3 = resp3(&server);
    check(&mut c3, &["MULTI"], "+OK");
    check(&mut c3, &["ZADD", "board", "GT", "CH", "30", "bob", "1", "ann"], "+QUEUED");
    check(&mut c3, &["ZREVRANGE", "board", "0", "9", "WITHSCORES"], "+QUEUED");
    check(&mut c3, &["EXEC"], "[:1, [[\"bob\", ,30], [\"ann\", ,25]]]");
    // WRONGTYPE inside EXEC fails only that command.
    check(&mut c, &["SET", "str", "v"], "+OK");
    check(&mut c, &["MULTI"], "+OK");
    check(&mut c, &["ZADD", "str", "1", "a"], "+QUEUED");
    check(&mut c, &["ZADD", "board", "5", "dan"], "+QUEUED");
    check(&mut c, &["EXEC"], &format!("[{WRONGTYPE}, :1]"));
    check(&mut c, &["ZCARD", "board"], ":3");
}

#[test]
fn members_land_in_sqlite_after_jotter_flush() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    check(
        &mut c,
        &["ZADD", "board:weekly", "10", "ann", "20", "bob", "inf", "top", "-inf", "bottom"],
        ":4",
    );
    check(&mut c, &["ZINCRBY", "board:weekly", "15", "player:42"], "\"15\"");
    check(&mut c, &["ZADD", "gone", "1", "x"], ":1");
    check(&mut c, &["JOTTER.FLUSH", "5000"], "+OK");
    let rows = stored_zset(&server, "board:weekly");
    let expected: BTreeMap<String, f64> = [
        ("ann", 10.0),
        ("bob", 20.0),
        ("top", f64::INFINITY),
        ("bottom", f64::NEG_INFINITY),
        ("player:42", 15.0),
    ]
    .into_iter()
    .map(|(m, s)| (m.to_owned(), s))
    .collect();
    assert_eq!(rows, expected);
    assert_eq!(stored_zset(&server, "gone").len(), 1);
    // Changes and removals reach the store too.
    check(&mut c, &["ZINCRBY", "board:weekly", "15", "player:42"], "\"30\"");
    check(&mut c, &["ZREM", "board:weekly", "ann"], ":1");
    check(&mut c, &["ZREMRANGEBYSCORE", "board:weekly", "-inf", "(0"], ":1");
    check(&mut c, &["ZREM", "gone", "x"], ":1");
    check(&mut c, &["JOTTER.FLUSH", "5000"], "+OK");
    let rows = stored_zset(&server, "board:weekly");
    assert_eq!(rows.get("player:42"), Some(&30.0));
    assert_eq!(rows.get("ann"), None);
    assert_eq!(rows.get("bottom"), None);
    assert_eq!(rows.len(), 3);
    assert!(stored_zset(&server, "gone").is_empty());
    // Versions are set on every row.
    let db = rusqlite::Connection::open(server.db_path()).unwrap();
    let unversioned: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM jotter_zsets WHERE version IS NULL OR version <= 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unversioned, 0);
}
