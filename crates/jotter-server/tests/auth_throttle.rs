//! Password guessing is throttled per client address: after a few failed
//! AUTHs, each further attempt from the address waits (a growing delay),
//! while clients from other addresses are not held up; INFO and `/metrics`
//! count the failures and the waits.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::reply::info;
use common::{Raw, Server, resp};

const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";

/// Failures that cost nothing; kept equal to the server's `FREE_FAILURES`.
const FREE_FAILURES: usize = 5;

/// A client connecting from `source` (any address of 127.0.0.0/8 is local).
async fn connect_from(source: [u8; 4], server: &Server) -> Raw {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    let stream = socket.connect(server.resp).await.unwrap().into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    Raw { stream }
}

#[tokio::test]
async fn failed_auths_make_further_attempts_from_that_address_wait() {
    let server = Server::start(&["--requirepass", "right"]);
    let mut guesser = connect_from([127, 0, 0, 1], &server).await;
    let wrong = resp(&["AUTH", "wrong"]);
    for _ in 0..FREE_FAILURES {
        guesser.roundtrip(&wrong, WRONGPASS);
    }
    let mut admin = connect_from([127, 0, 0, 3], &server).await;
    admin.roundtrip(&resp(&["AUTH", "right"]), b"+OK\r\n");
    assert_eq!(info(&mut admin, "stats", "auth_failures"), FREE_FAILURES as u64);
    assert_eq!(info(&mut admin, "stats", "auth_throttled"), 0);

    // Three more guesses through a pipeline: they wait 100, 200 and 400 ms
    // (generously: the three together take more than half a second).
    let started = Instant::now();
    guesser.send(&[wrong.clone(), wrong.clone(), wrong.clone()].concat());
    for _ in 0..3 {
        guesser.expect(WRONGPASS);
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(500), "three throttled guesses took {took:?}");
    assert_eq!(info(&mut admin, "stats", "auth_failures"), FREE_FAILURES as u64 + 3);
    assert_eq!(info(&mut admin, "stats", "auth_throttled"), 3);

    // The right password from the guessing address waits too (each guess
    // costs the delay, right or wrong) ...
    guesser.send(&resp(&["AUTH", "right"]));
    // ... while a client from another address is answered at once: its
    // whole exchange ends before the guesser's reply arrives.
    let mut other = connect_from([127, 0, 0, 2], &server).await;
    other.roundtrip(&resp(&["AUTH", "right"]), b"+OK\r\n");
    other.roundtrip(&resp(&["PING"]), b"+PONG\r\n");
    guesser.stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let early = guesser.stream.read(&mut byte);
    assert!(
        matches!(&early, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the guesser's AUTH was answered before the other client's: {early:?}"
    );
    guesser.stream.set_nonblocking(false).unwrap();
    guesser.expect(b"+OK\r\n");

    let (status, metrics) = server.http_get("/metrics");
    assert_eq!(status, 200);
    for line in ["jotter_auth_failures_total 8", "jotter_auth_throttled_total 4"] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
}
