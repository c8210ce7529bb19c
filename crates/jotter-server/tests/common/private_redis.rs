//! A private redis-server for one test, on an ephemeral port of its own and
//! killed when dropped, so a test may flush it and shares it with no one.
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
        let dir = TempDir::new().expect("temp dir");
        // The port is free when the listener is dropped; redis-server takes
        // it a moment later (a clash fails loudly below, never silently).
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
        let redis = PrivateRedis { child, addr, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(redis)
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
