//! The RESP listener: accepts clients up to `maxclients`, gives each its
//! own task, and on stop closes them after their current command.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::connection;
use crate::state::Shared;

/// Accepts clients until `shared.shutdown`, then waits (up to the
/// shutdown timeout) for every connection to end.
pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>) {
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shared.shutdown.cancelled() => break,
        };
        let (stream, addr) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of
                // spinning on an error that will repeat at once.
                tracing::warn!(error = %e, "accept failed; retrying in 100ms");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        shared.connections_received.fetch_add(1, Ordering::Relaxed);
        shared.metrics.connections.increment(1);
        let laddr = stream.local_addr().unwrap_or(addr);
        let registered =
            shared.clients.register(addr, laddr, shared.config.maxclients, &shared.shutdown);
        let Some(entry) = registered else {
            shared.rejected_connections.fetch_add(1, Ordering::Relaxed);
            shared.metrics.rejected.increment(1);
            tracing::warn!(%addr, maxclients = shared.config.maxclients, "refused a client: maxclients reached");
            tracker.spawn(async move {
                let mut stream = stream;
                let refuse = async {
                    stream.write_all(b"-ERR max number of clients reached\r\n").await?;
                    stream.shutdown().await
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), refuse).await;
            });
            continue;
        };
        // Replies are written once per batch; Nagle would only delay them.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        tracker.spawn(connection::serve(stream, entry, shared.clone()));
    }
    drop(listener);
    tracker.close();
    let limit = shared.config.shutdown_timeout.0;
    if tokio::time::timeout(limit, tracker.wait()).await.is_err() {
        tracing::warn!(
            clients = shared.clients.len(),
            "clients still busy at the shutdown timeout"
        );
    }
}
