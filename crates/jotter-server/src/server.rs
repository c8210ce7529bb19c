//! The RESP listeners (plain, and TLS with the `tls` feature): accept
//! clients up to `maxclients` (over both), give each its own task, and on
//! stop close them after their current command.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::task::TaskTracker;

use crate::command;
use crate::connection;
use crate::state::Shared;

/// One RESP listener.
pub(crate) struct Listener {
    pub listener: TcpListener,
    /// Set for the TLS port: the handshake runs in the client's task.
    #[cfg(feature = "tls")]
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// A RESP listener's socket on `ip`:`port` with a queue of `backlog`
/// connections not yet accepted (`tcp-backlog`; tokio's own `bind` asks
/// for 1024 and offers no choice).
pub(crate) fn bind(ip: std::net::IpAddr, port: u16, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if ip.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    // As `TcpListener::bind`: a restart may bind while old connections of
    // the last run sit in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind((ip, port).into())?;
    socket.listen(backlog)
}

/// Accepts clients on every listener until `shared.shutdown`; returns the
/// clients' tasks, for [`wait_for_clients`].
pub(crate) async fn run(listeners: Vec<Listener>, shared: Arc<Shared>) -> TaskTracker {
    let tracker = TaskTracker::new();
    shared.metrics.register_commands(command::specs().iter().map(|spec| spec.name));
    shared.command_stats.register(command::specs().len());
    let loops: Vec<_> = listeners
        .into_iter()
        .map(|l| tokio::spawn(accept(l, shared.clone(), tracker.clone())))
        .collect();
    for accept_loop in loops {
        if let Err(e) = accept_loop.await {
            tracing::error!(error = %e, "an accept loop ended abnormally");
        }
    }
    tracker.close();
    tracker
}

/// Waits for every connection to end after its current command, until
/// `deadline` (the end of the whole stop).
pub(crate) async fn wait_for_clients(
    tracker: TaskTracker,
    shared: &Shared,
    deadline: std::time::Instant,
) {
    let deadline = tokio::time::Instant::from_std(deadline);
    if tokio::time::timeout_at(deadline, tracker.wait()).await.is_err() {
        tracing::warn!(
            clients = shared.clients.len(),
            "clients still busy at the shutdown timeout"
        );
    }
}

/// How long a TLS client may take over its handshake.
#[cfg(feature = "tls")]
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

async fn accept(l: Listener, shared: Arc<Shared>, tracker: TaskTracker) {
    let listener = l.listener;
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
        let fd = socket_fd(&stream);
        let maxclients = shared.live.maxclients();
        let registered = shared.clients.register(addr, laddr, fd, maxclients, &shared.shutdown);
        let Some(entry) = registered else {
            shared.rejected_connections.fetch_add(1, Ordering::Relaxed);
            shared.metrics.rejected.increment(1);
            tracing::warn!(%addr, maxclients, "refused a client: maxclients reached");
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
        #[cfg(feature = "tls")]
        if let Some(acceptor) = l.tls.clone() {
            let shared = shared.clone();
            tracker.spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => connection::serve(stream, entry, shared).await,
                    Ok(Err(e)) => {
                        tracing::debug!(%addr, error = %e, "TLS handshake failed");
                        shared.clients.remove(entry.id);
                    }
                    Err(_) => {
                        tracing::debug!(%addr, "TLS handshake timed out");
                        shared.clients.remove(entry.id);
                    }
                }
            });
            continue;
        }
        tracker.spawn(connection::serve(stream, entry, shared.clone()));
    }
}

/// The socket's file descriptor, for `CLIENT LIST`'s `fd=`.
#[cfg(unix)]
fn socket_fd(stream: &tokio::net::TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    i64::from(stream.as_raw_fd())
}

#[cfg(not(unix))]
fn socket_fd(_stream: &tokio::net::TcpStream) -> i64 {
    -1
}
