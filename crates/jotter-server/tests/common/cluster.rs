//! The scale-out mode for one test: a front end ([`front_end`]), a flush
//! worker (`jotter worker`, killed when dropped) and [`Cluster`], the front ends' side of the contract
//! written by hand into a private Redis: each command applied together with
//! its version and change record, in one atomic step, as a front end does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::Value;
use tempfile::TempDir;

use super::Server;
use super::pg::Schema;
use super::private_redis::PrivateRedis;

/// A front end (`jotter serve --cluster`) of `redis`, creating the layout
/// with `shards` shard streams if it is the first, with `extra` flags.
pub fn front_end(redis: &PrivateRedis, shards: u32, extra: &[&str]) -> Server {
    let url = format!("redis://{}", redis.addr);
    let shards = shards.to_string();
    let mut args = vec!["--cluster", url.as_str(), "--cluster-shards", shards.as_str()];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A running `jotter worker`.
pub struct Worker {
    child: Child,
    pub admin: SocketAddr,
    dir: TempDir,
}

impl Worker {
    /// Starts a worker on `redis`, writing into `store`, with `extra` flags
    /// (e.g. `--consumer w1`, `--config FILE`).
    pub fn start(redis: &PrivateRedis, store: Option<&str>, extra: &[&str]) -> Worker {
        Worker::start_on(&format!("redis://{}", redis.addr), store, extra)
    }

    /// [`start`](Self::start) on the cluster `url` (e.g. a Sentinel's).
    pub fn start_on(url: &str, store: Option<&str>, extra: &[&str]) -> Worker {
        let dir = TempDir::new().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("worker.log")).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_jotter"));
        command
            .arg("worker")
            .args(["--cluster", url])
            .args(["--admin-port", "0", "--flush-interval", "100ms"])
            .args(extra)
            .env("JOTTER_LOG", "info,jotter_scaleout=debug")
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(log);
        if let Some(store) = store {
            command.args(["--store", store]);
        }
        let mut child = command.spawn().expect("start jotter worker");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the worker's first line");
        let log = || std::fs::read_to_string(dir.path().join("worker.log")).unwrap_or_default();
        let admin = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("admin="))
            .unwrap_or_else(|| panic!("no admin= in {line:?}; log:\n{}", log()))
            .parse()
            .expect("an address");
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Worker { child, admin, dir }
    }

    /// A worker storing `note:*` keys into a table `notes` it creates in
    /// `schema`, whose CHECK constraint refuses bodies of 5 bytes or more
    /// (`notes_body_check`), and dead-letters a refused write quickly
    /// (`max-deliveries = 3`, `claim-idle = 200ms`).
    pub fn refusing_long_notes(redis: &PrivateRedis, schema: &Schema) -> Worker {
        schema
            .query("CREATE TABLE notes (id text PRIMARY KEY, body text CHECK (length(body) < 5))");
        let dir = TempDir::new().expect("temp dir");
        let config = dir.path().join("worker.toml");
        std::fs::write(
            &config,
            format!(
                "store = \"{}\"\n\n[worker]\nmax-deliveries = 3\nclaim-idle = \"200ms\"\n\n\
                 [[mapping]]\nkeys = \"note:*\"\ntable = \"notes\"\nkey-column = \"id\"\n\
                 kind = \"string\"\nvalue-column = \"body\"\n",
                schema.url()
            ),
        )
        .expect("write the worker's config");
        // The config is read before the worker prints its first line.
        Worker::start(redis, None, &["--config", config.to_str().expect("a UTF-8 path")])
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("worker.log")).unwrap_or_default()
    }

    pub fn signal(&self, name: &str) {
        super::signal(&self.child, name);
    }

    /// Waits for the worker to exit, up to `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let log = self.dir.path().join("worker.log");
        super::wait_for_exit(&mut self.child, limit, "worker", &log)
    }

    /// The body of `GET /metrics`.
    pub fn metrics(&self) -> String {
        self.metrics_with("")
    }

    /// The response to `GET /metrics` with `headers` (each ending in CRLF).
    pub fn metrics_with(&self, headers: &str) -> String {
        let mut stream = TcpStream::connect(self.admin).expect("connect to the admin port");
        let request =
            format!("GET /metrics HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read");
        text
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes the way a front end does, and reads what the workers did.
pub struct Cluster {
    connection: redis::Connection,
    pub shards: u32,
}

/// A command applied with its change record: the command, the clock
/// raised by one (read back as a string: Lua numbers would round it), the
/// key's version, the record on its shard stream.
const RECORD: &str = "redis.call(unpack(ARGV)) \
    redis.call('INCR', KEYS[2]) \
    local v = redis.call('GET', KEYS[2]) \
    redis.call('HSET', KEYS[3], KEYS[1], v) \
    redis.call('XADD', KEYS[4], '*', 'k', KEYS[1], 'v', v) \
    return v";

impl Cluster {
    /// The layout with `shards` shard streams, and the clock at the wall
    /// clock's version (microseconds << 12), as the first front end leaves it.
    pub fn new(redis: &PrivateRedis, shards: u32) -> Cluster {
        let client = redis::Client::open(format!("redis://{}", redis.addr)).expect("client");
        let mut connection = client.get_connection().expect("connect to the private redis");
        let micros = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
        let () = redis::pipe()
            .cmd("HSET")
            .arg("{jotter}:meta")
            .arg("format")
            .arg(1)
            .arg("shards")
            .arg(shards)
            .ignore()
            .cmd("SET")
            .arg("{jotter}:clock")
            .arg(micros << 12)
            .ignore()
            .query(&mut connection)
            .expect("set up the layout");
        Cluster { connection, shards }
    }

    /// Writes on `redis` (a new primary) into a layout already there.
    pub fn attach(redis: &PrivateRedis, shards: u32) -> Cluster {
        let client = redis::Client::open(format!("redis://{}", redis.addr)).expect("client");
        Cluster { connection: client.get_connection().expect("connect"), shards }
    }

    /// Runs `command` (which writes `key`) with its change record; its version.
    pub fn write(&mut self, key: &str, command: &[&str]) -> u64 {
        let shard = jotter_scaleout::shard_of(key.as_bytes(), self.shards);
        let version: String = redis::cmd("EVAL")
            .arg(RECORD)
            .arg(4)
            .arg(key)
            .arg("{jotter}:clock")
            .arg("{jotter}:ver")
            .arg(jotter_scaleout::shard_stream(shard))
            .arg(command)
            .query(&mut self.connection)
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        version.parse().expect("a version")
    }

    /// Any command, its reply.
    pub fn query(&mut self, args: &[&str]) -> Value {
        redis::cmd(args[0]).arg(&args[1..]).query(&mut self.connection).expect("query")
    }

    /// Records delivered and not acknowledged, over every shard stream.
    pub fn pending(&mut self) -> u64 {
        (0..self.shards)
            .map(|shard| {
                let stream = jotter_scaleout::shard_stream(shard);
                match self.query(&["XPENDING", &stream, "workers"]) {
                    Value::Array(parts) => match parts.first() {
                        Some(Value::Int(n)) => *n as u64,
                        _ => 0,
                    },
                    _ => 0,
                }
            })
            .sum()
    }

    /// Whether every record of every shard stream was delivered and
    /// acknowledged (false until a worker has created the group).
    pub fn drained(&mut self) -> bool {
        let groups = (0..self.shards).all(|shard| {
            let stream = jotter_scaleout::shard_stream(shard);
            redis::cmd("XINFO")
                .arg("GROUPS")
                .arg(&stream)
                .query::<Value>(&mut self.connection)
                .is_ok()
        });
        if !groups || self.pending() > 0 {
            return false;
        }
        (0..self.shards).all(|shard| {
            let stream = jotter_scaleout::shard_stream(shard);
            let last = field(&self.query(&["XINFO", "STREAM", &stream]), "last-generated-id");
            let groups = self.query(&["XINFO", "GROUPS", &stream]);
            let Value::Array(groups) = groups else { return false };
            groups.first().is_some_and(|g| field(g, "last-delivered-id") == last)
        })
    }

    /// Waits until [`drained`](Self::drained), up to `limit`.
    pub fn wait_drained(&mut self, limit: Duration) {
        let start = Instant::now();
        while !self.drained() {
            assert!(start.elapsed() < limit, "the streams were not drained in {limit:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The dead-letter stream's entries, each as its field/value pairs.
    pub fn dead_letters(&mut self) -> Vec<Vec<(String, String)>> {
        let Value::Array(entries) = self.query(&["XRANGE", "{jotter}:dead", "-", "+"]) else {
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|e| match e {
                Value::Array(parts) => match parts.get(1) {
                    Some(Value::Array(flat)) => Some(
                        flat.chunks(2)
                            .map(|p| (text(&p[0]), p.get(1).map(text).unwrap_or_default()))
                            .collect(),
                    ),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }
}

/// A string reply's text.
pub fn text(value: &Value) -> String {
    match value {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        other => format!("{other:?}"),
    }
}

/// The value after `name` in a flat name/value reply (XINFO's).
fn field(reply: &Value, name: &str) -> String {
    let Value::Array(flat) = reply else { return String::new() };
    flat.chunks(2)
        .find(|p| text(&p[0]) == name)
        .and_then(|p| p.get(1))
        .map(text)
        .unwrap_or_default()
}
