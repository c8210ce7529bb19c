//! Scripts against a running `jotter`: a script's writes are seen all or
//! none by a concurrent reader and survive kill -9 together; a script runs
//! its commands under its user's permissions; a script past `busy-reply-threshold` makes
//! other clients' commands BUSY until SCRIPT KILL (refused with
//! UNKILLABLE once it wrote); and real clients' uses of EVAL (redis-py's
//! `Lock`, a fixed-window rate limiter) work end to end.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Raw, Server, resp};

/// Sends `args` and reads the one-line reply (status, error or integer).
fn line(c: &mut Raw, args: &[&str]) -> String {
    c.send(&resp(args));
    c.read_line()
}

#[test]
fn a_concurrent_reader_sees_all_of_a_scripts_writes_or_none() {
    let server = Server::start(&[]);
    let mut writer = server.raw();
    let mut reader = server.raw();
    let script = "for i = 1, 200 do redis.call('incr', KEYS[1]); redis.call('incr', KEYS[2]) end";
    let writes = std::thread::spawn(move || {
        for _ in 0..30 {
            assert_eq!(line(&mut writer, &["EVAL", script, "2", "a", "b"]), "$-1\r\n");
        }
    });
    let mut seen = 0;
    while !writes.is_finished() || seen == 0 {
        reader.send(&resp(&["MGET", "a", "b"]));
        assert_eq!(reader.read_line(), "*2\r\n");
        let a = reader.read_bulk_bytes();
        let b = reader.read_bulk_bytes();
        assert_eq!(a, b, "a script's writes were seen half done");
        seen += 1;
    }
    writes.join().expect("the writer");
    assert_eq!(line(&mut reader, &["GET", "a"]), "$4\r\n");
    assert_eq!(reader.read_line(), "6000\r\n");
}

#[test]
fn a_scripts_acknowledged_writes_survive_kill_9_together() {
    // A flush interval beyond the test: what survives comes from the log.
    let args = ["--fsync", "always", "--flush-interval", "1h"];
    let server = Server::start(&args);
    let mut writer = server.raw();
    let script = "redis.call('incr', KEYS[1]); return redis.call('incr', KEYS[2])";
    let acked = std::thread::spawn(move || {
        let mut acked = 0;
        loop {
            writer.send(&resp(&["EVAL", script, "2", "a", "b"]));
            let mut reply = [0u8; 1];
            if std::io::Read::read(&mut writer.stream, &mut reply).unwrap_or(0) == 0 {
                return acked;
            }
            let rest = writer.read_line();
            assert_eq!(reply[0], b':', "{rest}");
            acked = rest.trim_end().parse::<i64>().expect("a count");
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    server.signal("KILL");
    let acked = acked.join().expect("the writer");
    assert!(acked > 10, "the load never got going: {acked} scripts");
    let server = server.restart(&args);
    let mut c = server.raw();
    c.send(&resp(&["MGET", "a", "b"]));
    assert_eq!(c.read_line(), "*2\r\n");
    let a: i64 = c.read_bulk().parse().expect("a");
    let b: i64 = c.read_bulk().parse().expect("b");
    assert!(b >= acked, "acknowledged {acked}, found {b}");
    assert_eq!(a, b, "a script's writes survived in part");
}

/// Waits (bounded) until a command on `c` is refused as BUSY.
fn wait_busy(c: &mut Raw) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = line(c, &["GET", "other"]);
        if reply.starts_with("-BUSY") {
            return reply;
        }
        assert!(Instant::now() < deadline, "no BUSY reply; last: {reply:?}");
        if reply.starts_with('$') && reply != "$-1\r\n" {
            c.read_line();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `request`, a script that never ends, on `runner`: other clients
/// get Redis's BUSY text naming `kill` (`SCRIPT` or `FUNCTION`), the other
/// KILL is refused, and `kill` KILL ends the script with Redis's error.
fn busy_until_killed(server: &Server, runner: &mut Raw, request: &[&str], kill: &str, other: &str) {
    let mut c = server.raw();
    runner.send(&resp(request));
    let busy = format!(
        "-BUSY Redis is busy running a script. You can only call {kill} KILL or SHUTDOWN NOSAVE.\r\n"
    );
    assert_eq!(wait_busy(&mut c), busy);
    assert!(line(&mut c, &[other, "KILL"]).starts_with("-BUSY"));
    assert_eq!(line(&mut c, &[kill, "KILL"]), "+OK\r\n");
    let killed = runner.read_line();
    assert!(killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."), "{killed}");
    assert_eq!(line(&mut c, &["SET", "after", "1"]), "+OK\r\n");
}

#[test]
fn a_slow_script_makes_others_busy_until_script_kill() {
    let server = Server::start_with_config("busy-reply-threshold = 50\n", &[]);
    let mut runner = server.raw();
    let notbusy = "-NOTBUSY No scripts in execution right now.\r\n";
    assert_eq!(line(&mut runner, &["SCRIPT", "KILL"]), notbusy);
    busy_until_killed(
        &server,
        &mut runner,
        &["EVAL", "while true do end", "0"],
        "SCRIPT",
        "FUNCTION",
    );
    assert_eq!(line(&mut runner, &["EVAL", "return 7", "0"]), ":7\r\n");
}

#[test]
fn a_slow_script_inside_exec_makes_others_busy_until_script_kill() {
    let server = Server::start_with_config("busy-reply-threshold = 50\n", &[]);
    let mut runner = server.raw();
    assert_eq!(line(&mut runner, &["MULTI"]), "+OK\r\n");
    assert_eq!(line(&mut runner, &["SET", "before", "1"]), "+QUEUED\r\n");
    assert_eq!(line(&mut runner, &["EVAL", "while true do end", "0"]), "+QUEUED\r\n");
    runner.send(&resp(&["EXEC"]));
    let mut c = server.raw();
    let busy = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
    assert_eq!(wait_busy(&mut c), busy);
    // The transaction's other writes are not the script's: it can be killed.
    assert_eq!(line(&mut c, &["SCRIPT", "KILL"]), "+OK\r\n");
    assert_eq!(runner.read_line(), "*2\r\n");
    assert_eq!(runner.read_line(), "+OK\r\n");
    let killed = runner.read_line();
    assert!(killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."), "{killed}");
    assert_eq!(line(&mut c, &["GET", "before"]), "$1\r\n");
}

#[test]
fn a_slow_function_makes_others_busy_until_function_kill() {
    let server = Server::start_with_config("busy-reply-threshold = 50\n", &[]);
    let mut runner = server.raw();
    let code = "#!lua name=slow\nredis.register_function('spin', function() while true do end end)";
    assert_eq!(line(&mut runner, &["FUNCTION", "LOAD", code]), "$4\r\n");
    runner.read_line();
    busy_until_killed(&server, &mut runner, &["FCALL", "spin", "0"], "FUNCTION", "SCRIPT");
}

/// A server that loaded the library `kept` (FCALL answer 0 gives 42),
/// then restarted.
fn restarted_with_a_library() -> Server {
    let server = Server::start(&[]);
    let mut c = server.raw();
    let code = "#!lua name=kept\nredis.register_function('answer', function() return 42 end)";
    assert_eq!(line(&mut c, &["FUNCTION", "LOAD", code]), "$4\r\n");
    c.read_line();
    server.restart(&[])
}

#[test]
fn function_libraries_survive_a_restart() {
    let server = restarted_with_a_library();
    let mut c = server.raw();
    assert_eq!(line(&mut c, &["FCALL", "answer", "0"]), ":42\r\n");
    assert_eq!(line(&mut c, &["FUNCTION", "DELETE", "kept"]), "+OK\r\n");
    let server = server.restart(&[]);
    let mut c = server.raw();
    assert_eq!(line(&mut c, &["FCALL", "answer", "0"]), "-ERR Function not found\r\n");
}

#[test]
fn a_damaged_library_file_is_refused_not_overwritten() {
    let server = restarted_with_a_library();
    // Scripting starts at its first use: the file is read then.
    let file = server.dir.path().join("data").join("state").join("FUNCTIONS");
    let mut payload = std::fs::read(&file).expect("the libraries' file");
    payload[3] ^= 0xff;
    std::fs::write(&file, &payload).unwrap();
    let mut c = server.raw();
    let refused = "-ERR DUMP payload version or checksum are wrong\r\n";
    assert_eq!(line(&mut c, &["FCALL", "answer", "0"]), refused);
    let other = "#!lua name=other\nredis.register_function('f', function() return 1 end)";
    assert_eq!(line(&mut c, &["FUNCTION", "LOAD", other]), refused);
    assert_eq!(std::fs::read(&file).unwrap(), payload);
}

#[test]
fn a_slow_script_that_wrote_cannot_be_killed() {
    let server = Server::start_with_config("busy-reply-threshold = 50\n", &[]);
    let mut runner = server.raw();
    let mut other = server.raw();
    let script = "redis.call('set', KEYS[1], 'x'); local t = redis.call('time'); \
                  while true do end";
    runner.send(&resp(&["EVAL", script, "1", "w"]));
    wait_busy(&mut other);
    assert!(line(&mut other, &["SCRIPT", "KILL"]).starts_with("-UNKILLABLE Sorry the script"));
}

/// Runs `program` with python3 and redis-py against `server`; `false`
/// (after saying so loudly) when they are missing, unless
/// JOTTER_REQUIRE_SERVICES=1.
fn python(server: &Server, program: &str) -> bool {
    let required = std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1");
    let probe = Command::new("python3").args(["-c", "import redis"]).output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(!required, "python3 with redis-py is required (JOTTER_REQUIRE_SERVICES=1)");
        eprintln!(
            "\n!!!!! SKIPPED: python3 with redis-py is not installed (pip install redis) !!!!!\n"
        );
        return false;
    }
    let out = Command::new("python3")
        .args(["-c", program, &server.resp.port().to_string()])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");
    true
}

#[test]
fn redis_py_lock_is_held_by_one_client_at_a_time() {
    let server = Server::start(&[]);
    python(
        &server,
        r#"
import sys, redis
port = int(sys.argv[1])
a, b = redis.Redis(port=port), redis.Redis(port=port)
mine = a.lock("resource", timeout=5, blocking=False)
theirs = b.lock("resource", timeout=5, blocking=False)
assert mine.acquire()
assert not theirs.acquire()
assert mine.owned() and not theirs.owned()
assert mine.extend(10)
assert 10000 < a.pttl("resource") <= 15000, a.pttl("resource")
assert mine.reacquire()
assert a.pttl("resource") <= 5000
try:
    theirs.release()
    raise SystemExit("released a lock it does not hold")
except redis.exceptions.LockError:
    pass
mine.release()
assert a.get("resource") is None
assert theirs.acquire()
try:
    mine.extend(1)
    raise SystemExit("extended a lock it does not hold")
except redis.exceptions.LockError:
    pass
theirs.release()
print("OK")
"#,
    );
}

#[test]
fn a_lua_rate_limiter_allows_the_window_and_refuses_the_rest() {
    let server = Server::start(&[]);
    python(
        &server,
        r#"
import sys, redis
r = redis.Redis(port=int(sys.argv[1]))
limit = r.register_script("""
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if current > tonumber(ARGV[1]) then return 0 end
return 1
""")
allowed = [limit(keys=["rate:alice"], args=[5, 60000]) for _ in range(8)]
assert allowed == [1] * 5 + [0] * 3, allowed
assert 0 < r.pttl("rate:alice") <= 60000
assert limit(keys=["rate:bob"], args=[5, 60000]) == 1
r.script_flush()
assert limit(keys=["rate:bob"], args=[5, 60000]) == 1
assert int(r.get("rate:bob")) == 2
print("OK")
"#,
    );
}

#[test]
fn a_script_runs_its_commands_under_its_users_permissions() {
    let config = "[[user]]\nname = \"app\"\npassword = \"pw\"\ncommands = \"+@all -set\"\n";
    let server = Server::start_with_config(config, &[]);
    let mut c = server.raw();
    assert_eq!(line(&mut c, &["AUTH", "app", "pw"]), "+OK\r\n");
    let refused = line(&mut c, &["EVAL", "return redis.call('set', 'k', 'v')", "0"]);
    assert!(
        refused.starts_with(
            "-ERR The user executing the script can't run this command or subcommand script: "
        ),
        "{refused}"
    );
    let text = line(&mut c, &["EVAL", "return redis.pcall('set', 'k', 'v')", "0"]);
    assert_eq!(text, "-ERR The user executing the script can't run this command or subcommand\r\n");
    assert_eq!(line(&mut c, &["EVAL", "return redis.call('incr', 'n')", "0"]), ":1\r\n");
}
