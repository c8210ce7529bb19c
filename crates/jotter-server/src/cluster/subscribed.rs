//! A client in subscribed mode (after SUBSCRIBE, PSUBSCRIBE or
//! SSUBSCRIBE): its connection to the primary carries messages at any
//! time, so both directions are relayed at once. The client may send only
//! what Redis allows a RESP2 subscriber — (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE,
//! PING, QUIT, RESET — each admitted by the client's user's rules first
//! (its channels) — and the mode ends when Redis says the client's last
//! subscription is gone (an unsubscribe reply counting 0) or answers
//! RESET (after which the front end resets the client and closes that
//! connection, which RESET logged out of Redis). Pub/sub touches no key,
//! so no change record is involved. Invalidations (a subscriber of
//! `__redis__:invalidate` that tracking clients redirect to, or a RESP3
//! client's own tracking) have Jotter's keys left out (`tracking.rs`).

use bytes::{Bytes, BytesMut};
use jotter_resp::{Frame, Request, RequestDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::replies::error;
use super::tracking::{is_invalidation, visible};
use super::upstream::{Upstream, UpstreamError};

/// How subscribed mode ended.
pub(crate) enum Ended {
    /// The client has no subscription left: back to plain requests.
    Unsubscribed,
    /// Redis answered the client's RESET: the front end resets it too.
    Reset,
    /// The client left (QUIT, closed, a protocol error) or its connection
    /// to Redis broke: close it.
    Closed,
}

/// Commands a subscriber may send.
const ALLOWED: &[&[u8]] = &[
    b"subscribe",
    b"psubscribe",
    b"ssubscribe",
    b"unsubscribe",
    b"punsubscribe",
    b"sunsubscribe",
    b"ping",
    b"reset",
];

/// Relays a subscriber's requests and Redis's messages until the mode ends.
pub(crate) async fn relay(
    up: &mut Upstream,
    read: &mut OwnedReadHalf,
    write: &mut OwnedWriteHalf,
    decoder: &mut RequestDecoder,
    input: &mut BytesMut,
    admit: &(dyn Fn(&Request) -> Result<(), Bytes> + Sync),
) -> Ended {
    loop {
        // Whole requests already read.
        loop {
            match decoder.decode(input) {
                Ok(Some(req)) => {
                    let name = req.name().to_ascii_lowercase();
                    if name == b"quit" {
                        let _ = write.write_all(b"+OK\r\n").await;
                        return Ended::Closed;
                    }
                    if let Err(refused) = admit(&req) {
                        if write.write_all(&refused).await.is_err() {
                            return Ended::Closed;
                        }
                    } else if ALLOWED.contains(&name.as_slice()) {
                        up.queue_request(&req);
                    } else {
                        let text = format!(
                            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / \
                             PING / QUIT / RESET are allowed in this context",
                            String::from_utf8_lossy(&name)
                        );
                        if write.write_all(&error(&text)).await.is_err() {
                            return Ended::Closed;
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => return Ended::Closed,
            }
        }
        if up.flush().await.is_err() {
            return Ended::Closed;
        }
        tokio::select! {
            message = up.frame() => {
                let Ok(message) = message else { return Ended::Closed };
                let message = if is_invalidation(&message) {
                    match visible(message) {
                        Some(message) => message,
                        None => continue,
                    }
                } else {
                    message
                };
                if write.write_all(&message).await.is_err() {
                    return Ended::Closed;
                }
                if message.as_ref() == b"+RESET\r\n" {
                    return Ended::Reset;
                }
                if ends_subscriptions(&message) {
                    return Ended::Unsubscribed;
                }
            }
            got = read.read_buf(input) => {
                if !matches!(got, Ok(n) if n > 0) {
                    return Ended::Closed;
                }
            }
        }
    }
}

/// Whether `message` is an unsubscribe reply counting no subscription
/// left.
fn ends_subscriptions(message: &Bytes) -> bool {
    let mut buf = BytesMut::from(message.as_ref());
    let items = match Frame::parse(&mut buf) {
        Ok(Some(Frame::Array(items) | Frame::Push(items))) => items,
        _ => return false,
    };
    let kind = match items.first() {
        Some(Frame::Bulk(kind) | Frame::Simple(kind)) => kind.to_ascii_lowercase(),
        _ => return false,
    };
    kind.ends_with(b"unsubscribe") && matches!(items.last(), Some(Frame::Integer(0)))
}

/// Sends the request that starts subscribed mode; its reply comes as the
/// mode's first message.
pub(crate) async fn start(up: &mut Upstream, req: &Request) -> Result<(), UpstreamError> {
    up.queue_request(req);
    up.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_unsubscribe_ends_the_mode() {
        let last = Bytes::from_static(b"*3\r\n$11\r\nunsubscribe\r\n$1\r\nc\r\n:0\r\n");
        let more = Bytes::from_static(b">3\r\n$12\r\npunsubscribe\r\n$1\r\nc\r\n:1\r\n");
        let message = Bytes::from_static(b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\n0\r\n");
        assert!(ends_subscriptions(&last));
        assert!(!ends_subscriptions(&more));
        assert!(!ends_subscriptions(&message));
    }
}
