//! A cluster front end authenticates its clients as a single node does:
//! the same settings (`requirepass`, `[[user]]` with command rules and key
//! and channel patterns) given to a single node and to a front end of a
//! private redis-server get the same replies, byte for byte, to the same
//! requests (NOAUTH, WRONGPASS, NOPERM, the pre-auth protocol limits, ACL
//! WHOAMI/USERS/DRYRUN/GETUSER/LIST, RESET, subscribed mode), and the
//! auth-failure throttle counts as a single node's; a write of a logged-in client reaches
//! Redis with its change record, and the client's credentials never do.
//! The front end's own credentials for Redis come from the cluster URL,
//! direct or through a Sentinel (`sentinel auth-pass`) that has a password
//! of its own (`?sentinel-password=`).

mod common;

use common::private_redis::PrivateRedis;
use common::reply::{Reply, q, read_tree};
use common::sentinel::Sentinel;
use common::{Raw, Server, resp};

/// The users both servers are given.
const USERS: &str = r#"
requirepass = "default-pw"

[[user]]
name = "app"
password = "app-pw"
rules = "on ~app:* &news +@all -@dangerous"
"#;

/// A front end of a new private Redis with `config`, logged in to Redis
/// with `url_auth` (`user:password@` or empty); `None` after a loud skip
/// when redis-server cannot run.
fn front_end(config: &str, redis_args: &[&str], url_auth: &str) -> Option<(PrivateRedis, Server)> {
    let redis = PrivateRedis::start_with(redis_args)?;
    let url = format!("redis://{url_auth}{}", redis.addr);
    let front = Server::start_with_config(config, &["--cluster", &url, "--cluster-shards", "4"]);
    Some((redis, front))
}

/// Sends each request to both connections and asserts the same reply.
#[track_caller]
fn same(single: &mut Raw, front: &mut Raw, requests: &[&[&str]]) {
    for args in requests {
        single.send(&resp(args));
        front.send(&resp(args));
        let (expected, got) = (read_tree(single).render(), read_tree(front).render());
        assert_eq!(got, expected, "{args:?}");
    }
}

/// What a front end of `url` that cannot start says.
fn failed_start(url: &str) -> String {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let out = common::command(dir.path(), &["--cluster", url]).output().expect("run jotter");
    assert!(!out.status.success(), "a front end of {url} started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every change record in the four shard streams, as `key` fields.
fn recorded_keys(redis: &mut Raw) -> Vec<String> {
    let mut keys = Vec::new();
    for shard in 0..4 {
        let reply = q(redis, &["XRANGE", &format!("{{jotter}}:s:{shard}"), "-", "+"]);
        keys.extend(
            reply
                .split("\"k\", ")
                .skip(1)
                .filter_map(|rest| rest.split(',').next())
                .map(|key| key.trim_matches('"').to_owned()),
        );
    }
    keys.sort();
    keys
}

#[test]
fn a_front_end_answers_authentication_and_permissions_as_a_single_node() {
    let Some((redis, front)) = front_end(USERS, &[], "") else { return };
    let single = Server::start_with_config(USERS, &[]);
    let (mut s, mut f) = (single.raw(), front.raw());
    same(
        &mut s,
        &mut f,
        &[
            &["GET", "app:k"],
            &["SET", "app:k"],
            &["PING"],
            &["HELLO", "3"],
            &["HELLO", "3", "AUTH", "app", "wrong"],
            &["AUTH", "wrong"],
            &["AUTH", "app", "wrong"],
            &["AUTH", "nobody", "app-pw"],
            &["AUTH", "a", "b", "c"],
            &["ACL", "WHOAMI"],
            &["AUTH", "app", "app-pw"],
            &["ACL", "WHOAMI"],
            &["SET", "app:k", "v"],
            &["GET", "app:k"],
            &["GET", "other"],
            &["MSET", "app:a", "1", "other", "2"],
            &["FLUSHALL"],
            &["KEYS", "*"],
            &["CLIENT", "KILL", "ID", "1"],
            &["PUBLISH", "news", "x"],
            &["PUBLISH", "weather", "x"],
            &["SUBSCRIBE", "weather"],
            &["MULTI"],
            &["SET", "app:m", "1"],
            &["SET", "other", "1"],
            &["EXEC"],
            &["GET", "app:m"],
            &["ACL", "USERS"],
            &["ACL", "WHOAMI", "extra"],
            // In subscribed mode too, channels outside the user's patterns.
            &["SUBSCRIBE", "news"],
            &["SUBSCRIBE", "weather"],
            &["PSUBSCRIBE", "news*"],
            &["PING"],
            &["RESET"],
            &["GET", "app:k"],
            &["AUTH", "default-pw"],
            &["ACL", "WHOAMI"],
            &["ACL", "USERS"],
            &["ACL", "DRYRUN", "app", "GET", "other"],
            &["ACL", "DRYRUN", "app", "FLUSHDB"],
            &["ACL", "DRYRUN", "app", "GET", "app:x"],
            &["ACL", "GETUSER", "app"],
            &["ACL", "LIST"],
            &["ACL", "NOSUCH"],
            &["DEL", "app:k"],
        ],
    );
    // What the front end serves of ACL is what only reads.
    let refused = q(&mut f, &["ACL", "SETUSER", "x", "on"]);
    assert!(
        refused.starts_with("-ERR ACL SETUSER is not served by a cluster front end"),
        "{refused}"
    );
    // The refusals are in the front end's own ACL LOG.
    let log = q(&mut f, &["ACL", "LOG"]);
    for reason in ["\"auth\"", "\"key\"", "\"command\"", "\"channel\""] {
        assert!(log.contains(reason), "{reason} in {log}");
    }
    assert!(log.contains("\"username\", \"app\"") || log.contains("\"app\""), "{log}");
    // Failed attempts count on the admin port, as a single node's.
    let (_, metrics) = front.http_get("/metrics");
    assert!(metrics.contains("jotter_auth_failures_total 4"), "{metrics}");
    // The writes reached Redis, each with its record; the refused ones did not.
    let mut r = Raw::connect(redis.addr);
    assert_eq!(q(&mut r, &["EXISTS", "other", "app:a", "app:m"]), ":0");
    assert_eq!(recorded_keys(&mut r), ["app:k", "app:k"]);
}

#[test]
fn before_auth_a_front_end_takes_only_small_requests() {
    let Some((_redis, front)) = front_end(USERS, &[], "") else { return };
    let single = Server::start_with_config(USERS, &[]);
    // More than 10 arguments before AUTH: Redis's protocol error, and the
    // connection closes.
    let many: Vec<&str> = std::iter::once("MSET").chain(std::iter::repeat_n("x", 12)).collect();
    let mut replies = Vec::new();
    for server in [&single, &front] {
        let mut c = server.raw();
        c.send(&resp(&many));
        replies.push(c.read_to_close());
    }
    assert!(replies[0].starts_with(b"-ERR Protocol error"), "{:?}", replies[0]);
    assert_eq!(String::from_utf8_lossy(&replies[1]), String::from_utf8_lossy(&replies[0]));
    // After AUTH the same request is taken.
    let mut c = front.raw();
    c.roundtrip(&resp(&["AUTH", "default-pw"]), b"+OK\r\n");
    c.send(&resp(&many));
    assert_eq!(read_tree(&mut c).render(), "+OK");
}

#[test]
fn a_front_end_throttles_an_address_that_keeps_failing() {
    let Some((_redis, front)) = front_end(USERS, &[], "") else { return };
    let mut c = front.raw();
    // The single node's throttle: the failures past the first five wait.
    for _ in 0..7 {
        assert!(q(&mut c, &["AUTH", "app", "guess"]).starts_with("-WRONGPASS"));
    }
    let (_, metrics) = front.http_get("/metrics");
    assert!(metrics.contains("jotter_auth_failures_total 7"), "{metrics}");
    assert!(metrics.contains("jotter_auth_throttled_total 2"), "{metrics}");
    // The right password still logs in.
    assert_eq!(q(&mut c, &["AUTH", "app", "app-pw"]), "+OK");
}

#[test]
fn hello_3_auth_logs_in_and_switches_to_resp3() {
    let Some((_redis, front)) = front_end(USERS, &[], "") else { return };
    let mut c = front.raw();
    c.send(&resp(&["HELLO", "3", "AUTH", "app", "app-pw", "SETNAME", "worker-1"]));
    let Reply::Map(fields) = read_tree(&mut c) else { panic!("HELLO 3 answers a map") };
    let proto = fields.iter().find(|(k, _)| k.render() == "\"proto\"").map(|(_, v)| v.render());
    assert_eq!(proto.as_deref(), Some(":3"));
    assert_eq!(q(&mut c, &["ACL", "WHOAMI"]), "\"app\"");
    assert_eq!(q(&mut c, &["CLIENT", "GETNAME"]), "\"worker-1\"");
    assert_eq!(q(&mut c, &["HSET", "app:h", "f", "v"]), ":1");
    assert_eq!(q(&mut c, &["HGETALL", "app:h"]), "{\"f\": \"v\"}");
    assert!(q(&mut c, &["HGETALL", "h"]).starts_with("-NOPERM"));
}

#[test]
fn a_front_end_logs_in_to_a_password_protected_redis_with_the_url_s_credentials() {
    // The front end's clients log in as the front end's users; Redis knows
    // only the front end's own password, so a client's AUTH never reaches it.
    let redis_args = ["--requirepass", "redis-pw"];
    let Some((redis, front)) = front_end(USERS, &redis_args, ":redis-pw@") else { return };
    let mut c = front.raw();
    assert_eq!(q(&mut c, &["AUTH", "app", "app-pw"]), "+OK");
    assert_eq!(q(&mut c, &["SET", "app:k", "v"]), "+OK");
    // RESET logs the client out of the front end, not the front end out of
    // Redis, in subscribed mode too.
    assert_eq!(q(&mut c, &["RESET"]), "+RESET");
    assert_eq!(q(&mut c, &["GET", "app:k"]), "-NOAUTH Authentication required.");
    assert_eq!(q(&mut c, &["AUTH", "default-pw"]), "+OK");
    assert_eq!(q(&mut c, &["GET", "app:k"]), "\"v\"");
    // A pipeline's replies keep their order up to RESET's.
    c.send(&[resp(&["SUBSCRIBE", "news"]), resp(&["PING"]), resp(&["RESET"])].concat());
    for reply in ["[\"subscribe\", \"news\", :1]", "[\"pong\", \"\"]", "+RESET"] {
        assert_eq!(read_tree(&mut c).render(), reply);
    }
    assert_eq!(q(&mut c, &["AUTH", "app", "app-pw"]), "+OK");
    assert_eq!(q(&mut c, &["GET", "app:k"]), "\"v\"");
    let mut r = Raw::connect(redis.addr);
    assert_eq!(q(&mut r, &["GET", "app:k"]), "-NOAUTH Authentication required.");
    assert_eq!(q(&mut r, &["AUTH", "redis-pw"]), "+OK");
    assert_eq!(q(&mut r, &["GET", "app:k"]), "\"v\"");
    assert_eq!(recorded_keys(&mut r), ["app:k"]);
    // A front end with the wrong password says so at start.
    let said = failed_start(&format!("redis://:wrong@{}", redis.addr));
    assert!(said.contains("authentication failed") && said.contains("USER:PASSWORD"), "{said}");
}

#[test]
fn a_front_end_finds_a_password_protected_primary_through_a_password_protected_sentinel() {
    let Some(redis) = PrivateRedis::start_with(&["--requirepass", "redis-pw"]) else { return };
    let conf = "sentinel auth-pass mymaster redis-pw\nrequirepass sentinel-pw\n";
    let sentinel = Sentinel::start_with(redis.addr, conf);
    let url = sentinel.url().replace("redis-sentinel://", "redis-sentinel://:redis-pw@");
    // Without the Sentinel's password the front end says what is missing.
    let said = failed_start(&url);
    assert!(said.contains(&sentinel.addr.to_string()) && said.contains("NOAUTH"), "{said}");
    let url = format!("{url}?sentinel-password=sentinel-pw");
    let front = Server::start_with_config(USERS, &["--cluster", &url, "--cluster-shards", "4"]);
    let mut c = front.raw();
    assert_eq!(q(&mut c, &["GET", "app:k"]), "-NOAUTH Authentication required.");
    assert_eq!(q(&mut c, &["AUTH", "app", "app-pw"]), "+OK");
    assert_eq!(q(&mut c, &["SET", "app:k", "v"]), "+OK");
    let mut r = Raw::connect(redis.addr);
    assert_eq!(q(&mut r, &["AUTH", "redis-pw"]), "+OK");
    assert_eq!(recorded_keys(&mut r), ["app:k"]);
}
