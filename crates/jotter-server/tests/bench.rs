//! `jotter bench`, run as the real binary against a real server for about a
//! second a run: every request gets its reply, the server accepts every
//! write the bench sent (INFO writebehind agrees with the bench's own
//! count), no workload's command is refused, and `--report` writes
//! REPORT.md and its plots. Beside a redis-server (skipped loudly when it
//! is not installed) the bench runs both in turn and reads store figures of
//! Jotter only. No time is asserted: the numbers are whatever this machine
//! gives.

mod common;

use std::process::{Command, Output};

use common::reply::info;
use common::{Raw, Server};

fn bench(server: &Server, extra: &[&str]) -> Output {
    let target = format!("jotter={}", server.resp);
    let output = Command::new(env!("CARGO_BIN_EXE_jotter"))
        .args(["bench", "--target", &target, "--duration", "1s", "-c", "4"])
        .args(extra)
        .env_remove("REDISCLI_AUTH")
        .output()
        .expect("run jotter bench");
    assert!(
        output.status.success(),
        "jotter bench failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

/// The numbers of the stdout row that starts with `name` (a target's name
/// and address, then its figures).
fn row(stdout: &str, name: &str) -> Vec<u64> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no row for {name} in\n{stdout}"));
    line.split_whitespace().skip(2).map(|w| w.parse::<f64>().unwrap_or(f64::NAN) as u64).collect()
}

#[test]
fn counters_write_behind_and_through_every_write_accepted() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(server.resp);
    let accepted_before = info(&mut raw, "writebehind", "writes_accepted");
    let report = tempfile::TempDir::new().expect("temp dir");
    let dir = report.path().join("report");
    let output = bench(
        &server,
        &[
            "--workload",
            "counters",
            "-P",
            "4",
            "--through",
            "--report",
            dir.to_str().expect("utf-8 path"),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);

    // target req/s p50 p99 p99.9 max requests replies errors
    let mut writes_sent = 0;
    for name in ["jotter", "jotter-through"] {
        let results = row(&stdout, name);
        let (requests, replies, errors) = (results[5], results[6], results[7]);
        assert!(requests > 0, "{stdout}");
        assert_eq!(requests, replies, "{name}: every request gets its reply\n{stdout}");
        assert_eq!(errors, 0, "{stdout}");
        // The store table, the last one: round, writes sent, accepted.
        let store_line = stdout
            .lines()
            .rfind(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no store row for {name}\n{stdout}"));
        let store: Vec<u64> =
            store_line.split_whitespace().skip(3).take(2).map(|w| w.parse().unwrap()).collect();
        assert_eq!(store[0], requests, "counters only write\n{stdout}");
        assert!(store[1] >= store[0], "accepted {} < sent {}\n{stdout}", store[1], store[0]);
        writes_sent += store[0];
    }
    let accepted = info(&mut raw, "writebehind", "writes_accepted") - accepted_before;
    assert!(accepted >= writes_sent, "INFO says {accepted} accepted, the bench sent {writes_sent}");

    let md = std::fs::read_to_string(dir.join("REPORT.md")).expect("REPORT.md");
    for part in ["jotter bench", "--workload counters", "| jotter-through ", "p99.9", "coalescing"]
    {
        assert!(md.contains(part), "no {part:?} in REPORT.md:\n{md}");
    }
    for plot in ["throughput.svg", "latency.svg"] {
        let svg = std::fs::read_to_string(dir.join(plot)).expect(plot);
        assert!(svg.starts_with("<svg") && svg.contains("<polyline"), "{plot}: {svg}");
    }
}

#[test]
fn every_workload_runs_without_error_replies() {
    let server = Server::start(&[]);
    for workload in ["sessions", "leaderboard", "events"] {
        let output = bench(&server, &["--workload", workload, "--read-ratio", "0.5"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let results = row(&stdout, "jotter");
        assert!(results[5] > 0, "{workload}: {stdout}");
        assert_eq!(results[5], results[6], "{workload}: {stdout}");
        assert_eq!(results[7], 0, "{workload}: error replies\n{stdout}");
    }
}

#[test]
fn a_fixed_rate_is_offered_on_schedule() {
    let server = Server::start(&[]);
    // 200 requests a second for a second: about 200 sent, never many more.
    let output = bench(&server, &["--rate", "200"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let results = row(&stdout, "jotter");
    assert!(results[5] > 0 && results[5] <= 210, "{stdout}");
    assert_eq!(results[5], results[6], "{stdout}");
}

/// A redis-server on a free port, stopped when dropped; `None` (said
/// loudly) when it is not installed, unless JOTTER_REQUIRE_SERVICES=1.
struct RedisServer(std::process::Child, u16);

impl RedisServer {
    fn start() -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!("redis-server is required (JOTTER_REQUIRE_SERVICES=1): {e}")
            }
            Err(e) => {
                eprintln!(
                    "SKIPPED: redis-server cannot be started ({e}); apt-get install redis-server"
                );
                return None;
            }
        };
        let server = RedisServer(child, port);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("redis-server did not listen on {port}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn redis_server_and_jotter_side_by_side() {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(&[]);
    let redis_target = format!("redis=127.0.0.1:{}", redis.1);
    let output = bench(&server, &["--target", &redis_target, "--rounds", "2"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let results = row(&stdout, "redis");
    assert!(results[5] > 0, "{stdout}");
    assert_eq!(results[5], results[6], "{stdout}");
    assert_eq!(results[7], 0, "{stdout}");
    // One ratio row (redis against jotter), and store rows for Jotter only.
    let ratio = stdout.lines().filter(|l| l.starts_with("redis ") && l.contains("jotter ")).count();
    assert_eq!(ratio, 1, "{stdout}");
    let store_rows = stdout.lines().filter(|l| l.starts_with("jotter ")).count();
    assert_eq!(store_rows, 1 + 2, "a results row and one store row a round\n{stdout}");
}
