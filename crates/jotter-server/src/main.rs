//! `jotter`: the Redis-protocol server in front of Jotter's write-behind
//! cache, and the operator's commands that talk to it.
//!
//! # Layout
//!
//! - `cli.rs`, `config.rs`: the command line and the TOML settings, layered
//!   defaults < file < flags and checked before anything starts.
//! - `main.rs` (this file): opens the store and the cache, binds the
//!   listeners, prints where everything is, and runs until a signal.
//! - `server.rs`: the accept loop (`maxclients`) and the orderly stop.
//! - `connection.rs`: one client: read, decode (`jotter-resp`), execute every
//!   whole request in order, write all replies with one write per read.
//! - `session.rs`: one connection's session (protocol, authentication,
//!   `MULTI` queue, `WATCH`ed keys), which its commands read and change.
//! - `command/`: the command table and one file or folder per command
//!   family; see `command/mod.rs` for how to add a command or a family.
//! - `engine_error.rs`: the engine's errors in Redis's words (`WRONGTYPE`,
//!   `TRYAGAIN`, `ERR ...`), which `command/fail.rs` replies, and a value's
//!   type name (TYPE, SCAN TYPE).
//! - `clients.rs`: the registry of connected clients (`CLIENT LIST/KILL`).
//! - `dead_letter_fields.rs`: a dead letter as `JOTTER.DEADLETTERS LIST` and
//!   `GET /dead-letters` show it, and bytes made printable for text.
//! - `state.rs`: what every connection shares (settings, cache, counters).
//! - `admin/`, `telemetry.rs`: the HTTP admin port (`/metrics`, `/health`,
//!   `/ready`, `/health/store`) and the server's own metrics.
//! - `open.rs`: the store and the cache started as the settings say, for
//!   `serve` and for the operator's commands on a data directory.
//! - `cluster/`: `jotter serve --cluster URL`, a stateless front end whose
//!   data lives in a Redis cluster (docs/SCALE-OUT.md).
//! - `operator/`: `jotter dead-letters` and `jotter key`, the operator's
//!   client of a running server (or of a data directory no server holds).
//! - `backend.rs`, `lazy_postgres.rs`: the store, SQLite or PostgreSQL; a
//!   PostgreSQL store is set up when the database first answers, so the
//!   server starts while it cannot be reached.
//! - `worker.rs`: `jotter worker`, a flush worker of the scale-out mode
//!   (`jotter-scaleout`), on the same store setup.
//!
//! # Stopping
//!
//! SIGTERM or SIGINT (or the SHUTDOWN command, `command/shutdown.rs`; with
//! NOSAVE it does not wait for the drain) stops accepting, closes every
//! client after its current
//! command, and drains pending writes to the store; the whole stop (clients
//! included: one blocked in `JOTTER.FLUSH` does not add its own wait) takes
//! at most `shutdown-timeout`. The last log line and the exit status say
//! what reached the store and what did not (`stop.rs`: 0 everything, 3 writes
//! left in the log, 4 dead letters). A second signal exits at once (code
//! 130): what was not yet in the store stays in the write-ahead log and is
//! flushed at the next start.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;

use crate::backend::Backend;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

mod admin;
mod auth_throttle;
mod backend;
mod bench;
mod cli;
mod client_buffers;
mod client_memory;
mod clients;
mod cluster;
mod command;
mod command_stats;
mod config;
mod connection;
mod dead_letter_fields;
mod engine_error;
mod latency;
mod lazy_postgres;
mod listen;
mod live;
mod open;
mod operator;
mod outbox;
mod pause;
mod reply_mode;
mod saves;
mod server;
mod session;
mod slowlog;
mod state;
mod stop;
mod telemetry;
#[cfg(feature = "tls")]
mod tls;
mod unblock;
mod worker;

use crate::config::{Config, LogFormat};
use crate::state::Shared;

/// jemalloc rather than glibc's malloc: with every key resident the server
/// holds several small allocations a key, and what a burst of pending
/// writes frees is scattered between them. Measured with
/// `scripts/memory-vs-redis.sh 1000000 64` (docs/BENCHMARKS.md): 499 MB RSS
/// on glibc, 278 MB on jemalloc, for 950,000 keys.
#[cfg(all(target_os = "linux", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let (args, migrate) = match cli.command {
        cli::Command::Serve(args) => (args, false),
        cli::Command::Migrate(args) => (args, true),
        // The operator's commands print their results; the engine they may
        // start says only what went wrong.
        cli::Command::DeadLetters(command) => {
            init_logging(LogFormat::Text, "warn");
            return run(LogFormat::Text, operator::dead_letters(command));
        }
        cli::Command::Key(args) => {
            init_logging(LogFormat::Text, "warn");
            return run(LogFormat::Text, operator::key(args));
        }
        cli::Command::Worker(args) => {
            let config = match args.config() {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("jotter: {e}");
                    return ExitCode::from(2);
                }
            };
            init_logging(config.log_format, "info");
            return run(config.log_format, worker::run(config));
        }
        cli::Command::Bench(args) => {
            init_logging(LogFormat::Text, "warn");
            // One thread, as redis-benchmark: the bench shares the machine
            // with the servers it measures, so it must cost them no core.
            let runtime = tokio::runtime::Builder::new_current_thread();
            return run_on(runtime, LogFormat::Text, bench::run(args));
        }
    };
    // The users' command rules are checked here rather than in
    // `Config::validate`: they name commands, which the settings do not know.
    let (config, users) = match args.config().and_then(|c| Ok((command::users(&c)?, c))) {
        Ok((users, config)) => (config, users),
        Err(e) => {
            eprintln!("jotter: {e}");
            return ExitCode::from(2);
        }
    };
    let log_format = config.log_format;
    init_logging(log_format, "info");
    let config_file = args.config_file();
    run(log_format, async {
        if migrate {
            migrate_store(&config).await.map(|()| ExitCode::SUCCESS)
        } else if let Some(url) = config.cluster.clone() {
            cluster::serve(config, url, users).await
        } else {
            serve(config, config_file, users).await
        }
    })
}

/// Runs `command` on a new runtime to its exit status; a failure is
/// reported as `log-format` says.
fn run(log_format: LogFormat, command: impl Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    run_on(tokio::runtime::Builder::new_multi_thread(), log_format, command)
}

/// [`run`] on the runtime `builder` makes.
fn run_on(
    mut builder: tokio::runtime::Builder,
    log_format: LogFormat,
    command: impl Future<Output = anyhow::Result<ExitCode>>,
) -> ExitCode {
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            fatal(log_format, &format!("cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(command) {
        Ok(code) => code,
        Err(e) => {
            fatal(log_format, &failure_text(&e));
            ExitCode::FAILURE
        }
    };
    // Tasks still running (a store call stuck on a locked database, a
    // client's command) must not hold the exit past the shutdown timeout:
    // what they were writing is in the log.
    runtime.shutdown_background();
    code
}

/// Logs go to stderr, one event a line, as `log-format` says; stdout
/// carries only the `listening` line, which scripts and the test harness
/// read. Set up once the settings are read: a setting that stops the start
/// is reported before, as plain text. `level` applies unless `JOTTER_LOG`
/// says otherwise.
fn init_logging(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_env("JOTTER_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
        }
        // The event's fields beside the message, not nested, so that
        // `jq .key` finds them; no span list (the server opens none).
        LogFormat::Json => logs.json().flatten_event(true).with_ansi(false).init(),
    }
}

/// The reason the server stops with a failure: the last line of stderr,
/// a JSON event under `log-format = "json"`.
fn fatal(format: LogFormat, text: &str) {
    match format {
        LogFormat::Text => eprintln!("jotter: {text}"),
        LogFormat::Json => tracing::error!("{text}"),
    }
}

async fn serve(
    config: Config,
    config_file: Option<std::path::PathBuf>,
    users: command::Users,
) -> anyhow::Result<ExitCode> {
    // Installed before the cache is built, so the engine's metrics land in it.
    let prometheus = telemetry::install_recorder()?;

    let cache = open::cache(&config).await?;

    let resp = listen::resp(&config)?;
    let admin = listen::admin(&config).await?;
    let resp_addr = resp.local_addr()?;
    let admin_addr = admin.local_addr()?;
    let plain = server::Listener {
        listener: resp,
        #[cfg(feature = "tls")]
        tls: None,
    };
    let tls = tls_listener(&config).await?;
    let tls_addr = tls.as_ref().map(|(_, addr)| format!(" tls={addr}")).unwrap_or_default();
    let listeners: Vec<_> = std::iter::once(plain).chain(tls.map(|(l, _)| l)).collect();
    // One line that says where everything is; the actual ports, so that
    // `--port 0` is usable.
    println!(
        "jotter: listening resp={resp_addr}{tls_addr} admin={admin_addr} data-dir={} store={} fsync={}",
        config.data_dir.display(),
        config.store,
        config.fsync.name()
    );
    tracing::info!(
        resp = %resp_addr,
        tls = tls_addr.trim_start(),
        admin = %admin_addr,
        data_dir = %config.data_dir.display(),
        store = %config.store,
        fsync = config.fsync.name(),
        "jotter is serving"
    );

    let shutdown = CancellationToken::new();
    let mut shared = Shared::new(config, users, cache, shutdown.clone());
    shared.config_file = config_file;
    let shared = Arc::new(shared);
    command::watch_key_events(&shared);
    let stop_start = Arc::new(std::sync::OnceLock::new());
    tokio::spawn(wait_for_signals(shared.clone(), stop_start.clone()));
    let admin_task = tokio::spawn(admin::serve(admin, shared.clone(), prometheus));
    tokio::spawn(sweep_expired(shared.clone()));

    let clients = server::run(listeners, shared.clone()).await;
    // The signal has set it, just before the accept loops ended.
    let began = *stop_start.get_or_init(|| stop::StopStart::now(&shared));
    let timeout = shared.config.shutdown_timeout.0;
    // One deadline for the whole stop: what waiting for the clients used
    // is not given again to the drain.
    server::wait_for_clients(clients, &shared, began.at + timeout).await;
    // `SHUTDOWN NOSAVE` leaves the pending writes in the log for the next
    // start, as Redis skips its final save.
    let drain = if shared.saves.drain_at_stop() || shared.cache.stats().pending_entries == 0 {
        timeout.saturating_sub(began.at.elapsed())
    } else {
        std::time::Duration::ZERO
    };
    shared.cache.shutdown(drain).await;
    // The admin port has stopped taking requests; one still being answered
    // does not hold up the exit.
    let admin_stop = tokio::time::timeout(std::time::Duration::from_millis(100), admin_task);
    match admin_stop.await {
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the admin listener failed"),
        Ok(Err(e)) => tracing::warn!(error = %e, "the admin listener ended abnormally"),
        Ok(Ok(Ok(()))) | Err(_) => {}
    }
    Ok(stop::finish(&shared, began))
}

/// `jotter migrate`: brings the store's schema to this version and says
/// what it did.
async fn migrate_store(config: &Config) -> anyhow::Result<()> {
    match &config.store {
        config::StoreUrl::Postgres(url) => {
            let options = jotter_postgres::PostgresOptions::default();
            let done = jotter_postgres::migrate(url, &options)
                .await
                .context("cannot migrate the PostgreSQL store")?;
            println!("jotter: PostgreSQL schema at version {} (was {})", done.to, done.from);
        }
        config::StoreUrl::Sqlite(_) => {
            // Opening creates or upgrades the schema.
            Backend::open(config).await?;
            let path = config.sqlite_path().unwrap_or_default();
            println!("jotter: SQLite schema up to date in {}", path.display());
        }
    }
    Ok(())
}

/// The TLS listener of `[tls]`, if any.
#[cfg(feature = "tls")]
async fn tls_listener(
    config: &Config,
) -> anyhow::Result<Option<(server::Listener, std::net::SocketAddr)>> {
    let Some(tls) = &config.tls else { return Ok(None) };
    let acceptor = tls::acceptor(tls)?;
    let listener = server::bind(config.bind, tls.port, config.tcp_backlog).with_context(|| {
        format!("cannot listen on {}:{} (bind, tls.port)", config.bind, tls.port)
    })?;
    let addr = listener.local_addr()?;
    Ok(Some((server::Listener { listener, tls: Some(acceptor) }, addr)))
}

/// Without the `tls` feature there is none: `Config::validate` has already
/// refused a `[tls]` section.
#[cfg(not(feature = "tls"))]
async fn tls_listener(
    _config: &Config,
) -> anyhow::Result<Option<(server::Listener, std::net::SocketAddr)>> {
    Ok(None)
}

/// The first SIGTERM/SIGINT starts the orderly stop; the second ends the
/// process at once, leaving what is pending in the log.
/// The active half of expiry (the other half: a command that touches an
/// expired key deletes it): ten times a second, delete keys the store lists
/// as expired, as Redis samples its expiring keys.
async fn sweep_expired(shared: Arc<Shared>) {
    /// Keys deleted per round at most, so a mass expiry is spread out.
    const PER_ROUND: usize = 500;
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shared.shutdown.cancelled() => return,
        }
        if let Err(e) = shared.cache.delete_expired(PER_ROUND).await {
            tracing::debug!(error = %e, "expiry sweep skipped a round");
        }
    }
}

async fn wait_for_signals(
    shared: Arc<Shared>,
    stop_start: Arc<std::sync::OnceLock<stop::StopStart>>,
) {
    let Some(mut signals) = listen::StopSignals::listen("server") else { return };
    signals.next().await;
    tracing::info!("stopping: no new clients, draining pending writes (signal again to exit now)");
    let began = *stop_start.get_or_init(|| stop::StopStart::now(&shared));
    shared.shutdown.cancel();
    signals.next().await;
    let report = stop::StopReport::measure(&shared, began);
    report.log(Some("a second signal"));
    std::process::exit(i32::from(stop::EXIT_SECOND_SIGNAL));
}

/// A failure and its causes as `{:#}` prints them (joined by `: `), less
/// any cause whose text is already said: an engine error names its cause in
/// its own text and also keeps it as its source, for callers that act on it.
fn failure_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_is_printed_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        // The engine names its cause in its own text: said once.
        let engine = jotter::Error::Recovery {
            message: "could not read state/FORMAT: denied".into(),
            source: Some(Arc::new(io())),
        };
        assert_eq!(
            failure_text(&anyhow::Error::new(engine)),
            "cannot recover from the write-ahead log: could not read state/FORMAT: denied"
        );
        // A context line does not: its cause follows it.
        let context = Err::<(), _>(io()).context("cannot create data-dir d").unwrap_err();
        assert_eq!(failure_text(&context), "cannot create data-dir d: denied");
    }
}
