//! The test harness: starts the real `jotter` binary on ephemeral ports
//! with a temporary data directory, reads the addresses it prints, and
//! kills it when dropped.

#![expect(dead_code, reason = "each test file uses a different part of the harness")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub mod browser;
pub mod cluster;
pub mod differential;
pub mod pg;
pub mod private_redis;
pub mod proxy;
pub mod reply;
pub mod sentinel;
pub mod sqlite;

pub struct Server {
    child: Child,
    pub resp: SocketAddr,
    pub admin: SocketAddr,
    /// The TLS listener, when `[tls]` is configured.
    pub tls: Option<SocketAddr>,
    pub dir: TempDir,
}

/// The binary under test, with a data dir in `dir` and ephemeral ports.
pub fn command(dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jotter"));
    cmd.arg("serve")
        .args(["--port", "0", "--admin-port", "0", "--flush-interval", "50ms"])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(extra)
        .env_remove("JOTTER_LOG")
        .current_dir(dir);
    cmd
}

/// Starts a server on `settings` (its config file), which must refuse
/// them (exit 2, a setting is wrong); returns what it printed on stderr.
pub fn refused_settings(settings: &str) -> String {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("jotter.toml");
    std::fs::write(&path, settings).unwrap();
    let output = command(dir.path(), &["--config", path.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .expect("run jotter");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        Server::start_in(TempDir::new().expect("temp dir"), extra)
    }

    /// Starts with `config` written to `jotter.toml` and passed as --config.
    pub fn start_with_config(config: &str, extra: &[&str]) -> Server {
        let dir = TempDir::new().expect("temp dir");
        let path = dir.path().join("jotter.toml");
        std::fs::write(&path, config).expect("write config");
        let mut args = vec!["--config", path.to_str().expect("utf-8 path")];
        args.extend_from_slice(extra);
        Server::start_in(dir, &args)
    }

    pub fn start_in(dir: TempDir, extra: &[&str]) -> Server {
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut child = command(dir.path(), extra)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start jotter");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the listening line");
        let field = |name: &str| -> SocketAddr {
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .unwrap_or_else(|| panic!("no {name} in {line:?}; server log:\n{log}"))
                .parse()
                .expect("an address")
        };
        let resp = field("resp=");
        let admin = field("admin=");
        let tls = line.contains(" tls=").then(|| field("tls="));
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server { child, resp, admin, tls, dir }
    }

    /// Starts a new server on this one's data directory, once this one is
    /// gone (killed first if it still runs).
    pub fn restart(mut self, extra: &[&str]) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, TempDir::new().expect("temp dir"));
        drop(self);
        Server::start_in(dir, extra)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data").join("jotter.db")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        signal(&self.child, name);
    }

    /// The exit status if the process has exited, without waiting.
    pub fn wait_briefly(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// Waits for the process to exit, up to `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let log = self.dir.path().join("server.log");
        wait_for_exit(&mut self.child, limit, "server", &log)
    }

    pub fn url(&self) -> String {
        format!("redis://{}/", self.resp)
    }

    pub async fn client(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("client")
            .get_multiplexed_async_connection()
            .await
            .expect("connect")
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.resp)
    }

    /// A server with the default flags and one raw connection to it.
    pub fn start_raw() -> (Server, Raw) {
        Server::start_raw_with(&[])
    }

    /// A server started with `extra` flags and one raw connection to it.
    pub fn start_raw_with(extra: &[&str]) -> (Server, Raw) {
        let server = Server::start(extra);
        let c = server.raw();
        (server, c)
    }

    /// `GET path` on the admin port: (status code, body).
    pub fn http_get(&self, path: &str) -> (u16, String) {
        self.http_get_with(path, "")
    }

    /// `GET path` on the admin port with extra header lines (each ending
    /// in `\r\n`): (status code, body).
    pub fn http_get_with(&self, path: &str, headers: &str) -> (u16, String) {
        self.http(&format!("GET {path}"), headers, "")
    }

    /// One HTTP/1.1 request to the admin port, `line` being its method and
    /// path (`"POST /x"`), with extra header lines (each ending in `\r\n`)
    /// and a JSON body: (status code, body).
    pub fn http(&self, line: &str, headers: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.admin).expect("connect admin");
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let content = if body.is_empty() {
            String::new()
        } else {
            format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len())
        };
        write!(
            stream,
            "{line} HTTP/1.1\r\nHost: localhost\r\n{headers}{content}Connection: close\r\n\r\n{body}"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read response");
        let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- server log ---\n{}", self.log());
        }
    }
}

/// A raw TCP client, for exact bytes.
pub struct Raw {
    pub stream: TcpStream,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw { stream }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Reads exactly as many bytes as `expected` and compares.
    pub fn expect(&mut self, expected: &[u8]) {
        let mut got = vec![0; expected.len()];
        self.stream
            .read_exact(&mut got)
            .unwrap_or_else(|e| panic!("reading {:?}: {e}", String::from_utf8_lossy(expected)));
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(expected));
    }

    /// Sends `request` and checks the reply.
    pub fn roundtrip(&mut self, request: &[u8], reply: &[u8]) {
        self.send(request);
        self.expect(reply);
    }

    /// Reads one line, CRLF included.
    pub fn read_line(&mut self) -> String {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            self.stream.read_exact(&mut byte).expect("read a line");
            line.push(byte[0]);
        }
        String::from_utf8_lossy(&line).into_owned()
    }

    /// Reads one bulk-string reply and returns its text.
    pub fn read_bulk(&mut self) -> String {
        String::from_utf8_lossy(&self.read_bulk_bytes().expect("a bulk, not nil")).into_owned()
    }

    /// Reads one bulk-string reply's bytes; `None` for nil.
    pub fn read_bulk_bytes(&mut self) -> Option<Vec<u8>> {
        let header = self.read_line();
        let len: i64 = header
            .strip_prefix('$')
            .and_then(|n| n.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("a bulk reply, not {header:?}"));
        let len = usize::try_from(len).ok()?;
        let mut body = vec![0; len + 2];
        self.stream.read_exact(&mut body).expect("the bulk body");
        body.truncate(len);
        Some(body)
    }

    /// Reads until the server closes; returns what came. Panics when the
    /// connection is still open at the read timeout.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        match self.stream.read_to_end(&mut rest) {
            Ok(_) => rest,
            // Closed with replies unread on the server's side.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => rest,
            // A timeout: the connection is still open, which every caller
            // asserts it is not.
            Err(e) => panic!(
                "the connection stayed open ({e}) after {:?}",
                String::from_utf8_lossy(&rest)
            ),
        }
    }
}

/// Encodes a request as an array of bulk strings.
pub fn resp(args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    resp_bytes(&args)
}

/// [`resp`] for arguments that are not text.
pub fn resp_bytes(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Sends the signal `name` (`TERM`, `STOP`, ...) to `child`.
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Waits for `child` (a `what`, logging into `log`) to exit, up to `limit`.
pub fn wait_for_exit(child: &mut Child, limit: Duration, what: &str, log: &Path) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        let text = || std::fs::read_to_string(log).unwrap_or_default();
        assert!(start.elapsed() < limit, "{what} did not exit; log:\n{}", text());
        std::thread::sleep(Duration::from_millis(20));
    }
}
