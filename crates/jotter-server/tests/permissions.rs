//! Command permissions of users (`commands` on `[[user]]`, Redis ACL
//! rules): an application's credentials cannot run the destructive
//! commands, an admin's can, rules apply left to right, a bad rule stops
//! the start, and the refusals (inside `MULTI` too) are Redis 7.0's, byte
//! for byte, checked against a real redis-server on 127.0.0.1:6379.

mod common;

use std::net::{SocketAddr, TcpStream};

use common::{Raw, Server, resp};

const USERS: &str = r#"
[[user]]
name = "app"
password = "app-pw"
commands = "+@all -@dangerous"

[[user]]
name = "admin"
password = "admin-pw"

[[user]]
name = "reader"
password = "reader-pw"
commands = "-@all +get"
"#;

fn noperm(name: &str) -> String {
    format!("-NOPERM this user has no permissions to run the '{name}' command\r\n")
}

/// A connection logged in as `user`.
fn login(addr: SocketAddr, user: &str, password: &str) -> Raw {
    let mut raw = Raw::connect(addr);
    raw.roundtrip(&resp(&["AUTH", user, password]), b"+OK\r\n");
    raw
}

#[test]
fn an_application_user_cannot_run_dangerous_commands_and_an_admin_can() {
    let server = Server::start_with_config(USERS, &[]);
    let mut app = login(server.resp, "app", "app-pw");
    app.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    app.roundtrip(&resp(&["GET", "k"]), b"$1\r\nv\r\n");
    app.roundtrip(&resp(&["FLUSHALL"]), noperm("flushall").as_bytes());
    app.roundtrip(&resp(&["flushdb", "ASYNC"]), noperm("flushdb").as_bytes());
    app.roundtrip(&resp(&["KEYS", "*"]), noperm("keys").as_bytes());
    app.roundtrip(&resp(&["CLIENT", "KILL", "ID", "1"]), noperm("client|kill").as_bytes());
    // A subcommand that is not dangerous stays allowed.
    app.roundtrip(&resp(&["CLIENT", "SETNAME", "app"]), b"+OK\r\n");
    // JOTTER.THROUGH runs its command through the same check.
    app.roundtrip(&resp(&["JOTTER.THROUGH", "FLUSHALL"]), noperm("flushall").as_bytes());
    // The dead-letter queue: the application may look and replay, not purge.
    app.roundtrip(&resp(&["JOTTER.DEADLETTERS", "COUNT"]), b":0\r\n");
    app.roundtrip(&resp(&["JOTTER.DEADLETTERS", "REPLAY", "ALL"]), b":0\r\n");
    app.roundtrip(
        &resp(&["JOTTER.DEADLETTERS", "purge", "ALL"]),
        noperm("jotter.deadletters|purge").as_bytes(),
    );
    // Nothing was flushed.
    app.roundtrip(&resp(&["GET", "k"]), b"$1\r\nv\r\n");

    let mut admin = login(server.resp, "admin", "admin-pw");
    admin.roundtrip(&resp(&["FLUSHALL"]), b"+OK\r\n");
    admin.roundtrip(&resp(&["JOTTER.DEADLETTERS", "PURGE", "ALL"]), b":0\r\n");
    app.roundtrip(&resp(&["GET", "k"]), b"$-1\r\n");

    // RESET goes back to the default user, who may not log in here (users
    // are configured without requirepass) and AUTH again as another.
    app.roundtrip(&resp(&["RESET"]), b"+RESET\r\n");
    app.roundtrip(&resp(&["AUTH", "admin", "admin-pw"]), b"+OK\r\n");
    app.roundtrip(&resp(&["FLUSHDB"]), b"+OK\r\n");
}

#[test]
fn rules_apply_left_to_right() {
    let server = Server::start_with_config(USERS, &[]);
    let mut reader = login(server.resp, "reader", "reader-pw");
    reader.roundtrip(&resp(&["GET", "k"]), b"$-1\r\n");
    reader.roundtrip(&resp(&["SET", "k", "v"]), noperm("set").as_bytes());
    reader.roundtrip(&resp(&["PING"]), noperm("ping").as_bytes());
    // The commands that run before authentication are never refused.
    reader.roundtrip(&resp(&["AUTH", "reader", "reader-pw"]), b"+OK\r\n");
}

#[test]
fn a_refusal_inside_multi_fails_the_transaction() {
    let server = Server::start_with_config(USERS, &[]);
    let mut app = login(server.resp, "app", "app-pw");
    app.roundtrip(&resp(&["MULTI"]), b"+OK\r\n");
    app.roundtrip(&resp(&["SET", "k", "v"]), b"+QUEUED\r\n");
    app.roundtrip(&resp(&["FLUSHALL"]), noperm("flushall").as_bytes());
    app.roundtrip(
        &resp(&["EXEC"]),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    app.roundtrip(&resp(&["GET", "k"]), b"$-1\r\n");
}

#[test]
fn a_bad_rule_stops_the_start_naming_the_user_and_the_rule() {
    let bad = USERS.replace("+@all -@dangerous", "+@all -@dangerus");
    let err = common::refused_settings(&bad);
    for words in ["user.commands", "user \"app\"", "rule '-@dangerus'", "@dangerous"] {
        assert!(err.contains(words), "{words:?} is not in {err}");
    }
}

/// A throwaway user on the real redis-server, deleted when dropped.
struct RedisUser {
    addr: SocketAddr,
    name: String,
}

impl RedisUser {
    /// `None` (after saying so loudly) when no Redis answers on 6379,
    /// unless JOTTER_REQUIRE_SERVICES=1.
    fn create(rules: &[&str]) -> Option<RedisUser> {
        let addr: SocketAddr = "127.0.0.1:6379".parse().unwrap();
        if let Err(e) = TcpStream::connect(addr) {
            if std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("Redis at {addr} is required (JOTTER_REQUIRE_SERVICES=1): {e}");
            }
            eprintln!("\n!!!!! SKIPPED: Redis at {addr} is unreachable ({e}) !!!!!\n");
            return None;
        }
        let name = format!("jotter_permissions_test_{}", std::process::id());
        let mut args = vec!["ACL", "SETUSER", &name, "reset", "on", ">pw", "~*"];
        args.extend_from_slice(rules);
        Raw::connect(addr).roundtrip(&resp(&args), b"+OK\r\n");
        Some(RedisUser { addr, name })
    }
}

impl Drop for RedisUser {
    fn drop(&mut self) {
        Raw::connect(self.addr).roundtrip(&resp(&["ACL", "DELUSER", &self.name]), b":1\r\n");
    }
}

/// A user of ours, its rules (as on the Redis user) and the requests sent.
type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a [&'a str]]);

/// Each request's one-line reply.
fn replies(raw: &mut Raw, requests: &[&[&str]]) -> Vec<String> {
    requests
        .iter()
        .map(|args| {
            raw.send(&resp(args));
            raw.read_line()
        })
        .collect()
}

#[test]
fn refusals_are_redis_s_byte_for_byte() {
    let missing = "jotter:permissions:test:missing";
    // Only reads and refused commands: the real server's data is untouched.
    let cases: [Case; 2] = [
        (
            "app",
            &["+@all", "-@dangerous"],
            &[
                &["GET", missing],
                &["FLUSHALL"],
                &["FLUSHDB"],
                &["KEYS", "*"],
                &["CLIENT", "KILL", "ID", "999999"],
                &["MULTI"],
                &["GET", missing],
                &["FLUSHALL"],
                &["EXEC"],
            ],
        ),
        (
            "reader",
            &["-@all", "+get"],
            &[&["GET", missing], &["PING"], &["MULTI"], &["EXEC"], &["client", "id"]],
        ),
    ];
    let server = Server::start_with_config(USERS, &[]);
    for (user, rules, requests) in cases {
        let Some(redis_user) = RedisUser::create(rules) else { return };
        let mut redis = login(redis_user.addr, &redis_user.name, "pw");
        let mut ours = login(server.resp, user, &format!("{user}-pw"));
        let want = replies(&mut redis, requests);
        assert!(want.iter().any(|r| r.starts_with("-NOPERM")), "{want:?}");
        assert_eq!(replies(&mut ours, requests), want, "{user}: {rules:?}");
    }
}
