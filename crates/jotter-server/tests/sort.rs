//! SORT and SORT_RO against a real redis-server: random SORT requests (BY
//! a pattern, a hash field or `nosort`, LIMIT, GET `#`, patterns and hash
//! fields, ASC/DESC, ALPHA, STORE) over lists, sets and sorted sets,
//! replies equal in RESP2 and RESP3; where Redis's order is not fixed (a
//! set not sorted, equal ALPHA keys) the replies are compared as
//! multisets.

mod common;

use common::differential::{Command, Pair, Rng};
use common::reply::check;

/// The keys SORT reads: a set of numbers, a set of words, a sorted set,
/// and, per member, a weight (`w_`, some missing), a distinct word (`a_`)
/// and a hash (`o_`, field `f` always, `g` sometimes).
fn setup(pair: &mut Pair) {
    pair.same(&["FLUSHALL"]);
    pair.same(&["SADD", "nums", "3", "1", "2", "10", "-5", "2.5", "007"]);
    pair.same(&["SADD", "words", "apple", "Banana", "cherry", "10", "date", ""]);
    pair.same(&["ZADD", "board", "5", "p", "1", "q", "3", "r", "3", "1", "-2", "zed"]);
    pair.same(&["RPUSH", "queue", "q", "10", "apple", "2", "q", "-5"]);
    pair.same(&["SET", "str", "x"]);
    let members = [
        "3", "1", "2", "10", "-5", "2.5", "007", "apple", "Banana", "cherry", "date", "", "p", "q",
        "r", "zed",
    ];
    for (i, m) in members.iter().enumerate() {
        if i % 5 != 2 {
            pair.same(&["SET", &format!("w_{m}"), &((i * 7) % 11).to_string()]);
        }
        pair.same(&[
            "SET",
            &format!("a_{m}"),
            &format!("{}{m}", (b'a' + (i * 5 % 16) as u8) as char),
        ]);
        pair.same(&["HSET", &format!("o_{m}"), "f", &format!("{}.5", 20 - i)]);
        if i % 3 == 0 {
            pair.same(&["HSET", &format!("o_{m}"), "g", &format!("g{i}")]);
        }
    }
    pair.same(&["SET", "w_x", "not a number"]);
    pair.same(&["SADD", "badweights", "x", "1"]);
}

fn one(rng: &mut Rng, readonly: bool) -> Command {
    let source =
        rng.pick(&["nums", "words", "board", "queue", "sorted", "missing", "str", "badweights"]);
    let by = rng.pick(&["", "", "w_*", "nosort", "o_*->f", "a_*", "o_*->g", "w_*->f"]);
    let alpha = rng.chance(0.4);
    let mut args: Vec<String> =
        vec![if readonly { "SORT_RO" } else { "SORT" }.into(), source.into()];
    if !by.is_empty() {
        args.extend(["BY".into(), by.into()]);
    }
    let set_order = by == "nosort" && source != "board";
    // Equal ALPHA keys (missing ones, or equal values) keep Redis's input
    // order, which for a set is its hash table's: compare as multisets,
    // and without LIMIT, which would cut that order.
    let ties = alpha && matches!(by, "w_*" | "o_*->g" | "w_*->f");
    let unordered = set_order || ties;
    if !unordered && rng.chance(0.4) {
        args.extend([
            "LIMIT".into(),
            rng.between(-1, 4).to_string(),
            rng.between(-1, 5).to_string(),
        ]);
    }
    for _ in 0..rng.below(3) {
        let get = rng.pick(&["#", "w_*", "o_*->f", "o_*->g", "nokey", "a_*"]);
        args.extend(["GET".into(), get.into()]);
    }
    if rng.chance(0.5) {
        args.push(rng.pick(&["ASC", "DESC", "desc"]).into());
    }
    if alpha {
        args.push("ALPHA".into());
    }
    if !readonly && !unordered && rng.chance(0.2) {
        // A list later requests sort in turn.
        args.extend(["STORE".into(), "sorted".into()]);
    }
    // With GET the multiset of a reply loses which values go together, but
    // it still says what was found.
    let command = Command::from(args);
    if unordered { command.unordered() } else { command }
}

#[test]
fn sort_answers_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    setup(&mut pair);
    pair.fuzz(21, 2000, |rng| one(rng, false));
    pair.fuzz(22, 500, |rng| one(rng, true));
    pair.resp3();
    pair.fuzz(23, 1500, |rng| one(rng, false));
}

#[test]
fn sort_errors_and_edges_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    setup(&mut pair);
    for args in [
        &["SORT", "str"][..],
        &["SORT", "nums", "LIMIT", "1"],
        &["SORT", "nums", "LIMIT", "x", "1"],
        &["SORT", "nums", "GET"],
        &["SORT", "nums", "BY"],
        &["SORT", "nums", "foo"],
        &["SORT_RO", "nums", "STORE", "dst"],
        &["SORT", "words"],
        &["SORT", "badweights", "BY", "w_*"],
        &["SORT", "nums", "BY", "nosort", "BY", "w_*", "LIMIT", "0", "0"],
        &["SORT", "board", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
        &["SORT", "board", "BY", "nosort", "GET", "#", "GET", "o_*->f"],
        &["SORT", "nums", "LIMIT", "9223372036854775807", "9223372036854775807"],
        &["SORT", "nums", "LIMIT", "-9223372036854775808", "-1"],
        &["SORT", "missing", "STORE", "dst"],
        &["EXISTS", "dst"],
        &["SORT", "board", "BY", "o_*->f", "STORE", "w_3", "LIMIT", "0", "0"],
        &["EXISTS", "w_3"],
    ] {
        pair.same(args);
    }
}

/// STORE writes a list (replacing any type, dropping a TTL), which then
/// reads and sorts as a list.
#[test]
fn store_writes_a_list() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    setup(&mut pair);
    pair.same(&["SET", "dst", "kept", "EX", "100"]);
    for args in [
        &["SORT", "nums", "STORE", "dst"][..],
        &["TYPE", "dst"],
        &["TTL", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SORT", "dst", "DESC", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SORT", "queue", "BY", "nosort", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SORT", "words", "ALPHA", "LIMIT", "1", "2", "GET", "#", "GET", "o_*->f", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SORT", "nums", "LIMIT", "5", "1", "STORE", "dst"],
        &["EXISTS", "dst"],
    ] {
        pair.same(args);
    }
}

#[test]
fn sort_is_refused_inside_multi() {
    let (_server, mut c) = common::Server::start_raw();
    check(&mut c, &["MULTI"], "+OK");
    check(&mut c, &["SORT", "s"], "-ERR 'sort' cannot run inside MULTI");
    check(&mut c, &["DISCARD"], "+OK");
}
