//! Geo sets against the real redis-server: random histories of GEOADD,
//! GEOPOS, GEODIST, GEOHASH and every search (GEORADIUS,
//! GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH, GEOSEARCHSTORE) with
//! their options, points clustered so searches find some and miss others;
//! replies compared in order (Redis's search order is reproduced), in
//! RESP2 and RESP3, errors included.

mod common;

use common::differential::{Command, Pair, Rng};

const KEYS: &[&str] = &["g1", "g2", "s", "missing"];
const MEMBERS: &[&str] = &["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
const CENTRES: &[(f64, f64)] =
    &[(13.361389, 38.115556), (-73.98, 40.75), (179.9, -84.9), (0.0, 0.0)];
const UNITS: &[&str] = &["m", "km", "km", "KM", "km", "ft", "mi", "mi", "km", "yd"];

fn coordinates(rng: &mut Rng) -> (String, String) {
    if rng.chance(0.03) {
        return (
            rng.pick(&["181", "x", "-180"]).to_string(),
            rng.pick(&["86", "0", "nan"]).to_string(),
        );
    }
    let (lon, lat) = *rng.pick(&CENTRES.iter().collect::<Vec<_>>());
    if rng.chance(0.2) {
        // The centre itself: members at one place, at equal distances.
        return (format!("{lon:.6}"), format!("{lat:.6}"));
    }
    let jitter = |rng: &mut Rng| (rng.below(4_000_000) as f64 - 2_000_000.0) / 1_000_000.0;
    let lon = (lon + jitter(rng)).clamp(-180.0, 180.0);
    let lat = (lat + jitter(rng)).clamp(-85.0, 85.0);
    (format!("{lon:.6}"), format!("{lat:.6}"))
}

fn radius(rng: &mut Rng) -> String {
    if rng.chance(0.03) {
        return rng.pick(&["-1", "x"]).to_string();
    }
    rng.below(300).to_string()
}

fn options(rng: &mut Rng, args: &mut Vec<String>, store: bool) {
    for _ in 0..rng.below(4) {
        match rng.below(9) {
            0 => args.push("WITHDIST".into()),
            1 => args.push("WITHCOORD".into()),
            2 => args.push("WITHHASH".into()),
            3 => args.push(rng.pick(&["ASC", "DESC"]).to_string()),
            4 | 5 => {
                args.extend([
                    "COUNT".into(),
                    rng.pick(&["1", "2", "3", "5", "20", "0", "x"]).to_string(),
                ]);
                if rng.chance(0.4) {
                    args.push("ANY".into());
                }
            }
            6 if store => {
                args.extend([rng.pick(&["STORE", "STOREDIST"]).to_string(), "dst".into()])
            }
            7 if rng.chance(0.1) => args.push("ANY".into()),
            _ => {}
        }
    }
}

fn one(rng: &mut Rng) -> Command {
    let key = rng.pick(KEYS).to_string();
    let member = rng.pick(MEMBERS).to_string();
    let mut args: Vec<String> = match rng.below(14) {
        0..=3 => {
            let mut a = vec!["GEOADD".to_owned(), key];
            if rng.chance(0.3) {
                a.push(rng.pick(&["NX", "XX", "CH", "ch", "GT"]).to_string());
            }
            for _ in 0..1 + rng.below(3) {
                let (lon, lat) = coordinates(rng);
                a.extend([lon, lat, rng.pick(MEMBERS).to_string()]);
            }
            a
        }
        4 => {
            let mut a = vec!["GEOPOS".to_owned(), key];
            a.extend((0..rng.below(3)).map(|_| rng.pick(MEMBERS).to_string()));
            a
        }
        5 => {
            let mut a = vec!["GEODIST".to_owned(), key, member, rng.pick(MEMBERS).to_string()];
            if rng.chance(0.6) {
                a.push(rng.pick(UNITS).to_string());
            }
            a
        }
        6 => vec!["GEOHASH".into(), key, member, rng.pick(MEMBERS).to_string()],
        7 | 8 => {
            let name = rng.pick(&["GEORADIUS", "GEORADIUS_RO"]).to_string();
            let store = name == "GEORADIUS";
            let (lon, lat) = coordinates(rng);
            let mut a = vec![name, key, lon, lat, radius(rng), rng.pick(UNITS).to_string()];
            options(rng, &mut a, store);
            return Command::from(a);
        }
        9 => {
            let name = rng.pick(&["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]).to_string();
            let store = name == "GEORADIUSBYMEMBER";
            let mut a = vec![name, key, member, radius(rng), rng.pick(UNITS).to_string()];
            options(rng, &mut a, store);
            return Command::from(a);
        }
        10 | 11 => {
            let store = rng.chance(0.3);
            let mut a = if store {
                vec!["GEOSEARCHSTORE".to_owned(), "dst".to_owned(), key]
            } else {
                vec!["GEOSEARCH".to_owned(), key]
            };
            if rng.chance(0.5) {
                a.extend(["FROMMEMBER".into(), member]);
            } else {
                let (lon, lat) = coordinates(rng);
                a.extend(["FROMLONLAT".into(), lon, lat]);
            }
            if rng.chance(0.5) {
                a.extend(["BYRADIUS".into(), radius(rng), rng.pick(UNITS).to_string()]);
            } else {
                a.extend(["BYBOX".into(), radius(rng), radius(rng), rng.pick(UNITS).to_string()]);
            }
            options(rng, &mut a, false);
            if store && rng.chance(0.5) {
                a.push("STOREDIST".into());
            }
            if rng.chance(0.05) {
                a.swap(2, 3);
            }
            return Command::from(a);
        }
        12 => vec!["ZRANGE".into(), "dst".into(), "0".into(), "-1".into(), "WITHSCORES".into()],
        _ => vec![rng.pick(&["DEL", "ZCARD", "TYPE"]).to_string(), key],
    };
    if rng.chance(0.02) {
        args.truncate(args.len() - 1);
    }
    Command::from(args)
}

#[test]
fn geo_histories_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.same(&["SET", "s", "a string"]);
    pair.fuzz(31, 3000, one);
    pair.same(&["FLUSHALL"]);
    pair.same(&["SET", "s", "a string"]);
    pair.resp3();
    pair.fuzz(32, 3000, one);
}

#[test]
fn geo_examples_from_redis_docs() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    same_lines(
        &mut pair,
        &[
            "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
            "GEODIST Sicily Palermo Catania",
            "GEORADIUS Sicily 15 37 100 km",
            "GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH",
            "GEOADD Sicily 13.583333 37.316667 Agrigento",
            "GEORADIUSBYMEMBER Sicily Agrigento 100 km",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST",
            "GEOSEARCHSTORE key2 Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC COUNT 3 STOREDIST",
            "ZRANGE key2 0 -1 WITHSCORES",
            "GEOHASH Sicily Palermo Catania nobody",
            "GEOPOS Sicily Palermo nobody",
            // Huge radii, where neighbouring cells repeat, and the edges of
            // the latitudes a geohash covers.
            "GEORADIUS Sicily 0 0 20000 km ASC",
            "GEOADD poles -180 85.05112878 n 180 -85.05112878 s",
            "GEOPOS poles n s",
            "GEOHASH poles n s",
            "GEORADIUS poles 0 85 5000 km WITHDIST",
        ],
    );
}

/// Scores that GEOADD never writes (ZADD writes any) decode as Redis's do;
/// geo commands inside MULTI; STORE and STOREDIST both given (the last
/// wins), and STORE into the source.
#[test]
fn odd_scores_transactions_and_stores_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    same_lines(
        &mut pair,
        &[
            "ZADD w 1.5 a 0 b 4503599627370495 c 4503599627370496 d 1e20 e -5 f",
            "GEOPOS w a b c d e f",
            "GEOHASH w a b c d e f",
            "GEODIST w a c",
            "GEORADIUS w 0 0 20000 km WITHCOORD WITHHASH",
            "GEOSEARCH w FROMMEMBER c BYBOX 40000 40000 km WITHDIST",
            "GEORADIUS w 0 0 0 m",
            "GEOADD w 0 0 z",
            "GEORADIUS w 0 0 0 m",
            "MULTI",
            "GEOADD w 1 1 y",
            "PFADD p a",
            "SETBIT s 1 1",
            "EXEC",
            "GEORADIUSBYMEMBER w y 200 km STORE d1 STOREDIST d2",
            "ZRANGE d2 0 -1 WITHSCORES",
            "EXISTS d1",
            "GEORADIUS w 1 1 200 km STORE w",
            "ZRANGE w 0 -1 WITHSCORES",
        ],
    );
}

/// Members at the same place: sorted results keep Redis's order among
/// equal distances, with COUNT (Redis's partial quicksort) and without.
#[test]
fn equal_distances_keep_redis_order() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    same_lines(
        &mut pair,
        &[
            "GEOADD t 10 10 e 10 10 d 10 10 c 10.5 10 x 10 10 b 10 10 a 9.5 10 y",
            "GEORADIUS t 10 10 100 km ASC",
            "GEORADIUS t 10 10 100 km DESC",
            "GEORADIUS t 10 10 100 km COUNT 2",
            "GEORADIUS t 10 10 100 km COUNT 3 DESC",
            "GEORADIUS t 10 10 100 km COUNT 6",
            "GEORADIUS t 10.1 10 100 km COUNT 4",
            "GEORADIUS t 10.1 10 100 km COUNT 6 DESC",
        ],
    );
}

/// Each line (space-separated arguments) to both servers, replies equal.
fn same_lines(pair: &mut Pair, lines: &[&str]) {
    for line in lines {
        pair.same(&line.split(' ').collect::<Vec<_>>());
    }
}
