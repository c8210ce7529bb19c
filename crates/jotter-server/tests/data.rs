//! Data through the server end to end: the minimal string commands, the
//! write-behind barrier into SQLite, and the orderly stop that drains.

mod common;

use std::time::Duration;

use common::sqlite::stored_string;
use common::{Server, resp};

fn stored(server: &Server, key: &str) -> Option<Vec<u8>> {
    stored_string(server, key).map(|(value, _)| value)
}

#[tokio::test]
async fn set_get_incr_del_round_trip() {
    let server = Server::start(&[]);
    let mut con = server.client().await;
    let () = redis::cmd("SET").arg("greeting").arg("hello").query_async(&mut con).await.unwrap();
    let got: Option<String> =
        redis::cmd("GET").arg("greeting").query_async(&mut con).await.unwrap();
    assert_eq!(got.as_deref(), Some("hello"));
    let n: i64 = redis::cmd("INCR").arg("counter").query_async(&mut con).await.unwrap();
    assert_eq!(n, 1);
    let n: i64 = redis::cmd("INCR").arg("counter").query_async(&mut con).await.unwrap();
    assert_eq!(n, 2);
    let err = redis::cmd("INCR").arg("greeting").query_async::<i64>(&mut con).await.unwrap_err();
    assert!(err.to_string().contains("value is not an integer or out of range"), "{err}");
    let deleted: i64 = redis::cmd("DEL")
        .arg("greeting")
        .arg("counter")
        .arg("absent")
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    let got: Option<String> =
        redis::cmd("GET").arg("greeting").query_async(&mut con).await.unwrap();
    assert_eq!(got, None);
}

#[test]
fn jotter_flush_puts_writes_in_the_sqlite_file() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    c.roundtrip(&resp(&["SET", "user:1", "ada"]), b"+OK\r\n");
    c.roundtrip(&resp(&["INCR", "visits"]), b":1\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "5000"]), b"+OK\r\n");
    assert_eq!(stored(&server, "user:1").as_deref(), Some(&b"ada"[..]));
    assert_eq!(stored(&server, "visits").as_deref(), Some(&b"1"[..]));
    c.send(&resp(&["JOTTER.STATUS"]));
    assert_eq!(c.read_line(), "*28\r\n"); // a map of 14 in RESP2
}

#[test]
fn sigterm_drains_pending_writes_and_exits_zero() {
    // A flush interval far beyond the test: only the stop can drain.
    let mut server = Server::start(&["--flush-interval", "1h", "--batch-size", "100000"]);
    let mut c = server.raw();
    c.roundtrip(&resp(&["SET", "drained", "yes"]), b"+OK\r\n");
    assert_eq!(stored(&server, "drained"), None);
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(20));
    assert!(status.success(), "exit {status:?}; log:\n{}", server.log());
    assert_eq!(c.read_to_close(), b"", "the client is closed");
    assert_eq!(stored(&server, "drained").as_deref(), Some(&b"yes"[..]));
}

/// Commands that write but are not data commands (FLUSHDB, JOTTER.THROUGH)
/// would run after the transaction's data commands, out of their place:
/// inside MULTI they are refused, and the transaction with them.
#[test]
fn writes_that_cannot_keep_their_place_are_refused_inside_multi() {
    let (_server, mut c) = Server::start_raw();
    c.roundtrip(&resp(&["MULTI"]), b"+OK\r\n");
    c.roundtrip(&resp(&["FLUSHDB"]), b"-ERR 'flushdb' cannot run inside MULTI\r\n");
    c.roundtrip(&resp(&["SET", "k", "v"]), b"+QUEUED\r\n");
    c.roundtrip(
        &resp(&["EXEC"]),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    c.roundtrip(&resp(&["MULTI"]), b"+OK\r\n");
    // A nested MULTI is an error that leaves the transaction standing, as
    // in Redis 7.0.
    c.roundtrip(&resp(&["MULTI"]), b"-ERR MULTI calls can not be nested\r\n");
    c.roundtrip(&resp(&["EXEC"]), b"*0\r\n");
    c.roundtrip(&resp(&["GET", "k"]), b"$-1\r\n");
}
