//! Private Redis Sentinels for one test (`redis-server CONF --sentinel`,
//! ephemeral ports, killed when dropped): a [`Sentinel`] watching a given
//! primary under the name `mymaster`, deciding a failover alone (quorum 1)
//! one second after the primary stops answering; and [`Sentinels`], a
//! primary, a replica and one Sentinel watching them, with a failover on
//! demand. Without `redis-server` a test skips loudly, or fails with
//! `JOTTER_REQUIRE_SERVICES=1`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::private_redis::PrivateRedis;

pub const MASTER: &str = "mymaster";

pub struct Sentinel {
    child: Child,
    pub addr: SocketAddr,
    _dir: TempDir,
}

impl Sentinel {
    /// A Sentinel watching the primary at `primary`.
    pub fn start(primary: SocketAddr) -> Sentinel {
        Sentinel::start_with(primary, "")
    }

    /// [`start`](Self::start) with `extra` lines in its configuration
    /// (`sentinel auth-pass mymaster PASSWORD` for a primary with one).
    pub fn start_with(primary: SocketAddr, extra: &str) -> Sentinel {
        let dir = TempDir::new().expect("temp dir");
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
        let conf = dir.path().join("sentinel.conf");
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndir {}\n\
             sentinel monitor {MASTER} {} {} 1\n\
             sentinel down-after-milliseconds {MASTER} 1000\n\
             sentinel failover-timeout {MASTER} 5000\n{extra}",
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

pub struct Sentinels {
    pub primary: PrivateRedis,
    pub replica: PrivateRedis,
    sentinel: Sentinel,
    pub sentinel_addr: SocketAddr,
}

fn query(addr: SocketAddr, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let client = redis::Client::open(format!("redis://{addr}"))?;
    let mut connection = client.get_connection()?;
    redis::cmd(args[0]).arg(&args[1..]).query(&mut connection)
}

fn text(value: &redis::Value) -> String {
    match value {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// Waits until `done`, up to 30 s, naming `what` if it never is.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what} did not happen in 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Sentinels {
    pub fn start() -> Option<Sentinels> {
        let primary = PrivateRedis::start()?;
        let port = primary.addr.port().to_string();
        let replica = PrivateRedis::start_with(&["--replicaof", "127.0.0.1", &port])?;
        wait_until("the replica's first sync", || {
            query(replica.addr, &["INFO", "replication"])
                .is_ok_and(|info| text(&info).contains("master_link_status:up"))
        });
        let sentinel = Sentinel::start(primary.addr);
        let sentinel_addr = sentinel.addr;
        let sentinels = Sentinels { primary, replica, sentinel, sentinel_addr };
        wait_until("the Sentinel finding the replica", || {
            query(sentinel_addr, &["SENTINEL", "REPLICAS", MASTER])
                .is_ok_and(|r| matches!(r, redis::Value::Array(ref a) if !a.is_empty()))
        });
        Some(sentinels)
    }

    /// The `--cluster` address of the Sentinel-watched primary.
    pub fn url(&self) -> String {
        self.sentinel.url()
    }

    /// Makes the replica the primary and waits until it says so.
    pub fn fail_over(&self) {
        // Until the Sentinel's view of the replica is fresh (it asks every
        // few seconds) it may answer NOGOODSLAVE: ask again.
        wait_until("SENTINEL FAILOVER accepted", || {
            query(self.sentinel_addr, &["SENTINEL", "FAILOVER", MASTER]).is_ok()
        });
        let replica = self.replica.addr;
        wait_until("the failover", || {
            let named = query(self.sentinel_addr, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER]);
            let names_replica = matches!(named, Ok(redis::Value::Array(ref a))
                if a.get(1).map(text).as_deref() == Some(replica.port().to_string().as_str()));
            names_replica
                && query(replica, &["ROLE"]).is_ok_and(|r| {
                    matches!(r, redis::Value::Array(ref a) if a.first().map(text).as_deref() == Some("master"))
                })
        });
    }
}
