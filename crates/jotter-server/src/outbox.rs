//! A client's outbox: the out-of-band messages other connections send it
//! (pub/sub messages, keyspace notifications, tracking invalidations),
//! queued until its connection writes them between its own replies.
//!
//! A message is kept as its parts, not as bytes, because the receiving
//! connection's protocol decides the frame (`*3` in RESP2, `>3` in RESP3).
//! Delivery never waits: a sender appends and wakes the connection. The
//! queue is bounded as Redis bounds a pub/sub client's output
//! (`client-output-buffer-limit pubsub 32mb 8mb 60`): past 32 MiB, or past
//! 8 MiB for 60 seconds, the client is disconnected and its queue dropped,
//! so a subscriber that stops reading cannot grow the server's memory.
//! Messages are never stored: what a client misses while disconnected is
//! gone.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use jotter_resp::{Protocol, ReplyWriter};
use parking_lot::Mutex;
use tokio::sync::Notify;

/// Past this many queued bytes the client is disconnected at once.
pub(crate) const HARD_LIMIT: usize = 32 << 20;
/// Past this many queued bytes for [`SOFT_SECONDS`] the client is
/// disconnected.
pub(crate) const SOFT_LIMIT: usize = 8 << 20;
pub(crate) const SOFT_SECONDS: Duration = Duration::from_secs(60);

/// The channel RESP2 clients receive tracking invalidations on.
pub(crate) const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// One out-of-band message.
#[derive(Debug, Clone)]
pub(crate) enum Push {
    /// `message` (or `smessage` when `shard`): a channel's message.
    Message { shard: bool, channel: Bytes, payload: Bytes },
    /// `pmessage`: a message on a channel matching a pattern.
    PMessage { pattern: Bytes, channel: Bytes, payload: Bytes },
    /// Tracking's invalidation of `keys` (`None`: every key, after a
    /// flush). A RESP3 client gets the push `invalidate`; a RESP2 client
    /// (a redirect target) gets a message on `__redis__:invalidate`.
    Invalidate(Option<std::sync::Arc<[Bytes]>>),
    /// `tracking-redir-broken`: the client tracking redirects to is gone.
    RedirBroken(i64),
}

impl Push {
    /// Roughly the bytes the message takes, for the bound.
    fn weight(&self) -> usize {
        32 + match self {
            Push::Message { channel, payload, .. } => channel.len() + payload.len(),
            Push::PMessage { pattern, channel, payload } => {
                pattern.len() + channel.len() + payload.len()
            }
            Push::Invalidate(keys) => {
                keys.as_ref().map_or(0, |keys| keys.iter().map(|k| k.len() + 16).sum())
            }
            Push::RedirBroken(_) => 0,
        }
    }

    /// Writes the message in `protocol`.
    pub(crate) fn write(&self, reply: &mut ReplyWriter<'_>) {
        match self {
            Push::Message { shard, channel, payload } => {
                reply.push(3);
                reply.bulk(if *shard { b"smessage" } else { b"message" });
                reply.bulk(channel);
                reply.bulk(payload);
            }
            Push::PMessage { pattern, channel, payload } => {
                reply.push(4);
                reply.bulk(b"pmessage");
                reply.bulk(pattern);
                reply.bulk(channel);
                reply.bulk(payload);
            }
            Push::Invalidate(keys) => {
                if reply.protocol() == Protocol::Resp3 {
                    reply.push(2);
                    reply.bulk(b"invalidate");
                } else {
                    reply.push(3);
                    reply.bulk(b"message");
                    reply.bulk(INVALIDATE_CHANNEL);
                }
                match keys {
                    Some(keys) => {
                        reply.array(keys.len());
                        for key in keys.iter() {
                            reply.bulk(key);
                        }
                    }
                    None => reply.null(),
                }
            }
            Push::RedirBroken(id) => {
                reply.push(2);
                reply.bulk(b"tracking-redir-broken");
                reply.integer(*id);
            }
        }
    }
}

/// A client's queue of messages.
#[derive(Default)]
pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    /// Queued messages, read without the lock by the connection after
    /// each command.
    len: AtomicUsize,
    ready: Notify,
}

#[derive(Default)]
struct Queue {
    messages: VecDeque<Push>,
    bytes: usize,
    /// Since when the queue has been over [`SOFT_LIMIT`].
    over_soft_since: Option<Instant>,
    /// The bound was passed: the client is being disconnected.
    overflowed: bool,
}

/// What [`Outbox::push`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delivered {
    Queued,
    /// The queue passed its bound: the client must be disconnected.
    Overflowed,
}

impl Outbox {
    /// Queues a message and wakes the connection.
    pub(crate) fn push(&self, push: Push) -> Delivered {
        let mut queue = self.queue.lock();
        if queue.overflowed {
            return Delivered::Overflowed;
        }
        queue.bytes += push.weight();
        let over = if queue.bytes > HARD_LIMIT {
            true
        } else if queue.bytes > SOFT_LIMIT {
            let since = *queue.over_soft_since.get_or_insert_with(Instant::now);
            since.elapsed() >= SOFT_SECONDS
        } else {
            queue.over_soft_since = None;
            false
        };
        if over {
            queue.overflowed = true;
            queue.messages = VecDeque::new();
            queue.bytes = 0;
            self.len.store(0, Ordering::Release);
            return Delivered::Overflowed;
        }
        queue.messages.push_back(push);
        self.len.store(queue.messages.len(), Ordering::Release);
        drop(queue);
        self.ready.notify_one();
        Delivered::Queued
    }

    /// Whether no message waits (one atomic load).
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::Acquire) == 0
    }

    /// Writes every queued message into `out` in `protocol`. Without
    /// `listening` (a RESP2 client not in subscriber mode), tracking's
    /// messages are dropped: the client has no frame to take them in.
    pub(crate) fn drain(&self, out: &mut BytesMut, protocol: Protocol, listening: bool) {
        if self.is_empty() {
            return;
        }
        let messages = {
            let mut queue = self.queue.lock();
            queue.bytes = 0;
            queue.over_soft_since = None;
            self.len.store(0, Ordering::Release);
            std::mem::take(&mut queue.messages)
        };
        let mut reply = ReplyWriter::new(out, protocol);
        for message in &messages {
            let takes = match message {
                Push::Invalidate(_) => listening,
                Push::RedirBroken(_) => protocol == Protocol::Resp3,
                _ => true,
            };
            if takes {
                message.write(&mut reply);
            }
        }
    }

    /// Completes when a message has been queued since the last wait.
    pub(crate) async fn ready(&self) {
        self.ready.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(payload: usize) -> Push {
        Push::Message {
            shard: false,
            channel: Bytes::from_static(b"c"),
            payload: Bytes::from(vec![b'x'; payload]),
        }
    }

    #[test]
    fn messages_are_written_in_the_receivers_protocol() {
        let outbox = Outbox::default();
        assert_eq!(outbox.push(message(1)), Delivered::Queued);
        let mut out = BytesMut::new();
        outbox.drain(&mut out, Protocol::Resp3, true);
        assert_eq!(&out[..], b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n");
        assert!(outbox.is_empty());
        outbox.push(Push::Invalidate(Some(vec![Bytes::from_static(b"k")].into())));
        out.clear();
        outbox.drain(&mut out, Protocol::Resp2, true);
        assert_eq!(
            &out[..],
            b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"
        );
    }

    #[test]
    fn a_queue_past_the_hard_limit_overflows_and_stays_closed() {
        let outbox = Outbox::default();
        let mut delivered = Delivered::Queued;
        for _ in 0..40 {
            delivered = outbox.push(message(1 << 20));
            if delivered == Delivered::Overflowed {
                break;
            }
        }
        assert_eq!(delivered, Delivered::Overflowed);
        assert!(outbox.is_empty());
        assert_eq!(outbox.push(message(1)), Delivered::Overflowed);
    }
}
