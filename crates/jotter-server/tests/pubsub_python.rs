//! End to end with a real client library: redis-py consumes pub/sub
//! messages (`pubsub.get_message`) and keeps a client-side cache that a
//! write from another client invalidates, in RESP3 and through a RESP2
//! redirect (`tests/python/pubsub_e2e.py`). Without python3 or redis-py the
//! test skips loudly, and fails under `JOTTER_REQUIRE_SERVICES=1`.

mod common;

use std::process::Command;

use common::Server;

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
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/pubsub_e2e.py");
    let ran = Command::new("python3")
        .arg(script)
        .arg(server.resp.ip().to_string())
        .arg(server.resp.port().to_string())
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
