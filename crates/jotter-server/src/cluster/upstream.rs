//! One plain connection to the cluster's primary, on which a front end
//! relays one client's requests. Replies are read as whole RESP frames and
//! kept as the bytes Redis sent, so that they reach the client exactly as
//! Redis wrote them, in the protocol the client chose (HELLO is relayed).
//!
//! Redis's invalidation pushes (client-side caching, `tracking.rs`) may
//! come at any time on a tracking client's connection: [`Upstream::reply`]
//! sets them aside, with Jotter's own keys left out, for the client to get
//! before the reply they preceded.
//!
//! A connection that breaks, or that finds its node demoted to a replica
//! (`-READONLY`, a failover), is dropped; the next request opens a new one
//! to the current primary, found again through the Sentinels.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use jotter_resp::{Frame, Request, encode_request};
use jotter_scaleout::ClusterUrl;

use super::tracking::{INVALIDATE_ALL, Tracking, is_invalidation, visible};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The connection to the primary failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpstreamError {
    /// No primary could be reached (after the retries).
    #[error("{0}")]
    Unreachable(String),
    /// The connection broke mid-request.
    #[error("the connection to the cluster's primary broke: {0}")]
    Broken(String),
}

impl UpstreamError {
    /// The reply a client gets: the request may or may not have been
    /// applied when the connection broke, which the text says.
    pub(crate) fn reply_text(&self) -> String {
        match self {
            UpstreamError::Unreachable(reason) => format!(
                "TRYAGAIN the cluster's primary cannot be reached ({reason}); retry once \
                 Redis (or Sentinel's failover) has a primary"
            ),
            UpstreamError::Broken(reason) => format!(
                "TRYAGAIN the connection to the cluster's primary broke ({reason}): the command \
                 may or may not have been applied; retry it once the new primary answers"
            ),
        }
    }
}

/// A connection to the primary.
pub(crate) struct Upstream {
    stream: TcpStream,
    input: BytesMut,
    output: BytesMut,
    /// Invalidations read while waiting for a reply, not yet relayed.
    pushes: BytesMut,
}

/// How many times a new connection is tried before the client is told,
/// and the first pause (doubled each time): about three seconds in all,
/// the order of a Sentinel failover's detection time.
const ATTEMPTS: u32 = 6;
const FIRST_PAUSE: Duration = Duration::from_millis(100);

impl Upstream {
    /// Opens a connection to the current primary, retrying with back-off.
    /// A primary without Jotter's layout or library (promoted before its
    /// first sync completed, or flushed by hand) gets them again first, so
    /// that no write is taken without its records (`shards`: the count to
    /// create the layout with).
    pub(crate) async fn open(url: &ClusterUrl, shards: u32) -> Result<Upstream, UpstreamError> {
        let mut pause = FIRST_PAUSE;
        let mut attempt = 1;
        loop {
            match Upstream::open_once(url, shards).await {
                Ok(upstream) => return Ok(upstream),
                Err(reason) if attempt >= ATTEMPTS => {
                    return Err(UpstreamError::Unreachable(reason));
                }
                Err(reason) => {
                    tracing::warn!(%reason, attempt, "the cluster's primary cannot be reached; retrying");
                }
            }
            tokio::time::sleep(pause).await;
            pause *= 2;
            attempt += 1;
        }
    }

    async fn open_once(url: &ClusterUrl, shards: u32) -> Result<Upstream, String> {
        let (mut connection, info) =
            jotter_scaleout::primary(url).await.map_err(|e| e.to_string())?;
        let Some((host, port)) = jotter_scaleout::tcp_address(&info) else {
            return Err(format!(
                "{:?}: a front end reaches Redis over plain TCP only (no TLS, no socket)",
                info.addr()
            ));
        };
        let stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("{host}:{port}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut upstream = Upstream {
            stream,
            input: BytesMut::with_capacity(16 * 1024),
            output: BytesMut::new(),
            pushes: BytesMut::new(),
        };
        let settings = info.redis_settings();
        if let Some(password) = settings.password() {
            let user = settings.username().unwrap_or("default");
            upstream.expect_ok(&[b"AUTH", user.as_bytes(), password.as_bytes()]).await?;
        }
        if settings.db() != 0 {
            let db = settings.db().to_string();
            upstream.expect_ok(&[b"SELECT", db.as_bytes()]).await?;
        }
        let library = upstream
            .call(&["FUNCTION", "LIST", "LIBRARYNAME", jotter_scaleout::LIBRARY])
            .await
            .map_err(|e| e.to_string())?;
        let meta =
            upstream.call(&["EXISTS", jotter_scaleout::META]).await.map_err(|e| e.to_string())?;
        if library.starts_with(b"*0\r\n") || meta.as_ref() == b":0\r\n" {
            tracing::warn!("the cluster's primary lacks Jotter's layout or library; creating them");
            jotter_scaleout::prepare_front(&mut connection, shards)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(upstream)
    }

    /// Sends `args` and fails unless Redis answers `+OK`.
    pub(crate) async fn expect_ok(&mut self, args: &[&[u8]]) -> Result<(), String> {
        let reply = self.call(args).await.map_err(|e| e.to_string())?;
        if reply.as_ref() == b"+OK\r\n" {
            Ok(())
        } else {
            Err(format!("{} answered {}", String::from_utf8_lossy(args[0]), printable(&reply)))
        }
    }

    /// Queues a command made of `args`, sent at the next [`flush`](Self::flush).
    pub(crate) fn queue<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        encode_request(args, &mut self.output);
    }

    /// Queues a client's request as it is.
    pub(crate) fn queue_request(&mut self, req: &Request) {
        req.encode(&mut self.output);
    }

    /// Sends a client's request and reads its reply.
    pub(crate) async fn relay(&mut self, req: &Request) -> Result<Bytes, UpstreamError> {
        self.queue_request(req);
        self.flush().await?;
        self.reply().await
    }

    /// Sends what is queued.
    pub(crate) async fn flush(&mut self) -> Result<(), UpstreamError> {
        let out = self.output.split();
        self.stream.write_all(&out).await.map_err(|e| UpstreamError::Broken(e.to_string()))
    }

    /// Sends one command and reads its reply.
    pub(crate) async fn call<A: AsRef<[u8]>>(
        &mut self,
        args: &[A],
    ) -> Result<Bytes, UpstreamError> {
        self.queue(args);
        self.flush().await?;
        self.reply().await
    }

    /// Reads the next reply, as Redis wrote it; invalidations before it
    /// are set aside ([`take_pushes`](Self::take_pushes)).
    pub(crate) async fn reply(&mut self) -> Result<Bytes, UpstreamError> {
        loop {
            if let Some(frame) = self.unless_invalidation().await? {
                return Ok(frame);
            }
        }
    }

    /// What Redis sends while the client is idle: the invalidations set
    /// aside, else the next one to come (or anything else Redis sends).
    pub(crate) async fn pushed(&mut self) -> Result<Bytes, UpstreamError> {
        loop {
            if !self.pushes.is_empty() {
                return Ok(self.take_pushes());
            }
            if let Some(frame) = self.unless_invalidation().await? {
                return Ok(frame);
            }
        }
    }

    /// The next frame, or `None` when it was an invalidation (set aside).
    async fn unless_invalidation(&mut self) -> Result<Option<Bytes>, UpstreamError> {
        let frame = self.frame().await?;
        if !is_invalidation(&frame) {
            return Ok(Some(frame));
        }
        if let Some(frame) = visible(frame) {
            self.push(frame);
        }
        Ok(None)
    }

    /// Sets `frame` aside for the client.
    pub(crate) fn push(&mut self, frame: Bytes) {
        self.pushes.extend_from_slice(&frame);
    }

    /// The invalidations set aside, in the order Redis sent them.
    pub(crate) fn take_pushes(&mut self) -> Bytes {
        self.pushes.split().freeze()
    }

    /// Reads the next whole frame, as Redis wrote it, whatever it is
    /// (subscribed mode and the wake-up connection read pushes so).
    pub(crate) async fn frame(&mut self) -> Result<Bytes, UpstreamError> {
        loop {
            match Frame::measure(&self.input) {
                Ok(Some(len)) => return Ok(self.input.split_to(len).freeze()),
                Ok(None) => {}
                Err(e) => return Err(UpstreamError::Broken(format!("Redis sent no RESP: {e}"))),
            }
            // Room for at least as much again as is buffered: a long reply
            // (KEYS of a large keyspace) is measured a logarithmic number
            // of times, not once per 16 KB.
            self.input.reserve(self.input.len().max(16 * 1024));
            match self.stream.read_buf(&mut self.input).await {
                Ok(0) => return Err(UpstreamError::Broken("closed by Redis".to_owned())),
                Ok(_) => {}
                Err(e) => return Err(UpstreamError::Broken(e.to_string())),
            }
        }
    }
}

/// The connection in `slot`, opened (to the current primary, with the
/// protocol `hello` chose and the client's `tracking` set again) if there
/// is none.
pub(crate) async fn connected<'a>(
    slot: &'a mut Option<Upstream>,
    url: &ClusterUrl,
    shards: u32,
    hello: Option<&[Bytes]>,
    tracking: Option<&Tracking>,
) -> Result<&'a mut Upstream, UpstreamError> {
    if let Some(up) = slot {
        return Ok(up);
    }
    let mut up = Upstream::open(url, shards).await?;
    if let Some(hello) = hello {
        let reply = up.call(hello).await?;
        if reply.first() == Some(&b'-') {
            return Err(UpstreamError::Broken("the new primary refused HELLO".into()));
        }
    }
    if let Some(tracking) = tracking {
        for command in tracking.replayed() {
            if up.call(command).await?.as_ref() != b"+OK\r\n" {
                return Err(UpstreamError::Broken(
                    "the new primary refused CLIENT TRACKING".to_owned(),
                ));
            }
        }
        // The client's cache may hold what changed meanwhile.
        if tracking.signals() {
            up.push(Bytes::from_static(INVALIDATE_ALL));
        }
    }
    Ok(slot.insert(up))
}

/// Whether `reply` says the node is no longer a primary (a failover): the
/// connection is then dropped, and the next request finds the new one.
pub(crate) fn is_demoted(reply: &[u8]) -> bool {
    reply.starts_with(b"-READONLY") || reply.starts_with(b"-MASTERDOWN")
}

/// A reply made readable for a log line or an error text.
pub(crate) fn printable(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).trim_end().replace("\r\n", " ")
}
