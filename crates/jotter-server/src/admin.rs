//! The HTTP admin listener: `/metrics` (Prometheus text), `/health` (the
//! process runs) and `/ready` (it can take traffic: the store answers, the
//! log directory takes writes, the backlog is below the critical level).
//! With `admin-token`, every path but `/health` asks for it (`admin_auth.rs`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use jotter::Store as _;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::state::Shared;

/// The runbook's critical queue depth; a smaller `max-pending` lowers it,
/// since at the bound writes already block or fail.
const CRITICAL_PENDING: u64 = 10_000;

#[derive(Clone)]
struct Admin {
    shared: Arc<Shared>,
    prometheus: PrometheusHandle,
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
        .route("/metrics", get(metrics))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .with_state(Admin { shared: shared.clone(), prometheus });
    // Last, so that it covers every route above.
    let app = crate::admin_auth::protect(app, shared.config.admin_token.as_deref());
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

async fn check_ready(shared: &Shared) -> Result<(), String> {
    if shared.shutdown.is_cancelled() {
        return Err("shutting down".into());
    }
    match tokio::time::timeout(Duration::from_secs(2), shared.store.max_version()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("the store does not answer: {}", e.message())),
        Err(_) => return Err("the store did not answer within 2s".into()),
    }
    // The log's directory; the log ignores files that are not segments.
    let probe = shared.config.data_dir.join("log").join("ready-probe");
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
    let critical = CRITICAL_PENDING.min(shared.config.max_pending);
    let pending = shared.cache.stats().pending_entries;
    if pending >= critical {
        return Err(format!(
            "{pending} writes pending, at or above the critical level {critical}; the store is not keeping up"
        ));
    }
    Ok(())
}
