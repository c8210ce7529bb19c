//! `jotter worker`: one flush worker of the scale-out mode. It opens the
//! store exactly as `jotter serve` does (`backend.rs`: the same tables, the
//! same `[[mapping]]`s), runs `jotter_scaleout::worker` against the
//! cluster, and serves `/metrics` (Prometheus) and `/health` on the admin
//! listener. The first SIGTERM or SIGINT lets it finish and acknowledge the
//! batch in hand and exit 0; a second exits at once (130), leaving its
//! records pending for the others to claim.

use std::process::ExitCode;

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use jotter_scaleout::ClusterUrl;
use jotter_scaleout::worker::{self, WorkerSettings};
use tokio::sync::watch;

use crate::backend::Backend;
use crate::config::{Config, StoreUrl};
use crate::stop::EXIT_SECOND_SIGNAL;

/// Runs the worker until a signal; its exit status.
pub(crate) async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let prometheus = crate::telemetry::install_recorder()?;
    let cluster = config.cluster.as_deref().context(
        "jotter worker needs the cluster's address: --cluster redis-sentinel://MASTER@host:port,... \
         (or cluster = \"...\" in the config file)",
    )?;
    let url = ClusterUrl::parse(cluster)?;
    if matches!(config.store, StoreUrl::Sqlite(_)) {
        anyhow::bail!(
            "the workers of a pool write into one shared database: set --store postgres://... \
             (or store = \"postgres://...\" in the config file)"
        );
    }
    let store = Backend::open(&config).await?;
    let admin = crate::listen::admin(&config).await?;
    let settings = WorkerSettings {
        consumer: config.worker.consumer_name(),
        batch_size: config.batch_size,
        max_age: config.flush_interval.0,
        claim_idle: config.worker.claim_idle.0,
        max_deliveries: config.worker.max_deliveries,
        shards: config.cluster_shards,
        load_store: config.worker.load_store,
    };
    // One line that says where everything is, as `serve` prints it.
    println!(
        "jotter: worker consumer={} admin={} cluster={url} store={}",
        settings.consumer,
        admin.local_addr()?,
        config.store
    );
    let app = Router::new()
        .route("/metrics", get(move || std::future::ready(prometheus.render())))
        .route("/health", get(|| std::future::ready("ok\n")));
    // With admin-token, every path but /health asks for it, as on a single node.
    let app = crate::admin::protect(app, config.admin_token.as_deref());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(admin, app).await {
            tracing::warn!(error = %e, "the admin listener failed");
        }
    });
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(wait_for_signals(stop));
    let report = worker::run(&url, store, settings, stopped).await?;
    tracing::info!(
        stored = report.stored,
        claimed = report.claimed,
        dead_lettered = report.dead_lettered,
        "worker stopped"
    );
    Ok(ExitCode::SUCCESS)
}

/// The first SIGTERM/SIGINT asks the worker to stop after its batch; the
/// second exits at once.
async fn wait_for_signals(stop: watch::Sender<bool>) {
    let Some(mut signals) = crate::listen::StopSignals::listen("worker") else { return };
    signals.next().await;
    tracing::info!("stopping after the batch in hand (signal again to exit now)");
    let _ = stop.send(true);
    signals.next().await;
    std::process::exit(i32::from(EXIT_SECOND_SIGNAL));
}
