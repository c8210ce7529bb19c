//! A front end's HTTP admin port: `/health` (the process runs) and
//! `/metrics` in Prometheus's text format, read from Redis at each scrape:
//! per shard stream the entries not yet delivered to the workers (lag) and
//! those delivered but not acknowledged (pending), pending entries per
//! consumer, and the dead letters; the front end's own failed and
//! throttled AUTH attempts; and `/keys/{key}` (`key_status.rs`).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use jotter_scaleout::{connect, stream_stats};
use tokio::net::TcpListener;

use super::settings::Front;

/// Serves the admin port until the process ends.
/// With `token`, every path but `/health` asks for it, as on a single node.
pub(crate) async fn serve(
    listener: TcpListener,
    front: Arc<Front>,
    token: Option<String>,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/keys/{*key}", get(super::key_status::http))
        .with_state(front);
    axum::serve(listener, crate::admin::protect(app, token.as_deref())).await
}

async fn metrics(State(front): State<Arc<Front>>) -> Result<String, (StatusCode, String)> {
    let unavailable = |e: String| (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n"));
    let mut connection = connect(&front.url).await.map_err(|e| unavailable(e.to_string()))?;
    let (shards, dead) = stream_stats(&mut connection, front.shards)
        .await
        .map_err(|e| unavailable(format!("cannot read the shard streams: {e}")))?;
    let mut out = String::new();
    out.push_str("# TYPE jotter_cluster_stream_lag gauge\n");
    for s in &shards {
        if let Some(lag) = s.lag {
            let _ = writeln!(out, "jotter_cluster_stream_lag{{shard=\"{}\"}} {lag}", s.shard);
        }
    }
    out.push_str("# TYPE jotter_cluster_stream_pending gauge\n");
    for s in &shards {
        let _ =
            writeln!(out, "jotter_cluster_stream_pending{{shard=\"{}\"}} {}", s.shard, s.pending);
    }
    out.push_str("# TYPE jotter_cluster_consumer_pending gauge\n");
    for s in &shards {
        for (consumer, pending) in &s.consumers {
            let consumer = consumer.replace(['"', '\\', '\n'], "_");
            let _ = writeln!(
                out,
                "jotter_cluster_consumer_pending{{shard=\"{}\",consumer=\"{consumer}\"}} {pending}",
                s.shard
            );
        }
    }
    out.push_str("# TYPE jotter_cluster_dead_letters gauge\n");
    let _ = writeln!(out, "jotter_cluster_dead_letters {dead}");
    // The same counters as a single node's (`auth_throttle.rs`).
    out.push_str("# TYPE jotter_auth_failures_total counter\n");
    let _ = writeln!(out, "jotter_auth_failures_total {}", front.throttle.failures());
    out.push_str("# TYPE jotter_auth_throttled_total counter\n");
    let _ = writeln!(out, "jotter_auth_throttled_total {}", front.throttle.throttled());
    Ok(out)
}
