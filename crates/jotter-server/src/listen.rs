//! What every kind of `jotter` process opens the same way: its RESP
//! listener, its HTTP admin listener (each named by its settings when it
//! cannot listen), and the stop signals (SIGTERM or SIGINT: the first asks
//! for a graceful stop, the second for an exit at once).

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::config::Config;

/// The RESP listener of `bind`, `port` and `tcp-backlog`.
pub(crate) fn resp(config: &Config) -> anyhow::Result<TcpListener> {
    crate::server::bind(config.bind, config.port, config.tcp_backlog)
        .with_context(|| format!("cannot listen on {}:{} (bind, port)", config.bind, config.port))
}

/// The HTTP admin listener of `admin-bind` and `admin-port`.
pub(crate) async fn admin(config: &Config) -> anyhow::Result<TcpListener> {
    TcpListener::bind((config.admin_bind, config.admin_port)).await.with_context(|| {
        format!(
            "cannot listen on {}:{} (admin-bind, admin-port)",
            config.admin_bind, config.admin_port
        )
    })
}

/// SIGTERM and SIGINT, as one stream of stop requests.
pub(crate) struct StopSignals {
    term: Signal,
    int: Signal,
}

impl StopSignals {
    /// Listens for both; `None` (logged, naming `what` to kill instead)
    /// if the process cannot.
    pub(crate) fn listen(what: &str) -> Option<StopSignals> {
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(term), Ok(int)) => Some(StopSignals { term, int }),
            _ => {
                tracing::error!("cannot listen for SIGTERM/SIGINT; stop the {what} with SIGKILL");
                None
            }
        }
    }

    /// The next SIGTERM or SIGINT.
    pub(crate) async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
