//! The server's subscriptions: which clients listen on which channels,
//! patterns and shard channels, and publishing to them. Shared by every
//! connection (`Shared::pubsub`); each connection also keeps its own
//! [`Subscriptions`], so that its counts and `UNSUBSCRIBE` with no
//! argument need no look through the registry.
//!
//! Publishing appends the message to each receiver's outbox
//! (`outbox.rs`) and never waits; a receiver past its bound is
//! disconnected. While nobody subscribes to anything, a publish costs one
//! lock of an empty map.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use super::super::glob::glob_match;
use crate::clients::ClientEntry;
use crate::outbox::Push;

/// The three kinds of subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// The confirmation's name: `subscribe`, `psubscribe`, `ssubscribe`.
    pub(crate) fn subscribe_name(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    pub(crate) fn unsubscribe_name(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

type Listeners = HashMap<Bytes, BTreeMap<u64, Arc<ClientEntry>>>;

/// Every subscription of every client.
#[derive(Default)]
pub(crate) struct Registry {
    channels: Mutex<Listeners>,
    patterns: Mutex<Listeners>,
    shard: Mutex<Listeners>,
}

/// One connection's subscriptions.
#[derive(Default, Debug)]
pub(crate) struct Subscriptions {
    channels: BTreeSet<Bytes>,
    patterns: BTreeSet<Bytes>,
    shard: BTreeSet<Bytes>,
}

impl Subscriptions {
    fn set(&mut self, kind: Kind) -> &mut BTreeSet<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// The count a confirmation of `kind` reports: channels and patterns
    /// together, shard channels apart (as Redis 7.0 counts).
    pub(crate) fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.channels.len() + self.patterns.len(),
            Kind::Shard => self.shard.len(),
        }
    }

    /// Whether the client is subscribed to anything: a RESP2 client then
    /// runs only the subscription commands, PING, QUIT and RESET.
    pub(crate) fn active(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }

    /// How many channels, patterns and shard channels (`CLIENT LIST`'s
    /// `sub`, `psub`, `ssub`).
    pub(crate) fn counts(&self) -> [usize; 3] {
        [self.channels.len(), self.patterns.len(), self.shard.len()]
    }

    /// The client's subscriptions of `kind`, in order.
    pub(crate) fn of(&self, kind: Kind) -> Vec<Bytes> {
        match kind {
            Kind::Channel => self.channels.iter().cloned().collect(),
            Kind::Pattern => self.patterns.iter().cloned().collect(),
            Kind::Shard => self.shard.iter().cloned().collect(),
        }
    }
}

impl Registry {
    fn listeners(&self, kind: Kind) -> &Mutex<Listeners> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }

    /// Subscribes `client` to `name`; false if it already was.
    pub(crate) fn subscribe(
        &self,
        mine: &mut Subscriptions,
        client: &Arc<ClientEntry>,
        kind: Kind,
        name: &Bytes,
    ) -> bool {
        if !mine.set(kind).insert(name.clone()) {
            return false;
        }
        let mut listeners = self.listeners(kind).lock();
        listeners.entry(name.clone()).or_default().insert(client.id, client.clone());
        true
    }

    /// Unsubscribes `client` from `name`; false if it was not subscribed.
    pub(crate) fn unsubscribe(
        &self,
        mine: &mut Subscriptions,
        client: u64,
        kind: Kind,
        name: &[u8],
    ) -> bool {
        if !mine.set(kind).remove(name) {
            return false;
        }
        let mut listeners = self.listeners(kind).lock();
        if let Some(clients) = listeners.get_mut(name) {
            clients.remove(&client);
            if clients.is_empty() {
                listeners.remove(name);
            }
        }
        true
    }

    /// Drops every subscription of a client (it left, or sent RESET).
    pub(crate) fn leave(&self, mine: &mut Subscriptions, client: u64) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in mine.of(kind) {
                self.unsubscribe(mine, client, kind, &name);
            }
        }
    }

    /// Sends `payload` to the subscribers of `channel` (shard channels
    /// when `shard`) and to those of the patterns it matches; returns how
    /// many received it.
    pub(crate) fn publish(&self, shard: bool, channel: &Bytes, payload: &Bytes) -> usize {
        let mut received = 0;
        let kind = if shard { Kind::Shard } else { Kind::Channel };
        if let Some(clients) = self.listeners(kind).lock().get(channel) {
            for client in clients.values() {
                let push =
                    Push::Message { shard, channel: channel.clone(), payload: payload.clone() };
                client.deliver(push);
                received += 1;
            }
        }
        if shard {
            return received;
        }
        for (pattern, clients) in self.patterns.lock().iter() {
            if !glob_match(pattern, channel, false) {
                continue;
            }
            for client in clients.values() {
                client.deliver(Push::PMessage {
                    pattern: pattern.clone(),
                    channel: channel.clone(),
                    payload: payload.clone(),
                });
                received += 1;
            }
        }
        received
    }

    /// The channels (shard channels) with a subscriber, matching `pattern`
    /// if given.
    pub(crate) fn active_channels(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let listeners = self.listeners(kind).lock();
        listeners
            .keys()
            .filter(|name| pattern.is_none_or(|p| glob_match(p, name, false)))
            .cloned()
            .collect()
    }

    /// How many clients subscribe to `name`.
    pub(crate) fn subscribers(&self, kind: Kind, name: &[u8]) -> usize {
        self.listeners(kind).lock().get(name).map_or(0, BTreeMap::len)
    }

    /// The clients subscribed to a channel, shard channel or pattern that
    /// `refused(client, name, is_pattern)` refuses, each once.
    pub(crate) fn refused_subscribers(
        &self,
        refused: impl Fn(&ClientEntry, &[u8], bool) -> bool,
    ) -> Vec<Arc<ClientEntry>> {
        let mut found: BTreeMap<u64, Arc<ClientEntry>> = BTreeMap::new();
        for (listeners, is_pattern) in
            [(&self.channels, false), (&self.shard, false), (&self.patterns, true)]
        {
            for (name, clients) in listeners.lock().iter() {
                for (id, client) in clients {
                    if !found.contains_key(id) && refused(client, name, is_pattern) {
                        found.insert(*id, Arc::clone(client));
                    }
                }
            }
        }
        found.into_values().collect()
    }

    /// How many distinct patterns are subscribed to.
    pub(crate) fn pattern_count(&self) -> usize {
        self.patterns.lock().len()
    }
}
