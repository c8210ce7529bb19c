//! The string family against Redis 7.0's exact replies: every command and
//! option, the error texts, expiry (by behaviour and in SQLite), RESP2 and
//! RESP3 shapes, and MULTI/EXEC. Wrong-type errors are in the unit tests of
//! `command/strings/mod.rs` (no other type can be made here yet).

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::reply::{flush, hello3, rt, rt_all};
use common::sqlite::stored_string;
use common::{Raw, Server, resp};

/// (value, expires_at) of `key` in `jotter_strings`, after a flush.
fn stored(server: &Server, c: &mut Raw, key: &str) -> Option<(Vec<u8>, Option<i64>)> {
    flush(c);
    stored_string(server, key)
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[test]
fn get_and_set_with_nx_xx_get() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["GET", "k"], "$-1\r\n");
    rt(&mut c, &["SET", "k", "v"], "+OK\r\n");
    rt(&mut c, &["GET", "k"], "$1\r\nv\r\n");
    rt(&mut c, &["SET", "k", ""], "+OK\r\n");
    rt(&mut c, &["GET", "k"], "$0\r\n\r\n");
    // NX / XX
    rt(&mut c, &["SET", "k", "a", "NX"], "$-1\r\n");
    rt(&mut c, &["SET", "n", "a", "xx"], "$-1\r\n");
    rt(&mut c, &["GET", "n"], "$-1\r\n");
    rt(&mut c, &["SET", "n", "a", "nx"], "+OK\r\n");
    rt(&mut c, &["SET", "n", "b", "XX"], "+OK\r\n");
    rt(&mut c, &["GET", "n"], "$1\r\nb\r\n");
    // GET: the old value (or nil) instead of OK, NX/XX still apply.
    rt(&mut c, &["SET", "n", "c", "GET"], "$1\r\nb\r\n");
    rt(&mut c, &["SET", "g", "c", "GET"], "$-1\r\n");
    rt(&mut c, &["GET", "g"], "$1\r\nc\r\n");
    rt(&mut c, &["SET", "n", "d", "NX", "GET"], "$1\r\nc\r\n");
    rt(&mut c, &["GET", "n"], "$1\r\nc\r\n");
    rt(&mut c, &["SET", "none", "d", "XX", "GET"], "$-1\r\n");
    rt(&mut c, &["GET", "none"], "$-1\r\n");
    rt(&mut c, &["SET", "n", "e", "get", "get"], "$1\r\nc\r\n");
    // Syntax: conflicting or unknown options, a missing expiry value.
    for bad in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX", "10", "PX", "10"],
        &["SET", "k", "v", "PXAT", "10", "EXAT", "10"],
        &["SET", "k", "v", "EX", "10", "KEEPTTL"],
        &["SET", "k", "v", "KEEPTTL", "PX", "10"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PERSIST"],
        &["SET", "k", "v", "foo"],
    ] {
        rt(&mut c, bad, "-ERR syntax error\r\n");
    }
    rt(&mut c, &["SET", "k"], "-ERR wrong number of arguments for 'set' command\r\n");
    rt(&mut c, &["GET", "n"], "$1\r\ne\r\n");
}

#[test]
fn expiry_arguments_are_checked_as_redis_does() {
    let (_server, mut c) = Server::start_raw();
    let invalid = "-ERR invalid expire time in 'set' command\r\n";
    rt(&mut c, &["SET", "k", "v", "EX", "0"], invalid);
    rt(&mut c, &["SET", "k", "v", "PX", "-5"], invalid);
    rt(&mut c, &["SET", "k", "v", "EXAT", "0"], invalid);
    // Seconds that overflow when multiplied, or when added to now.
    rt(&mut c, &["SET", "k", "v", "EX", "9223372036854776"], invalid);
    rt(&mut c, &["SET", "k", "v", "EX", "9223372036854775"], invalid);
    rt(&mut c, &["SET", "k", "v", "PX", "9223372036854775807"], invalid);
    rt(&mut c, &["SET", "k", "v", "EX", "1.5"], "-ERR value is not an integer or out of range\r\n");
    rt(&mut c, &["GET", "k"], "$-1\r\n");
    rt(&mut c, &["SETEX", "k", "0", "v"], "-ERR invalid expire time in 'setex' command\r\n");
    rt(&mut c, &["PSETEX", "k", "-1", "v"], "-ERR invalid expire time in 'psetex' command\r\n");
    rt(&mut c, &["SETEX", "k", "x", "v"], "-ERR value is not an integer or out of range\r\n");
    rt(&mut c, &["SET", "k", "v"], "+OK\r\n");
    rt(&mut c, &["GETEX", "k", "EX", "-1"], "-ERR invalid expire time in 'getex' command\r\n");
    rt(&mut c, &["GETEX", "k", "PX", "x"], "-ERR value is not an integer or out of range\r\n");
    // GETEX checks the option syntax first, the key next, the value last.
    rt(&mut c, &["GETEX", "absent", "EX", "-1"], "$-1\r\n");
    rt(&mut c, &["GETEX", "absent", "EX", "1", "PX", "1"], "-ERR syntax error\r\n");
    rt(&mut c, &["GETEX", "k", "PERSIST", "1"], "-ERR syntax error\r\n");
    rt(&mut c, &["GETEX", "k", "PX"], "-ERR syntax error\r\n");
    rt(&mut c, &["GETEX", "k", "KEEPTTL"], "-ERR syntax error\r\n");
    rt(&mut c, &["GETEX", "k", "NX"], "-ERR syntax error\r\n");
    rt(&mut c, &["GETEX", "k", "GET"], "-ERR syntax error\r\n");
    rt(&mut c, &["GETEX", "k", "EX", "10", "PERSIST"], "-ERR syntax error\r\n");
    rt(&mut c, &["GET", "k"], "$1\r\nv\r\n");
}

#[test]
fn keys_expire_and_keep_or_lose_their_ttl_as_in_redis() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["SET", "px", "v", "PX", "150"], "+OK\r\n");
    rt(&mut c, &["SET", "ex", "v", "EX", "100"], "+OK\r\n");
    rt(&mut c, &["SETEX", "setex", "100", "v"], "+OK\r\n");
    rt(&mut c, &["PSETEX", "psetex", "150", "v"], "+OK\r\n");
    let at = (now_ms() + 150).to_string();
    rt(&mut c, &["SET", "pxat", "v", "PXAT", &at], "+OK\r\n");
    // A time already past: the key is gone at once (GET still answers).
    rt(&mut c, &["SET", "past", "old"], "+OK\r\n");
    rt(&mut c, &["SET", "past", "new", "EXAT", "1", "GET"], "$3\r\nold\r\n");
    rt(&mut c, &["GET", "past"], "$-1\r\n");
    rt(&mut c, &["SET", "past", "new", "PXAT", "1"], "+OK\r\n");
    rt(&mut c, &["GET", "past"], "$-1\r\n");
    // In-place changes keep the TTL; SET and GETSET clear it; KEEPTTL keeps it.
    for key in ["incr", "incrby", "decr", "float", "append", "setrange", "keepttl", "set", "getset"]
    {
        rt(&mut c, &["SET", key, "1", "PX", "150"], "+OK\r\n");
    }
    rt(&mut c, &["INCR", "incr"], ":2\r\n");
    rt(&mut c, &["INCRBY", "incrby", "5"], ":6\r\n");
    rt(&mut c, &["DECR", "decr"], ":0\r\n");
    rt(&mut c, &["INCRBYFLOAT", "float", "0.5"], "$3\r\n1.5\r\n");
    rt(&mut c, &["APPEND", "append", "2"], ":2\r\n");
    rt(&mut c, &["SETRANGE", "setrange", "1", "2"], ":2\r\n");
    rt(&mut c, &["SET", "keepttl", "2", "KEEPTTL"], "+OK\r\n");
    rt(&mut c, &["SET", "set", "2"], "+OK\r\n");
    rt(&mut c, &["GETSET", "getset", "2"], "$1\r\n1\r\n");
    // GETEX sets, replaces and removes a TTL.
    rt(&mut c, &["SET", "getex", "v"], "+OK\r\n");
    rt(&mut c, &["GETEX", "getex", "PX", "150"], "$1\r\nv\r\n");
    rt(&mut c, &["SET", "persist", "v", "PX", "150"], "+OK\r\n");
    rt(&mut c, &["GETEX", "persist", "PERSIST"], "$1\r\nv\r\n");
    rt(&mut c, &["SET", "plain", "v", "PX", "150"], "+OK\r\n");
    rt(&mut c, &["GETEX", "plain"], "$1\r\nv\r\n");
    rt(&mut c, &["SET", "gone", "v"], "+OK\r\n");
    rt(&mut c, &["GETEX", "gone", "PXAT", "1"], "$1\r\nv\r\n");
    rt(&mut c, &["GET", "gone"], "$-1\r\n");
    rt(&mut c, &["GET", "px"], "$1\r\nv\r\n");

    sleep_ms(300);
    for key in [
        "px", "psetex", "pxat", "incr", "incrby", "decr", "float", "append", "setrange", "keepttl",
        "getex", "plain",
    ] {
        c.send(&resp(&["GET", key]));
        assert_eq!(c.read_line(), "$-1\r\n", "{key} should have expired");
    }
    for key in ["ex", "setex", "set", "getset"] {
        rt(&mut c, &["STRLEN", key], ":1\r\n");
    }
    rt(&mut c, &["GET", "persist"], "$1\r\nv\r\n");
}

#[test]
fn expiry_lands_in_sqlite_as_unix_milliseconds() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    let before = now_ms() as i64;
    rt(&mut c, &["SET", "ex", "v", "EX", "1000"], "+OK\r\n");
    rt(&mut c, &["SET", "exat", "v", "EXAT", "4102444800"], "+OK\r\n");
    rt(&mut c, &["SET", "pxat", "v", "PXAT", "4102444800123"], "+OK\r\n");
    rt(&mut c, &["SET", "plain", "v"], "+OK\r\n");
    rt(&mut c, &["SETEX", "persisted", "1000", "v"], "+OK\r\n");
    rt(&mut c, &["GETEX", "persisted", "PERSIST"], "$1\r\nv\r\n");
    rt(&mut c, &["SET", "counter", "41", "EXAT", "4102444800"], "+OK\r\n");
    rt(&mut c, &["INCR", "counter"], ":42\r\n");
    let after = now_ms() as i64;

    let (value, at) = stored(&server, &mut c, "ex").unwrap();
    assert_eq!(value, b"v");
    let at = at.expect("an expiry");
    assert!((before + 1_000_000..=after + 1_000_000).contains(&at), "{at}");
    assert_eq!(stored(&server, &mut c, "exat"), Some((b"v".to_vec(), Some(4_102_444_800_000))));
    assert_eq!(stored(&server, &mut c, "pxat"), Some((b"v".to_vec(), Some(4_102_444_800_123))));
    assert_eq!(stored(&server, &mut c, "plain"), Some((b"v".to_vec(), None)));
    assert_eq!(stored(&server, &mut c, "persisted"), Some((b"v".to_vec(), None)));
    assert_eq!(stored(&server, &mut c, "counter"), Some((b"42".to_vec(), Some(4_102_444_800_000))));
    // A deleting GETDEL and a past GETEX leave no row.
    rt(&mut c, &["GETDEL", "plain"], "$1\r\nv\r\n");
    rt(&mut c, &["GETEX", "exat", "EXAT", "1"], "$1\r\nv\r\n");
    assert_eq!(stored(&server, &mut c, "plain"), None);
    assert_eq!(stored(&server, &mut c, "exat"), None);
}

#[test]
fn setnx_getset_getdel() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["SETNX", "k", "a"], ":1\r\n");
    rt(&mut c, &["SETNX", "k", "b"], ":0\r\n");
    rt(&mut c, &["GET", "k"], "$1\r\na\r\n");
    rt(&mut c, &["GETSET", "k", "b"], "$1\r\na\r\n");
    rt(&mut c, &["GETSET", "new", "x"], "$-1\r\n");
    rt(&mut c, &["GET", "new"], "$1\r\nx\r\n");
    rt(&mut c, &["GETDEL", "k"], "$1\r\nb\r\n");
    rt(&mut c, &["GETDEL", "k"], "$-1\r\n");
    rt(&mut c, &["GET", "k"], "$-1\r\n");
    rt(&mut c, &["GETDEL", "k", "x"], "-ERR wrong number of arguments for 'getdel' command\r\n");
}

#[test]
fn mget_mset_msetnx() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["MSET", "a", "1", "b", "2"], "+OK\r\n");
    rt(&mut c, &["MGET", "a", "none", "b"], "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
    rt(&mut c, &["MSET", "a", "x", "a", "y"], "+OK\r\n");
    rt(&mut c, &["GET", "a"], "$1\r\ny\r\n");
    rt(&mut c, &["MSET", "a"], "-ERR wrong number of arguments for 'mset' command\r\n");
    rt(&mut c, &["MSET", "a", "1", "b"], "-ERR wrong number of arguments for 'mset' command\r\n");
    rt(
        &mut c,
        &["MSETNX", "a", "1", "c"],
        "-ERR wrong number of arguments for 'msetnx' command\r\n",
    );
    rt(&mut c, &["MSETNX", "c", "3", "a", "z"], ":0\r\n");
    rt(&mut c, &["GET", "c"], "$-1\r\n");
    rt(&mut c, &["MSETNX", "c", "3", "d", "4"], ":1\r\n");
    rt(&mut c, &["MGET", "c", "d", "a"], "*3\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\ny\r\n");
    rt(&mut c, &["GET", "b"], "$1\r\n2\r\n");
    hello3(&mut c);
    rt(&mut c, &["MGET", "a", "none"], "*2\r\n$1\r\ny\r\n_\r\n");
    rt(&mut c, &["GET", "none"], "_\r\n");
    rt(&mut c, &["SET", "none", "v", "XX"], "_\r\n");
    rt(&mut c, &["SET", "none", "v", "GET"], "_\r\n");
}

#[test]
fn append_strlen_getrange_substr_setrange() {
    let (_server, mut c) = Server::start_raw();
    let appends_and_ranges: &[(&[&str], &str)] = &[
        (&["APPEND", "s", "Hello"], ":5\r\n"),
        (&["APPEND", "s", " World"], ":11\r\n"),
        (&["APPEND", "s", ""], ":11\r\n"),
        (&["STRLEN", "s"], ":11\r\n"),
        (&["STRLEN", "none"], ":0\r\n"),
        (&["GETRANGE", "s", "0", "4"], "$5\r\nHello\r\n"),
        (&["GETRANGE", "s", "-5", "-1"], "$5\r\nWorld\r\n"),
        (&["GETRANGE", "s", "0", "-10"], "$2\r\nHe\r\n"),
        (&["GETRANGE", "s", "-1", "-3"], "$0\r\n\r\n"),
        (&["GETRANGE", "s", "5", "1000"], "$6\r\n World\r\n"),
        (&["GETRANGE", "s", "20", "30"], "$0\r\n\r\n"),
        (&["GETRANGE", "none", "0", "-1"], "$0\r\n\r\n"),
        (&["GETRANGE", "s", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
        (&["SUBSTR", "s", "0", "-1"], "$11\r\nHello World\r\n"),
        (&["SUBSTR", "s", "1", "1"], "$1\r\ne\r\n"),
        (&["SETRANGE", "s", "6", "Redis"], ":11\r\n"),
        (&["GET", "s"], "$11\r\nHello Redis\r\n"),
        (&["SETRANGE", "z", "3", "ab"], ":5\r\n"),
        (&["GET", "z"], "$5\r\n\0\0\0ab\r\n"),
        (&["SETRANGE", "z", "4", "XYZ"], ":7\r\n"),
        (&["GET", "z"], "$7\r\n\0\0\0aXYZ\r\n"),
        // Setting nothing creates nothing and changes nothing.
        (&["SETRANGE", "empty", "3", ""], ":0\r\n"),
        (&["GET", "empty"], "$-1\r\n"),
        (&["SETRANGE", "z", "100", ""], ":7\r\n"),
        (&["SETRANGE", "z", "-1", "a"], "-ERR offset is out of range\r\n"),
    ];
    rt_all(&mut c, appends_and_ranges);
    rt(&mut c, &["SETRANGE", "z", "x", "a"], "-ERR value is not an integer or out of range\r\n");
    let too_long = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    rt(&mut c, &["SETRANGE", "z", "536870912", "a"], too_long);
    rt(&mut c, &["SETRANGE", "new", "536870910", "abc"], too_long);
    rt(&mut c, &["SETRANGE", "z", "9223372036854775807", "a"], too_long);
    rt(&mut c, &["GET", "new"], "$-1\r\n");
}

#[test]
fn incr_decr_and_their_errors() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["INCR", "n"], ":1\r\n");
    rt(&mut c, &["DECR", "n"], ":0\r\n");
    rt(&mut c, &["DECR", "n"], ":-1\r\n");
    rt(&mut c, &["INCRBY", "n", "101"], ":100\r\n");
    rt(&mut c, &["DECRBY", "n", "50"], ":50\r\n");
    rt(&mut c, &["DECRBY", "n", "-5"], ":55\r\n");
    rt(&mut c, &["GET", "n"], "$2\r\n55\r\n");
    let not_int = "-ERR value is not an integer or out of range\r\n";
    rt(&mut c, &["INCRBY", "n", "x"], not_int);
    rt(&mut c, &["INCRBY", "n", "1.5"], not_int);
    rt(&mut c, &["INCRBY", "n", "9223372036854775808"], not_int);
    rt(&mut c, &["DECRBY", "n", "-9223372036854775808"], "-ERR decrement would overflow\r\n");
    let overflow = "-ERR increment or decrement would overflow\r\n";
    rt(&mut c, &["INCRBY", "n", "9223372036854775807"], overflow);
    rt(&mut c, &["SET", "n", "9223372036854775807"], "+OK\r\n");
    rt(&mut c, &["INCR", "n"], overflow);
    rt(&mut c, &["SET", "n", "-9223372036854775808"], "+OK\r\n");
    rt(&mut c, &["DECR", "n"], overflow);
    rt(&mut c, &["DECRBY", "n", "1"], overflow);
    rt(&mut c, &["GET", "n"], "$20\r\n-9223372036854775808\r\n");
    for bad in ["abc", " 1", "01", "1 ", "", "1.0", "+1"] {
        rt(&mut c, &["SET", "bad", bad], "+OK\r\n");
        rt(&mut c, &["INCR", "bad"], not_int);
    }
}

#[test]
fn incrbyfloat_formats_as_redis() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["INCRBYFLOAT", "f", "10.5"], "$4\r\n10.5\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", "0.1"], "$4\r\n10.6\r\n");
    rt(&mut c, &["SET", "f", "5.0e3"], "+OK\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", "2.0e2"], "$4\r\n5200\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", "-5200"], "$1\r\n0\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", "1.23e-5"], "$9\r\n0.0000123\r\n");
    rt(&mut c, &["SET", "f", "1e20"], "+OK\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", "0"], "$21\r\n100000000000000000000\r\n");
    rt(&mut c, &["GET", "f"], "$21\r\n100000000000000000000\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", "abc"], "-ERR value is not a valid float\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", " 1"], "-ERR value is not a valid float\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", "nan"], "-ERR value is not a valid float\r\n");
    rt(&mut c, &["INCRBYFLOAT", "f", "inf"], "-ERR increment would produce NaN or Infinity\r\n");
    rt(&mut c, &["SET", "s", "text"], "+OK\r\n");
    rt(&mut c, &["INCRBYFLOAT", "s", "1"], "-ERR value is not a valid float\r\n");
    // A bulk string in RESP3 too, as Redis replies it.
    hello3(&mut c);
    rt(&mut c, &["INCRBYFLOAT", "g", "1.5"], "$3\r\n1.5\r\n");
}

#[test]
fn lcs_in_resp2_and_resp3() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["MSET", "a", "ohmytext", "b", "mynewtext"], "+OK\r\n");
    rt(&mut c, &["LCS", "a", "b"], "$6\r\nmytext\r\n");
    rt(&mut c, &["LCS", "a", "b", "LEN"], ":6\r\n");
    rt(&mut c, &["LCS", "a", "none"], "$0\r\n\r\n");
    rt(&mut c, &["LCS", "a", "a"], "$8\r\nohmytext\r\n");
    let ranges = "*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n";
    rt(
        &mut c,
        &["LCS", "a", "b", "IDX"],
        &format!("*4\r\n$7\r\nmatches\r\n{ranges}$3\r\nlen\r\n:6\r\n"),
    );
    let long = "*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n";
    rt(
        &mut c,
        &["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
        &format!("*4\r\n$7\r\nmatches\r\n{long}$3\r\nlen\r\n:6\r\n"),
    );
    rt(
        &mut c,
        &["LCS", "a", "b", "idx", "minmatchlen", "-3"],
        &format!("*4\r\n$7\r\nmatches\r\n{ranges}$3\r\nlen\r\n:6\r\n"),
    );
    rt(
        &mut c,
        &["LCS", "a", "b", "IDX", "LEN"],
        "-ERR If you want both the length and indexes, please just use IDX.\r\n",
    );
    rt(&mut c, &["LCS", "a", "b", "FOO"], "-ERR syntax error\r\n");
    rt(&mut c, &["LCS", "a", "b", "MINMATCHLEN"], "-ERR syntax error\r\n");
    rt(
        &mut c,
        &["LCS", "a", "b", "MINMATCHLEN", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    rt(&mut c, &["LCS", "a"], "-ERR wrong number of arguments for 'lcs' command\r\n");
    hello3(&mut c);
    rt(
        &mut c,
        &["LCS", "a", "b", "IDX"],
        &format!("%2\r\n$7\r\nmatches\r\n{ranges}$3\r\nlen\r\n:6\r\n"),
    );
    rt(&mut c, &["LCS", "none", "none", "IDX"], "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
    rt(&mut c, &["LCS", "a", "b"], "$6\r\nmytext\r\n");
}

#[test]
fn multi_exec_runs_string_commands_together() {
    let (server, mut c) = Server::start_raw();
    rt(&mut c, &["SET", "text", "abc"], "+OK\r\n");
    rt(&mut c, &["MULTI"], "+OK\r\n");
    rt(&mut c, &["MSET", "x", "1", "y", "2"], "+QUEUED\r\n");
    rt(&mut c, &["INCR", "x"], "+QUEUED\r\n");
    rt(&mut c, &["INCR", "text"], "+QUEUED\r\n");
    rt(&mut c, &["INCRBY", "y", "40"], "+QUEUED\r\n");
    rt(&mut c, &["MSET", "x", "1", "y"], "+QUEUED\r\n");
    rt(&mut c, &["MGET", "x", "y", "text"], "+QUEUED\r\n");
    rt(
        &mut c,
        &["EXEC"],
        "*6\r\n+OK\r\n:2\r\n-ERR value is not an integer or out of range\r\n:42\r\n\
         -ERR wrong number of arguments for 'mset' command\r\n*3\r\n$1\r\n2\r\n$2\r\n42\r\n$3\r\nabc\r\n",
    );
    rt(&mut c, &["MULTI"], "+OK\r\n");
    rt(&mut c, &["SET", "k", "v", "EX", "0"], "+QUEUED\r\n");
    rt(&mut c, &["GETSET", "x", "new"], "+QUEUED\r\n");
    rt(&mut c, &["SET", "x"], "-ERR wrong number of arguments for 'set' command\r\n");
    rt(&mut c, &["EXEC"], "-EXECABORT Transaction discarded because of previous errors.\r\n");
    rt(&mut c, &["GET", "x"], "$1\r\n2\r\n");
    assert_eq!(stored(&server, &mut c, "y"), Some((b"42".to_vec(), None)));
}

#[test]
fn command_info_describes_the_family() {
    let (_server, mut c) = Server::start_raw();
    c.send(&resp(&["COMMAND", "INFO", "mset"]));
    assert_eq!(c.read_line(), "*1\r\n");
    let mut head = Vec::new();
    for _ in 0..3 {
        head.push(c.read_line());
    }
    assert_eq!(head, ["*10\r\n", "$4\r\n", "mset\r\n"]);
    assert_eq!(c.read_line(), ":-3\r\n");
}
