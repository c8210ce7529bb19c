//! `--start`: servers the bench starts for itself, one of each kind per
//! durability level, each in a temporary folder of its own, on a free
//! port of 127.0.0.1, at the level's fsync:
//!
//! - redis-server, found on PATH: `--save ''` and `--appendonly yes
//!   --appendfsync LEVEL` (`--appendonly no` for level `no`);
//! - Jotter, this very executable: `serve --port 0 --admin-port 0
//!   --data-dir DIR --fsync LEVEL`, with `--store URL` when given (SQLite
//!   in its folder otherwise).
//!
//! A server is ready once it answers a login. Dropping a [`Started`] kills
//! it and removes its folder, so an error, a Ctrl-C (which drops the
//! bench's future) or the end of a level stops every server it started.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::Context;

use super::conn::Conn;
use super::target::{Kind, Target};
use crate::config::FsyncSetting;

/// How long a server may take to answer after it is started (a PostgreSQL
/// store is migrated first).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A server the bench started; killed, and its folder removed, on drop.
#[derive(Debug)]
pub(crate) struct Started {
    child: Child,
    dir: PathBuf,
    pub target: Target,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How the bench starts its servers.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    pub fsync: FsyncSetting,
    /// Jotter's `--store`; its default (SQLite in the data folder) if none.
    pub store: Option<String>,
}

/// Starts a server of `kind` and waits until it answers.
pub(crate) async fn start(kind: Kind, launch: &Launch) -> anyhow::Result<Started> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "jotter-bench-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let level = launch.fsync.name();
    let spawned = match kind {
        Kind::Redis => start_redis(&dir, level),
        Kind::Jotter => start_jotter(&dir, level, launch.store.as_deref()).await,
    };
    let (child, port) = spawned.inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&dir);
    })?;
    let target = Target { kind, host: "127.0.0.1".to_owned(), port, through: false, started: true };
    let mut started = Started { child, dir, target };
    started.wait_ready().await?;
    Ok(started)
}

impl Started {
    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("{} exited ({status}) as it started{}", self.target, self.log());
            }
            match Conn::connect(&self.target, None).await {
                Ok(_) => return Ok(()),
                Err(e) if tokio::time::Instant::now() > deadline => {
                    anyhow::bail!("{} does not answer: {e}{}", self.target, self.log())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// The end of the server's log, to explain a failed start.
    fn log(&self) -> String {
        let log = ["redis.log", "jotter.log"]
            .iter()
            .find_map(|name| std::fs::read_to_string(self.dir.join(name)).ok())
            .unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(10)..].join("\n");
        if tail.is_empty() { String::new() } else { format!("; its log ends:\n{tail}") }
    }
}

/// The redis-server on PATH, or what to do without one.
fn redis_server() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join("redis-server")).find(|p| p.is_file()).context(
        "--start redis: no redis-server on PATH; install it (Debian and Ubuntu: apt-get install \
         redis-server) or give a running one with --target redis=HOST:PORT",
    )
}

fn start_redis(dir: &Path, level: &str) -> anyhow::Result<(Child, u16)> {
    let binary = redis_server()?;
    // A port free now; redis-server has no "any free port" of its own.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let appendonly = if level == "no" { "no" } else { "yes" };
    let child = Command::new(&binary)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--appendonly", appendonly, "--appendfsync", level, "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    Ok((child, port))
}

async fn start_jotter(
    dir: &Path,
    level: &str,
    store: Option<&str>,
) -> anyhow::Result<(Child, u16)> {
    let exe = std::env::current_exe().context("cannot find this jotter executable")?;
    let log = std::fs::File::create(dir.join("jotter.log"))?;
    let mut command = Command::new(exe);
    command
        .args(["serve", "--port", "0", "--admin-port", "0", "--fsync", level])
        .arg("--data-dir")
        .arg(dir.join("data"));
    if let Some(store) = store {
        command.args(["--store", store]);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .context("cannot start jotter serve")?;
    // The `listening` line says the port; the rest of stdout is drained so
    // that the server never blocks on a full pipe.
    let stdout = child.stdout.take().context("jotter serve's stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let _ = tx.send(line);
        std::io::copy(&mut stdout, &mut std::io::sink())
    });
    let line = tokio::task::spawn_blocking(move || rx.recv_timeout(READY_TIMEOUT))
        .await?
        .unwrap_or_default();
    let port = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("resp="))
        .and_then(|addr| addr.parse::<std::net::SocketAddr>().ok())
        .map(|addr| addr.port());
    match port {
        Some(port) => Ok((child, port)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(dir.join("jotter.log")).unwrap_or_default();
            anyhow::bail!("jotter serve did not start: {}", log.trim())
        }
    }
}
