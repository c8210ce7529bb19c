//! Pub/sub, keyspace notifications and client-side caching: everything
//! that sends a client messages it did not ask for by a command of its
//! own. Messages go through each client's outbox (`outbox.rs`), which its
//! connection drains between replies; none is stored.
//!
//! - `registry.rs`: who subscribes to which channel, pattern and shard
//!   channel, and publishing.
//! - `subscribe.rs`: (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE; `publish.rs`:
//!   PUBLISH, SPUBLISH and PUBSUB.
//! - `notify.rs`: the `notify-keyspace-events` setting and publishing an
//!   event; `events.rs`: which event a command's write is.
//! - `tracking.rs`: CLIENT TRACKING, CACHING, TRACKINGINFO, GETREDIR;
//!   `invalidation.rs`: the table of who may cache which key.
//! - `hooks.rs`: what runs after a command (events, invalidations,
//!   remembered reads), when a connection ends, and the engine's `stored`
//!   hook.
//!
//! A RESP2 client subscribed to anything may run only the subscription
//! commands, PING, QUIT and RESET ([`refused_in_subscriber_mode`]).

mod events;
mod hooks;
mod invalidation;
mod notify;
mod publish;
mod registry;
mod subscribe;
mod tracking;

use std::sync::Arc;

use jotter_resp::Protocol;

use super::spec::{Ctx, Spec, flag, now};

pub(crate) use hooks::{
    after_control, after_data, after_exec, drain_outbox, leave, note_written, watch_key_events,
};
pub(crate) use notify::BadFlags;
pub(crate) use registry::Subscriptions;
pub(crate) use tracking::{Tracking, caching, getredir, tracking, tracking_info};

/// The server's pub/sub state: subscriptions, the keyspace notification
/// setting and the tracking table. One per server, in `Shared`.
pub(crate) struct PubSub {
    registry: Arc<registry::Registry>,
    notify: Arc<notify::Setting>,
    tracking: invalidation::Table,
}

impl PubSub {
    /// The state for a `notify-keyspace-events` setting (already checked
    /// by the configuration; a bad one reads as `""`).
    pub(crate) fn new(notify_keyspace_events: &str) -> Self {
        let pubsub = PubSub {
            registry: Arc::default(),
            notify: Arc::default(),
            tracking: invalidation::Table::default(),
        };
        let _checked = pubsub.set_notify_keyspace_events(notify_keyspace_events);
        pubsub
    }

    /// Whether a write must be looked at after it runs: notifications are
    /// on or a client tracks keys. Two atomic loads.
    fn watching(&self) -> bool {
        self.notify.get() != 0 || self.tracking.any()
    }

    /// Closes the subscribers that `refused(client, name, is_pattern)`
    /// says may no longer listen where they do (a user's channel rules
    /// changed), as Redis does; returns how many.
    pub(crate) fn close_refused_subscribers(
        &self,
        refused: impl Fn(&crate::clients::ClientEntry, &[u8], bool) -> bool,
    ) -> usize {
        let closed = self.registry.refused_subscribers(refused);
        for client in &closed {
            client.kill.cancel();
        }
        closed.len()
    }

    /// `CONFIG GET notify-keyspace-events`: the setting as Redis writes it.
    pub(crate) fn notify_keyspace_events(&self) -> String {
        notify::format(self.notify.get())
    }

    /// `CONFIG SET notify-keyspace-events <flags>`: takes effect for the
    /// next write.
    pub(crate) fn set_notify_keyspace_events(&self, flags: &str) -> Result<(), BadFlags> {
        self.notify.set(notify::parse(flags)?);
        Ok(())
    }
}

/// Checks a `notify-keyspace-events` value (for the configuration).
pub(crate) fn check_notify_keyspace_events(flags: &str) -> Result<(), BadFlags> {
    notify::parse(flags).map(|_| ())
}

const GROUP: &str = "pubsub";
const SUBSCRIBING: u16 = flag::PUBSUB | flag::NOSCRIPT | flag::LOADING | flag::STALE;
const PUBLISHING: u16 =
    flag::PUBSUB | flag::LOADING | flag::STALE | flag::FAST | flag::MAY_REPLICATE;

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "subscribe",
        -2,
        SUBSCRIBING,
        GROUP,
        "Listens for messages published to channels.",
        "2.0.0",
        now(subscribe::subscribe),
    ),
    Spec::new(
        "psubscribe",
        -2,
        SUBSCRIBING,
        GROUP,
        "Listens for messages published to channels that match one or more patterns.",
        "2.0.0",
        now(subscribe::psubscribe),
    ),
    Spec::new(
        "ssubscribe",
        -2,
        SUBSCRIBING,
        GROUP,
        "Listens for messages published to shard channels.",
        "7.0.0",
        now(subscribe::ssubscribe),
    )
    .keys(1, -1, 1),
    Spec::new(
        "unsubscribe",
        -1,
        SUBSCRIBING,
        GROUP,
        "Stops listening to messages posted to channels.",
        "2.0.0",
        now(subscribe::unsubscribe),
    ),
    Spec::new(
        "punsubscribe",
        -1,
        SUBSCRIBING,
        GROUP,
        "Stops listening to messages published to channels that match one or more patterns.",
        "2.0.0",
        now(subscribe::punsubscribe),
    ),
    Spec::new(
        "sunsubscribe",
        -1,
        SUBSCRIBING,
        GROUP,
        "Stops listening to messages posted to shard channels.",
        "7.0.0",
        now(subscribe::sunsubscribe),
    )
    .keys(1, -1, 1),
    Spec::new(
        "publish",
        3,
        PUBLISHING,
        GROUP,
        "Posts a message to a channel.",
        "2.0.0",
        now(publish::publish),
    ),
    Spec::new(
        "spublish",
        3,
        PUBLISHING,
        GROUP,
        "Post a message to a shard channel",
        "7.0.0",
        now(publish::spublish),
    )
    .keys(1, 1, 1),
    Spec::new(
        "pubsub",
        -2,
        0,
        GROUP,
        "A container for Pub/Sub commands.",
        "2.8.0",
        now(publish::pubsub),
    )
    .subs(publish::SUBS),
];

/// The commands a RESP2 client in subscriber mode may run.
const IN_SUBSCRIBER_MODE: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// Refuses, in Redis's words, a command a RESP2 client subscribed to
/// anything may not run; true if it did.
pub(crate) fn refused_in_subscriber_mode(
    spec: &Spec,
    req: &jotter_resp::Request,
    ctx: &mut Ctx<'_>,
) -> bool {
    if ctx.session.protocol != Protocol::Resp2
        || !ctx.session.subscriptions.active()
        || IN_SUBSCRIBER_MODE.contains(&spec.name)
    {
        return false;
    }
    // Redis names a container's subcommand as `command|sub`.
    let name = match req.arg(1) {
        Some(sub) if !spec.subs.is_empty() => {
            format!("{}|{}", spec.name, String::from_utf8_lossy(sub).to_lowercase())
        }
        _ => spec.name.to_owned(),
    };
    let text = format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
         RESET are allowed in this context"
    );
    ctx.reply().error(text.as_bytes());
    true
}

/// PING's reply in RESP2 subscriber mode (`pong` and the argument, as an
/// array); false when the ordinary reply applies.
pub(crate) fn subscriber_ping(req: &jotter_resp::Request, ctx: &mut Ctx<'_>) -> bool {
    if ctx.session.protocol != Protocol::Resp2 || !ctx.session.subscriptions.active() {
        return false;
    }
    let arg = req.arg(1).unwrap_or_default().to_vec();
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk(b"pong");
    reply.bulk(&arg);
    true
}

#[cfg(test)]
mod tests {
    use super::PubSub;

    #[test]
    fn the_setting_reads_back_as_redis_writes_it_and_refuses_bad_flags() {
        let pubsub = PubSub::new("KEA");
        assert_eq!(pubsub.notify_keyspace_events(), "AKE");
        assert!(pubsub.watching());
        assert!(pubsub.set_notify_keyspace_events("Kq").is_err());
        assert_eq!(pubsub.notify_keyspace_events(), "AKE");
        pubsub.set_notify_keyspace_events("").expect("none");
        assert!(!pubsub.watching());
        assert_eq!(pubsub.notify_keyspace_events(), "");
    }
}
