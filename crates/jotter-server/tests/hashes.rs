//! The hash family against the real binary: every command and option,
//! Redis 7.0's reply bytes in RESP2 and RESP3 and its error texts,
//! WRONGTYPE, MULTI/EXEC, and the rows in SQLite after `JOTTER.FLUSH`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::reply::{bulk, resp3, rt};
use common::sqlite::stored_hash;
use common::{Server, resp};

const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

#[test]
fn hset_hget_and_the_readers_in_resp2() {
    let (_server, mut c) = Server::start_raw();
    rt(
        &mut c,
        &["HSET", "session:ab12", "user", "42", "cart", "3", "last_seen", "1732262400"],
        b":3\r\n",
    );
    // One field updated, one new: only the new one counts.
    rt(&mut c, &["HSET", "session:ab12", "cart", "4", "theme", "dark"], b":1\r\n");
    // A field given twice: the last value wins, and it is new once.
    rt(&mut c, &["HSET", "dup", "a", "1", "a", "2"], b":1\r\n");
    rt(&mut c, &["HGET", "dup", "a"], b"$1\r\n2\r\n");
    rt(&mut c, &["HSET", "dup", "a"], b"-ERR wrong number of arguments for 'hset' command\r\n");
    rt(
        &mut c,
        &["HSET", "dup", "a", "1", "b"],
        b"-ERR wrong number of arguments for 'hset' command\r\n",
    );
    rt(&mut c, &["HSET", "dup"], b"-ERR wrong number of arguments for 'hset' command\r\n");

    rt(&mut c, &["HGET", "session:ab12", "user"], b"$2\r\n42\r\n");
    rt(&mut c, &["HGET", "session:ab12", "cart"], b"$1\r\n4\r\n");
    rt(&mut c, &["HGET", "session:ab12", "nope"], b"$-1\r\n");
    rt(&mut c, &["HGET", "absent", "user"], b"$-1\r\n");
    rt(
        &mut c,
        &["HMGET", "session:ab12", "user", "nope", "theme"],
        b"*3\r\n$2\r\n42\r\n$-1\r\n$4\r\ndark\r\n",
    );
    rt(&mut c, &["HMGET", "absent", "a", "b"], b"*2\r\n$-1\r\n$-1\r\n");
    rt(&mut c, &["HLEN", "session:ab12"], b":4\r\n");
    rt(&mut c, &["HLEN", "absent"], b":0\r\n");
    rt(&mut c, &["HSTRLEN", "session:ab12", "last_seen"], b":10\r\n");
    rt(&mut c, &["HSTRLEN", "session:ab12", "nope"], b":0\r\n");
    rt(&mut c, &["HSTRLEN", "absent", "nope"], b":0\r\n");
    rt(&mut c, &["HEXISTS", "session:ab12", "user"], b":1\r\n");
    rt(&mut c, &["HEXISTS", "session:ab12", "nope"], b":0\r\n");
    rt(&mut c, &["HEXISTS", "absent", "user"], b":0\r\n");
    // Fields come in byte order.
    let keys = ["cart", "last_seen", "theme", "user"].map(bulk).concat();
    rt(&mut c, &["HKEYS", "session:ab12"], format!("*4\r\n{keys}").as_bytes());
    let vals = ["4", "1732262400", "dark", "42"].map(bulk).concat();
    rt(&mut c, &["HVALS", "session:ab12"], format!("*4\r\n{vals}").as_bytes());
    let all =
        ["cart", "4", "last_seen", "1732262400", "theme", "dark", "user", "42"].map(bulk).concat();
    rt(&mut c, &["HGETALL", "session:ab12"], format!("*8\r\n{all}").as_bytes());
    rt(&mut c, &["HKEYS", "absent"], b"*0\r\n");
    rt(&mut c, &["HVALS", "absent"], b"*0\r\n");
    rt(&mut c, &["HGETALL", "absent"], b"*0\r\n");
    rt(&mut c, &["HGET", "session:ab12"], b"-ERR wrong number of arguments for 'hget' command\r\n");
    rt(&mut c, &["HLEN", "a", "b"], b"-ERR wrong number of arguments for 'hlen' command\r\n");
}

#[test]
fn hsetnx_hmset_and_hdel() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["HSETNX", "h", "a", "1"], b":1\r\n");
    rt(&mut c, &["HSETNX", "h", "a", "2"], b":0\r\n");
    rt(&mut c, &["HGET", "h", "a"], b"$1\r\n1\r\n");
    rt(&mut c, &["HMSET", "h", "b", "2", "c", "3"], b"+OK\r\n");
    rt(&mut c, &["HMSET", "h", "b"], b"-ERR wrong number of arguments for 'hmset' command\r\n");
    rt(
        &mut c,
        &["HMSET", "h", "b", "2", "c"],
        b"-ERR wrong number of arguments for 'hmset' command\r\n",
    );
    rt(&mut c, &["HLEN", "h"], b":3\r\n");
    // A field named twice is deleted once.
    rt(&mut c, &["HDEL", "h", "a", "a", "nope"], b":1\r\n");
    rt(&mut c, &["HDEL", "h", "a"], b":0\r\n");
    rt(&mut c, &["HDEL", "absent", "a"], b":0\r\n");
    rt(&mut c, &["HDEL", "h"], b"-ERR wrong number of arguments for 'hdel' command\r\n");
    // Removing the last fields removes the key.
    rt(&mut c, &["HDEL", "h", "b", "c"], b":2\r\n");
    rt(&mut c, &["HLEN", "h"], b":0\r\n");
    rt(&mut c, &["DEL", "h"], b":0\r\n");
    // The key is gone, so it may become a string.
    rt(&mut c, &["SET", "h", "v"], b"+OK\r\n");
}

#[test]
fn hincrby_counts_and_refuses_what_redis_refuses() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["HINCRBY", "n", "f", "5"], b":5\r\n");
    rt(&mut c, &["HINCRBY", "n", "f", "-7"], b":-2\r\n");
    rt(&mut c, &["HGET", "n", "f"], b"$2\r\n-2\r\n");
    rt(&mut c, &["HINCRBY", "n", "f", "x"], b"-ERR value is not an integer or out of range\r\n");
    rt(&mut c, &["HINCRBY", "n", "f", "1.5"], b"-ERR value is not an integer or out of range\r\n");
    rt(&mut c, &["HSET", "n", "s", "abc", "sp", " 1", "big", "9223372036854775807"], b":3\r\n");
    rt(&mut c, &["HINCRBY", "n", "s", "1"], b"-ERR hash value is not an integer\r\n");
    rt(&mut c, &["HINCRBY", "n", "sp", "1"], b"-ERR hash value is not an integer\r\n");
    rt(&mut c, &["HINCRBY", "n", "big", "1"], b"-ERR increment or decrement would overflow\r\n");
    rt(&mut c, &["HINCRBY", "n", "big", "0"], b":9223372036854775807\r\n");
    rt(&mut c, &["HINCRBY", "n", "low", "-9223372036854775808"], b":-9223372036854775808\r\n");
    rt(&mut c, &["HINCRBY", "n", "low", "-1"], b"-ERR increment or decrement would overflow\r\n");
    rt(&mut c, &["HGET", "n", "big"], b"$19\r\n9223372036854775807\r\n");
    rt(&mut c, &["HINCRBY", "n", "f"], b"-ERR wrong number of arguments for 'hincrby' command\r\n");
}

#[test]
fn hincrbyfloat_formats_like_redis() {
    let (server, mut c) = Server::start_raw();
    rt(&mut c, &["HSET", "f", "a", "10.50", "e", "5.0e3", "s", "abc", "inf", "inf"], b":4\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "a", "0.1"], b"$4\r\n10.6\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "a", "-5"], b"$3\r\n5.6\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "e", "2.0e2"], b"$4\r\n5200\r\n");
    rt(&mut c, &["HGET", "f", "e"], b"$4\r\n5200\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "new", "3"], b"$1\r\n3\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "a", "x"], b"-ERR value is not a valid float\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "a", "inf"], b"-ERR value is NaN or Infinity\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "a", "-inf"], b"-ERR value is NaN or Infinity\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "s", "1"], b"-ERR hash value is not a float\r\n");
    rt(
        &mut c,
        &["HINCRBYFLOAT", "f", "inf", "1"],
        b"-ERR increment would produce NaN or Infinity\r\n",
    );
    rt(&mut c, &["HGET", "f", "a"], b"$3\r\n5.6\r\n");
    // An integer field takes a float increment, and back.
    rt(&mut c, &["HINCRBY", "f", "i", "3"], b":3\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "i", "1.5"], b"$3\r\n4.5\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "f", "i", "0.5"], b"$1\r\n5\r\n");
    rt(&mut c, &["HINCRBY", "f", "i", "1"], b":6\r\n");
    // The reply is a bulk string in RESP3 too, as Redis sends it.
    let mut c3 = resp3(&server);
    rt(&mut c3, &["HINCRBYFLOAT", "f", "a", "1"], b"$3\r\n6.6\r\n");
}

#[test]
fn resp3_shapes() {
    let server = Server::start(&[]);
    let mut c = resp3(&server);
    rt(&mut c, &["HSET", "h", "a", "1", "b", "2"], b":2\r\n");
    rt(&mut c, &["HGETALL", "h"], b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    rt(&mut c, &["HGETALL", "absent"], b"%0\r\n");
    rt(&mut c, &["HKEYS", "h"], b"*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    rt(&mut c, &["HVALS", "h"], b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    rt(&mut c, &["HGET", "h", "nope"], b"_\r\n");
    rt(&mut c, &["HMGET", "h", "a", "nope"], b"*2\r\n$1\r\n1\r\n_\r\n");
    rt(&mut c, &["HEXISTS", "h", "a"], b":1\r\n");
    rt(&mut c, &["HSETNX", "h", "a", "x"], b":0\r\n");
    rt(&mut c, &["HRANDFIELD", "absent"], b"_\r\n");
    rt(&mut c, &["HRANDFIELD", "absent", "2", "WITHVALUES"], b"*0\r\n");
    rt(
        &mut c,
        &["HSCAN", "h", "0"],
        b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    // WITHVALUES: an array of [field, value] pairs in RESP3.
    rt(&mut c, &["HSET", "one", "f", "v"], b":1\r\n");
    rt(&mut c, &["HRANDFIELD", "one", "5", "WITHVALUES"], b"*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    rt(
        &mut c,
        &["HRANDFIELD", "one", "-2", "withvalues"],
        b"*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    rt(&mut c, &["HRANDFIELD", "one", "-2"], b"*2\r\n$1\r\nf\r\n$1\r\nf\r\n");
    // The same in RESP2: a flat array.
    let mut c2 = server.raw();
    rt(&mut c2, &["HRANDFIELD", "one", "5", "WITHVALUES"], b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    rt(
        &mut c2,
        &["HRANDFIELD", "one", "-2", "WITHVALUES"],
        b"*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    rt(&mut c2, &["HRANDFIELD", "absent"], b"$-1\r\n");
}

#[test]
fn hrandfield_counts_and_errors() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"], b":5\r\n");
    rt(&mut c, &["HRANDFIELD", "h", "0"], b"*0\r\n");
    rt(&mut c, &["HRANDFIELD", "h", "0", "WITHVALUES"], b"*0\r\n");
    rt(&mut c, &["HRANDFIELD", "absent", "3"], b"*0\r\n");
    rt(&mut c, &["HRANDFIELD", "h", "x"], b"-ERR value is not an integer or out of range\r\n");
    rt(
        &mut c,
        &["HRANDFIELD", "h", "x", "foo"],
        b"-ERR value is not an integer or out of range\r\n",
    );
    rt(&mut c, &["HRANDFIELD", "h", "1", "foo"], b"-ERR syntax error\r\n");
    rt(&mut c, &["HRANDFIELD", "h", "1", "WITHVALUES", "extra"], b"-ERR syntax error\r\n");
    rt(
        &mut c,
        &["HRANDFIELD", "h", "-9223372036854775808"],
        b"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
    );
    rt(
        &mut c,
        &["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"],
        b"-ERR value is out of range\r\n",
    );
    rt(
        &mut c,
        &["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
        b"-ERR value is out of range\r\n",
    );
}

#[tokio::test]
async fn hrandfield_samples() {
    let server = Server::start(&[]);
    let mut con = server.client().await;
    let all: BTreeMap<String, String> =
        (0..5).map(|i| (format!("f{i}"), format!("v{i}"))).collect();
    let () = redis::cmd("HMSET").arg("h").arg(&all).query_async(&mut con).await.unwrap();
    let names: BTreeSet<String> = all.keys().cloned().collect();

    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        let one: String = redis::cmd("HRANDFIELD").arg("h").query_async(&mut con).await.unwrap();
        assert!(names.contains(&one), "{one}");
        seen.insert(one);
    }
    assert_eq!(seen, names, "every field turns up");

    // A positive count: distinct fields, at most the whole hash.
    let three: Vec<String> =
        redis::cmd("HRANDFIELD").arg("h").arg(3).query_async(&mut con).await.unwrap();
    assert_eq!(three.len(), 3);
    assert_eq!(three.iter().collect::<BTreeSet<_>>().len(), 3, "{three:?}");
    assert!(three.iter().all(|f| names.contains(f)));
    let whole: Vec<String> =
        redis::cmd("HRANDFIELD").arg("h").arg(50).query_async(&mut con).await.unwrap();
    assert_eq!(whole.into_iter().collect::<BTreeSet<_>>(), names);

    // A negative count: exactly that many, repeats allowed.
    let many: Vec<String> =
        redis::cmd("HRANDFIELD").arg("h").arg(-40).query_async(&mut con).await.unwrap();
    assert_eq!(many.len(), 40);
    assert!(many.iter().all(|f| names.contains(f)));
    assert!(many.iter().collect::<BTreeSet<_>>().len() < 40, "repeats");

    // WITHVALUES in RESP2: field, value, field, value...
    let pairs: Vec<String> = redis::cmd("HRANDFIELD")
        .arg("h")
        .arg(-7)
        .arg("WITHVALUES")
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(pairs.len(), 14);
    for pair in pairs.chunks(2) {
        assert_eq!(all[&pair[0]], pair[1]);
    }
    let pairs: Vec<String> = redis::cmd("HRANDFIELD")
        .arg("h")
        .arg(2)
        .arg("WITHVALUES")
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(pairs.len(), 4);
    assert_ne!(pairs[0], pairs[2]);
}

#[test]
fn hscan_small_hash_in_one_reply() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["HSET", "h", "apple", "1", "avocado", "2", "banana", "3"], b":3\r\n");
    let all = ["apple", "1", "avocado", "2", "banana", "3"].map(bulk).concat();
    let whole = format!("*2\r\n$1\r\n0\r\n*6\r\n{all}");
    rt(&mut c, &["HSCAN", "h", "0"], whole.as_bytes());
    // A listpack-sized hash ignores the cursor and COUNT, as Redis does.
    rt(&mut c, &["HSCAN", "h", "5", "COUNT", "1"], whole.as_bytes());
    rt(&mut c, &["HSCAN", "h", ""], whole.as_bytes());
    rt(&mut c, &["HSCAN", "h", "-1"], whole.as_bytes());
    rt(&mut c, &["HSCAN", "h", "0", "MATCH", "*"], whole.as_bytes());
    let a = ["apple", "1", "avocado", "2"].map(bulk).concat();
    rt(
        &mut c,
        &["HSCAN", "h", "0", "match", "a*", "count", "100"],
        format!("*2\r\n$1\r\n0\r\n*4\r\n{a}").as_bytes(),
    );
    rt(&mut c, &["HSCAN", "h", "0", "MATCH", "z*"], b"*2\r\n$1\r\n0\r\n*0\r\n");
    // Later options win.
    rt(
        &mut c,
        &["HSCAN", "h", "0", "MATCH", "z*", "MATCH", "b*"],
        format!("*2\r\n$1\r\n0\r\n*2\r\n{}", ["banana", "3"].map(bulk).concat()).as_bytes(),
    );

    rt(&mut c, &["HSCAN", "h", "x"], b"-ERR invalid cursor\r\n");
    rt(&mut c, &["HSCAN", "h", " 1"], b"-ERR invalid cursor\r\n");
    rt(&mut c, &["HSCAN", "h", "18446744073709551616"], b"-ERR invalid cursor\r\n");
    rt(&mut c, &["HSCAN", "h", "0", "COUNT", "0"], b"-ERR syntax error\r\n");
    rt(
        &mut c,
        &["HSCAN", "h", "0", "COUNT", "x"],
        b"-ERR value is not an integer or out of range\r\n",
    );
    rt(&mut c, &["HSCAN", "h", "0", "COUNT"], b"-ERR syntax error\r\n");
    rt(&mut c, &["HSCAN", "h", "0", "BAD", "x"], b"-ERR syntax error\r\n");
    rt(&mut c, &["HSCAN", "h", "0", "TYPE", "hash"], b"-ERR syntax error\r\n");
    // An absent key: the empty scan, options unread (as Redis).
    rt(&mut c, &["HSCAN", "absent", "0", "BAD"], b"*2\r\n$1\r\n0\r\n*0\r\n");
    rt(&mut c, &["HSCAN", "absent", "x"], b"-ERR invalid cursor\r\n");
}

#[tokio::test]
async fn hscan_pages_a_large_hash() {
    let server = Server::start(&[]);
    let mut con = server.client().await;
    let all: BTreeMap<String, String> =
        (0..300).map(|i| (format!("field:{i:03}"), format!("value-{i}"))).collect();
    let n: i64 = redis::cmd("HSET").arg("big").arg(&all).query_async(&mut con).await.unwrap();
    assert_eq!(n, 300);

    let scan = |cursor: String, extra: Vec<&'static str>| {
        let mut con = con.clone();
        async move {
            let reply: (String, Vec<String>) = redis::cmd("HSCAN")
                .arg("big")
                .arg(cursor)
                .arg(extra)
                .query_async(&mut con)
                .await
                .unwrap();
            reply
        }
    };
    // Default COUNT 10.
    let (cursor, page) = scan("0".into(), vec![]).await;
    assert_eq!((cursor.as_str(), page.len()), ("10", 20));
    assert_eq!(page[0], "field:000");
    assert_eq!(page[1], "value-0");

    let mut got = BTreeMap::new();
    let mut cursor = "0".to_owned();
    let mut calls = 0;
    loop {
        let (next, page) = scan(cursor, vec!["COUNT", "64"]).await;
        calls += 1;
        for pair in page.chunks(2) {
            assert!(got.insert(pair[0].clone(), pair[1].clone()).is_none(), "{} twice", pair[0]);
        }
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert_eq!(calls, 5);
    assert_eq!(got, all);

    // MATCH filters each page after it is taken: fields 100 to 199 match,
    // half of them in each page of 150.
    let (cursor, page) = scan("0".into(), vec!["MATCH", "field:1*", "COUNT", "150"]).await;
    assert_eq!((cursor.as_str(), page.len()), ("150", 100));
    assert_eq!((page[0].as_str(), page[98].as_str()), ("field:100", "field:149"));
    let (cursor, page) = scan("150".into(), vec!["MATCH", "field:1*", "COUNT", "150"]).await;
    assert_eq!((cursor.as_str(), page.len()), ("0", 100));
    assert_eq!((page[0].as_str(), page[98].as_str()), ("field:150", "field:199"));
    let (cursor, page) = scan("0".into(), vec!["MATCH", "nothing*"]).await;
    assert_eq!((cursor.as_str(), page.len()), ("10", 0));
    // A cursor past the end ends the scan.
    let (cursor, page) = scan("1000".into(), vec![]).await;
    assert_eq!((cursor.as_str(), page.len()), ("0", 0));
}

#[test]
fn wrongtype_against_a_string() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["SET", "s", "v"], b"+OK\r\n");
    for args in [
        &["HSET", "s", "f", "v"][..],
        &["HSETNX", "s", "f", "v"],
        &["HMSET", "s", "f", "v"],
        &["HGET", "s", "f"],
        &["HMGET", "s", "f"],
        &["HDEL", "s", "f"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "f"],
        &["HEXISTS", "s", "f"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HGETALL", "s"],
        &["HINCRBY", "s", "f", "1"],
        &["HINCRBYFLOAT", "s", "f", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "2"],
        &["HRANDFIELD", "s", "-2", "WITHVALUES"],
        &["HSCAN", "s", "0"],
    ] {
        c.send(&resp(args));
        c.expect(WRONGTYPE);
    }
    // Argument errors come first, as in Redis.
    rt(&mut c, &["HSET", "s", "f"], b"-ERR wrong number of arguments for 'hset' command\r\n");
    rt(&mut c, &["HINCRBY", "s", "f", "x"], b"-ERR value is not an integer or out of range\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "s", "f", "x"], b"-ERR value is not a valid float\r\n");
    rt(&mut c, &["HSCAN", "s", "x"], b"-ERR invalid cursor\r\n");
    rt(&mut c, &["GET", "s"], b"$1\r\nv\r\n");
    // And a hash is no string.
    rt(&mut c, &["HSET", "h", "f", "v"], b":1\r\n");
    c.send(&resp(&["GET", "h"]));
    c.expect(WRONGTYPE);
}

#[test]
fn multi_exec_with_hset_and_hincrby() {
    let (_server, mut c) = Server::start_raw();
    rt(&mut c, &["MULTI"], b"+OK\r\n");
    rt(&mut c, &["HSET", "session:ab12", "user", "42", "cart", "3"], b"+QUEUED\r\n");
    rt(&mut c, &["HINCRBY", "session:ab12", "cart", "2"], b"+QUEUED\r\n");
    rt(&mut c, &["HINCRBY", "session:ab12", "user", "x"], b"+QUEUED\r\n");
    rt(&mut c, &["HSET", "session:ab12", "a", "1", "odd"], b"+QUEUED\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "session:ab12", "score", "1.5"], b"+QUEUED\r\n");
    rt(&mut c, &["HGETALL", "session:ab12"], b"+QUEUED\r\n");
    let all = ["cart", "5", "score", "1.5", "user", "42"].map(bulk).concat();
    let reply = format!(
        "*6\r\n:2\r\n:5\r\n-ERR value is not an integer or out of range\r\n\
         -ERR wrong number of arguments for 'hset' command\r\n$3\r\n1.5\r\n*6\r\n{all}"
    );
    rt(&mut c, &["EXEC"], reply.as_bytes());
    // A failing command inside EXEC writes nothing; the others stand.
    rt(&mut c, &["MULTI"], b"+OK\r\n");
    rt(&mut c, &["HINCRBY", "session:ab12", "cart", "9223372036854775807"], b"+QUEUED\r\n");
    rt(&mut c, &["HDEL", "session:ab12", "score"], b"+QUEUED\r\n");
    rt(&mut c, &["EXEC"], b"*2\r\n-ERR increment or decrement would overflow\r\n:1\r\n");
    rt(&mut c, &["HMGET", "session:ab12", "cart", "score"], b"*2\r\n$1\r\n5\r\n$-1\r\n");
}

#[test]
fn jotter_flush_puts_hash_fields_in_sqlite() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    rt(
        &mut c,
        &["HSET", "session:ab12", "user", "42", "cart", "3", "last_seen", "1732262400"],
        b":3\r\n",
    );
    rt(&mut c, &["HSET", "gone", "only", "field"], b":1\r\n");
    rt(&mut c, &["JOTTER.FLUSH", "5000"], b"+OK\r\n");
    let want = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(f, v)| ((*f).to_owned(), (*v).to_owned())).collect()
    };
    assert_eq!(
        BTreeMap::from_iter(stored_hash(&server, "session:ab12")),
        want(&[("cart", "3"), ("last_seen", "1732262400"), ("user", "42")])
    );
    assert_eq!(BTreeMap::from_iter(stored_hash(&server, "gone")), want(&[("only", "field")]));

    // A removed field leaves the table; an updated one is rewritten; a
    // hash emptied is gone.
    rt(&mut c, &["HDEL", "session:ab12", "cart"], b":1\r\n");
    rt(&mut c, &["HINCRBY", "session:ab12", "user", "1"], b":43\r\n");
    rt(&mut c, &["HINCRBYFLOAT", "session:ab12", "score", "0.5"], b"$3\r\n0.5\r\n");
    rt(&mut c, &["HDEL", "gone", "only"], b":1\r\n");
    rt(&mut c, &["JOTTER.FLUSH", "5000"], b"+OK\r\n");
    assert_eq!(
        BTreeMap::from_iter(stored_hash(&server, "session:ab12")),
        want(&[("last_seen", "1732262400"), ("score", "0.5"), ("user", "43")])
    );
    assert!(BTreeMap::from_iter(stored_hash(&server, "gone")).is_empty());
}
