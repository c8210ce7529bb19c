//! A bitmap, a HyperLogLog and a geo set written behind to SQLite and to
//! PostgreSQL, then read back after a restart: a bitmap and a
//! HyperLogLog are strings (their bytes), a geo set a sorted set.

mod common;

use common::pg::Schema;
use common::reply::q;
use common::{Server, resp};

/// Writes one value of each family, flushes, restarts with `extra` and
/// checks every reply is the same after the restart.
fn write_restart_read(extra: &[&str]) {
    let (server, mut c) = Server::start_raw_with(extra);
    let writes: &[&[&str]] = &[
        &["SETBIT", "visits", "100", "1"],
        &["BITFIELD", "visits", "SET", "u8", "#3", "200"],
        &["PFADD", "visitors", "ada", "grace", "linus", "ada"],
        &[
            "GEOADD",
            "shops",
            "13.361389",
            "38.115556",
            "palermo",
            "15.087269",
            "37.502669",
            "catania",
        ],
    ];
    for args in writes {
        q(&mut c, args);
    }
    let reads: &[&[&str]] = &[
        &["GET", "visits"],
        &["BITCOUNT", "visits"],
        &["PFCOUNT", "visitors"],
        &["GEOPOS", "shops", "palermo", "catania"],
        &["GEODIST", "shops", "palermo", "catania", "km"],
        &["TYPE", "shops"],
    ];
    let before: Vec<String> = reads.iter().map(|args| q(&mut c, args)).collect();
    assert_eq!(before[2], ":3\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    let server = server.restart(extra);
    let mut c = server.raw();
    let after: Vec<String> = reads.iter().map(|args| q(&mut c, args)).collect();
    assert_eq!(after, before);
    // Still the types they were: a HyperLogLog keeps counting.
    assert_eq!(q(&mut c, &["PFADD", "visitors", "ada", "barbara"]), ":1\r\n");
    assert_eq!(q(&mut c, &["PFCOUNT", "visitors"]), ":4\r\n");
}

#[test]
fn bitmaps_hyperloglogs_and_geo_sets_survive_a_restart_in_sqlite() {
    write_restart_read(&["--flush-interval", "1h"]);
}

#[test]
fn bitmaps_hyperloglogs_and_geo_sets_survive_a_restart_in_postgres() {
    let Some(schema) = Schema::create("string_types") else { return };
    write_restart_read(&["--store", &schema.url(), "--flush-interval", "1h"]);
}
