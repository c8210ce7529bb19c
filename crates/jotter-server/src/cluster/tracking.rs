//! Client-side caching for a front end's clients (`CLIENT TRACKING`):
//! Redis tracks what a client reads on the client's own connection to the
//! primary, so the front end relays the command and keeps only what it
//! must to carry tracking across a new connection. Redis's invalidation
//! messages (RESP3 `>invalidate` pushes on the client's connection, or
//! `message __redis__:invalidate` on a subscriber that a RESP2 client
//! redirects to) are told apart from replies (`upstream.rs`) and relayed
//! to the client, also while it is idle (`client.rs`).
//!
//! Guarantees:
//! - Jotter's own `{jotter}:` keys never appear in an invalidation: they
//!   are left out of it, and a message naming only them is not relayed
//!   (BCAST without a prefix, or a read the front end itself made on the
//!   client's connection, would otherwise name them).
//! - A new connection to the primary (after a failover, or Redis closing
//!   the old one) has the client's `CLIENT TRACKING ON` commands replayed
//!   after its HELLO, and a RESP3 client gets Redis's flush signal
//!   (`>invalidate` with a null) before anything else from that
//!   connection, as its cache may hold what changed meanwhile. Tracking
//!   with REDIRECT is not replayed: the connection it names is gone too
//!   (its subscriber's front end closes it, and the client subscribes
//!   again).
//! - NOLOOP keeps Redis's meaning: a client's writes, with their change
//!   records, run on its own connection, so it is not told of its own.

use bytes::{BufMut, Bytes, BytesMut};
use jotter_resp::{Protocol, Request};
use jotter_scaleout::is_reserved;

use super::replies::{array, bulk, elements};

/// Redis's flush signal to a RESP3 tracking client: forget every key.
pub(crate) const INVALIDATE_ALL: &[u8] = b">2\r\n$10\r\ninvalidate\r\n_\r\n";

/// The tracking a client turned on, as the commands that turned it on.
#[derive(Debug, Default)]
pub(crate) struct Tracking {
    /// Every `CLIENT TRACKING ON ...` since the last OFF (prefixes add up).
    commands: Vec<Vec<Bytes>>,
    /// One of them named REDIRECT: nothing is replayed.
    redirect: bool,
    /// The client spoke RESP3: it understands the flush signal.
    signal: bool,
}

impl Tracking {
    /// The tracking after Redis accepted `req` (a `CLIENT TRACKING`) from
    /// a client speaking `protocol`; `None` once it is off.
    pub(crate) fn after(
        current: Option<Tracking>,
        req: &Request,
        protocol: Protocol,
    ) -> Option<Tracking> {
        let on = req.arg(2).is_some_and(|a| a.eq_ignore_ascii_case(b"on"));
        if !on {
            return None;
        }
        let mut tracking = current.unwrap_or_default();
        tracking.redirect |= req.args().skip(3).any(|a| a.eq_ignore_ascii_case(b"redirect"));
        tracking.signal = protocol == Protocol::Resp3;
        tracking.commands.push(req.args().map(Bytes::copy_from_slice).collect());
        Some(tracking)
    }

    /// The commands that turn the tracking on again on a new connection
    /// (none with REDIRECT: the connection it names is gone too).
    pub(crate) fn replayed(&self) -> &[Vec<Bytes>] {
        if self.redirect { &[] } else { &self.commands }
    }

    /// Whether the connection's loss leaves the client a stale cache that
    /// the flush signal must clear.
    pub(crate) fn signals(&self) -> bool {
        self.signal && !self.redirect
    }
}

/// Whether `frame` is an invalidation: a RESP3 `invalidate` or
/// `tracking-redir-broken` push, or a message on `__redis__:invalidate`.
pub(crate) fn is_invalidation(frame: &Bytes) -> bool {
    let Some(items) = elements(frame) else { return false };
    let word = |i: usize| items.get(i).and_then(|item| bulk(item));
    match word(0) {
        Some(b"invalidate" | b"tracking-redir-broken") => frame.first() == Some(&b'>'),
        Some(b"message") => word(1) == Some(b"__redis__:invalidate".as_slice()),
        _ => false,
    }
}

/// `frame`, an invalidation, with Jotter's own keys left out; `None` when
/// it named only those.
pub(crate) fn visible(frame: Bytes) -> Option<Bytes> {
    let Some(items) = elements(&frame) else { return Some(frame) };
    let Some((last, head)) = items.split_last() else { return Some(frame) };
    // A null (flush) or the redir-broken push names no key.
    let Some(keys) = elements(last) else { return Some(frame) };
    let kept: Vec<Bytes> =
        keys.iter().filter(|key| !bulk(key).is_some_and(is_reserved)).cloned().collect();
    if kept.len() == keys.len() {
        return Some(frame);
    }
    if kept.is_empty() {
        return None;
    }
    let mut out = BytesMut::with_capacity(frame.len());
    out.put_u8(frame[0]);
    out.put_slice(format!("{}\r\n", items.len()).as_bytes());
    head.iter().for_each(|item| out.put_slice(item));
    out.put_slice(&array(&kept));
    Some(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_keys_are_left_out_of_invalidations() {
        let push = Bytes::from_static(
            b">2\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\nk\r\n$14\r\n{jotter}:ver:0\r\n",
        );
        assert!(is_invalidation(&push));
        assert_eq!(
            visible(push).unwrap(),
            Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
        );
        let own = Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\n{jotter}:ver\r\n");
        assert_eq!(visible(own), None);
        let flush = Bytes::from_static(INVALIDATE_ALL);
        assert!(is_invalidation(&flush));
        assert_eq!(visible(flush.clone()), Some(flush));
        let message = Bytes::from_static(
            b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$12\r\n{jotter}:ver\r\n",
        );
        assert!(is_invalidation(&message));
        assert_eq!(visible(message), None);
        // A reply that happens to be a push (UNSUBSCRIBE in RESP3) is none.
        let unsubscribe = Bytes::from_static(b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
        assert!(!is_invalidation(&unsubscribe));
        let plain = Bytes::from_static(b"*2\r\n$10\r\ninvalidate\r\n*0\r\n");
        assert!(!is_invalidation(&plain));
    }
}
