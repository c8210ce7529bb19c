//! `/metrics` of a real server: the bounds and their limits, the outage
//! headroom (finite while pending writes pile up behind a locked store,
//! infinite when idle), the log's disk figures; every metric the alert rules
//! and the Grafana dashboard in `deploy/` use exists; and every alert has
//! its section in docs/RUNBOOK.md and a promtool unit test.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Server;
use common::sqlite::lock_store;

const CONFIG: &str = "max-pending = 200000\nmax-pending-bytes = \"32mb\"\nmaxmemory = \"64mb\"\n";

/// The value of the unlabelled sample `name` in a Prometheus text page.
fn sample(page: &str, name: &str) -> Option<f64> {
    page.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(' ')?;
        Some(match value.trim() {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("{name} has value {v:?}")),
        })
    })
}

/// Reads `/metrics` until `ready` holds for it, up to 20 s; returns that page.
fn metrics_until(server: &Server, what: &str, ready: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let (status, page) = server.http_get("/metrics");
        assert_eq!(status, 200, "{page}");
        if ready(&page) {
            return page;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "never {what}:\n{page}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn value(page: &str, name: &str) -> f64 {
    sample(page, name).unwrap_or_else(|| panic!("no {name} in\n{page}"))
}

#[test]
fn the_bounds_headroom_and_log_disk_are_exported() {
    let server = Server::start_with_config(CONFIG, &[]);
    // Idle for more than the shortest span a growth is measured over, and
    // the log measured once.
    std::thread::sleep(Duration::from_millis(1500));
    let idle =
        metrics_until(&server, "a measured log", |p| sample(p, "jotter_log_bytes").is_some());
    assert_eq!(value(&idle, "jotter_pending_entries_limit"), 200_000.0);
    assert_eq!(value(&idle, "jotter_pending_bytes_limit"), f64::from(32u32 << 20));
    assert_eq!(value(&idle, "jotter_memory_limit_bytes"), f64::from(64u32 << 20));
    assert_eq!(value(&idle, "jotter_outage_headroom_seconds"), f64::INFINITY, "idle");
    let size = value(&idle, "jotter_log_disk_size_bytes");
    let free = value(&idle, "jotter_log_disk_free_bytes");
    assert!(size > 0.0 && free > 0.0 && free <= size, "free {free} of {size}");
    let idle_log = value(&idle, "jotter_log_bytes");

    // The store locked: every write stays pending, and the headroom is the
    // time left before max-pending at the rate they come in.
    let db = lock_store(&server);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (url, stop) = (server.url(), stop.clone());
        std::thread::spawn(move || {
            let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) && i < 150_000 {
                let mut pipe = redis::pipe();
                for _ in 0..500 {
                    pipe.cmd("SET").arg(format!("k:{i}")).arg("a value of some bytes").ignore();
                    i += 1;
                }
                pipe.query::<()>(&mut con).expect("taken while the store is locked");
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let filling = metrics_until(&server, "a finite headroom", |p| {
        sample(p, "jotter_outage_headroom_seconds").is_some_and(f64::is_finite)
            && sample(p, "jotter_log_bytes").is_some_and(|b| b > idle_log)
    });
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let headroom = value(&filling, "jotter_outage_headroom_seconds");
    assert!(headroom > 0.0, "the bound is not reached yet: {headroom}");
    let pending = value(&filling, "jotter_pending_bytes");
    let memory = value(&filling, "jotter_memory_used_bytes");
    assert!(pending > 0.0 && memory >= pending, "memory {memory}, pending {pending}");
    drop(db);
}

/// Metric names (`jotter_...`) in `text`, with the suffixes Prometheus adds
/// to a histogram's series taken off.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("jotter_") {
        let tail = &rest[at..];
        let end = tail.find(|c: char| !(c.is_ascii_lowercase() || c == '_')).unwrap_or(tail.len());
        names.insert(tail[..end].trim_end_matches('_').to_owned());
        rest = &tail[end..];
    }
    names
}

#[test]
fn every_metric_the_alerts_and_the_dashboard_use_exists() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy");
    let alerts = std::fs::read_to_string(format!("{root}/prometheus/alerts.yml")).unwrap();
    let dashboard = std::fs::read_to_string(format!("{root}/grafana/jotter.json")).unwrap();
    let used: BTreeSet<String> =
        names_in(&alerts).into_iter().chain(names_in(&dashboard)).collect();
    assert!(used.len() > 10, "{used:?}");

    let server = Server::start(&[]);
    // One command, so that the per-command counter has a sample.
    common::reply::q(&mut server.raw(), &["PING"]);
    let start = Instant::now();
    loop {
        let exported = names_in(&server.http_get("/metrics").1);
        let missing: Vec<&String> = used
            .iter()
            .filter(|name| {
                let base = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .unwrap_or(name);
                !exported.contains(*name) && !exported.contains(base)
            })
            .collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "used in deploy/ but not exported: {missing:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn every_alert_has_a_runbook_section_and_a_unit_test() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap();
    let (alerts, tests, runbook) = (
        read("deploy/prometheus/alerts.yml"),
        read("deploy/prometheus/alerts_test.yml"),
        read("docs/RUNBOOK.md"),
    );
    let field =
        |line: &str, name: &str| line.trim().strip_prefix(name).map(str::trim).map(str::to_owned);
    let names: Vec<String> = alerts.lines().filter_map(|l| field(l, "- alert:")).collect();
    let urls: Vec<String> = alerts.lines().filter_map(|l| field(l, "runbook_url:")).collect();
    assert!(names.len() >= 12, "{names:?}");
    assert_eq!(names.len(), urls.len(), "an alert without a runbook_url");
    let tested: BTreeSet<String> = tests.lines().filter_map(|l| field(l, "alertname:")).collect();
    for (name, url) in names.iter().zip(&urls) {
        assert_eq!(url, &format!("docs/RUNBOOK.md#{}", name.to_lowercase()), "{name}");
        assert!(
            runbook.contains(&format!("\n## {name}\n")),
            "no section `## {name}` in RUNBOOK.md"
        );
        assert!(tested.contains(name), "no promtool test of {name} in alerts_test.yml");
    }
}
