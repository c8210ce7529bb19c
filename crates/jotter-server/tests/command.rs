//! COMMAND against the real redis-server: `COMMAND INFO` of every command
//! of Jotter's table that Redis also has — arity, flags, key positions,
//! ACL categories, tips, key specs and subcommands — in both protocols,
//! and the other subcommands reply for reply. The differences that are
//! meant are listed below with their reasons.

mod common;

use common::differential::Pair;
use common::reply::{Reply, hello3};

/// Subcommands Redis has and Jotter does not: the latency graphs and
/// histograms, the Lua debugger.
const MISSING_SUBS: &[&str] = &["latency|graph", "latency|histogram", "script|debug"];

/// Subcommands Jotter has and Redis 7.0 does not: Redis 7.2's CLIENT
/// SETINFO, which clients send on connect.
const EXTRA_SUBS: &[&str] = &["client|setinfo"];

fn items(reply: &Reply) -> Vec<Reply> {
    match reply {
        Reply::List { items, .. } => items.clone(),
        other => panic!("not a list: {}", other.render()),
    }
}

/// An entry with its subcommands in name order, less the ones listed
/// above (Redis lists them in hash order).
fn normalized(entry: &Reply) -> String {
    let Reply::List { prefix, items } = entry else { return entry.render() };
    let mut items = items.clone();
    if let Some(Reply::List { prefix: p, items: subs }) = items.get(9).cloned() {
        let mut subs: Vec<Reply> = subs
            .into_iter()
            .filter(|s| {
                let name = items_name(s);
                !MISSING_SUBS.contains(&name.as_str()) && !EXTRA_SUBS.contains(&name.as_str())
            })
            .collect();
        subs.sort_by_cached_key(Reply::render);
        items[9] = Reply::List { prefix: p, items: subs };
    }
    Reply::List { prefix, items }.render()
}

fn items_name(entry: &Reply) -> String {
    items(entry).first().map(Reply::render).unwrap_or_default().trim_matches('"').to_owned()
}

fn every_command_matches(pair: &mut Pair) {
    let (names, _) = pair.both_trees(&["COMMAND", "LIST"]);
    let mut compared = 0;
    for name in items(&names) {
        let name = name.render().trim_matches('"').to_owned();
        if name.contains('|') {
            continue;
        }
        let (j, r) = pair.both_trees(&["COMMAND", "INFO", &name]);
        let (j, r) = (items(&j).remove(0), items(&r).remove(0));
        if matches!(&r, Reply::Scalar(s) if s == "nil" || s == "_") {
            assert!(name.starts_with("jotter."), "{name} is not a Redis command");
            continue;
        }
        assert_eq!(normalized(&j), normalized(&r), "COMMAND INFO {name}");
        compared += 1;
    }
    assert!(compared > 150, "only {compared} commands compared");
}

#[test]
fn command_info_matches_redis_for_every_command_both_have() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    every_command_matches(&mut pair);
    pair.resp3();
    every_command_matches(&mut pair);
}

#[test]
fn the_other_subcommands_reply_as_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let cases: &[&[&str]] = &[
        &["COMMAND", "HELP"],
        &["COMMAND", "COUNT", "x"],
        &["COMMAND", "FOO"],
        &["COMMAND", "LIST", "x"],
        &["COMMAND", "LIST", "FILTERBY", "foo", "x"],
        &["COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch"],
        &["COMMAND", "LIST", "FILTERBY", "module", "x"],
        &["COMMAND", "INFO", "nosuch", "get"],
        &["COMMAND", "DOCS", "nosuch"],
        &["COMMAND", "GETKEYS"],
        &["COMMAND", "GETKEYS", "foo", "x"],
        &["COMMAND", "GETKEYS", "ping", "x"],
        &["COMMAND", "GETKEYS", "get", "a", "b"],
        &["COMMAND", "GETKEYS", "get", "a"],
        &["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"],
        &["COMMAND", "GETKEYS", "zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
        &["COMMAND", "GETKEYS", "lmpop", "2", "a", "b", "LEFT"],
        &["COMMAND", "GETKEYS", "blpop", "a", "b", "0"],
        &["COMMAND", "GETKEYS", "xread", "COUNT", "1", "STREAMS", "a", "b", "0", "0"],
        &["COMMAND", "GETKEYS", "georadius", "k", "0", "0", "1", "m", "STORE", "d"],
        &["COMMAND", "GETKEYSANDFLAGS", "lmove", "a", "b", "LEFT", "LEFT"],
        &["COMMAND", "GETKEYSANDFLAGS", "zinterstore", "d", "2", "a", "b"],
        &["COMMAND", "GETKEYSANDFLAGS", "xreadgroup", "GROUP", "g", "c", "STREAMS", "s", ">"],
    ];
    for case in cases {
        pair.same(case);
    }
    for category in ["sortedset", "hash", "STRING"] {
        pair.same_unordered(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", category]);
    }
    for pattern in ["command*", "z*", "h?et"] {
        pair.same_unordered(&["COMMAND", "LIST", "FILTERBY", "PATTERN", pattern]);
    }
    hello3(&mut pair.j);
    hello3(&mut pair.r);
    pair.same(&["COMMAND", "GETKEYSANDFLAGS", "lmove", "a", "b", "LEFT", "LEFT"]);
}

#[test]
fn every_listed_name_is_a_redis_command_or_a_jotter_one() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let (j, r) = pair.both_trees(&["COMMAND", "LIST"]);
    let redis: Vec<String> = items(&r).iter().map(Reply::render).collect();
    for name in items(&j).iter().map(Reply::render) {
        let bare = name.trim_matches('"');
        let ours = bare.starts_with("jotter.") || EXTRA_SUBS.contains(&bare);
        assert!(ours || redis.contains(&name), "{name} is not in Redis's COMMAND LIST");
    }
    let (j, _) = pair.both(&["COMMAND", "DOCS", "client"]);
    assert!(
        j.contains("\"client|kill\", [\"summary\", \"Kill the connection of a client\""),
        "{j}"
    );
}
