//! Pub/sub, keyspace notifications and client-side caching, compared with
//! a private redis-server reply for reply (every exchange with several
//! clients is made on both servers alike), plus what only Jotter has: the
//! `stored` event, and the bound on a subscriber that does not read.

mod common;

use std::io::Write as _;

use common::differential::{Pair, read_same, same_on, tracking_matches_redis};
use common::reply::{q, read_tree};
use common::{Raw, Server, resp};

/// [`same_on`] for replies in an order Redis leaves unspecified
/// (UNSUBSCRIBE with no channel walks a hash table).
#[track_caller]
fn same_unordered_on(j: &mut Raw, r: &mut Raw, args: &[&str], n: usize) {
    j.send(&resp(args));
    r.send(&resp(args));
    read_same_unordered(j, r, n);
}

/// Reads `n` replies (or messages) from each; they must be the same,
/// in any order.
#[track_caller]
fn read_same_unordered(j: &mut Raw, r: &mut Raw, n: usize) {
    let mut mine: Vec<String> = (0..n).map(|_| read_tree(j).render()).collect();
    let mut theirs: Vec<String> = (0..n).map(|_| read_tree(r).render()).collect();
    mine.sort();
    theirs.sort();
    assert_eq!(mine, theirs);
}

/// `CLIENT INFO`'s pub/sub fields must be the same on both.
#[track_caller]
fn same_client_fields(j: &mut Raw, r: &mut Raw) {
    let fields = |c: &mut Raw| {
        let info = q(c, &["CLIENT", "INFO"]);
        let wanted = ["flags=", "sub=", "psub=", "ssub=", "redir="];
        info.trim_matches('"')
            .split(' ')
            .filter(|f| wanted.iter().any(|w| f.starts_with(w)))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let (mine, theirs) = (fields(j), fields(r));
    assert_eq!(mine.len(), 5, "{mine:?}");
    assert_eq!(mine, theirs);
}

/// A pair whose servers both publish keyspace events of `flags`, and the
/// directory holding Jotter's configuration.
fn pair_with_events(flags: &str) -> Option<(Pair, tempfile::TempDir)> {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let path = dir.path().join("jotter.toml");
    let mut file = std::fs::File::create(&path).expect("config file");
    writeln!(file, "notify-keyspace-events = \"{flags}\"").expect("write config");
    let mut pair = Pair::start(&["--config", path.to_str().expect("utf-8 path")])?;
    assert_eq!(q(&mut pair.r, &["CONFIG", "SET", "notify-keyspace-events", flags]), "+OK");
    Some((pair, dir))
}

#[test]
fn subscriber_mode_in_resp2_matches_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let (j, r) = (&mut pair.j, &mut pair.r);
    same_on(j, r, &["UNSUBSCRIBE"], 1);
    same_on(j, r, &["PUNSUBSCRIBE"], 1);
    same_on(j, r, &["SUBSCRIBE", "a", "b", "a"], 3);
    same_on(j, r, &["PSUBSCRIBE", "n*", "n?"], 2);
    same_on(j, r, &["SSUBSCRIBE", "s1"], 1);
    same_on(j, r, &["PING"], 1);
    same_on(j, r, &["PING", "hello"], 1);
    for refused in [
        &["GET", "k"][..],
        &["SET", "k", "v"],
        &["CLIENT", "ID"],
        &["PUBLISH", "a", "x"],
        &["MULTI"],
        &["PUBSUB", "NUMPAT"],
    ] {
        same_on(j, r, refused, 1);
    }
    same_on(j, r, &["SUBSCRIBE"], 1);
    same_on(j, r, &["UNSUBSCRIBE", "a", "zz"], 2);
    same_unordered_on(j, r, &["PUNSUBSCRIBE"], 2);
    same_on(j, r, &["GET", "k"], 1);
    same_unordered_on(j, r, &["UNSUBSCRIBE"], 1);
    same_on(j, r, &["GET", "k"], 1);
    same_on(j, r, &["SUNSUBSCRIBE"], 1);
    // Out of subscriber mode: every command again.
    same_on(j, r, &["PING"], 1);
    same_on(j, r, &["GET", "k"], 1);
}

#[test]
fn resp3_confirmations_and_messages_are_pushes() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.resp3();
    let (mut pj, mut pr) = pair.connect_both();
    let (j, r) = (&mut pair.j, &mut pair.r);
    let confirmed = same_on(j, r, &["SUBSCRIBE", "news"], 1);
    assert_eq!(confirmed, [r#">["subscribe", "news", :1]"#]);
    same_on(j, r, &["PSUBSCRIBE", "new*"], 1);
    same_client_fields(j, r);
    // RESP3 has no subscriber mode.
    same_on(j, r, &["GET", "k"], 1);
    same_on(j, r, &["PING"], 1);
    same_on(&mut pj, &mut pr, &["PUBLISH", "news", "hi"], 1);
    let first = read_same(j, r);
    assert_eq!(first, r#">["message", "news", "hi"]"#);
    read_same(j, r);
    // A client publishing to itself gets the message before the count.
    same_on(j, r, &["PUBLISH", "news", "self"], 3);
    same_on(j, r, &["SSUBSCRIBE", "shard"], 1);
    same_on(&mut pj, &mut pr, &["SPUBLISH", "shard", "s"], 1);
    read_same(j, r);
    same_on(j, r, &["SUNSUBSCRIBE", "shard"], 1);
    same_on(j, r, &["UNSUBSCRIBE", "news"], 1);
    same_on(j, r, &["PUNSUBSCRIBE", "new*"], 1);
}

#[test]
fn messages_and_introspection_match_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let (mut sj, mut sr) = pair.connect_both();
    let (mut tj, mut tr) = pair.connect_both();
    same_on(&mut sj, &mut sr, &["SUBSCRIBE", "orders", "news"], 2);
    same_on(&mut tj, &mut tr, &["PSUBSCRIBE", "ord*", "*s"], 2);
    same_on(&mut tj, &mut tr, &["SSUBSCRIBE", "shard"], 1);
    let (j, r) = (&mut pair.j, &mut pair.r);
    for args in [
        &["PUBSUB", "NUMSUB", "orders", "news", "none"][..],
        &["PUBSUB", "NUMSUB"],
        &["PUBSUB", "NUMPAT"],
        &["PUBSUB", "SHARDNUMSUB", "shard", "orders"],
        &["PUBSUB", "SHARDCHANNELS"],
        &["PUBSUB", "HELP"],
        &["PUBSUB", "NUMPAT", "x"],
        &["PUBSUB", "CHANNELS", "a", "b"],
        &["PUBSUB", "NOPE"],
        &["PUBLISH", "orders"],
    ] {
        same_on(j, r, args, 1);
    }
    let (jc, rc) = (q(j, &["PUBSUB", "CHANNELS"]), q(r, &["PUBSUB", "CHANNELS"]));
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.trim_matches(['[', ']']).split(", ").map(String::from).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&jc), sorted(&rc));
    same_on(j, r, &["PUBSUB", "CHANNELS", "o*"], 1);
    // Three receipts of "orders": the channel's and both patterns'.
    assert_eq!(same_on(j, r, &["PUBLISH", "orders", "o1"], 1), [":3"]);
    read_same(&mut sj, &mut sr);
    read_same_unordered(&mut tj, &mut tr, 2);
    // "news" reaches the channel and the pattern "*s".
    same_on(j, r, &["PUBLISH", "news", "n1"], 1);
    read_same(&mut sj, &mut sr);
    read_same(&mut tj, &mut tr);
    same_on(j, r, &["PUBLISH", "nobody", "x"], 1);
    same_on(j, r, &["SPUBLISH", "shard", "s1"], 1);
    read_same(&mut tj, &mut tr);
    // A connection that leaves takes its subscriptions with it; RESET too.
    drop((sj, sr));
    same_on(&mut tj, &mut tr, &["RESET"], 1);
    same_on(j, r, &["PING"], 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while q(j, &["PUBSUB", "NUMSUB", "orders"]) != r#"["orders", :0]"# {
        assert!(std::time::Instant::now() < deadline, "the subscriber never left");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    same_on(j, r, &["PUBSUB", "NUMPAT"], 1);
    same_on(j, r, &["PUBLISH", "orders", "o2"], 1);
}

#[test]
fn keyspace_events_match_redis() {
    let Some((mut pair, _dir)) = pair_with_events("KEA") else { return };
    let (mut sj, mut sr) = pair.connect_both();
    same_on(&mut sj, &mut sr, &["PSUBSCRIBE", "__key*@0__:*"], 1);
    let (j, r) = (&mut pair.j, &mut pair.r);
    // Each command, and how many events it publishes (each comes twice:
    // on the key's channel and on the event's).
    let cases: &[(&[&str], usize)] = &[
        (&["SET", "k", "v"], 1),
        (&["APPEND", "k", "w"], 1),
        (&["INCR", "n"], 1),
        (&["INCRBY", "n", "5"], 1),
        (&["EXPIRE", "k", "100"], 1),
        (&["PERSIST", "k"], 1),
        (&["RENAME", "k", "k2"], 2),
        (&["DEL", "k2", "missing"], 1),
        (&["SET", "e", "v", "EX", "100"], 2),
        (&["SETEX", "e", "100", "v"], 2),
        (&["EXPIRE", "e", "-1"], 1),
        (&["HSET", "h", "f", "v"], 1),
        (&["HINCRBY", "h", "n", "1"], 1),
        (&["LPUSH", "l", "a", "b"], 1),
        (&["RPUSH", "l", "c"], 1),
        (&["LPOP", "l"], 1),
        (&["SADD", "s", "a"], 1),
        (&["ZADD", "z", "1", "a"], 1),
        (&["ZINCRBY", "z", "1", "a"], 1),
        (&["XADD", "x", "1-1", "f", "v"], 1),
        (&["SETRANGE", "n", "0", "1"], 1),
        (&["SORT", "l", "ALPHA", "STORE", "sorted"], 1),
        (&["LMOVE", "l", "l2", "LEFT", "RIGHT"], 2),
        (&["SMOVE", "s", "s2", "a"], 3),
        (&["SADD", "s", "c", "d"], 1),
        (&["SREM", "s", "c"], 1),
        (&["SINTERSTORE", "s2", "s", "nothing"], 1),
        (&["HDEL", "h", "n"], 1),
        (&["ZREM", "z", "a"], 2),
        (&["ZADD", "z", "1", "a", "3", "c"], 1),
        (&["ZPOPMIN", "z"], 1),
        (&["GETDEL", "n"], 1),
        (&["COPY", "l2", "l3"], 1),
        (&["RPOP", "l3"], 2),
    ];
    for (args, events) in cases {
        same_on(j, r, args, 1);
        for _ in 0..events * 2 {
            read_same(&mut sj, &mut sr);
        }
    }
    // Inside EXEC, each command's events, in the queue's order.
    for args in [&["MULTI"][..], &["SET", "t", "1"], &["LPUSH", "q", "x"], &["EXEC"]] {
        same_on(j, r, args, 1);
    }
    for _ in 0..4 {
        read_same(&mut sj, &mut sr);
    }
    // A script's writes publish their commands' events, in the order it
    // ran them; its reads publish nothing.
    let script = "redis.call('SET', KEYS[1], '1') redis.call('GET', KEYS[1]) \
                  redis.call('HSET', KEYS[2], 'f', 'v') redis.call('DEL', KEYS[1])";
    same_on(j, r, &["EVAL", script, "2", "sk", "sh"], 1);
    for _ in 0..6 {
        read_same(&mut sj, &mut sr);
    }
    // A script inside EXEC publishes its writes' events in its place.
    for args in [
        &["MULTI"][..],
        &["SET", "t2", "1"],
        &["EVAL", script, "2", "mk", "mh"],
        &["LPUSH", "q", "y"],
        &["EXEC"],
    ] {
        same_on(j, r, args, 1);
    }
    for _ in 0..10 {
        read_same(&mut sj, &mut sr);
    }
    // A write that changes nothing publishes nothing: the next message is
    // the next write's.
    same_on(j, r, &["DEL", "missing"], 1);
    same_on(j, r, &["SET", "last", "v"], 1);
    let next = read_same(&mut sj, &mut sr);
    assert!(next.contains("__keyspace@0__:last"), "{next}");
    // A key nobody touches expires by the background sweep.
    let (mut ej, mut er) = pair.connect_both();
    same_on(&mut ej, &mut er, &["SUBSCRIBE", "__keyevent@0__:expired"], 1);
    same_on(&mut pair.j, &mut pair.r, &["SET", "brief", "v", "PX", "100"], 1);
    let expired = read_same(&mut ej, &mut er);
    assert_eq!(expired, r#"["message", "__keyevent@0__:expired", "brief"]"#);
}

#[test]
fn the_stored_event_follows_the_write_to_the_store() {
    let server = Server::start_with_config("notify-keyspace-events = \"Ew\"\n", &[]);
    let mut sub = server.raw();
    assert_eq!(
        q(&mut sub, &["SUBSCRIBE", "__keyevent@0__:stored"]),
        r#"["subscribe", "__keyevent@0__:stored", :1]"#
    );
    let mut c = server.raw();
    assert_eq!(q(&mut c, &["SET", "kept", "v"]), "+OK");
    assert_eq!(q(&mut c, &["JOTTER.FLUSH"]), "+OK");
    assert_eq!(read_tree(&mut sub).render(), r#"["message", "__keyevent@0__:stored", "kept"]"#);
    // Without `w`, writes publish nothing when stored; Redis's classes
    // alone do not include it.
    let server = Server::start_with_config("notify-keyspace-events = \"KEA\"\n", &[]);
    let mut sub = server.raw();
    q(&mut sub, &["PSUBSCRIBE", "*"]);
    let mut c = server.raw();
    assert_eq!(q(&mut c, &["SET", "a", "v"]), "+OK");
    assert_eq!(q(&mut c, &["JOTTER.FLUSH"]), "+OK");
    assert_eq!(q(&mut c, &["PUBLISH", "end", "x"]), ":1");
    let seen: Vec<String> = (0..3).map(|_| read_tree(&mut sub).render()).collect();
    assert!(seen.iter().all(|m| !m.contains("stored")), "{seen:?}");
    assert!(seen[2].contains("end"), "{seen:?}");
}

#[test]
fn tracking_invalidates_resp3_clients_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.resp3();
    let (mut wj, mut wr) = pair.connect_both();
    let (j, r) = (&mut pair.j, &mut pair.r);
    tracking_matches_redis(j, r, &mut wj, &mut wr);
}

#[test]
fn tracking_optin_and_bcast_match_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.resp3();
    let (mut wj, mut wr) = pair.connect_both();
    let (j, r) = (&mut pair.j, &mut pair.r);
    same_on(j, r, &["CLIENT", "TRACKING", "on", "OPTIN"], 1);
    same_on(j, r, &["GET", "untracked"], 1);
    same_on(j, r, &["CLIENT", "CACHING", "yes"], 1);
    same_on(j, r, &["CLIENT", "TRACKINGINFO"], 1);
    // CACHING holds for the one command after it.
    same_on(j, r, &["CLIENT", "CACHING", "yes"], 1);
    same_on(j, r, &["GET", "tracked"], 1);
    same_on(&mut wj, &mut wr, &["SET", "untracked", "1"], 1);
    same_on(&mut wj, &mut wr, &["SET", "tracked", "1"], 1);
    read_same(j, r);
    same_on(j, r, &["CLIENT", "TRACKING", "on", "BCAST"], 1);
    same_on(j, r, &["CLIENT", "TRACKING", "off"], 1);
    same_on(j, r, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "job:"], 1);
    same_on(j, r, &["CLIENT", "TRACKINGINFO"], 1);
    same_client_fields(j, r);
    same_on(j, r, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:1"], 1);
    same_on(&mut wj, &mut wr, &["SET", "other", "1"], 1);
    same_on(&mut wj, &mut wr, &["SET", "user:7", "1"], 1);
    read_same(j, r);
    same_on(&mut wj, &mut wr, &["HSET", "job:1", "f", "v"], 1);
    read_same(j, r);
    same_on(j, r, &["PING"], 1);
    // Written, then expired by the background sweep: told twice.
    same_on(&mut wj, &mut wr, &["SET", "user:brief", "v", "PX", "100"], 1);
    read_same(j, r);
    assert_eq!(read_same(j, r), r#">["invalidate", ["user:brief"]]"#);
}

#[test]
fn tracking_redirects_to_a_resp2_subscriber() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let (mut rj, mut rr) = pair.connect_both();
    let (mut wj, mut wr) = pair.connect_both();
    let id_of = |c: &mut Raw| q(c, &["CLIENT", "ID"]).trim_start_matches(':').to_owned();
    let (idj, idr) = (id_of(&mut rj), id_of(&mut rr));
    same_on(&mut rj, &mut rr, &["SUBSCRIBE", "__redis__:invalidate"], 1);
    assert_eq!(q(&mut pair.j, &["CLIENT", "TRACKING", "on", "REDIRECT", &idj]), "+OK");
    assert_eq!(q(&mut pair.r, &["CLIENT", "TRACKING", "on", "REDIRECT", &idr]), "+OK");
    assert_eq!(q(&mut pair.j, &["CLIENT", "GETREDIR"]), format!(":{idj}"));
    same_on(&mut pair.j, &mut pair.r, &["GET", "k"], 1);
    same_on(&mut wj, &mut wr, &["SET", "k", "v"], 1);
    let message = read_same(&mut rj, &mut rr);
    assert_eq!(message, r#"["message", "__redis__:invalidate", ["k"]]"#);
    same_on(&mut pair.j, &mut pair.r, &["GET", "k"], 1);
    same_on(&mut wj, &mut wr, &["FLUSHALL"], 1);
    read_same(&mut rj, &mut rr);
}

#[test]
fn a_subscriber_that_does_not_read_is_disconnected() {
    let server = Server::start(&[]);
    let mut sleeper = server.raw();
    assert_eq!(q(&mut sleeper, &["SUBSCRIBE", "flood"]), r#"["subscribe", "flood", :1]"#);
    let mut publisher = server.raw();
    let payload = "x".repeat(1 << 20);
    // 64 MiB queued for a client that reads nothing passes the 32 MiB
    // bound whatever the socket buffers took.
    let mut count = 0;
    for _ in 0..64 {
        let reply = q(&mut publisher, &["PUBLISH", "flood", &payload]);
        if reply == ":0" {
            break;
        }
        count += 1;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while q(&mut publisher, &["PUBSUB", "NUMSUB", "flood"]) != r#"["flood", :0]"# {
        assert!(std::time::Instant::now() < deadline, "the subscriber was never disconnected");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(count > 8, "the subscriber left after only {count} messages");
    assert!(server.log().contains("pubsub output limit"), "{}", server.log());
}

#[test]
fn notify_keyspace_events_is_set_and_read_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let (mut sj, mut sr) = pair.connect_both();
    same_on(&mut sj, &mut sr, &["SUBSCRIBE", "__keyevent@0__:set"], 1);
    let (j, r) = (&mut pair.j, &mut pair.r);
    for flags in ["KEA", "g$lshzxetdKE", "Ex", "Elm", "", "Kq", "KA$"] {
        same_on(j, r, &["CONFIG", "SET", "notify-keyspace-events", flags], 1);
        same_on(j, r, &["CONFIG", "GET", "notify-keyspace-events"], 1);
    }
    // Set at run time, it applies to the next write.
    same_on(j, r, &["CONFIG", "SET", "notify-keyspace-events", "E$"], 1);
    same_on(j, r, &["SET", "k", "v"], 1);
    assert_eq!(read_same(&mut sj, &mut sr), r#"["message", "__keyevent@0__:set", "k"]"#);
}
