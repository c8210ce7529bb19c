//! A blocking write on a front end (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
//! BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, XREADGROUP ... BLOCK). A write must
//! run in one MULTI/EXEC with its change records (`write.rs`), and Redis
//! runs a blocking command inside MULTI as its non-blocking form, so the
//! front end does the waiting: it tries the command with the records of
//! every key it names; when that finds nothing it waits for a change of a
//! key it takes from (`wakeup.rs`) and tries again, until it is served,
//! its timeout passes, or its client leaves.
//!
//! Guarantees:
//! - An element is taken only by a try, which is one MULTI/EXEC with its
//!   records: a failover can break a try (the client then gets the
//!   `TRYAGAIN` every write gets, `upstream.rs`), never split it.
//! - The replies are Redis's: a served try's element of EXEC as Redis
//!   wrote it, and on timeout a null array (`*-1`, RESP3's `_`), which is
//!   what Redis answers a blocking command that timed out.
//! - A look before each retry (`EXISTS` of the keys it pops from) skips
//!   the MULTI when they are all empty, so waiting leaves no record;
//!   the first try and every try of XREADGROUP (whose stream exists when
//!   it has nothing new) go to Redis and leave records of their keys, as
//!   a write that changed nothing does: harmless to the store.
//! - A client that closes while blocked stops the wait; requests it
//!   pipelines behind the blocking one are kept for after it.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use jotter_resp::{Protocol, Request};
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;

use super::replies::is_null;
use super::settings::Front;
use super::tracking::Tracking;
use super::upstream::{Upstream, UpstreamError, connected, is_demoted};
use super::write::{Applied, acknowledge, apply};
use crate::command::Wait;

/// What a blocked client brings of its state (`client.rs`): its
/// connection to the primary (dropped and opened again here when the
/// primary may have changed), the HELLO and tracking that connection
/// replays, and the protocol it chose.
pub(crate) struct Blocker<'a> {
    pub upstream: &'a mut Option<Upstream>,
    pub hello: Option<&'a [Bytes]>,
    pub tracking: Option<&'a Tracking>,
    pub protocol: Protocol,
    /// Write-through: the reply waits until the store has the write.
    pub through: bool,
}

/// The client's side of the connection, watched while it is blocked.
pub(crate) struct Socket<'a> {
    pub read: &'a mut OwnedReadHalf,
    pub input: &'a mut BytesMut,
}

/// How a blocking write ended.
pub(crate) enum Blocked {
    /// The reply for the client.
    Reply(Bytes),
    /// The client closed while it waited: nobody to reply to.
    Left,
}

/// How often a waiter looks again while the connection that wakes it is
/// down (a failover): it is then not woken by changes.
const POLL: Duration = Duration::from_millis(100);
/// Requests pipelined behind a blocking one are kept up to this much;
/// beyond, the client is no longer read (nor its closing seen) until the
/// wait ends.
const MAX_PIPELINED: usize = 1 << 20;

/// Runs `req`, a blocking write of `keys` waiting as `wait` says.
pub(crate) async fn block(
    front: &Front,
    client: Blocker<'_>,
    socket: &mut Socket<'_>,
    req: &Request,
    keys: &[Bytes],
    wait: &Wait,
) -> Result<Blocked, UpstreamError> {
    let deadline = wait.timeout.and_then(|t| Instant::now().checked_add(t));
    // XREADGROUP takes entries without emptying its stream: a look cannot
    // tell it has nothing, and its serving wakes nobody else.
    let pops = !req.name().eq_ignore_ascii_case(b"xreadgroup");
    let line = front.wakeups.register(wait.waits_on.clone(), !pops);
    let mut generation = None;
    let mut first = true;
    loop {
        line.rearm();
        let tracked = line.track().await;
        if generation.is_some_and(|g| g != tracked.generation) {
            // The tracking connection was opened again: the primary may
            // have changed, and the client's connection with it.
            *client.upstream = None;
        }
        generation = Some(tracked.generation);
        let mut poll = tracked.exists.is_none();
        if first || !pops || tracked.exists != Some(0) {
            let up =
                connected(client.upstream, &front.url, front.shards, client.hello, client.tracking)
                    .await?;
            match apply(front, up, req, keys).await? {
                Applied::Ran(reply, _) if is_null(&reply) => {}
                Applied::Ran(reply, version) => {
                    let through = client.through;
                    let reply = acknowledge(front, up, reply, keys, version, through).await?;
                    return Ok(Blocked::Reply(reply));
                }
                // Refused before it ran on a demoted primary: nothing was
                // taken; wait for the new one.
                Applied::Final(reply) if is_demoted(&reply) => {
                    *client.upstream = None;
                    poll = true;
                }
                Applied::Final(reply) => return Ok(Blocked::Reply(reply)),
            }
        }
        first = false;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Blocked::Reply(timed_out(client.protocol)));
        }
        let until_deadline = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        let polled = async {
            if poll { tokio::time::sleep(POLL).await } else { std::future::pending().await }
        };
        tokio::select! {
            () = line.woken() => {}
            () = polled => {}
            () = until_deadline => return Ok(Blocked::Reply(timed_out(client.protocol))),
            () = closed(socket) => return Ok(Blocked::Left),
        }
    }
}

/// Redis's reply to a blocking command whose timeout passed: a null array
/// in RESP2 (even for BLMOVE, whose reply is otherwise a bulk string),
/// a null in RESP3.
fn timed_out(protocol: Protocol) -> Bytes {
    if protocol == Protocol::Resp3 {
        Bytes::from_static(b"_\r\n")
    } else {
        Bytes::from_static(b"*-1\r\n")
    }
}

/// Returns when the client closes its connection; what it sends meanwhile
/// is kept for after the blocking request.
async fn closed(socket: &mut Socket<'_>) {
    loop {
        if socket.input.len() >= MAX_PIPELINED {
            return std::future::pending().await;
        }
        socket.input.reserve(16 * 1024);
        match socket.read.read_buf(socket.input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}
