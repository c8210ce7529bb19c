//! `jotter bench`, run as the real binary for a fraction of a second a run,
//! its results read from `--json`: every request gets its reply, the server
//! accepts every write the bench sent (INFO writebehind agrees with the
//! bench's own count), no workload's command is refused, and `--report`
//! writes REPORT.md and its plots. With `--start` the bench starts its own
//! servers at each fsync level, runs every redis-benchmark-style workload at
//! each pipeline depth against both (skipped loudly when redis-server is not
//! installed, unless JOTTER_REQUIRE_SERVICES=1), says what to do when
//! redis-server is missing, and stops what it started when interrupted. No
//! time is asserted: the numbers are whatever this machine gives.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::reply::info;
use common::{Raw, Server};
use serde_json::Value;

fn jotter_bench(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jotter"));
    command.arg("bench").args(args).env_remove("REDISCLI_AUTH");
    command
}

/// Runs the bench to success and returns its JSON document.
fn bench_json(args: &[&str]) -> Value {
    let output = jotter_bench(args).arg("--json").output().expect("run jotter bench");
    assert!(
        output.status.success(),
        "jotter bench failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", String::from_utf8_lossy(&output.stdout)))
}

/// A bench of one second a run, four clients, against `server`.
fn bench(server: &Server, extra: &[&str]) -> Value {
    let target = format!("jotter={}", server.resp);
    let mut args = vec!["--target", &target, "--duration", "1s", "-c", "4"];
    args.extend_from_slice(extra);
    bench_json(&args)
}

/// The targets of the one cell of a bench.
fn only_cell(doc: &Value) -> &Vec<Value> {
    let cells = doc["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 1, "{doc:#}");
    cells[0]["targets"].as_array().expect("targets")
}

fn field(v: &Value, name: &str) -> u64 {
    v[name].as_u64().unwrap_or_else(|| panic!("no {name} in {v:#}"))
}

/// Every request answered, none refused.
fn assert_clean(target: &Value, what: &str) {
    let requests = field(target, "requests");
    assert!(requests > 0, "{what}: {target:#}");
    assert_eq!(requests, field(target, "replies"), "{what}: every request answered\n{target:#}");
    assert_eq!(field(target, "errors"), 0, "{what}: error replies\n{target:#}");
    assert!(target["throughput"].as_f64().expect("throughput") > 0.0, "{what}: {target:#}");
}

#[test]
fn counters_write_behind_and_through_every_write_accepted() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(server.resp);
    let accepted_before = info(&mut raw, "writebehind", "writes_accepted");
    let report = tempfile::TempDir::new().expect("temp dir");
    let dir = report.path().join("report");
    let dir_arg = dir.to_str().expect("utf-8 path");
    let doc =
        bench(&server, &["--workload", "counters", "-P", "4", "--through", "--report", dir_arg]);

    let targets = only_cell(&doc);
    let names: Vec<&str> = targets.iter().map(|t| t["target"].as_str().unwrap()).collect();
    assert_eq!(names, ["jotter", "jotter-through"], "{doc:#}");
    let mut writes_sent = 0;
    for target in targets {
        assert_clean(target, "counters");
        let requests = field(target, "requests");
        assert_eq!(field(target, "writes"), requests, "counters only write\n{target:#}");
        for run in target["runs"].as_array().expect("runs") {
            let store = &run["store"];
            let (sent, accepted) = (field(run, "writes"), field(store, "writes_accepted"));
            assert!(accepted >= sent, "accepted {accepted} < sent {sent}\n{doc:#}");
            assert!(store["drain_s"].as_f64().is_some(), "{doc:#}");
        }
        writes_sent += requests;
    }
    let accepted = info(&mut raw, "writebehind", "writes_accepted") - accepted_before;
    assert!(accepted >= writes_sent, "INFO says {accepted} accepted, the bench sent {writes_sent}");
    let ratios = doc["cells"][0]["ratios"].as_array().expect("ratios");
    assert_eq!(ratios.len(), 1, "{doc:#}");
    assert_eq!(
        (ratios[0]["target"].as_str(), ratios[0]["against"].as_str()),
        (Some("jotter-through"), Some("jotter"))
    );

    let md = std::fs::read_to_string(dir.join("REPORT.md")).expect("REPORT.md");
    for part in ["jotter bench", "--workload counters", "| jotter-through ", "p99.9", "coalescing"]
    {
        assert!(md.contains(part), "no {part:?} in REPORT.md:\n{md}");
    }
    for plot in ["throughput-counters-P4.svg", "latency-counters-P4.svg"] {
        assert!(md.contains(plot), "REPORT.md does not show {plot}:\n{md}");
        let svg = std::fs::read_to_string(dir.join(plot)).expect(plot);
        assert!(svg.starts_with("<svg") && svg.contains("<polyline"), "{plot}: {svg}");
    }
}

#[test]
fn every_workload_runs_without_error_replies() {
    let server = Server::start(&[]);
    let doc = bench(&server, &["--workload", "sessions,leaderboard,events", "--read-ratio", "0.5"]);
    let cells = doc["cells"].as_array().expect("cells");
    let workloads: Vec<&str> = cells.iter().map(|c| c["workload"].as_str().unwrap()).collect();
    assert_eq!(workloads, ["sessions", "leaderboard", "events"], "{doc:#}");
    for cell in cells {
        assert_clean(&cell["targets"][0], cell["workload"].as_str().unwrap());
    }
}

#[test]
fn a_fixed_rate_is_offered_on_schedule() {
    let server = Server::start(&[]);
    // 200 requests a second for a second: about 200 sent, never many more.
    let doc = bench(&server, &["--rate", "200"]);
    let target = &only_cell(&doc)[0];
    assert!(field(target, "requests") <= 210, "{target:#}");
    assert_clean(target, "--rate 200");
}

/// Whether redis-server can run here; `false` (said loudly) when it is not
/// installed, unless JOTTER_REQUIRE_SERVICES=1.
fn redis_installed() -> bool {
    match Command::new("redis-server").arg("--version").output() {
        Ok(_) => true,
        Err(e) if std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("redis-server is required (JOTTER_REQUIRE_SERVICES=1): {e}")
        }
        Err(e) => {
            eprintln!(
                "\n!!!!! SKIPPED: redis-server cannot be started ({e}); apt-get install \
                 redis-server !!!!!\n"
            );
            false
        }
    }
}

/// A redis-server on a free port, stopped when dropped.
struct RedisServer(std::process::Child, u16);

impl RedisServer {
    fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let server = RedisServer(child, port);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
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
    if !redis_installed() {
        return;
    }
    let redis = RedisServer::start();
    let server = Server::start(&[]);
    let redis_target = format!("redis=127.0.0.1:{}", redis.1);
    let doc = bench(&server, &["--target", &redis_target, "--rounds", "2"]);
    let targets = only_cell(&doc);
    assert_eq!(targets.len(), 2, "{doc:#}");
    for target in targets {
        assert_clean(target, "side by side");
        assert_eq!(target["runs"].as_array().unwrap().len(), 2, "two rounds\n{target:#}");
        // Store figures for Jotter only.
        let is_jotter = target["target"] == "jotter";
        assert_eq!(!target["runs"][0]["store"].is_null(), is_jotter, "{target:#}");
    }
    let ratios = doc["cells"][0]["ratios"].as_array().expect("ratios");
    assert_eq!(ratios.len(), 1, "{doc:#}");
    assert_eq!(
        (ratios[0]["target"].as_str(), ratios[0]["against"].as_str()),
        (Some("redis"), Some("jotter"))
    );
}

#[test]
fn started_servers_run_every_redis_benchmark_workload_at_each_level() {
    if !redis_installed() {
        return;
    }
    let workloads = ["set", "get", "incr", "hset", "zadd", "multi"];
    let doc = bench_json(&[
        "--start",
        "jotter,redis",
        "--fsync",
        "always,no",
        "--workload",
        &workloads.join(","),
        "-P",
        "1,4",
        "--duration",
        "150ms",
        "-c",
        "4",
        "-r",
        "500",
        "-d",
        "16",
    ]);
    let cells = doc["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 2 * workloads.len() * 2, "{doc:#}");
    for cell in cells {
        let what = format!("{} {} P{}", cell["fsync"], cell["workload"], cell["pipeline"]);
        let targets = cell["targets"].as_array().expect("targets");
        let names: Vec<&str> = targets.iter().map(|t| t["target"].as_str().unwrap()).collect();
        // redis-server first, so that the ratio is Jotter's against it.
        assert_eq!(names, ["redis", "jotter"], "{what}");
        for target in targets {
            assert_clean(target, &what);
            assert_eq!(target["started"], true, "{what}");
        }
        let ratio = &cell["ratios"][0];
        assert_eq!(
            (ratio["target"].as_str(), ratio["against"].as_str()),
            (Some("jotter"), Some("redis")),
            "{what}"
        );
        assert!(ratio["throughput"].as_f64().unwrap() > 0.0, "{what}");
        let writes = field(&targets[1], "writes");
        match cell["workload"].as_str().unwrap() {
            "get" => assert_eq!(writes, 0, "{what}"),
            // MULTI, two SETs, EXEC: two writes in four requests.
            "multi" => assert_eq!(writes * 2, field(&targets[1], "requests"), "{what}"),
            _ => assert_eq!(writes, field(&targets[1], "requests"), "{what}"),
        }
    }
    let levels: Vec<&str> = cells.iter().map(|c| c["fsync"].as_str().unwrap()).collect();
    assert_eq!(levels[0], "always");
    assert_eq!(levels[levels.len() - 1], "no");
}

#[test]
fn without_redis_server_on_path_start_says_what_to_do() {
    let empty = tempfile::TempDir::new().expect("temp dir");
    let output: Output = jotter_bench(&["--start", "redis", "--duration", "100ms"])
        .env("PATH", empty.path())
        .output()
        .expect("run jotter bench");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no redis-server on PATH") && stderr.contains("--target"), "{stderr}");
}

/// The processes whose command line holds `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = vec![];
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(cmdline);
        }
    }
    found
}

#[test]
fn interrupted_it_stops_the_servers_it_started() {
    let child = jotter_bench(&["--start", "jotter", "--duration", "30s", "-c", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run jotter bench");
    let needle = format!("jotter-bench-{}-", child.id());
    let start = Instant::now();
    while processes_with(&needle).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30), "the bench started no server");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Loading by now, or about to.
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(status.expect("run kill").success());
    let output = child.wait_with_output().expect("wait for the bench");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(processes_with(&needle), Vec::<String>::new(), "still running after the bench");
    let dirs = std::fs::read_dir(std::env::temp_dir()).expect("temp dir").flatten();
    let left: Vec<_> =
        dirs.filter(|d| d.file_name().to_string_lossy().starts_with(&needle)).collect();
    assert!(left.is_empty(), "folders left: {left:?}");
}
