//! Lists written behind: every list command's effect lands in
//! `jotter_lists` (one row per element, `ORDER BY pos` the list's order),
//! in SQLite and in PostgreSQL, and reads back in order after a restart,
//! including after LINSERT (many at one spot, which renumbers), LREM,
//! LTRIM, LSET and the moves. The replies themselves are compared with
//! Redis's in `lists_differential.rs`.

mod common;

use common::pg::Schema;
use common::reply::{check, q};
use common::{Raw, Server};

/// A history that touches every way a list changes, and the list it leaves
/// under `jobs` (head first), with the one element it moves to `other`.
fn write_history(c: &mut Raw) -> (Vec<String>, String) {
    let mut model: Vec<String> = Vec::new();
    let run = |c: &mut Raw, args: &[&str]| {
        let got = q(c, args);
        assert!(!got.starts_with('-'), "{args:?}: {got}");
    };
    for i in 0..40 {
        let v = format!("r{i}");
        run(c, &["RPUSH", "jobs", &v]);
        model.push(v);
        if i % 3 == 0 {
            let v = format!("l{i}");
            run(c, &["LPUSH", "jobs", &v]);
            model.insert(0, v);
        }
    }
    // 100 inserts right after one pivot: the gap halves each time, so the
    // list is renumbered several times on the way.
    for i in 0..100 {
        let v = format!("i{i}");
        run(c, &["LINSERT", "jobs", "AFTER", "r5", &v]);
        let at = model.iter().position(|x| x == "r5").unwrap() + 1;
        model.insert(at, v);
    }
    run(c, &["LINSERT", "jobs", "BEFORE", "l0", "before-l0"]);
    let at = model.iter().position(|x| x == "l0").unwrap();
    model.insert(at, "before-l0".into());
    run(c, &["LSET", "jobs", "3", "set3"]);
    model[3] = "set3".into();
    run(c, &["LSET", "jobs", "-2", "setm2"]);
    let n = model.len();
    model[n - 2] = "setm2".into();
    run(c, &["LREM", "jobs", "0", "i7"]);
    model.retain(|x| x != "i7");
    for i in (10..90).step_by(3) {
        let v = format!("i{i}");
        run(c, &["LREM", "jobs", "-1", &v]);
        model.retain(|x| *x != v);
    }
    run(c, &["LTRIM", "jobs", "2", "-3"]);
    model = model[2..model.len() - 2].to_vec();
    run(c, &["LPOP", "jobs", "2"]);
    model.drain(..2);
    run(c, &["RPOP", "jobs"]);
    model.pop();
    run(c, &["LMOVE", "jobs", "jobs", "RIGHT", "LEFT"]);
    let last = model.pop().unwrap();
    model.insert(0, last);
    run(c, &["RPOPLPUSH", "jobs", "other"]);
    let moved = model.pop().unwrap();
    check(c, &["LLEN", "jobs"], &format!(":{}", model.len()));
    (model, moved)
}

/// `LRANGE key 0 -1` as the list of its elements.
fn lrange(c: &mut Raw, key: &str) -> Vec<String> {
    let got = q(c, &["LRANGE", key, "0", "-1"]);
    let inner = got.strip_prefix('[').and_then(|g| g.strip_suffix(']')).expect("an array");
    inner.split(", ").filter(|s| !s.is_empty()).map(|s| s.trim_matches('"').to_owned()).collect()
}

#[test]
fn lists_land_in_sqlite_in_order_and_read_back_after_a_restart() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    let (model, moved) = write_history(&mut c);
    assert_eq!(lrange(&mut c, "jobs"), model);
    check(&mut c, &["JOTTER.FLUSH", "10000"], "+OK");
    let stored: Vec<String> = {
        let db = common::sqlite::db(&server);
        let mut rows = db
            .prepare("SELECT CAST(value AS TEXT) FROM jotter_lists WHERE key = ?1 ORDER BY pos")
            .expect("prepare");
        rows.query_map([&b"jobs"[..]], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(stored, model, "the rows in order are the list");
    let server = server.restart(&[]);
    let mut c = server.raw();
    assert_eq!(lrange(&mut c, "jobs"), model, "read back from SQLite");
    check(&mut c, &["TYPE", "jobs"], "+list");
    assert_eq!(lrange(&mut c, "other"), [moved]);
    // And it goes on from there: a push after the reload lands at the end.
    check(&mut c, &["RPUSH", "jobs", "after"], &format!(":{}", model.len() + 1));
    check(&mut c, &["LINDEX", "jobs", "-1"], r#""after""#);
}

#[test]
fn lists_land_in_postgres_in_order_and_read_back_after_a_restart() {
    let Some(schema) = Schema::create("lists") else { return };
    let url = schema.url();
    let (server, mut c) = Server::start_raw_with(&["--store", &url, "--flush-interval", "1h"]);
    let (model, _) = write_history(&mut c);
    check(&mut c, &["JOTTER.FLUSH", "10000"], "+OK");
    let stored = schema.query(
        "SELECT convert_from(value, 'UTF8') FROM jotter_lists WHERE key = 'jobs'::bytea \
         ORDER BY pos",
    );
    assert_eq!(stored.lines().collect::<Vec<_>>(), model, "the rows in order are the list");
    let server = server.restart(&["--store", &url]);
    let mut c = server.raw();
    assert_eq!(lrange(&mut c, "jobs"), model, "read back from PostgreSQL");
    check(&mut c, &["SCAN", "0", "TYPE", "list"], r#"["0", ["jobs", "other"]]"#);
}
