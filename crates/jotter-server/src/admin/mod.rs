//! The HTTP admin listener: `/` (the live dashboard, `dashboard.rs`),
//! `/metrics` (Prometheus text), `/health` (the
//! process runs), `/ready` (it can take writes: the log directory takes
//! writes and the write buffer is not full) and `/health/store`
//! (whether the store answers), `/keys/{key}` (where a key's newest write
//! stands, `keys.rs`).
//!
//! `/ready` does not ask the store: while the database is down the server
//! keeps accepting writes into memory and the log, and an orchestrator that
//! pulled it out of service then would lose the very instance that must
//! absorb them. The store's state is reported on its own at `/health/store`
//! (200 when up, 503 during an outage), in `/metrics` (`jotter_store_up`,
//! `jotter_store_unavailable_seconds`), INFO and `JOTTER.STATUS`.
//!
//! `/dead-letters` lists, replays and purges dead letters
//! (`dead_letters.rs`).
//!
//! With `admin-token`, every path but `/health` asks for it (`auth.rs`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use jotter::StoreState;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::state::Shared;

mod auth;

pub(crate) use auth::protect;
pub(crate) use keys::{failed, key_body, key_request};
mod dashboard;
mod dead_letters;
mod keys;

#[derive(Clone)]
struct Admin {
    shared: Arc<Shared>,
    prometheus: PrometheusHandle,
}

/// A page that needs only the shared state (`keys.rs`) takes it alone.
impl FromRef<Admin> for Arc<Shared> {
    fn from_ref(admin: &Admin) -> Self {
        admin.shared.clone()
    }
}

/// Serves until the server stops.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    prometheus: PrometheusHandle,
) -> std::io::Result<()> {
    // Histograms are summarised on upkeep; without it they only grow.
    let upkeep = prometheus.clone();
    let stop = shared.shutdown.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = tick.tick() => upkeep.run_upkeep(),
                () = stop.cancelled() => break,
            }
        }
    });
    let shutdown = shared.shutdown.clone();
    let app = Router::new()
        .route("/", get(dashboard::page))
        .route("/metrics", get(metrics))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/health/store", get(store_health))
        .route("/keys/{*key}", get(keys::key))
        .with_state(Admin { shared: shared.clone(), prometheus })
        .merge(dead_letters::routes(shared.clone()));
    // Last, so that it covers every route above.
    let app = auth::protect(app, shared.config.admin_token.as_deref());
    axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await
}

async fn metrics(State(admin): State<Admin>) -> String {
    admin.prometheus.render()
}

async fn ready(State(admin): State<Admin>) -> (StatusCode, String) {
    match check_ready(&admin.shared).await {
        Ok(()) => (StatusCode::OK, "ready".to_owned()),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason),
    }
}

/// The store's state, one `name: value` line each.
async fn store_health(State(admin): State<Admin>) -> (StatusCode, String) {
    match admin.shared.cache.store_state() {
        StoreState::Unavailable { since, lasted, error, probing } => {
            let since_ms = since
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            let body = format!(
                "state: unavailable\nunavailable_seconds: {}\nsince_unix_ms: {since_ms}\n\
                 probing: {}\nerror: {error}\n",
                lasted.as_secs(),
                if probing { "yes" } else { "no" },
            );
            (StatusCode::SERVICE_UNAVAILABLE, body)
        }
        _ => (StatusCode::OK, "state: up\n".to_owned()),
    }
}

async fn check_ready(shared: &Shared) -> Result<(), String> {
    if shared.shutdown.is_cancelled() {
        return Err("shutting down".into());
    }
    // The data directory's state folder: on the log's file system, and
    // never read as data.
    let probe = jotter::DataDir::new(&shared.config.data_dir).state().join("ready-probe");
    let written = tokio::task::spawn_blocking(move || {
        std::fs::write(&probe, b"ok")?;
        std::fs::remove_file(&probe)
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("the log directory does not take writes: {e}")),
        Err(e) => return Err(format!("the log directory check failed: {e}")),
    }
    // Full bounds, not a long queue, make the server unable to take writes:
    // a queue that grows through a store outage is what it is there for.
    let stats = shared.cache.stats();
    let (entries, bytes) = (shared.config.max_pending, shared.config.max_pending_bytes.0.0);
    if stats.pending_entries >= entries || stats.pending_bytes >= bytes {
        return Err(format!(
            "the write buffer is full ({} writes, {} bytes pending; max-pending {entries}, \
             max-pending-bytes {bytes}): writes wait or are refused as full-policy says",
            stats.pending_entries, stats.pending_bytes
        ));
    }
    Ok(())
}
