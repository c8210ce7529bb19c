//! A bitmap, a HyperLogLog and a geo set written behind to SQLite and to
//! PostgreSQL, then read back after a restart: a bitmap and a
//! HyperLogLog are strings (their bytes), a geo set a sorted set.

mod common;

use common::pg::Schema;
use common::reply::q;
use common::sqlite::{stored_string, stored_zset};
use common::{Server, resp};

/// Palermo's score: its 52-bit geohash.
const PALERMO: f64 = 3_479_099_956_230_698.0;

/// Writes one value of each family, flushes, checks the rows with
/// `landed`, restarts with `extra` and checks every reply is the same
/// after the restart.
fn write_restart_read(extra: &[&str], landed: impl Fn(&Server)) {
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
    assert_eq!(before[2], ":3");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    landed(&server);
    let server = server.restart(extra);
    let mut c = server.raw();
    let after: Vec<String> = reads.iter().map(|args| q(&mut c, args)).collect();
    assert_eq!(after, before);
    // Still the types they were: a HyperLogLog keeps counting.
    assert_eq!(q(&mut c, &["PFADD", "visitors", "ada", "barbara"]), ":1");
    assert_eq!(q(&mut c, &["PFCOUNT", "visitors"]), ":4");
}

#[test]
fn bitmaps_hyperloglogs_and_geo_sets_survive_a_restart_in_sqlite() {
    write_restart_read(&["--flush-interval", "1h"], |server| {
        let (bitmap, _) = stored_string(server, "visits").expect("the bitmap's row");
        assert_eq!(bitmap.len(), 13);
        let (hll, _) = stored_string(server, "visitors").expect("the HyperLogLog's row");
        assert_eq!((&hll[..4], hll.len()), (&b"HYLL"[..], 12_304));
        assert_eq!(stored_zset(server, "shops").get("palermo"), Some(&PALERMO));
    });
}

#[test]
fn bitmaps_hyperloglogs_and_geo_sets_survive_a_restart_in_postgres() {
    let Some(schema) = Schema::create("string_types") else { return };
    write_restart_read(&["--store", &schema.url(), "--flush-interval", "1h"], |_| {
        let strings = schema.query(
            "SELECT convert_from(key, 'UTF8') || '=' || length(value) FROM jotter_strings ORDER BY key",
        );
        assert_eq!(strings.lines().collect::<Vec<_>>(), ["visitors=12304", "visits=13"]);
        let shops = schema.query(
            "SELECT convert_from(member, 'UTF8') || '=' || score::bigint FROM jotter_zsets ORDER BY member",
        );
        assert_eq!(
            shops.lines().collect::<Vec<_>>(),
            ["catania=3479447370796909", "palermo=3479099956230698"]
        );
    });
}
