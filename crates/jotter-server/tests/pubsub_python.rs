//! End to end with a real client library: redis-py consumes pub/sub
//! messages (`pubsub.get_message`) and keeps a client-side cache that a
//! write from another client invalidates, in RESP3 and through a RESP2
//! redirect (`tests/python/pubsub_e2e.py`), against a single node and
//! against a cluster front end (a private redis-server behind it). Without
//! python3 or redis-py the tests skip loudly, and fail under
//! `JOTTER_REQUIRE_SERVICES=1`.

mod common;

use std::net::SocketAddr;
use std::process::Command;

use common::Server;
use common::cluster::front_end;
use common::private_redis::PrivateRedis;

/// What the script exits with when redis-py is missing.
const NO_REDIS_PY: i32 = 3;

fn skip(why: &str) {
    if std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{why} (JOTTER_REQUIRE_SERVICES=1)");
    }
    eprintln!("\n!!!!! SKIPPED: {why} !!!!!\n");
}

#[test]
fn redis_py_consumes_messages_and_keeps_a_tracked_cache() {
    let server = Server::start(&[]);
    run_script(server.resp);
}

#[test]
fn redis_py_keeps_a_tracked_cache_through_a_cluster_front_end() {
    let Some(redis) = PrivateRedis::start() else { return };
    let front = front_end(&redis, 4, &[]);
    run_script(front.resp);
}

/// Runs the redis-py script against `addr`; it must print `ok`.
fn run_script(addr: SocketAddr) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/pubsub_e2e.py");
    let ran = Command::new("python3")
        .arg(script)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .output();
    let output = match ran {
        Ok(output) => output,
        Err(e) => return skip(&format!("python3 cannot be run ({e})")),
    };
    if output.status.code() == Some(NO_REDIS_PY) {
        return skip("redis-py is not installed (pip install redis)");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the redis-py script failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "ok");
}
