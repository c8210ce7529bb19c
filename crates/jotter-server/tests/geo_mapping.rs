//! Geo sets mapped into the user's table of places (`[[mapping]] kind =
//! "geo"`) through the server against the real PostgreSQL: GEOADD lands as
//! rows holding GEOPOS's positions, ZREM and DEL delete rows, a ZADD score
//! that is no position is refused at once, and after a restart GEOPOS,
//! GEODIST, GEOHASH and GEOSEARCH answer exactly as before.

mod common;

use common::Server;
use common::pg::Schema;
use common::reply::q;

const PLACES: &str = "CREATE TABLE places (city text NOT NULL, name text NOT NULL, \
                      lon double precision, lat double precision, UNIQUE (city, name))";

fn places_config(schema: &Schema) -> String {
    format!(
        "store = \"{}\"\nflush-interval = \"1h\"\n\n[[mapping]]\nkeys = \"shops:*\"\n\
         table = \"places\"\nkey-column = \"city\"\nkind = \"geo\"\nmember-column = \"name\"\n\
         longitude-column = \"lon\"\nlatitude-column = \"lat\"\n",
        schema.url()
    )
}

/// The geo replies a read-back must keep.
fn answers(c: &mut common::Raw) -> Vec<String> {
    [
        &["GEOPOS", "shops:rome", "gelato", "pizza", "espresso", "none"][..],
        &["GEODIST", "shops:rome", "gelato", "pizza", "m"],
        &["GEOHASH", "shops:rome", "gelato", "pizza", "espresso"],
        &[
            "GEOSEARCH",
            "shops:rome",
            "FROMLONLAT",
            "12.49",
            "41.9",
            "BYRADIUS",
            "5",
            "km",
            "ASC",
            "WITHCOORD",
            "WITHDIST",
            "WITHHASH",
        ],
        &["ZRANGE", "shops:rome", "0", "-1", "WITHSCORES"],
        &["GEOPOS", "shops:milan", "duomo"],
    ]
    .iter()
    .map(|args| q(c, args))
    .collect()
}

#[test]
fn geo_sets_land_as_rows_and_read_back_the_same() {
    let Some(schema) = Schema::create("geo_mapping") else { return };
    schema.query(PLACES);
    let server = Server::start_with_config(&places_config(&schema), &[]);
    let mut c = server.raw();
    let added = ["12.4964", "41.9028", "gelato", "12.4823", "41.8986", "pizza"];
    assert_eq!(q(&mut c, &[&["GEOADD", "shops:rome"][..], &added].concat()), ":2");
    q(&mut c, &["GEOADD", "shops:rome", "12.4731", "41.8992", "espresso", "0", "0", "gone"]);
    q(&mut c, &["GEOADD", "shops:milan", "9.1916", "45.4642", "duomo", "9.1727", "45.4507", "x"]);
    assert_eq!(q(&mut c, &["JOTTER.FLUSH", "10000"]), "+OK");

    // Each row holds the position GEOPOS answers (printed with 17
    // decimals, so equal to the double within 1e-12).
    let rows = schema.query("SELECT city, name, lon, lat FROM places ORDER BY city, name");
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(rows.len(), 6, "{rows:?}");
    for row in rows {
        let [city, name, lon, lat] = row.split('|').collect::<Vec<_>>()[..] else {
            panic!("{row}")
        };
        let pos = q(&mut c, &["GEOPOS", &format!("shops:{city}"), name]);
        let coords: Vec<f64> = pos
            .trim_matches(|c| c == '[' || c == ']')
            .split(", ")
            .map(|s| s.trim_matches('"').parse().unwrap())
            .collect();
        let (lon, lat): (f64, f64) = (lon.parse().unwrap(), lat.parse().unwrap());
        assert!((coords[0] - lon).abs() < 1e-12 && (coords[1] - lat).abs() < 1e-12, "{row} {pos}");
    }

    // ZREM deletes a row; a moved member's row follows it; DEL deletes the
    // key's rows.
    assert_eq!(q(&mut c, &["ZREM", "shops:rome", "gone"]), ":1");
    q(&mut c, &["GEOADD", "shops:rome", "12.4735", "41.8990", "espresso"]);
    q(&mut c, &["DEL", "shops:milan"]);
    q(&mut c, &["GEOADD", "shops:milan", "9.1916", "45.4642", "duomo"]);
    // A score that stands for no position is refused at once, and so is a
    // member a text column cannot hold.
    let refused = q(&mut c, &["ZADD", "shops:rome", "1.5", "odd"]);
    assert!(refused.starts_with("-ERR the store would refuse this write"), "{refused}");
    assert!(refused.contains("score 1.5, which is not a geohash"), "{refused}");
    let refused = q(&mut c, &["ZINCRBY", "shops:rome", "0.5", "gelato"]);
    assert!(refused.contains("not a geohash"), "{refused}");
    assert_eq!(q(&mut c, &["JOTTER.FLUSH", "10000"]), "+OK");
    assert_eq!(
        schema.query("SELECT city || ' ' || name FROM places ORDER BY city, name"),
        "milan duomo\nrome espresso\nrome gelato\nrome pizza"
    );
    let espresso = schema.query("SELECT lon FROM places WHERE name = 'espresso'");
    assert!(espresso.starts_with("12.4734"), "{espresso}");

    // After a restart every answer is read back from the rows.
    let before = answers(&mut c);
    assert!(before[0].contains("12.49639"), "{before:?}");
    let path = server.dir.path().join("jotter.toml");
    let server = server.restart(&["--config", path.to_str().unwrap()]);
    let mut c = server.raw();
    assert_eq!(answers(&mut c), before);
    assert_eq!(q(&mut c, &["TYPE", "shops:rome"]), "+zset");

    // A row added by SQL joins its set at the next read-back.
    schema.query("INSERT INTO places VALUES ('turin', 'mole', 7.6932, 45.0690)");
    let pos = q(&mut c, &["GEOPOS", "shops:turin", "mole"]);
    assert!(pos.contains("\"7.6932") && pos.contains("\"45.0690"), "{pos}");
}
