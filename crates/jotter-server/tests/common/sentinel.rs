//! A private Redis Sentinel for one test (`redis-server CONF --sentinel`),
//! on an ephemeral port, watching one primary under the name `jotter`,
//! killed when dropped. It decides a failover alone (quorum 1) one second
//! after the primary stops answering.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const MASTER: &str = "jotter";

pub struct Sentinel {
    child: Child,
    pub addr: SocketAddr,
    _dir: TempDir,
}

impl Sentinel {
    /// A Sentinel watching the primary at `primary`.
    pub fn start(primary: SocketAddr) -> Sentinel {
        let dir = TempDir::new().expect("temp dir");
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
        let conf = dir.path().join("sentinel.conf");
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndir {}\n\
             sentinel monitor {MASTER} {} {} 1\n\
             sentinel down-after-milliseconds {MASTER} 1000\n\
             sentinel failover-timeout {MASTER} 10000\n",
            dir.path().display(),
            primary.ip(),
            primary.port()
        );
        std::fs::write(&conf, text).expect("write sentinel.conf");
        let child = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server --sentinel");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let sentinel = Sentinel { child, addr, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "the Sentinel did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(10));
        }
        sentinel
    }

    /// The cluster URL naming this Sentinel.
    pub fn url(&self) -> String {
        format!("redis-sentinel://{MASTER}@{}", self.addr)
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
