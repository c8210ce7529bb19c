//! Streams whose trims come between flushes, and streams mapped into the
//! user's own events table: the rows of `jotter_streams` are the stream
//! the cache holds after each flush and after a restart (SQLite and
//! PostgreSQL); a `[[mapping]] kind = "stream"` appends every entry as a
//! row of the user's table, trimmed or not; and under load from several
//! clients with `kill -9` in the middle, every acknowledged entry is
//! exactly one row after the restart.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::differential::Rng;
use common::pg::Schema;
use common::reply::q;
use common::{Raw, Server, resp};

/// The ids XRANGE gives, one a line.
fn xrange_ids(c: &mut Raw, key: &str) -> Vec<String> {
    let reply = q(c, &["XRANGE", key, "-", "+"]);
    reply
        .split("[\"")
        .skip(1)
        .filter_map(|part| part.split('"').next())
        .filter(|id| id.contains('-') && id.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

/// A random history of XADD (with MAXLEN now and then), XTRIM and XDEL on
/// two streams, with flushes between; after each flush, `stored` (the ids
/// of a key's rows in `jotter_streams`) must be XRANGE's ids.
fn trims_between_flushes(c: &mut Raw, seed: u64, stored: &dyn Fn(&str) -> Vec<String>) {
    let mut rng = Rng::new(seed);
    let mut ms = 0;
    for step in 0..300 {
        let key = rng.pick(&["s1", "s2"]);
        match rng.below(10) {
            0..=5 => {
                ms += 1;
                let id = format!("{ms}-0");
                let n = rng.below(5).to_string();
                let mut args = vec!["XADD", key];
                if rng.chance(0.5) {
                    args.extend(["MAXLEN", &n]);
                }
                args.extend([id.as_str(), "n", &n]);
                q(c, &args);
            }
            6 => {
                let n = rng.below(4).to_string();
                q(c, &["XTRIM", key, "MAXLEN", &n]);
            }
            7 => {
                let ids = xrange_ids(c, key);
                if !ids.is_empty() {
                    let id = ids[rng.below(ids.len() as u64) as usize].clone();
                    q(c, &["XDEL", key, &id]);
                }
            }
            _ => {
                q(c, &["JOTTER.FLUSH", "10000"]);
                for key in ["s1", "s2"] {
                    assert_eq!(stored(key), xrange_ids(c, key), "seed {seed}, step {step}, {key}");
                }
            }
        }
    }
    q(c, &["JOTTER.FLUSH", "10000"]);
    for key in ["s1", "s2"] {
        assert_eq!(stored(key), xrange_ids(c, key), "seed {seed}, at the end, {key}");
    }
}

#[test]
fn trimmed_streams_in_sqlite_are_the_cached_streams_after_flushes_and_a_restart() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    let stored = |key: &str| -> Vec<String> {
        let db = common::sqlite::db(&server);
        let mut query = db
            .prepare("SELECT ms || '-' || seq FROM jotter_streams WHERE key = ?1 ORDER BY id")
            .unwrap();
        query.query_map([key.as_bytes()], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    trims_between_flushes(&mut c, 7, &stored);
    let before: Vec<Vec<String>> = ["s1", "s2"].iter().map(|k| xrange_ids(&mut c, k)).collect();
    let server = server.restart(&["--flush-interval", "1h"]);
    let mut c = server.raw();
    let after: Vec<Vec<String>> = ["s1", "s2"].iter().map(|k| xrange_ids(&mut c, k)).collect();
    assert_eq!(after, before);
}

#[test]
fn trimmed_streams_in_postgres_are_the_cached_streams_after_flushes_and_a_restart() {
    let Some(schema) = Schema::create("stream_trims") else { return };
    let url = schema.url();
    let (server, mut c) = Server::start_raw_with(&["--store", &url, "--flush-interval", "1h"]);
    let stored = |key: &str| -> Vec<String> {
        let rows = schema.query(&format!(
            "SELECT ms || '-' || seq FROM jotter_streams WHERE key = '{key}'::bytea ORDER BY id"
        ));
        rows.lines().map(str::to_owned).collect()
    };
    trims_between_flushes(&mut c, 11, &stored);
    let before: Vec<Vec<String>> = ["s1", "s2"].iter().map(|k| xrange_ids(&mut c, k)).collect();
    drop(c);
    drop(server);
    let (_server, mut c) = Server::start_raw_with(&["--store", &url, "--flush-interval", "1h"]);
    let after: Vec<Vec<String>> = ["s1", "s2"].iter().map(|k| xrange_ids(&mut c, k)).collect();
    assert_eq!(after, before);
}

const PAGE_VIEWS: &str = "CREATE TABLE page_views (page text NOT NULL, entry_id text NOT NULL, \
                          at timestamptz, \"user\" bigint, url text, UNIQUE (page, entry_id))";

/// `clicks:*` into `page_views`.
fn clicks_config(schema: &Schema, flush_interval: &str) -> String {
    format!(
        "store = \"{}\"\nflush-interval = \"{flush_interval}\"\n\n[[mapping]]\n\
         keys = \"clicks:*\"\ntable = \"page_views\"\nkey-column = \"page\"\nkind = \"stream\"\n\
         id-column = \"entry_id\"\ntime-column = \"at\"\n\
         [mapping.columns]\nuser = \"bigint\"\nurl = \"text\"\n",
        schema.url()
    )
}

#[test]
fn stream_entries_land_in_the_users_events_table() {
    let Some(schema) = Schema::create("stream_mapping") else { return };
    schema.query(PAGE_VIEWS);
    let server = Server::start_with_config(&clicks_config(&schema, "1h"), &[]);
    let mut c = server.raw();
    c.roundtrip(
        &resp(&["XADD", "clicks:home", "5-0", "user", "42", "url", "/home"]),
        b"$3\r\n5-0\r\n",
    );
    for ms in 6..=9 {
        let id = format!("{ms}-0");
        q(&mut c, &["XADD", "clicks:home", "MAXLEN", "2", &id, "user", "7", "url", "/a"]);
    }
    q(&mut c, &["XDEL", "clicks:home", "9-0"]);
    q(&mut c, &["XTRIM", "clicks:home", "MAXLEN", "0"]);
    q(&mut c, &["XADD", "clicks:about", "3-1", "url", "/about"]);
    // A field without a column is refused at once.
    c.send(&resp(&["XADD", "clicks:home", "*", "referrer", "x"]));
    let refused = c.read_line();
    assert!(refused.contains("referrer") && refused.contains("page_views"), "{refused}");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");

    // Every entry but the deleted one is a row, trimmed or not.
    let rows = schema.query(
        "SELECT page || ' ' || entry_id || ' ' || coalesce(\"user\"::text, '-') || ' ' || url \
         || ' ' || (extract(epoch FROM at) * 1000)::bigint FROM page_views ORDER BY page, at",
    );
    assert_eq!(
        rows.lines().collect::<Vec<_>>(),
        [
            "about 3-1 - /about 3",
            "home 5-0 42 /home 5",
            "home 6-0 7 /a 6",
            "home 7-0 7 /a 7",
            "home 8-0 7 /a 8",
        ]
    );
    // The stream itself (trimmed to nothing, its metadata kept) reads back
    // from jotter's tables after a restart.
    let before = q(&mut c, &["XINFO", "STREAM", "clicks:home"]);
    let path = server.dir.path().join("jotter.toml");
    let server = server.restart(&["--config", path.to_str().unwrap()]);
    let mut c = server.raw();
    assert_eq!(q(&mut c, &["XINFO", "STREAM", "clicks:home"]), before);
    assert_eq!(q(&mut c, &["XLEN", "clicks:home"]), ":0");
    assert_eq!(xrange_ids(&mut c, "clicks:about"), ["3-1"]);
    // DEL leaves the events; XSETID takes the emptied stream back below its
    // trims, and an entry added there is a row too.
    q(&mut c, &["DEL", "clicks:about"]);
    q(&mut c, &["XADD", "clicks:faq", "10-0", "url", "/faq"]);
    q(&mut c, &["XADD", "clicks:faq", "MAXLEN", "0", "11-0", "url", "/faq"]);
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    assert_eq!(q(&mut c, &["XSETID", "clicks:faq", "5-0"]), "+OK");
    q(&mut c, &["XADD", "clicks:faq", "6-0", "url", "/again"]);
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    assert_eq!(schema.query("SELECT count(*) FROM page_views WHERE page = 'about'"), "1");
    let faq = schema
        .query("SELECT entry_id || ' ' || url FROM page_views WHERE page = 'faq' ORDER BY at");
    assert_eq!(faq.lines().collect::<Vec<_>>(), ["6-0 /again", "10-0 /faq", "11-0 /faq"]);
    assert_eq!(xrange_ids(&mut c, "clicks:faq"), ["6-0"]);
    let server = server.restart(&["--config", path.to_str().unwrap()]);
    let mut c = server.raw();
    assert_eq!(xrange_ids(&mut c, "clicks:faq"), ["6-0"]);
    assert_eq!(q(&mut c, &["EXISTS", "clicks:about"]), ":0");
}

/// Several clients append with `MAXLEN ~ 100` while the server flushes
/// often; `kill -9` in the middle; after the restart and a flush, every
/// acknowledged entry is exactly one row (none missing, none twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapped_stream_under_load_survives_kill_9_one_row_per_entry() {
    let Some(schema) = Schema::create("stream_kill") else { return };
    schema.query(PAGE_VIEWS);
    let server = Server::start_with_config(&clicks_config(&schema, "20ms"), &[]);
    let acked = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let mut con = server.client().await;
        let acked = acked.clone();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let page = format!("p{}", (w + i) % 3);
                let id: redis::RedisResult<String> = redis::cmd("XADD")
                    .arg(format!("clicks:{page}"))
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(100)
                    .arg("*")
                    .arg("user")
                    .arg(w)
                    .arg("url")
                    .arg(format!("/{i}"))
                    .query_async(&mut con)
                    .await;
                match id {
                    Ok(id) => acked.lock().unwrap().push((page, id)),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    server.signal("KILL");
    for writer in writers {
        writer.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(acked.len() > 300, "the load never got going: {} entries", acked.len());

    let path = server.dir.path().join("jotter.toml");
    let server = server.restart(&["--config", path.to_str().unwrap()]);
    let mut con = server.client().await;
    let () = redis::cmd("JOTTER.FLUSH").query_async(&mut con).await.unwrap();
    // The trims did happen: the streams hold fewer entries than the table.
    let mut held = 0;
    for page in ["p0", "p1", "p2"] {
        let n: i64 =
            redis::cmd("XLEN").arg(format!("clicks:{page}")).query_async(&mut con).await.unwrap();
        assert!(n <= 100, "clicks:{page} holds {n} entries");
        held += n as usize;
    }
    assert!(held < acked.len(), "{held} entries held of {} acknowledged", acked.len());
    let rows = schema.query("SELECT page || ' ' || entry_id FROM page_views");
    let rows: Vec<&str> = rows.lines().collect();
    let distinct: BTreeSet<&str> = rows.iter().copied().collect();
    assert_eq!(distinct.len(), rows.len(), "an entry is two rows");
    for (page, id) in &acked {
        let row = format!("{page} {id}");
        assert!(distinct.contains(row.as_str()), "acknowledged entry {row} is not a row");
    }
    // Rows beyond the acknowledged ones can only be entries in flight at
    // the kill, logged but not yet answered: a handful at most.
    assert!(rows.len() - acked.len() <= 16, "{} rows for {} entries", rows.len(), acked.len());
}
