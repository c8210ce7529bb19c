//! HyperLogLogs against the real redis-server: random histories of PFADD,
//! PFCOUNT and PFMERGE, small and large, with a plain string and a hash
//! among the keys for both WRONGTYPE errors; every count equal, in RESP2
//! and RESP3. The stored bytes are not compared: Redis keeps small
//! HyperLogLogs sparse, Jotter always dense; both read the other's.

mod common;

use std::io::Read;

use common::Raw;
use common::differential::{Command, Pair, Rng};

const KEYS: &[&str] = &["p1", "p2", "p3", "s", "h", "missing"];

fn element(rng: &mut Rng) -> String {
    format!("e{}", rng.below(5000))
}

fn one(rng: &mut Rng) -> Command {
    let key = rng.pick(KEYS).to_string();
    let args: Vec<String> = match rng.below(10) {
        0..=3 => {
            let n = if rng.chance(0.1) { 300 } else { rng.below(5) };
            let mut a = vec!["PFADD".to_owned(), key];
            a.extend((0..n).map(|_| element(rng)));
            a
        }
        4 | 5 => {
            let mut a = vec!["PFCOUNT".to_owned(), key];
            a.extend((0..rng.below(3)).map(|_| rng.pick(KEYS).to_string()));
            a
        }
        6 => {
            let mut a = vec!["PFMERGE".to_owned(), key];
            a.extend((0..rng.below(3)).map(|_| rng.pick(KEYS).to_string()));
            a
        }
        7 => vec!["SET".to_owned(), "s".to_owned(), rng.pick(&["HYLL", "x", ""]).to_string()],
        8 => vec!["HSET".to_owned(), "h".to_owned(), "f".to_owned(), "v".to_owned()],
        _ => vec![rng.pick(&["DEL", "TYPE", "EXISTS"]).to_string(), key],
    };
    Command::from(args)
}

#[test]
fn hyperloglog_histories_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.fuzz_both_protocols(21, 1500, one);
}

#[test]
fn large_counts_equal_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    for round in 0..40 {
        let mut args = vec!["PFADD".to_owned(), "big".to_owned()];
        args.extend((0..500).map(|i| format!("{round}:{i}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        pair.same(&args);
        pair.same(&["PFCOUNT", "big"]);
    }
    pair.same(&["PFMERGE", "copy", "big", "none"]);
    pair.same(&["PFCOUNT", "copy", "big"]);
    pair.same(&["PFADD", "empty"]);
    pair.same(&["PFADD", "empty"]);
    pair.same(&["PFCOUNT", "empty"]);
}

#[test]
fn values_move_between_redis_and_jotter() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    // Redis's sparse form (few elements) and dense form (many) read here,
    // and Jotter's dense form reads in Redis.
    for (key, n) in [("sparse", 20), ("dense", 3000)] {
        let mut args = vec!["PFADD".to_owned(), key.to_owned()];
        args.extend((0..n).map(|i| format!("x{i}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        pair.same(&args);
        let from_redis = get_bytes(&mut pair.r, key);
        set_bytes(&mut pair.j, key, &from_redis);
        pair.same(&["PFCOUNT", key]);
        pair.same(&["PFADD", key, "one more", "x1"]);
        pair.same(&["PFCOUNT", key]);
        let from_jotter = get_bytes(&mut pair.j, key);
        set_bytes(&mut pair.r, key, &from_jotter);
        pair.same(&["PFCOUNT", key]);
    }
}

/// GET of a binary value, its exact bytes.
fn get_bytes(c: &mut Raw, key: &str) -> Vec<u8> {
    c.send(&common::resp(&["GET", key]));
    let header = c.read_line();
    let len: usize = header[1..].trim_end().parse().expect("a bulk reply");
    let mut body = vec![0; len + 2];
    c.stream.read_exact(&mut body).expect("the value");
    body.truncate(len);
    body
}

/// SET of a binary value.
fn set_bytes(c: &mut Raw, key: &str, value: &[u8]) {
    let mut request =
        format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n", key.len(), value.len()).into_bytes();
    request.extend_from_slice(value);
    request.extend_from_slice(b"\r\n");
    c.roundtrip(&request, b"+OK\r\n");
}
