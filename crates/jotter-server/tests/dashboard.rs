//! The live dashboard (`GET /` on the admin port) in a real headless
//! Chromium: under a load the figures move, and each one agrees with
//! `/metrics` read around it; the page and its requests carry the admin
//! token; a store outage turns the page red with its length, and back.
//! Skips loudly without Chromium (`common/browser.rs`) or, for the outage,
//! PostgreSQL.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::Server;
use common::browser::{Browser, Page};
use common::pg::Schema;
use common::proxy::Proxy;

const TOKEN: &str = "s3cret";
/// Writes of the load: enough to pass the depth warning level (1,000)
/// and, at the store's pace below, take several seconds to drain.
const WRITES: usize = 2000;
/// The store's pace, so that the queue stays up while the page watches.
const STORE_PACE: &str = "100";
/// How long the test waits for something that must happen before failing.
const PATIENCE: Duration = Duration::from_secs(90);

/// One reading of the page: each figure's `data-value` and text, and each
/// card's `data-level`.
struct Figures {
    values: HashMap<String, (String, String)>,
    levels: HashMap<String, String>,
}

impl Figures {
    fn read(browser: &mut Browser, page: &Page) -> Figures {
        let text = browser.eval(
            page,
            "[...document.querySelectorAll('[data-value]')].map(e => \
               'v ' + e.id + ' ' + e.dataset.value + ' ' + encodeURIComponent(e.textContent))\
             .concat([...document.querySelectorAll('[data-level]')].map(e => \
               'l ' + e.id + ' ' + e.dataset.level)).join('\\n')",
        );
        let (mut values, mut levels) = (HashMap::new(), HashMap::new());
        for line in text.lines() {
            let mut parts = line.split(' ');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("v"), Some(id), Some(value), Some(shown)) => {
                    values.insert(id.to_owned(), (value.to_owned(), decode(shown)));
                }
                (Some("l"), Some(id), Some(level), _) if !id.is_empty() => {
                    levels.insert(id.to_owned(), level.to_owned());
                }
                _ => {}
            }
        }
        Figures { values, levels }
    }

    /// A figure's raw number; `None` while it shows "–".
    fn get(&self, id: &str) -> Option<f64> {
        let (value, shown) = self.values.get(id).unwrap_or_else(|| panic!("no figure {id}"));
        if value.is_empty() {
            assert_eq!(shown, "–", "{id} has no value but shows {shown:?}");
            return None;
        }
        assert_ne!(shown, "–", "{id} has the value {value} but shows –");
        Some(value.parse().unwrap_or_else(|_| panic!("{id}: {value:?} is not a number")))
    }

    fn num(&self, id: &str) -> f64 {
        self.get(id).unwrap_or_else(|| panic!("{id} shows –"))
    }

    fn level(&self, id: &str) -> &str {
        self.levels.get(id).map_or("", String::as_str)
    }

    /// Samples the page has taken (0 while it is still loading).
    fn samples(&self) -> f64 {
        self.values.get("samples").and_then(|(v, _)| v.parse().ok()).unwrap_or(0.0)
    }
}

/// `%XX` sequences of `encodeURIComponent` back to text.
fn decode(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' && tail.len() >= 2 {
            let hex = std::str::from_utf8(&tail[..2]).expect("ascii");
            bytes.push(u8::from_str_radix(hex, 16).expect("a %XX escape"));
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).expect("utf-8")
}

/// `/metrics`, read with the token: each name's value, summed over its
/// label sets (as the page sums them).
fn metrics(server: &Server) -> HashMap<String, f64> {
    let (status, text) =
        server.http_get_with("/metrics", &format!("Authorization: Bearer {TOKEN}\r\n"));
    assert_eq!(status, 200, "{text}");
    let mut out = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let name = series.split('{').next().unwrap_or(series);
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or(f64::NAN),
        };
        *out.entry(name.to_owned()).or_insert(0.0) += value;
    }
    out
}

/// Waits until the page has taken `more` samples after this call, so that
/// its newest figures were read from `/metrics` after the call began.
fn fresh(browser: &mut Browser, page: &Page, more: f64) -> Figures {
    let start = Instant::now();
    let from = Figures::read(browser, page).samples();
    loop {
        let figures = Figures::read(browser, page);
        if figures.samples() >= from + more {
            return figures;
        }
        assert!(start.elapsed() < PATIENCE, "the page stopped sampling at {}", figures.samples());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until `/metrics` reports `name` = `value`.
fn until_metric(server: &Server, name: &str, value: f64) {
    let start = Instant::now();
    while metrics(server).get(name) != Some(&value) {
        assert!(start.elapsed() < PATIENCE, "{name} never became {value}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The page opened with the token, once it has taken two samples.
fn open(browser: &mut Browser, server: &Server) -> Page {
    let page = browser.open(&format!("http://{}/?token={TOKEN}", server.admin));
    fresh(browser, &page, 2.0);
    page
}

/// The depth card's colour follows the alert levels.
fn check_depth_level(f: &Figures) {
    let depth = f.num("depth");
    let expected = if depth >= 10_000.0 {
        "crit"
    } else if depth >= 1000.0 {
        "warn"
    } else {
        "ok"
    };
    assert_eq!(f.level("card-depth"), expected, "depth {depth}");
}

#[test]
fn the_dashboard_follows_the_metrics_in_a_real_browser() {
    let Some(mut browser) = Browser::launch() else { return };
    let server = Server::start(&[
        "--admin-token",
        TOKEN,
        "--max-store-writes-per-sec",
        STORE_PACE,
        "--batch-size",
        "50",
    ]);

    // The page is protected like /metrics; a browser passes the token in
    // the URL, which only the page accepts.
    assert_eq!(server.http_get("/").0, 401);
    assert_eq!(server.http_get("/?token=s3cre7").0, 401);
    assert_eq!(server.http_get(&format!("/metrics?token={TOKEN}")).0, 401);
    let (status, html) = server.http_get(&format!("/?token={TOKEN}"));
    assert_eq!(status, 200);
    assert!(html.contains("jotter_pending_entries"), "{html}");

    // Sampling at all means its requests to /metrics carry the token.
    let page = open(&mut browser, &server);
    let idle = fresh(&mut browser, &page, 1.0);
    assert_eq!(idle.num("depth"), 0.0);
    assert_eq!(idle.level("card-depth"), "ok");
    assert_eq!(idle.level("store-band"), "ok");

    // The load: one burst, then nothing, so that the depth only falls
    // and a reading of the page lies between two reads of /metrics.
    let mut c = server.raw();
    let mut burst = Vec::new();
    for i in 0..WRITES {
        burst.extend(common::resp(&["SET", &format!("key:{i}"), &format!("value {i}")]));
    }
    c.send(&burst);
    c.expect(&b"+OK\r\n".repeat(WRITES));
    // The engine publishes its gauges every 100 ms: wait for a round that
    // has seen the whole burst, and for one more after it.
    until_metric(&server, "jotter_writes_accepted_total", WRITES as f64);
    std::thread::sleep(Duration::from_millis(250));

    let before = metrics(&server);
    let busy = fresh(&mut browser, &page, 2.0);
    let after = metrics(&server);
    let between = |id: &str, name: &str| {
        let (low, high) = (after[name].min(before[name]), after[name].max(before[name]));
        let shown = busy.num(id);
        assert!(
            (low..=high).contains(&shown),
            "{id} = {shown}, /metrics {name} from {low} to {high}"
        );
    };
    between("depth", "jotter_pending_entries");
    between("pending-bytes", "jotter_pending_bytes");
    between("stored-total", "jotter_store_writes_total");
    between("batches-total", "jotter_batches_total");
    assert_eq!(busy.num("accepted-total"), after["jotter_writes_accepted_total"]);
    assert!(busy.num("depth") >= 1000.0, "the load must pass the warning level: raise WRITES");
    check_depth_level(&busy);
    assert!(busy.num("oldest") > 0.0);
    assert_eq!(busy.num("clients"), after["jotter_connected_clients"]);

    // The figures move while the store drains the queue.
    let later = fresh(&mut browser, &page, 2.0);
    assert!(later.num("depth") < busy.num("depth"), "depth did not move");
    assert!(later.num("stored-total") > busy.num("stored-total"));
    assert!(later.num("writes-rate") > 0.0, "no flush rate while draining");
    assert!(later.num("depth-rate") < 0.0, "the queue shrinks");
    check_depth_level(&later);

    // Once drained and still, every figure equals /metrics.
    let start = Instant::now();
    while metrics(&server)["jotter_pending_entries"] > 0.0 {
        assert!(start.elapsed() < PATIENCE, "the queue never drained");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(250));
    let still = metrics(&server);
    let done = fresh(&mut browser, &page, 2.0);
    for (id, name) in [
        ("depth", "jotter_pending_entries"),
        ("pending-entries", "jotter_pending_entries"),
        ("pending-bytes", "jotter_pending_bytes"),
        ("oldest", "jotter_oldest_pending_seconds"),
        ("dead-letters", "jotter_dead_letters"),
        ("dead-letters-total", "jotter_dead_letters_total"),
        ("accepted-total", "jotter_writes_accepted_total"),
        ("stored-total", "jotter_store_writes_total"),
        ("batches-total", "jotter_batches_total"),
        ("failures-total", "jotter_store_failures_total"),
        ("retries-total", "jotter_retries_total"),
        ("clients", "jotter_connected_clients"),
        ("store-state", "jotter_store_up"),
        // The bounds and headroom exist with the newer servers only: a
        // figure whose metric is absent shows "–".
        ("memory-limit", "jotter_memory_limit_bytes"),
        ("pending-entries-limit", "jotter_pending_entries_limit"),
        ("pending-bytes-limit", "jotter_pending_bytes_limit"),
        ("disk-size", "jotter_log_disk_size_bytes"),
        ("headroom", "jotter_outage_headroom_seconds"),
    ] {
        assert_eq!(done.get(id), still.get(name).copied(), "{id} against {name}");
    }
    // Present or absent together, for the figures that move by themselves.
    for (id, name) in [
        ("memory-used", "jotter_memory_used_bytes"),
        ("log-bytes", "jotter_log_bytes"),
        ("disk-free", "jotter_log_disk_free_bytes"),
    ] {
        assert_eq!(done.get(id).is_some(), still.contains_key(name), "{id} against {name}");
    }
    assert_eq!(done.num("store-state"), 1.0);
    assert_eq!(done.level("store-band"), "ok");
    assert_eq!(done.num("depth-rate"), 0.0);
    assert_eq!(done.num("writes-rate"), 0.0);
    assert_eq!(done.num("failure-rate"), 0.0);
    assert_eq!(done.level("card-failures"), "ok");
    check_depth_level(&done);
}

#[test]
fn the_dashboard_shows_a_store_outage_and_its_end() {
    let Some(mut browser) = Browser::launch() else { return };
    let Some(schema) = Schema::create("dashboard_outage") else { return };
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap(), false);
    let store = schema.url_via(proxy.port);
    let server = Server::start(&["--admin-token", TOKEN, "--store", &store]);
    let mut c = server.raw();
    c.roundtrip(&common::resp(&["SET", "before", "1"]), b"+OK\r\n");
    until_metric(&server, "jotter_store_writes_total", 1.0);
    let page = open(&mut browser, &server);
    let up = fresh(&mut browser, &page, 1.0);
    assert_eq!(up.num("store-state"), 1.0);
    assert_eq!(up.level("store-band"), "ok");
    assert_eq!(up.get("store-down-seconds"), None);

    proxy.cut();
    c.roundtrip(&common::resp(&["SET", "during", "2"]), b"+OK\r\n");
    until_metric(&server, "jotter_store_up", 0.0);
    let before = metrics(&server);
    let down = fresh(&mut browser, &page, 2.0);
    let after = metrics(&server);
    assert_eq!(down.num("store-state"), 0.0);
    assert_eq!(down.values["store-state"].1, "Store in an outage");
    assert_eq!(down.level("store-band"), "crit");
    let name = "jotter_store_unavailable_seconds";
    let lasted = down.num("store-down-seconds");
    assert!(
        (before[name]..=after[name]).contains(&lasted),
        "{lasted} outside {before:?} .. {after:?}"
    );
    assert!(down.num("depth") >= 1.0, "the write waits");

    proxy.restore();
    until_metric(&server, "jotter_store_up", 1.0);
    let back = fresh(&mut browser, &page, 2.0);
    assert_eq!(back.num("store-state"), 1.0);
    assert_eq!(back.level("store-band"), "ok");
    assert_eq!(back.get("store-down-seconds"), None);
}
