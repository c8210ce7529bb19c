//! Sorted-set commands whose replies are samples or pages, through the real
//! server: ZRANDMEMBER's counts and errors, ZSCAN over small and large sets,
//! and a 10,000-member leaderboard checked against a model.

mod common;

use std::collections::HashMap;

use common::Server;
use common::reply::{NOT_INT, SYNTAX, check, check_all, pipeline, q};

#[test]
fn zrandmember_counts_and_errors() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5");
    let one = q(&mut c, &["ZRANDMEMBER", "z"]);
    assert!(["\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\""].contains(&one.as_str()), "{one}");
    check(&mut c, &["ZRANDMEMBER", "z", "0"], "[]");
    check(&mut c, &["ZRANDMEMBER", "nokey", "3"], "[]");
    check(&mut c, &["ZRANDMEMBER", "nokey", "3", "WITHSCORES"], "[]");
    check(&mut c, &["ZRANDMEMBER", "nokey"], "nil");
    // Distinct members for a positive count.
    for _ in 0..20 {
        let got = q(&mut c, &["ZRANDMEMBER", "z", "3"]);
        let mut members: Vec<&str> = got.trim_matches(['[', ']']).split(", ").collect();
        assert_eq!(members.len(), 3, "{got}");
        members.sort_unstable();
        members.dedup();
        assert_eq!(members.len(), 3, "distinct: {got}");
    }
    // Repeats allowed and exactly |count| for a negative one.
    let got = q(&mut c, &["ZRANDMEMBER", "z", "-50"]);
    assert_eq!(got.split(", ").count(), 50, "{got}");
    let got = q(&mut c, &["ZRANDMEMBER", "z", "-4", "WITHSCORES"]);
    let items: Vec<&str> = got.trim_matches(['[', ']']).split(", ").collect();
    assert_eq!(items.len(), 8, "{got}");
    for pair in items.chunks(2) {
        let member = pair[0].trim_matches('"');
        let score = pair[1].trim_matches('"');
        assert_eq!(u32::from(member.as_bytes()[0] - b'a' + 1).to_string(), score, "{got}");
    }
    check(&mut c, &["ZRANDMEMBER", "z", "5", "bogus"], SYNTAX);
    check(&mut c, &["ZRANDMEMBER", "z", "5", "WITHSCORES", "x"], SYNTAX);
    check(&mut c, &["ZRANDMEMBER", "z", "x"], NOT_INT);
    check(
        &mut c,
        &["ZRANDMEMBER", "z", "-9223372036854775808"],
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    check(
        &mut c,
        &["ZRANDMEMBER", "nokey", "-9223372036854775807", "WITHSCORES"],
        "-ERR value is out of range",
    );
}

#[test]
fn zscan_small_and_large_sets() {
    let (_server, mut c) = Server::start_raw();
    check_all(
        &mut c,
        &[
            (&["ZSCAN", "nokey", "0"], "[\"0\", []]"),
            (&["ZSCAN", "nokey", "0", "COUNT", "0"], "[\"0\", []]"),
            (&["ZADD", "small", "1", "apple", "2", "banana", "3", "cherry"], ":3"),
            (
                &["ZSCAN", "small", "0"],
                "[\"0\", [\"apple\", \"1\", \"banana\", \"2\", \"cherry\", \"3\"]]",
            ),
            (
                &["ZSCAN", "small", "0", "MATCH", "*an*", "COUNT", "1"],
                "[\"0\", [\"banana\", \"2\"]]",
            ),
            (&["ZSCAN", "small", "0", "COUNT", "0"], SYNTAX),
            (&["ZSCAN", "small", "0", "COUNT", "x"], NOT_INT),
            (&["ZSCAN", "small", "0", "TYPE", "zset"], SYNTAX),
            (&["ZSCAN", "small", "0", "MATCH"], SYNTAX),
            (&["ZSCAN", "small", "x"], "-ERR invalid cursor"),
            (&["ZSCAN", "small", "+"], "-ERR invalid cursor"),
        ],
    );

    // A large set: every member comes exactly once over the whole scan,
    // even with members added and removed between calls.
    let mut add = vec!["ZADD", "big"];
    let names: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let scores: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    for (n, s) in names.iter().zip(&scores) {
        add.push(s);
        add.push(n);
    }
    check(&mut c, &add, ":1000");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut cursor = "0".to_owned();
    let mut calls = 0;
    loop {
        let reply = q(&mut c, &["ZSCAN", "big", &cursor, "COUNT", "50"]);
        calls += 1;
        let (next, items) = reply.strip_prefix("[\"").unwrap().split_once("\", [").unwrap();
        let items = items.trim_end_matches("]]");
        let items: Vec<&str> =
            if items.is_empty() { Vec::new() } else { items.split(", ").collect() };
        for pair in items.chunks(2) {
            let member = pair[0].trim_matches('"').to_owned();
            if !member.starts_with("extra") {
                assert_eq!(pair[1].trim_matches('"'), &member[1..], "score of {member}");
            }
            *seen.entry(member).or_default() += 1;
        }
        if calls == 3 {
            // Changes during the scan: m0..m9 go, new ones come.
            let mut rem = vec!["ZREM", "big"];
            rem.extend(names[..10].iter().map(String::as_str));
            check(&mut c, &rem, ":10");
            check(&mut c, &["ZADD", "big", "5000", "extra1", "5001", "extra2"], ":2");
        }
        cursor = next.to_owned();
        if cursor == "0" {
            break;
        }
        assert!(calls < 200, "the scan ends");
    }
    assert!(calls > 10, "COUNT bounds each call: {calls} calls");
    for name in &names[10..] {
        assert_eq!(seen.get(name), Some(&1), "{name} exactly once");
    }
    assert!(seen.values().all(|&n| n == 1), "nothing twice");

    // MATCH filters what each call visits.
    let mut cursor = "0".to_owned();
    let mut matched = Vec::new();
    loop {
        let reply = q(&mut c, &["ZSCAN", "big", &cursor, "MATCH", "m99*", "COUNT", "100"]);
        let (next, items) = reply.strip_prefix("[\"").unwrap().split_once("\", [").unwrap();
        let items = items.trim_end_matches("]]");
        if !items.is_empty() {
            matched.extend(items.split(", ").step_by(2).map(|m| m.trim_matches('"').to_owned()));
        }
        cursor = next.to_owned();
        if cursor == "0" {
            break;
        }
    }
    matched.sort();
    assert_eq!(
        matched,
        ["m99", "m990", "m991", "m992", "m993", "m994", "m995", "m996", "m997", "m998", "m999"]
    );
}

#[test]
fn leaderboard_of_ten_thousand_matches_a_model() {
    let (_server, mut c) = Server::start_raw();
    let mut model: HashMap<String, f64> = HashMap::new();
    // A small deterministic generator (no dependency needed).
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut commands = Vec::new();
    for chunk in 0..10 {
        let mut add = vec!["ZADD".to_owned(), "board:weekly".to_owned()];
        for i in chunk * 1000..(chunk + 1) * 1000 {
            let score = (next() % 1000) as f64;
            let name = format!("player:{i}");
            add.push(score.to_string());
            add.push(name.clone());
            model.insert(name, score);
        }
        commands.push(add);
    }
    let replies = pipeline(&mut c, &commands);
    assert!(replies.iter().all(|r| r == ":1000"), "{replies:?}");
    check(&mut c, &["ZCARD", "board:weekly"], ":10000");

    // 1,000 increments on 20 hot players.
    let hot: Vec<usize> = (0..20).map(|_| (next() % 10_000) as usize).collect();
    let mut commands = Vec::new();
    let mut expected_replies = Vec::new();
    for _ in 0..1000 {
        let player = format!("player:{}", hot[(next() % 20) as usize]);
        let by = (next() % 30) as f64 - 5.0;
        let score = model.get_mut(&player).unwrap();
        *score += by;
        expected_replies.push(format!("\"{score}\""));
        commands.push(vec![
            "ZINCRBY".to_owned(),
            "board:weekly".to_owned(),
            by.to_string(),
            player,
        ]);
    }
    assert_eq!(pipeline(&mut c, &commands), expected_replies);

    // The top ten: highest score first, ties by member, highest member first.
    let mut ranked: Vec<(&String, f64)> = model.iter().map(|(m, s)| (m, *s)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(a.0)));
    let top: Vec<String> =
        ranked[..10].iter().flat_map(|(m, s)| [format!("{m:?}"), format!("\"{s}\"")]).collect();
    check(
        &mut c,
        &["ZREVRANGE", "board:weekly", "0", "9", "WITHSCORES"],
        &format!("[{}]", top.join(", ")),
    );
    let bottom: Vec<String> =
        ranked[ranked.len() - 3..].iter().rev().map(|(m, _)| format!("{m:?}")).collect();
    check(&mut c, &["ZRANGE", "board:weekly", "0", "2"], &format!("[{}]", bottom.join(", ")));
    // Ranks and a page from the middle agree with the model too.
    let leader = ranked[0].0;
    check(&mut c, &["ZREVRANK", "board:weekly", leader], ":0");
    check(&mut c, &["ZRANK", "board:weekly", leader], ":9999");
    let (m5000, _) = ranked[5000];
    check(&mut c, &["ZREVRANK", "board:weekly", m5000], ":5000");
    let page: Vec<String> = ranked[5000..5005].iter().map(|(m, _)| format!("{m:?}")).collect();
    check(
        &mut c,
        &["ZREVRANGE", "board:weekly", "5000", "5004"],
        &format!("[{}]", page.join(", ")),
    );
    let above_500 = model.values().filter(|&&s| s > 500.0).count();
    check(&mut c, &["ZCOUNT", "board:weekly", "(500", "+inf"], &format!(":{above_500}"));
}
