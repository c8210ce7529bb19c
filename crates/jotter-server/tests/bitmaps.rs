//! Bitmaps against the real redis-server: random histories of SETBIT,
//! GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO (with bad
//! offsets, types, units and overflow modes), mixed with plain string
//! writes and a hash for WRONGTYPE; every reply equal, in RESP2 and RESP3.

mod common;

use common::differential::{Command, Pair, Rng};

const KEYS: &[&str] = &["b1", "b2", "b3", "h"];
const OFFSETS: &[&str] = &["-1", "4294967296", "x", "#2", "1.5"];
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "7",
    "100",
    "-100",
    "127",
    "128",
    "255",
    "-129",
    "65535",
    "9223372036854775807",
    "-9223372036854775808",
    "x",
];
const UNITS: &[&str] = &["BYTE", "BIT", "bit", "WORD"];

fn offset(rng: &mut Rng) -> String {
    if rng.chance(0.05) { rng.pick(OFFSETS).to_string() } else { rng.below(72).to_string() }
}

fn range_int(rng: &mut Rng) -> String {
    rng.between(-24, 24).to_string()
}

fn field_type(rng: &mut Rng) -> String {
    if rng.chance(0.05) {
        return rng.pick(&["u64", "i65", "x8", "u0", "i"]).to_string();
    }
    let signed = rng.chance(0.5);
    let bits = 1 + rng.below(if signed { 64 } else { 63 });
    format!("{}{bits}", if signed { "i" } else { "u" })
}

fn field_offset(rng: &mut Rng) -> String {
    if rng.chance(0.2) { format!("#{}", rng.below(6)) } else { offset(rng) }
}

fn bitfield(rng: &mut Rng, read_only: bool) -> Vec<String> {
    let key = rng.pick(KEYS).to_string();
    let name = if read_only { "BITFIELD_RO" } else { "BITFIELD" };
    let mut args = vec![name.to_owned(), key];
    for _ in 0..rng.below(4) {
        match rng.below(if read_only { 5 } else { 4 }) {
            0 | 4 => args.extend(["GET".to_owned(), field_type(rng), field_offset(rng)]),
            1 => args.extend([
                "SET".to_owned(),
                field_type(rng),
                field_offset(rng),
                rng.pick(INTS).to_string(),
            ]),
            2 => args.extend([
                "INCRBY".to_owned(),
                field_type(rng),
                field_offset(rng),
                rng.pick(INTS).to_string(),
            ]),
            _ => args.extend([
                "OVERFLOW".to_owned(),
                rng.pick(&["WRAP", "SAT", "FAIL", "fail", "BAD"]).to_string(),
            ]),
        }
    }
    if rng.chance(0.03) {
        args.push("GET".to_owned());
    }
    args
}

fn one(rng: &mut Rng) -> Command {
    let key = rng.pick(KEYS).to_string();
    let other = rng.pick(KEYS).to_string();
    let args: Vec<String> = match rng.below(16) {
        0..=2 => {
            let bit = rng.pick(&["0", "1", "1", "2", "x"]).to_string();
            vec!["SETBIT".into(), key, offset(rng), bit]
        }
        3 => vec!["GETBIT".into(), key, offset(rng)],
        4 | 5 => {
            let mut a = vec!["BITCOUNT".into(), key];
            match rng.below(4) {
                0 => {}
                1 => a.push(range_int(rng)),
                _ => a.extend([range_int(rng), range_int(rng)]),
            }
            if a.len() == 4 && rng.chance(0.6) {
                a.push(rng.pick(UNITS).to_string());
            }
            a
        }
        6 | 7 => {
            let bit = rng.pick(&["0", "1", "1", "0", "2"]).to_string();
            let mut a = vec!["BITPOS".into(), key, bit];
            for _ in 0..rng.below(3) {
                a.push(range_int(rng));
            }
            if a.len() == 5 && rng.chance(0.6) {
                a.push(rng.pick(UNITS).to_string());
            }
            a
        }
        8 => {
            let op = rng.pick(&["AND", "or", "XOR", "NOT", "NOT", "NAND"]).to_string();
            let mut a = vec!["BITOP".into(), op, key, other];
            if rng.chance(0.5) {
                a.push(rng.pick(KEYS).to_string());
            }
            a
        }
        9 | 10 => bitfield(rng, false),
        11 => bitfield(rng, true),
        12 => vec!["GET".into(), key],
        13 => {
            let value = rng.pick(&["", "a", "\u{7f}zz", "hello world", "12"]).to_string();
            vec![rng.pick(&["SET", "APPEND"]).to_string(), key, value]
        }
        14 => vec!["HSET".into(), "h".into(), "f".into(), "v".into()],
        _ => vec!["DEL".into(), key],
    };
    Command::from(args)
}

#[test]
fn bitmap_histories_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.fuzz_both_protocols(11, 3000, one);
}

#[test]
fn bitmap_limits_and_ttls_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    // The last bit of the largest string is allowed; one past it is not.
    pair.same(&["BITFIELD", "k", "GET", "u8", "4294967288"]);
    pair.same(&["BITFIELD", "k", "GET", "u8", "4294967296"]);
    pair.same(&["GETBIT", "k", "4294967295"]);
    pair.same(&["SETBIT", "k", "4294967296", "1"]);
    pair.same(&["BITFIELD", "k", "SET", "i64", "#67108864", "1"]);
    // A change in place keeps the TTL; BITOP's destination loses it.
    pair.same(&["SET", "t", "abc", "EX", "1000"]);
    pair.same(&["SETBIT", "t", "3", "1"]);
    pair.same(&["BITFIELD", "t", "INCRBY", "u4", "0", "3"]);
    pair.same(&["PERSIST", "t"]);
    pair.same(&["SET", "d", "x", "EX", "1000"]);
    pair.same(&["BITOP", "OR", "d", "t", "missing"]);
    pair.same(&["TTL", "d"]);
    pair.same(&["BITOP", "AND", "d", "missing"]);
    pair.same(&["EXISTS", "d"]);
    // Longer strings: whole runs of set and clear bytes between the edges.
    for line in [
        "SETBIT long 1000 1",
        "SETBIT long 3 1",
        "BITPOS long 1 1",
        "BITPOS long 1 4 200 BIT",
        "BITPOS long 0 0 -1 BIT",
        "BITCOUNT long 1 -1",
        "BITCOUNT long 3 1000 BIT",
        "BITOP NOT inverse long",
        "BITPOS inverse 0 1",
        "BITPOS inverse 0 1 -1",
        "BITPOS inverse 1 -1 -1 BYTE",
        "BITFIELD long GET i64 960 GET u63 #15 INCRBY i64 #15 -9223372036854775808",
    ] {
        pair.same(&line.split(' ').collect::<Vec<_>>());
    }
    // A write whose every operation fails still creates the key.
    pair.same(&["BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "9"]);
    pair.same(&["STRLEN", "f"]);
}
