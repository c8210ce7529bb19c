//! `jotter serve --cluster URL`: a stateless front end. Its data lives in
//! the cluster's Redis (a primary with replicas, watched by Sentinel); it
//! keeps none itself, needs no data directory or store, and any number of
//! front ends may serve the same cluster behind a TCP load balancer.
//!
//! # Layout
//!
//! - `mod.rs` (this file): the start (connect, check or create the layout,
//!   load the `jotter_front` library), the listeners and the accept loop.
//! - `settings.rs`: what every client shares.
//! - `client.rs`: one client: decode, route, relay on its own connection
//!   to the primary, reply; its MULTI and protocol.
//! - `login.rs`: who the client is (AUTH, HELLO's AUTH) and what its user
//!   may run, checked before a request is routed, with the single node's
//!   users, checks and words.
//! - `route.rs`: where each request goes, from the command table.
//! - `write.rs`: a write with its change records in one MULTI/EXEC, and
//!   the wait for a replica under `fsync = always`; `through.rs`: the
//!   wait for the store under write-through (JOTTER.THROUGH,
//!   JOTTER.WRITETHROUGH).
//! - `blocking.rs`: a blocking write (BLPOP, XREADGROUP ... BLOCK): tried
//!   as a write, again after each change of its keys, until its timeout;
//!   `wakeup.rs`: the changes, pushed by Redis's client-side caching on
//!   one connection per front end.
//! - `keyspace.rs`: KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHDB over user keys.
//! - `dead_letters.rs`: JOTTER.DEADLETTERS over the cluster's dead letters.
//! - `key_status.rs`: JOTTER.KEY and `GET /keys/{key}` from what the
//!   cluster's Redis knows.
//! - `status.rs`: JOTTER.STATUS, the shard streams' and dead letters'
//!   counts.
//! - `subscribed.rs`: a subscriber's requests and messages, relayed both
//!   ways at once.
//! - `tracking.rs`: client-side caching (CLIENT TRACKING): invalidations
//!   told from replies and relayed, tracking replayed on a new connection.
//! - `upstream.rs`: the plain connection to the primary, replies as bytes,
//!   reconnection after a failover; `replies.rs`: reshaping replies.
//! - `metrics.rs`: the admin port (`/health`, `/metrics`, `/keys/{key}`).
//!
//! # The guarantee
//!
//! Every write a client sends is applied in Redis together with the change
//! records of every key it names (`jotter_scaleout`'s contract), or not at
//! all; clients never see or touch Jotter's own `{jotter}:` keys.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use jotter_resp::Limits;
use jotter_scaleout::{ClusterUrl, connect, prepare_front};

use crate::auth_throttle::AuthThrottle;
use crate::command::Users;
use crate::config::{Config, FsyncSetting};

mod blocking;
mod client;
mod dead_letters;
mod key_status;
mod keyspace;
mod login;
mod metrics;
mod replies;
mod route;
mod settings;
mod status;
mod subscribed;
mod through;
mod tracking;
mod upstream;
mod wakeup;
mod write;

/// Runs a front end of the cluster at `url` until a signal.
pub(crate) async fn serve(config: Config, url: String, users: Users) -> anyhow::Result<ExitCode> {
    let url = ClusterUrl::parse(&url).context("cannot use the cluster setting")?;
    let mut connection = connect(&url).await?;
    let shards = prepare_front(&mut connection, config.cluster_shards).await?;
    drop(connection);
    let wait = (config.fsync == FsyncSetting::Always).then_some(config.cluster_wait_timeout.0);
    let limits = Limits::new().with_max_bulk_len(config.proto_max_bulk_len.0.0);
    let idle = (config.timeout > 0).then(|| std::time::Duration::from_secs(config.timeout));
    let wakeups = wakeup::Wakeups::new(url.clone(), shards);
    let throttle = AuthThrottle::default();
    let through_timeout = config.cluster_through_timeout.0;
    let front = Arc::new(settings::Front {
        url,
        shards,
        wait,
        through_timeout,
        limits,
        idle,
        wakeups,
        users,
        throttle,
    });
    let clients = Arc::new(AtomicUsize::new(0));

    let resp = crate::listen::resp(&config)?;
    let admin = crate::listen::admin(&config).await?;
    let resp_addr = resp.local_addr()?;
    let admin_addr = admin.local_addr()?;
    // The same line as a single node's, which scripts and tests read.
    println!(
        "jotter: listening resp={resp_addr} admin={admin_addr} cluster={} shards={shards} fsync={}",
        front.url,
        config.fsync.name()
    );
    tracing::info!(resp = %resp_addr, admin = %admin_addr, cluster = %front.url, shards, "jotter front end is serving");
    tokio::spawn(metrics::serve(admin, Arc::clone(&front), config.admin_token.clone()));

    let accept = async {
        loop {
            match resp.accept().await {
                Ok((socket, peer)) => {
                    if clients.load(Ordering::Relaxed) >= config.maxclients {
                        // Redis's words; the client is closed after them.
                        let _ = socket.try_write(b"-ERR max number of clients reached\r\n");
                        continue;
                    }
                    clients.fetch_add(1, Ordering::Relaxed);
                    let (front, clients) = (Arc::clone(&front), Arc::clone(&clients));
                    tokio::spawn(async move {
                        client::serve(front, socket, peer).await;
                        clients.fetch_sub(1, Ordering::Relaxed);
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a client");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    };
    tokio::select! {
        () = accept => {}
        _ = tokio::signal::ctrl_c() => {}
        () = terminated() => {}
    }
    tracing::info!("jotter front end stops: it holds no data, nothing to drain");
    Ok(ExitCode::SUCCESS)
}

async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            term.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}
