//! Blocked clients are served first come, first served, per key, for every
//! blocking command: several clients blocked on one key get one pushed
//! element each in the order they blocked, a write of another key serves
//! none of them, a push of several elements serves several in order, and
//! an element BLMOVE moves serves the client blocked on its destination.

mod common;

use common::reply::{check, info, read_reply};
use common::{Raw, Server, resp};

/// Waits until the server counts `n` blocked clients (polling INFO, so no
/// time is assumed).
fn wait_blocked(c: &mut Raw, n: u64) {
    while info(c, "clients", "blocked_clients") != n {
        std::thread::yield_now();
    }
}

/// Blocks `count` new clients, one after another, each with `args`.
fn block_in_order(server: &Server, c: &mut Raw, count: usize, args: &[&str]) -> Vec<Raw> {
    let before = info(c, "clients", "blocked_clients");
    (0..count)
        .map(|i| {
            let mut waiter = server.raw();
            waiter.send(&resp(args));
            wait_blocked(c, before + i as u64 + 1);
            waiter
        })
        .collect()
}

#[test]
fn list_waiters_are_served_in_the_order_they_blocked() {
    let (server, mut c) = Server::start_raw();
    let mut waiters = block_in_order(&server, &mut c, 5, &["BLPOP", "q", "0"]);
    // A write of other keys serves none of them.
    check(&mut c, &["RPUSH", "other", "x"], ":1");
    check(&mut c, &["SET", "s", "v"], "+OK");
    check(&mut c, &["BLPOP", "other", "0"], r#"["other", "x"]"#);
    assert_eq!(info(&mut c, "clients", "blocked_clients"), 5);
    // One element at a time: the first in line takes it, the rest wait.
    for (i, waiter) in waiters.iter_mut().enumerate().take(3) {
        let element = format!("e{i}");
        check(&mut c, &["RPUSH", "q", &element], ":1");
        assert_eq!(read_reply(waiter), format!(r#"["q", "{element}"]"#));
        wait_blocked(&mut c, 4 - i as u64);
    }
    // Several elements at once serve several waiters, still in order.
    c.send(&resp(&["RPUSH", "q", "x", "y", "z"]));
    let pushed = read_reply(&mut c);
    assert!(pushed.starts_with(':'), "{pushed}");
    assert_eq!(read_reply(&mut waiters[3]), r#"["q", "x"]"#);
    assert_eq!(read_reply(&mut waiters[4]), r#"["q", "y"]"#);
    wait_blocked(&mut c, 0);
    check(&mut c, &["LRANGE", "q", "0", "-1"], r#"["z"]"#);
}

#[test]
fn sorted_set_waiters_are_served_in_the_order_they_blocked() {
    let (server, mut c) = Server::start_raw();
    let mut waiters = block_in_order(&server, &mut c, 3, &["BZPOPMIN", "z", "0"]);
    check(&mut c, &["ZADD", "elsewhere", "1", "m"], ":1");
    assert_eq!(info(&mut c, "clients", "blocked_clients"), 3);
    for (i, waiter) in waiters.iter_mut().enumerate() {
        let member = format!("m{i}");
        check(&mut c, &["ZADD", "z", "1", &member], ":1");
        assert_eq!(read_reply(waiter), format!(r#"["z", "{member}", "1"]"#));
    }
    wait_blocked(&mut c, 0);
}

#[test]
fn waiters_of_different_commands_share_one_line_per_key() {
    let (server, mut c) = Server::start_raw();
    let mut first = block_in_order(&server, &mut c, 1, &["BRPOP", "a", "b", "0"]);
    let mut second = block_in_order(&server, &mut c, 1, &["BLMPOP", "0", "1", "b", "LEFT"]);
    let mut third = block_in_order(&server, &mut c, 1, &["BLMOVE", "b", "d", "LEFT", "RIGHT", "0"]);
    let mut on_destination = block_in_order(&server, &mut c, 1, &["BLPOP", "d", "0"]);
    check(&mut c, &["RPUSH", "b", "1"], ":1");
    assert_eq!(read_reply(&mut first[0]), r#"["b", "1"]"#);
    check(&mut c, &["RPUSH", "b", "2"], ":1");
    assert_eq!(read_reply(&mut second[0]), r#"["b", ["2"]]"#);
    // BLMOVE takes the next, and what it moves serves the client on `d`.
    check(&mut c, &["RPUSH", "b", "3"], ":1");
    assert_eq!(read_reply(&mut third[0]), r#""3""#);
    assert_eq!(read_reply(&mut on_destination[0]), r#"["d", "3"]"#);
    wait_blocked(&mut c, 0);
}

#[test]
fn a_waiter_that_leaves_hands_its_turn_on() {
    let (server, mut c) = Server::start_raw();
    let leaving = block_in_order(&server, &mut c, 1, &["BLPOP", "q", "0"]);
    let mut staying = block_in_order(&server, &mut c, 1, &["BLPOP", "q", "0"]);
    drop(leaving);
    wait_blocked(&mut c, 1);
    check(&mut c, &["LPUSH", "q", "v"], ":1");
    assert_eq!(read_reply(&mut staying[0]), r#"["q", "v"]"#);
}
