//! The string family, as Redis 7.0 (`t_string.c`) runs it: GET, SET (with
//! EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), SETNX, SETEX, PSETEX, GETSET, GETDEL,
//! GETEX, MGET, MSET, MSETNX, APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE,
//! LCS, INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT. Every one is a data
//! command; each checks its arguments and types in Redis's order, so the
//! same bad request gets the same error, before its first write.
//!
//! Expiry is kept in Unix milliseconds. Commands that rewrite a value in
//! place (APPEND, SETRANGE, INCR..., INCRBYFLOAT) keep the key's expiry;
//! SET, GETSET, MSET clear it (SET ... KEEPTTL keeps it).
//!
//! The bodies are in `basic.rs` (reads, plain writes, ranges), `counter.rs`
//! (INCR and the like), `expiry.rs` (SET and the commands that take an
//! expiry, with their option parsing) and `lcs.rs`; `value.rs` holds what
//! they share.

mod basic;
mod counter;
mod expiry;
mod lcs;
mod value;

use jotter_resp::Request;

use self::basic::{
    append, get, getdel, getrange, getset, mget, mset, msetnx, setnx, setrange, strlen,
};
use self::counter::{decr, decrby, incr, incrby, incrbyfloat};
use self::expiry::{getex, psetex, set, setex};
use self::lcs::lcs;
/// For the families whose values are strings too (bitmaps, HyperLogLogs).
pub(super) use self::value::{MAX_STRING, string};
use super::spec::{Spec, data, flag};

const GROUP: &str = "string";

const WD: u16 = flag::WRITE | flag::DENYOOM;
const WDF: u16 = flag::WRITE | flag::DENYOOM | flag::FAST;
const WF: u16 = flag::WRITE | flag::FAST;
const R: u16 = flag::READONLY;
const RF: u16 = flag::READONLY | flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    Spec::new("get", 2, RF, GROUP, "Returns the string value of a key.", "1.0.0", data(get)).keys(1, 1, 1),
    Spec::new("set", -3, WD, GROUP, "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "1.0.0", data(set).blind(set_is_blind)).keys(1, 1, 1),
    Spec::new("setnx", 3, WDF, GROUP, "Set the string value of a key only when the key doesn't exist.", "1.0.0", data(setnx)).keys(1, 1, 1),
    Spec::new("setex", 4, WD, GROUP, "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "2.0.0", data(setex).blind(always)).keys(1, 1, 1),
    Spec::new("psetex", 4, WD, GROUP, "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "2.6.0", data(psetex).blind(always)).keys(1, 1, 1),
    Spec::new("getset", 3, WDF, GROUP, "Returns the previous string value of a key after setting it to a new value.", "1.0.0", data(getset)).keys(1, 1, 1),
    Spec::new("getdel", 2, WF, GROUP, "Returns the string value of a key after deleting the key.", "6.2.0", data(getdel)).keys(1, 1, 1),
    Spec::new("getex", -2, WF, GROUP, "Returns the string value of a key after setting its expiration time.", "6.2.0", data(getex)).keys(1, 1, 1),
    Spec::new("mget", -2, RF, GROUP, "Atomically returns the string values of one or more keys.", "1.0.0", data(mget)).keys(1, -1, 1),
    Spec::new("mset", -3, WD, GROUP, "Atomically creates or modifies the string values of one or more keys.", "1.0.1", data(mset)).keys(1, -1, 2),
    Spec::new("msetnx", -3, WD, GROUP, "Atomically modifies the string values of one or more keys only when all keys don't exist.", "1.0.1", data(msetnx)).keys(1, -1, 2),
    Spec::new("append", 3, WDF, GROUP, "Appends a string to the value of a key. Creates the key if it doesn't exist.", "2.0.0", data(append)).keys(1, 1, 1),
    Spec::new("strlen", 2, RF, GROUP, "Returns the length of a string value.", "2.2.0", data(strlen)).keys(1, 1, 1),
    Spec::new("getrange", 4, R, GROUP, "Returns a substring of the string stored at a key.", "2.4.0", data(getrange)).keys(1, 1, 1),
    Spec::new("setrange", 4, WD, GROUP, "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "2.2.0", data(setrange)).keys(1, 1, 1),
    Spec::new("substr", 4, R, GROUP, "Returns a substring from a string value.", "1.0.0", data(getrange)).keys(1, 1, 1),
    Spec::new("lcs", -3, R, GROUP, "Finds the longest common substring.", "7.0.0", data(lcs)).keys(1, 2, 1),
    Spec::new("incr", 2, WDF, GROUP, "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0", data(incr)).keys(1, 1, 1),
    Spec::new("decr", 2, WDF, GROUP, "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0", data(decr)).keys(1, 1, 1),
    Spec::new("incrby", 3, WDF, GROUP, "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "1.0.0", data(incrby)).keys(1, 1, 1),
    Spec::new("decrby", 3, WDF, GROUP, "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "1.0.0", data(decrby)).keys(1, 1, 1),
    Spec::new("incrbyfloat", 3, WDF, GROUP, "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "2.6.0", data(incrbyfloat)).keys(1, 1, 1),
];

/// SETEX and PSETEX overwrite their key without reading it.
fn always(_: &Request) -> bool {
    true
}

/// Whether a SET overwrites its key without reading it: only the options
/// that read the old value (NX, XX, GET, KEEPTTL) need it; a time argument
/// that happens to spell one of them would only cost a load.
fn set_is_blind(req: &Request) -> bool {
    req.args().skip(3).all(|a| {
        !(a.eq_ignore_ascii_case(b"nx")
            || a.eq_ignore_ascii_case(b"xx")
            || a.eq_ignore_ascii_case(b"get")
            || a.eq_ignore_ascii_case(b"keepttl"))
    })
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use jotter::{Cache, FieldValue, MapKind, MemoryStore};
    use jotter_resp::Protocol;

    use bytes::Bytes;
    use jotter_resp::{ReplyWriter, Request};

    use crate::command::lookup;
    use crate::command::spec::Kind;

    /// A cache holding the hash `h` (no front end can make one here yet).
    async fn with_hash() -> Cache<MemoryStore> {
        let cache = Cache::builder(MemoryStore::new()).build().await.expect("a cache");
        let field = (Bytes::from("f"), Some(FieldValue::Bytes(Bytes::from("v"))));
        cache
            .transact(&[Bytes::from("h")], |txn| {
                txn.set_fields(b"h", MapKind::Hash, [field.clone()])
            })
            .await
            .expect("a hash");
        cache
    }

    /// Runs one command as the dispatcher does; the reply as text.
    async fn run(cache: &Cache<MemoryStore>, args: &[&str]) -> String {
        let req = Request::from_args(args).expect("a request");
        let (_, spec) = lookup(args[0].as_bytes()).expect("a string command");
        let Kind::Data(data) = spec.kind else { panic!("{} is not a data command", args[0]) };
        let keys = spec.data_keys(&req).expect("a data command");
        let mut out = BytesMut::new();
        let result = cache
            .transact_deferred(&keys, |txn| {
                out.clear();
                (data.apply)(&req, txn, &mut ReplyWriter::new(&mut out, Protocol::Resp2))
            })
            .await;
        match result {
            Ok(_) => String::from_utf8_lossy(&out).into_owned(),
            Err(fail) => format!("-{}\r\n", fail.text()),
        }
    }

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[tokio::test]
    async fn string_commands_on_a_hash_are_wrongtype_in_redis_order() {
        let cache = with_hash().await;
        for args in [
            &["GET", "h"][..],
            &["SET", "h", "v", "GET"],
            &["SET", "h", "v", "NX", "GET"],
            &["GETSET", "h", "v"],
            &["GETDEL", "h"],
            &["GETEX", "h"],
            &["GETEX", "h", "PERSIST"],
            &["GETEX", "h", "EX", "-1"],
            &["APPEND", "h", "x"],
            &["STRLEN", "h"],
            &["GETRANGE", "h", "0", "-1"],
            &["SUBSTR", "h", "0", "-1"],
            &["SETRANGE", "h", "0", "x"],
            &["SETRANGE", "h", "536870912", "x"],
            &["INCR", "h"],
            &["DECR", "h"],
            &["INCRBY", "h", "2"],
            &["DECRBY", "h", "2"],
            &["INCRBYFLOAT", "h", "1.5"],
            &["INCRBYFLOAT", "h", "x"],
        ] {
            assert_eq!(run(&cache, args).await, WRONGTYPE, "{args:?}");
        }
        // Arguments checked before the key, as in Redis.
        let not_int = "-ERR value is not an integer or out of range\r\n";
        assert_eq!(run(&cache, &["INCRBY", "h", "x"]).await, not_int);
        assert_eq!(run(&cache, &["GETRANGE", "h", "x", "1"]).await, not_int);
        assert_eq!(
            run(&cache, &["SETRANGE", "h", "-1", "x"]).await,
            "-ERR offset is out of range\r\n"
        );
        assert_eq!(run(&cache, &["GETEX", "h", "EX"]).await, "-ERR syntax error\r\n");
        assert_eq!(
            run(&cache, &["SET", "h", "v", "EX", "0", "GET"]).await,
            "-ERR invalid expire time in 'set' command\r\n"
        );
        // LCS has its own words, checked before its options.
        let lcs = "-ERR The specified keys must contain string values\r\n";
        assert_eq!(run(&cache, &["LCS", "h", "none"]).await, lcs);
        assert_eq!(run(&cache, &["LCS", "none", "h", "FOO"]).await, lcs);
        // MGET skips it; SETNX and MSETNX see it exists; SET replaces it.
        assert_eq!(run(&cache, &["MGET", "h", "none"]).await, "*2\r\n$-1\r\n$-1\r\n");
        assert_eq!(run(&cache, &["SETNX", "h", "v"]).await, ":0\r\n");
        assert_eq!(run(&cache, &["MSETNX", "x", "1", "h", "v"]).await, ":0\r\n");
        assert_eq!(run(&cache, &["GET", "x"]).await, "$-1\r\n");
        assert_eq!(run(&cache, &["SET", "h", "v"]).await, "+OK\r\n");
        assert_eq!(run(&cache, &["GET", "h"]).await, "$1\r\nv\r\n");
    }

    #[tokio::test]
    async fn lcs_ranges_follow_redis_walk() {
        let cache = Cache::builder(MemoryStore::new()).build().await.expect("a cache");
        assert_eq!(
            run(&cache, &["MSET", "c", "abcXdefYYghi", "d", "zabcdeQfghi"]).await,
            "+OK\r\n"
        );
        // Checked against Redis 7.0.15.
        assert_eq!(run(&cache, &["LCS", "c", "d"]).await, "$9\r\nabcdefghi\r\n");
        assert_eq!(
            run(&cache, &["LCS", "c", "d", "IDX", "WITHMATCHLEN"]).await,
            "*4\r\n$7\r\nmatches\r\n*4\r\n\
             *3\r\n*2\r\n:9\r\n:11\r\n*2\r\n:8\r\n:10\r\n:3\r\n\
             *3\r\n*2\r\n:6\r\n:6\r\n*2\r\n:7\r\n:7\r\n:1\r\n\
             *3\r\n*2\r\n:4\r\n:5\r\n*2\r\n:4\r\n:5\r\n:2\r\n\
             *3\r\n*2\r\n:0\r\n:2\r\n*2\r\n:1\r\n:3\r\n:3\r\n\
             $3\r\nlen\r\n:9\r\n"
        );
    }
}
