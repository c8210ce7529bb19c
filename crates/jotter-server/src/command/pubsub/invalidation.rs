//! Client-side caching's table: which clients may hold which keys, and
//! telling them when a key changes (Redis's `tracking.c`).
//!
//! In the default mode a tracking client's reads are remembered per key;
//! the first write of the key sends each of those clients one
//! `invalidate` and forgets them (they must read again to be told again).
//! In BCAST mode a client names prefixes and is told of every write of a
//! key under one of them, without anything remembered per key. The
//! message goes to the client itself (RESP3) or to the client it
//! redirects to; a redirect to a client that has gone gets
//! `tracking-redir-broken` instead. With NOLOOP, a client is not told of
//! its own writes.
//!
//! While no client tracks, a write costs one atomic load here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;

use crate::clients::{ClientEntry, Clients};
use crate::outbox::Push;

/// Most keys remembered for default-mode clients (Redis's default
/// `tracking-table-max-keys`): the table's memory is bounded whatever
/// the clients read.
const MAX_KEYS: usize = 1_000_000;

/// Where a tracking client's invalidations go, and what it asked for.
#[derive(Clone)]
pub(crate) struct Target {
    pub entry: Arc<ClientEntry>,
    pub options: Options,
}

/// The options of `CLIENT TRACKING on|off ...`.
#[derive(Debug, Default, Clone)]
pub(super) struct Options {
    pub redirect: Option<u64>,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// BCAST prefixes, sorted (as Redis's radix tree lists them); `""`
    /// alone when BCAST named none.
    pub prefixes: Vec<Bytes>,
}

/// The table.
pub(crate) struct Table {
    /// Clients with tracking on.
    tracking: AtomicUsize,
    targets: Mutex<HashMap<u64, Target>>,
    /// Default mode: per key, the clients that read it since its last
    /// invalidation.
    keys: Mutex<HashMap<Bytes, BTreeSet<u64>>>,
    max_keys: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            tracking: AtomicUsize::new(0),
            targets: Mutex::default(),
            keys: Mutex::default(),
            max_keys: MAX_KEYS,
        }
    }
}

impl Table {
    /// Whether any client tracks (one atomic load).
    pub(crate) fn any(&self) -> bool {
        self.tracking.load(Ordering::Relaxed) > 0
    }

    /// Turns tracking on (or changes its options) for a client.
    pub(crate) fn enable(&self, target: Target) {
        let id = target.entry.id;
        if self.targets.lock().insert(id, target).is_none() {
            self.tracking.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Turns tracking off for a client. The keys it read stay in the table
    /// until written (then it is no longer there to be told), as in Redis.
    pub(crate) fn disable(&self, id: u64) {
        if self.targets.lock().remove(&id).is_some() {
            self.tracking.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Remembers that client `id` read `keys` (default mode). Past
    /// [`MAX_KEYS`] keys, some (any: Redis picks them at random) are
    /// invalidated and forgotten, as `tracking-table-max-keys` does.
    pub(crate) fn remember(&self, clients: &Clients, id: u64, keys: &[Bytes]) {
        let evicted: Vec<(Bytes, BTreeSet<u64>)> = {
            let mut table = self.keys.lock();
            for key in keys {
                table.entry(key.clone()).or_default().insert(id);
            }
            let excess = table.len().saturating_sub(self.max_keys);
            let victims: Vec<Bytes> = table.keys().take(excess).cloned().collect();
            victims.into_iter().filter_map(|k| table.remove_entry(&k)).collect()
        };
        if evicted.is_empty() {
            return;
        }
        let targets = self.targets.lock().clone();
        for (key, ids) in evicted {
            for id in ids {
                if let Some(target) = targets.get(&id) {
                    send(clients, target, Push::Invalidate(Some(vec![key.clone()].into())));
                }
            }
        }
    }

    /// After client `writer` changed `keys`: tells every client that may
    /// hold one of them.
    pub(crate) fn invalidate(&self, clients: &Clients, writer: u64, keys: &[Bytes]) {
        if !self.any() || keys.is_empty() {
            return;
        }
        let mut told: BTreeMap<u64, Vec<Bytes>> = BTreeMap::new();
        {
            let mut table = self.keys.lock();
            for key in keys {
                for id in table.remove(key).into_iter().flatten() {
                    told.entry(id).or_default().push(key.clone());
                }
            }
        }
        let targets = self.targets.lock().clone();
        for (id, target) in &targets {
            if !target.options.bcast {
                continue;
            }
            for key in keys {
                if target.options.prefixes.iter().any(|p| key.starts_with(p)) {
                    told.entry(*id).or_default().push(key.clone());
                }
            }
        }
        for (id, keys) in told {
            let Some(target) = targets.get(&id) else { continue };
            if target.options.noloop && id == writer {
                continue;
            }
            // One message per key, as Redis sends them.
            for key in keys {
                send(clients, target, Push::Invalidate(Some(vec![key].into())));
            }
        }
    }

    /// After a flush: every tracking client drops everything (an
    /// `invalidate` with no keys), and the table is emptied.
    pub(crate) fn flushed(&self, clients: &Clients) {
        if !self.any() {
            return;
        }
        self.keys.lock().clear();
        let targets = self.targets.lock().clone();
        for target in targets.values() {
            send(clients, target, Push::Invalidate(None));
        }
    }
}

/// Sends an invalidation to where a client's go.
fn send(clients: &Clients, target: &Target, push: Push) {
    match target.options.redirect {
        None => target.entry.deliver(push),
        Some(to) => match clients.get(to) {
            Some(client) => client.deliver(push),
            None => {
                let id = i64::try_from(to).unwrap_or(i64::MAX);
                target.entry.deliver(Push::RedirBroken(id));
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use tokio_util::sync::CancellationToken;

    use super::*;

    #[test]
    fn a_full_table_invalidates_and_forgets_keys_to_make_room() {
        let clients = Clients::default();
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        let entry =
            clients.register(addr, addr, -1, 10, &CancellationToken::new()).expect("a client");
        let table = Table { max_keys: 2, ..Table::default() };
        table.enable(Target { entry: entry.clone(), options: Options::default() });
        let keys: Vec<Bytes> = ["a", "b", "c"].into_iter().map(Bytes::from).collect();
        table.remember(&clients, entry.id, &keys);
        assert_eq!(table.keys.lock().len(), 2);
        assert!(!entry.outbox.is_empty(), "the forgotten key was not invalidated");
    }
}
