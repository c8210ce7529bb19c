//! A private redis-server for one test, on an ephemeral port of its own and
//! killed when dropped, so a test may flush it and shares it with no one;
//! with `--requirepass` among its arguments, it is asked with that password.
//! Without `redis-server` on the PATH a test skips loudly, or fails with
//! `JOTTER_REQUIRE_SERVICES=1`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub struct PrivateRedis {
    child: Child,
    pub addr: SocketAddr,
    _dir: TempDir,
}

impl PrivateRedis {
    /// Starts redis-server without persistence; `None` (after saying so
    /// loudly) when it cannot be run, unless JOTTER_REQUIRE_SERVICES=1.
    pub fn start() -> Option<PrivateRedis> {
        PrivateRedis::start_with(&[])
    }

    /// [`start`](Self::start) with `extra` arguments for redis-server.
    pub fn start_with(extra: &[&str]) -> Option<PrivateRedis> {
        // The port is free when the listener is dropped and redis-server
        // takes it a moment later: another process (a test of another
        // binary) may take it first. Then ours exits and the port answers
        // for someone else, so the server is asked for its process id, and
        // on a clash the start is tried again on another port.
        for _ in 0..5 {
            if let Some(started) = PrivateRedis::try_start(extra)? {
                return Some(started);
            }
        }
        panic!("redis-server lost its port to another process five times in a row");
    }

    /// One attempt: `Some(None)` when another process has the port.
    fn try_start(extra: &[&str]) -> Option<Option<PrivateRedis>> {
        let dir = TempDir::new().expect("temp dir");
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "no", "--dir"])
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if std::env::var("JOTTER_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!("redis-server is required (JOTTER_REQUIRE_SERVICES=1): {e}")
            }
            Err(e) => {
                eprintln!("\n!!!!! SKIPPED: redis-server cannot be run ({e}) !!!!!\n");
                return None;
            }
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let password = extra.iter().position(|a| *a == "--requirepass").map(|at| extra[at + 1]);
        let mut redis = PrivateRedis { child, addr, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if redis.child.try_wait().ok().flatten().is_some() {
                return Some(None);
            }
            if let Some(pid) = process_id(addr, password) {
                return Some((pid == redis.child.id()).then_some(redis));
            }
            assert!(Instant::now() < deadline, "redis-server did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The process id of the redis-server answering at `addr` (logged in with
/// `password` first, when it has one), if one answers.
/// Asked over a plain socket: a client library would send its own commands
/// first (Redis 7.0 counts `CLIENT SETINFO` as an error in INFO errorstats,
/// which differential tests compare).
fn process_id(addr: SocketAddr, password: Option<&str>) -> Option<u32> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    if let Some(password) = password {
        let auth = format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{password}\r\n", password.len());
        stream.write_all(auth.as_bytes()).ok()?;
    }
    stream.write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n").ok()?;
    let mut said = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&said);
        // Only a whole line: a read may end in the middle of the number.
        if let Some((_, rest)) = text.split_once("process_id:")
            && let Some((pid, _)) = rest.split_once("\r\n")
        {
            return pid.parse().ok();
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        said.extend_from_slice(&chunk[..n]);
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
