//! One client of a front end: its requests decoded (`jotter-resp`), routed
//! (`route.rs`) and run on the client's own connection to the primary, in
//! order, their replies written back. The front end remembers of the
//! client only what it must to keep the contract: who it is logged in as
//! (`login.rs`, checked before each request is routed), the protocol and
//! name it chose and its CLIENT TRACKING (replayed on a new connection
//! after a failover), its open MULTI (the keys its queued writes name,
//! recorded inside the same EXEC) and whether its writes are write-through
//! (`through.rs`).
//!
//! A broken connection to Redis answers the request in flight with an
//! error and ends the client's transaction; the next request opens a new
//! connection to the current primary. A blocking write waits in
//! `blocking.rs`, which watches the client's socket meanwhile. While
//! tracking is on, Redis's invalidations are relayed as they come, also
//! while the client is idle, and before the reply they preceded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use jotter_resp::{Protocol, ReplyWriter, Request, RequestDecoder};
use jotter_scaleout::{barrier, record_call, version_floor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::blocking::{self, Blocked, Blocker, Socket};
use super::login::Login;
use super::replies::{array, elements, error, is_error};
use super::route::{Route, route};
use super::settings::Front;
use super::subscribed::{self, Ended};
use super::tracking::{INVALIDATE_ALL, Tracking};
use super::upstream::{Upstream, UpstreamError, connected, is_demoted};
use super::write::{acknowledge, unrecorded, version_of, write};
use super::{dead_letters, key_status, keyspace, status};
use crate::command;

/// What the front end keeps of one client.
struct Client {
    front: Arc<Front>,
    peer: SocketAddr,
    login: Login,
    upstream: Option<Upstream>,
    /// The HELLO Redis accepted (its protocol and SETNAME), replayed on a
    /// new connection.
    hello: Option<Vec<Bytes>>,
    protocol: Protocol,
    /// Its CLIENT TRACKING, replayed on a new connection.
    tracking: Option<Tracking>,
    multi: Option<Multi>,
    /// JOTTER.WRITETHROUGH ON, or inside JOTTER.THROUGH: each write's
    /// reply waits until the store has it.
    write_through: bool,
}

/// A client's open MULTI.
#[derive(Default)]
struct Multi {
    /// Every key its queued writes name.
    keys: Vec<Bytes>,
    /// A queued command was refused by the front end: EXEC aborts.
    failed: bool,
}

/// Serves one client until it leaves.
pub(crate) async fn serve(front: Arc<Front>, socket: TcpStream, peer: SocketAddr) {
    let _ = socket.set_nodelay(true);
    let (mut read, mut write) = socket.into_split();
    let mut decoder = RequestDecoder::new(front.limits);
    let login = Login::new(&front.users);
    // Before AUTH the decoder takes only small requests, as a single node's.
    decoder.set_authenticated(login.authenticated());
    let mut client = Client {
        front,
        peer,
        login,
        upstream: None,
        hello: None,
        protocol: Protocol::Resp2,
        tracking: None,
        multi: None,
        write_through: false,
    };
    let mut input = BytesMut::with_capacity(16 * 1024);
    let mut output = BytesMut::new();
    loop {
        let mut close = false;
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(req)) => {
                    let mut socket = Socket { read: &mut read, input: &mut input };
                    let (reply, next) = client.run(&req, &mut socket).await;
                    decoder.set_authenticated(client.login.authenticated());
                    // Invalidations Redis sent before the reply come first.
                    output.extend_from_slice(&client.take_pushes());
                    output.extend_from_slice(&reply);
                    match next {
                        Next::Request => {}
                        Next::Close => {
                            close = true;
                            break;
                        }
                        Next::Subscribed => {
                            if !output.is_empty() && write.write_all(&output.split()).await.is_err()
                            {
                                return;
                            }
                            let Some(up) = client.upstream.as_mut() else { return };
                            let (front, peer, login) = (&client.front, client.peer, &client.login);
                            let admit = |req: &Request| login.admit(front, peer, false, req);
                            let ended = subscribed::relay(
                                up,
                                &mut read,
                                &mut write,
                                &mut decoder,
                                &mut input,
                                &admit,
                            )
                            .await;
                            match ended {
                                Ended::Unsubscribed => {}
                                Ended::Reset => client.reset(),
                                Ended::Closed => return,
                            }
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    ReplyWriter::new(&mut output, Protocol::Resp2).protocol_error(e);
                    close = true;
                    break;
                }
            }
        }
        if !output.is_empty() && write.write_all(&output.split()).await.is_err() {
            return;
        }
        if close {
            return;
        }
        decoder.reserve(&mut input);
        let idle = client.front.idle;
        let waiting = async {
            tokio::select! {
                got = read.read_buf(&mut input) => Woken::Read(got.unwrap_or(0)),
                pushed = client.pushed() => Woken::Pushed(pushed),
            }
        };
        let woken = match idle {
            Some(idle) => tokio::time::timeout(idle, waiting).await.unwrap_or(Woken::Read(0)),
            None => waiting.await,
        };
        match woken {
            Woken::Read(0) => return,
            Woken::Read(_) => {}
            Woken::Pushed(pushed) => output.extend_from_slice(&pushed),
        }
    }
}

/// What ended a wait for the client's next request.
enum Woken {
    /// The client sent this many bytes (0: it left).
    Read(usize),
    /// Redis sent invalidations for the idle tracking client.
    Pushed(Bytes),
}

/// What follows a request.
enum Next {
    Request,
    Close,
    /// The client subscribed: both directions are relayed at once.
    Subscribed,
}

impl Client {
    /// The reply to `req`, and what follows it.
    async fn run(&mut self, req: &Request, socket: &mut Socket<'_>) -> (Bytes, Next) {
        if let Err(refused) = self.login.admit(&self.front, self.peer, self.multi.is_some(), req) {
            if let Some(multi) = &mut self.multi {
                multi.failed = true;
            }
            return (refused, Next::Request);
        }
        let route = route(req);
        let reply = match route {
            Route::Quit => return (Bytes::from_static(b"+OK\r\n"), Next::Close),
            Route::Reset => {
                self.reset();
                Bytes::from_static(b"+RESET\r\n")
            }
            Route::Auth if self.multi.is_none() => {
                let front = Arc::clone(&self.front);
                self.login.auth(&front, self.peer, req).await
            }
            Route::Acl if self.multi.is_none() => self.login.acl(&self.front, self.protocol, req),
            Route::Through if self.multi.is_none() => return self.through(req, socket).await,
            Route::WriteThrough(on) if self.multi.is_none() => {
                self.write_through = on;
                Bytes::from_static(b"+OK\r\n")
            }
            Route::Block(_, Err(text)) if self.multi.is_none() => error(&text),
            Route::Block(keys, Ok(wait)) if self.multi.is_none() => {
                let front = Arc::clone(&self.front);
                let client = Blocker {
                    upstream: &mut self.upstream,
                    hello: self.hello.as_deref(),
                    tracking: self.tracking.as_ref(),
                    protocol: self.protocol,
                    through: self.write_through,
                };
                match blocking::block(&front, client, socket, req, &keys, &wait).await {
                    Ok(Blocked::Reply(reply)) => reply,
                    Ok(Blocked::Left) => return (Bytes::new(), Next::Close),
                    Err(e) => self.broken(&e),
                }
            }
            Route::Subscribe if self.multi.is_none() => {
                let started = match self.upstream().await {
                    Ok(up) => subscribed::start(up, req).await,
                    Err(e) => Err(e),
                };
                return match started {
                    Ok(()) => (Bytes::new(), Next::Subscribed),
                    Err(e) => {
                        self.upstream = None;
                        (error(&e.reply_text()), Next::Request)
                    }
                };
            }
            Route::Refuse(text) => {
                if let Some(multi) = &mut self.multi {
                    multi.failed = true;
                }
                error(&text)
            }
            route => match self.relay(req, route).await {
                Ok(reply) => {
                    if is_demoted(&reply) {
                        self.upstream = None;
                    }
                    reply
                }
                Err(e) => self.broken(&e),
            },
        };
        (reply, Next::Request)
    }

    /// JOTTER.THROUGH: its command run as the client's next request, with
    /// write-through on for it (a command that sets the mode itself keeps
    /// what it set, as on a single node).
    async fn through(&mut self, req: &Request, socket: &mut Socket<'_>) -> (Bytes, Next) {
        let Some(inner) = command::through_command(req) else {
            return (
                error("ERR wrong number of arguments for 'jotter.through' command"),
                Next::Request,
            );
        };
        let was = std::mem::replace(&mut self.write_through, true);
        // Boxed: the command may itself be JOTTER.THROUGH.
        let (reply, next) = Box::pin(self.run(&inner, socket)).await;
        if !command::sets_write_through(&inner) {
            self.write_through = was;
        }
        (reply, next)
    }

    /// The invalidations Redis sent the client, with Jotter's keys left
    /// out, not yet relayed.
    fn take_pushes(&mut self) -> Bytes {
        self.upstream.as_mut().map(Upstream::take_pushes).unwrap_or_default()
    }

    /// What Redis sends a tracking client while it is idle; never, for a
    /// client not tracking. A tracking client without a connection (it
    /// broke, now or under an earlier request) has one opened again at
    /// once, tracking replayed, and gets its flush signal: its cache must
    /// not outlive what it would be told of.
    async fn pushed(&mut self) -> Bytes {
        let Some(tracking) = &self.tracking else { return std::future::pending().await };
        let signals = tracking.signals();
        if let Some(up) = &mut self.upstream {
            match up.pushed().await {
                Ok(frame) => return frame,
                Err(e) => {
                    tracing::warn!(error = %e, "a tracking client's connection to the cluster's primary broke");
                    self.upstream = None;
                }
            }
        }
        match self.upstream().await {
            Ok(up) => up.take_pushes(),
            // Told now; the next try (here or at the next request) tells
            // it again.
            Err(_) if signals => Bytes::from_static(INVALIDATE_ALL),
            Err(_) => Bytes::new(),
        }
    }

    /// The connection to the primary failed under a request: it is dropped
    /// with the client's transaction; the client's error.
    fn broken(&mut self, e: &UpstreamError) -> Bytes {
        tracing::warn!(error = %e, "a client's request failed on the cluster's primary");
        self.upstream = None;
        self.multi = None;
        error(&e.reply_text())
    }

    /// The connection to the primary, opened if there is none.
    async fn upstream(&mut self) -> Result<&mut Upstream, UpstreamError> {
        connected(
            &mut self.upstream,
            &self.front.url,
            self.front.shards,
            self.hello.as_deref(),
            self.tracking.as_ref(),
        )
        .await
    }

    async fn relay(&mut self, req: &Request, route: Route) -> Result<Bytes, UpstreamError> {
        if self.multi.is_some() {
            return self.queue(req, route).await;
        }
        let front = Arc::clone(&self.front);
        match route {
            Route::Write(keys) => {
                let through = self.write_through;
                write(&front, self.upstream().await?, req, &keys, through).await
            }
            Route::Keys => keyspace::keys(self.upstream().await?, req).await,
            Route::Scan => keyspace::scan(self.upstream().await?, req).await,
            Route::DbSize => keyspace::dbsize(&front, self.upstream().await?).await,
            Route::RandomKey => keyspace::randomkey(self.upstream().await?).await,
            Route::Flush => keyspace::flush(&front, self.upstream().await?).await,
            Route::Barrier => Ok(flush_barrier(&front, req).await),
            Route::DeadLetters => Ok(dead_letters::deadletters(&front, req, self.protocol).await),
            Route::KeyStatus => Ok(key_status::key(&front, req, self.protocol).await),
            Route::Status => Ok(status::status(&front, self.protocol).await),
            Route::Multi => {
                let reply = self.upstream().await?.relay(req).await?;
                if !is_error(&reply) {
                    self.multi = Some(Multi::default());
                }
                Ok(reply)
            }
            Route::Hello => {
                let (protocol, hello) = match self.login.hello(&front, self.peer, req).await {
                    Ok(hello) => hello,
                    Err(refused) => return Ok(refused),
                };
                let reply = self.upstream().await?.call(&hello[..]).await?;
                if let Some(protocol) = protocol
                    && !is_error(&reply)
                {
                    self.protocol = protocol;
                    self.hello = Some(hello);
                }
                Ok(reply)
            }
            Route::Tracking => {
                let protocol = self.protocol;
                let reply = self.upstream().await?.relay(req).await?;
                if reply.as_ref() == b"+OK\r\n" {
                    self.tracking = Tracking::after(self.tracking.take(), req, protocol);
                }
                Ok(reply)
            }
            // EXEC and DISCARD without MULTI: Redis answers the error.
            _ => self.upstream().await?.relay(req).await,
        }
    }

    /// A request inside the client's MULTI.
    async fn queue(&mut self, req: &Request, route: Route) -> Result<Bytes, UpstreamError> {
        match route {
            Route::Exec => self.exec().await,
            Route::Discard => {
                self.multi = None;
                self.upstream().await?.relay(req).await
            }
            // Inside MULTI a blocking write does not block, as in Redis.
            Route::Write(keys) | Route::Block(keys, _) => {
                let reply = self.upstream().await?.relay(req).await?;
                if let Some(multi) = &mut self.multi
                    && !is_error(&reply)
                {
                    multi.keys.extend(keys);
                }
                Ok(reply)
            }
            Route::Pass | Route::Multi => self.upstream().await?.relay(req).await,
            _ => {
                if let Some(multi) = &mut self.multi {
                    multi.failed = true;
                }
                Ok(error(&format!(
                    "ERR {} is not served inside MULTI by a cluster front end",
                    String::from_utf8_lossy(req.name()).to_uppercase()
                )))
            }
        }
    }

    /// RESET: the client starts afresh, logged out, on a new connection to
    /// Redis (closing the old one ends its MULTI, WATCH and subscriptions
    /// there; RESET relayed would log that connection out of Redis).
    fn reset(&mut self) {
        self.upstream = None;
        self.hello = None;
        self.protocol = Protocol::Resp2;
        self.tracking = None;
        self.multi = None;
        self.write_through = false;
        self.login.reset(&self.front.users);
    }

    /// EXEC of the client's MULTI, with the records of its writes' keys
    /// queued last, their reply taken out of EXEC's.
    async fn exec(&mut self) -> Result<Bytes, UpstreamError> {
        let multi = self.multi.take().unwrap_or_default();
        let front = Arc::clone(&self.front);
        let through = self.write_through;
        let up = self.upstream().await?;
        if multi.failed {
            up.call(&["DISCARD"]).await?;
            return Ok(Bytes::from_static(
                b"-EXECABORT Transaction discarded because of previous errors.\r\n",
            ));
        }
        let records = !multi.keys.is_empty();
        if records {
            up.queue(&record_call(&multi.keys, front.shards, version_floor()));
        }
        up.queue(&["EXEC"]);
        up.flush().await?;
        if records {
            up.reply().await?;
        }
        let reply = up.reply().await?;
        if !records {
            return Ok(reply);
        }
        match elements(&reply) {
            Some(mut items) if !items.is_empty() => {
                let record = items.pop().unwrap_or_default();
                if is_error(&record) {
                    return Ok(unrecorded(b"+OK\r\n", &record));
                }
                let version = version_of(&record);
                acknowledge(&front, up, array(&items), &multi.keys, version, through).await
            }
            _ => Ok(reply),
        }
    }
}

/// JOTTER.FLUSH [timeout-ms] across the cluster.
async fn flush_barrier(front: &Front, req: &Request) -> Bytes {
    let timeout = match req.arg(1).map(|a| std::str::from_utf8(a).ok()?.parse::<u64>().ok()) {
        None | Some(Some(0)) => None,
        Some(Some(ms)) => Some(Duration::from_millis(ms)),
        Some(None) => return error("ERR timeout is not an integer or out of range"),
    };
    let mut connection = match front.command_connection().await {
        Ok(connection) => connection,
        Err(text) => return error(&text),
    };
    match barrier(&mut connection, front.shards, timeout).await {
        Ok(()) => Bytes::from_static(b"+OK\r\n"),
        Err(e) => error(&format!("ERR {e}")),
    }
}
