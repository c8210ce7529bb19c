//! The Prometheus recorder and the server's own metrics. The engine emits
//! its metrics through the `metrics` facade; installing the recorder here
//! makes them appear on `/metrics` beside these (the engine's are listed in
//! its crate documentation and, with these, in docs/SERVER.md "Metrics":
//! queue, store, dead letters, the bounds and the outage headroom, and the
//! log's disk).
//!
//! Server metrics:
//! - `jotter_connected_clients` (gauge)
//! - `jotter_connections_total` (counter): connections accepted
//! - `jotter_rejected_connections_total` (counter): refused over `maxclients`
//! - `jotter_commands_total{command}` (counter): commands executed, per command
//! - `jotter_auth_failures_total`, `jotter_auth_throttled_total` (counters):
//!   failed AUTH attempts, and attempts made to wait (`auth_throttle.rs`)

use metrics::{Counter, Gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use std::sync::OnceLock;

/// Installs the global recorder and returns the handle `/metrics` renders.
pub(crate) fn install_recorder() -> anyhow::Result<PrometheusHandle> {
    Ok(PrometheusBuilder::new().install_recorder()?)
}

/// Handles registered once, so that counting a command is one atomic add:
/// the `counter!` macro with a label would build the key (a `Vec`) on every
/// call.
pub(crate) struct ServerMetrics {
    pub connected: Gauge,
    pub connections: Counter,
    pub rejected: Counter,
    /// Indexed like the command table; registered once the table is known
    /// ([`ServerMetrics::register_commands`]).
    commands: OnceLock<Vec<Counter>>,
}

impl ServerMetrics {
    pub(crate) fn register() -> Self {
        ServerMetrics {
            connected: metrics::gauge!("jotter_connected_clients"),
            connections: metrics::counter!("jotter_connections_total"),
            rejected: metrics::counter!("jotter_rejected_connections_total"),
            commands: OnceLock::new(),
        }
    }

    /// Registers a counter per command, `names` in table order. Called by
    /// the accept loop before the first client: the table lives above this
    /// module, which the commands use.
    pub(crate) fn register_commands(&self, names: impl Iterator<Item = &'static str>) {
        let counters = names
            .map(|name| metrics::counter!("jotter_commands_total", "command" => name))
            .collect();
        let _ = self.commands.set(counters);
    }

    /// Counts `n` executions of the command at `index` in the table.
    pub(crate) fn command(&self, index: usize, n: u64) {
        if let Some(counter) = self.commands.get().and_then(|c| c.get(index)) {
            counter.increment(n);
        }
    }
}
