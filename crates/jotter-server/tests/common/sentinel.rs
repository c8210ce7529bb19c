//! A primary, a replica and one Sentinel watching them as `mymaster`, all
//! private to one test (ephemeral ports, killed when dropped), and a
//! failover on demand. Without `redis-server` a test skips loudly, or
//! fails with `JOTTER_REQUIRE_SERVICES=1`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::private_redis::PrivateRedis;

pub struct Sentinels {
    pub primary: PrivateRedis,
    pub replica: PrivateRedis,
    sentinel: Child,
    pub sentinel_addr: SocketAddr,
    _dir: TempDir,
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
        let dir = TempDir::new().expect("temp dir");
        let sentinel_port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
        let conf = dir.path().join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {sentinel_port}\nbind 127.0.0.1\ndir {}\n\
                 sentinel monitor mymaster 127.0.0.1 {port} 1\n\
                 sentinel down-after-milliseconds mymaster 1000\n\
                 sentinel failover-timeout mymaster 5000\n",
                dir.path().display()
            ),
        )
        .expect("write sentinel.conf");
        let sentinel = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server --sentinel");
        let sentinel_addr = SocketAddr::from(([127, 0, 0, 1], sentinel_port));
        wait_until("the Sentinel's listener", || TcpStream::connect(sentinel_addr).is_ok());
        let sentinels = Sentinels { primary, replica, sentinel, sentinel_addr, _dir: dir };
        wait_until("the Sentinel finding the replica", || {
            query(sentinel_addr, &["SENTINEL", "REPLICAS", "mymaster"])
                .is_ok_and(|r| matches!(r, redis::Value::Array(ref a) if !a.is_empty()))
        });
        Some(sentinels)
    }

    /// The `--cluster` address of the Sentinel-watched primary.
    pub fn url(&self) -> String {
        format!("redis-sentinel://mymaster@{}", self.sentinel_addr)
    }

    /// Makes the replica the primary and waits until it says so.
    pub fn fail_over(&self) {
        query(self.sentinel_addr, &["SENTINEL", "FAILOVER", "mymaster"])
            .expect("SENTINEL FAILOVER");
        let replica = self.replica.addr;
        wait_until("the failover", || {
            let named =
                query(self.sentinel_addr, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]);
            let names_replica = matches!(named, Ok(redis::Value::Array(ref a))
                if a.get(1).map(text).as_deref() == Some(replica.port().to_string().as_str()));
            names_replica
                && query(replica, &["ROLE"]).is_ok_and(|r| {
                    matches!(r, redis::Value::Array(ref a) if a.first().map(text).as_deref() == Some("master"))
                })
        });
    }
}

impl Drop for Sentinels {
    fn drop(&mut self) {
        let _ = self.sentinel.kill();
        let _ = self.sentinel.wait();
    }
}
