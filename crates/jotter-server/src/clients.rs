//! The registry of connected clients, for `CLIENT LIST`, `CLIENT KILL`,
//! `maxclients` and INFO. The map is locked only when a client connects,
//! leaves, or is listed or killed; per-command bookkeeping is atomics on the
//! client's own entry, so commands never contend on the registry.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

/// The registry.
#[derive(Default)]
pub(crate) struct Clients {
    next_id: AtomicU64,
    map: Mutex<BTreeMap<u64, Arc<ClientEntry>>>,
}

/// What other connections may see of, or do to, one client.
pub(crate) struct ClientEntry {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub created: Instant,
    /// Milliseconds after `created` of the last command, for `idle=`.
    last_active_ms: AtomicU64,
    /// The table index of the last command plus one (0: none yet), for `cmd=`.
    last_command: AtomicUsize,
    /// 2 or 3, for `resp=`.
    pub protocol: AtomicU8,
    pub name: Mutex<Option<Bytes>>,
    pub user: Mutex<Option<Arc<str>>>,
    /// Cancelled by `CLIENT KILL`; the connection closes after its current
    /// command.
    pub kill: CancellationToken,
    /// Messages other connections send it (pub/sub, invalidations).
    pub outbox: crate::outbox::Outbox,
}

impl ClientEntry {
    /// Notes that the client sent something now (its idle time starts
    /// again): once per read, as Redis notes its last interaction, not per
    /// command, which would read the clock for each.
    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.created.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_active_ms.store(ms, Ordering::Relaxed);
    }

    /// Queues an out-of-band message for the client; one whose outbox
    /// passed its bound is disconnected (see `outbox.rs`).
    pub(crate) fn deliver(&self, push: crate::outbox::Push) {
        if self.outbox.push(push) == crate::outbox::Delivered::Overflowed
            && !self.kill.is_cancelled()
        {
            tracing::warn!(
                client = self.id,
                "closing a subscriber whose pending messages passed the pubsub output limit (32mb, or 8mb for 60s)"
            );
            self.kill.cancel();
        }
    }

    /// Notes that the command at `index` of the table ran.
    pub(crate) fn ran(&self, index: usize) {
        self.last_command.store(index + 1, Ordering::Relaxed);
    }

    /// `CLIENT LIST`/`CLIENT INFO` line, in Redis's field order. Fields
    /// Jotter does not track (subscriptions, MULTI) read as Redis shows them
    /// when unused.
    /// `command_name` names the command at an index of the table.
    pub(crate) fn info_line(
        &self,
        out: &mut String,
        command_name: impl Fn(usize) -> Option<&'static str>,
    ) {
        use std::fmt::Write as _;
        let age = self.created.elapsed();
        let active = std::time::Duration::from_millis(self.last_active_ms.load(Ordering::Relaxed));
        let idle = age.saturating_sub(active).as_secs();
        let name = self.name.lock().clone().unwrap_or_default();
        let user = self.user.lock().clone();
        let cmd = match self.last_command.load(Ordering::Relaxed) {
            0 => "NULL",
            i => command_name(i - 1).unwrap_or("NULL"),
        };
        let _ = writeln!(
            out,
            "id={} addr={} laddr={} fd=-1 name={} age={} idle={idle} flags=N db=0 sub=0 psub=0 \
             ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 \
             omem=0 tot-mem=0 events=r cmd={cmd} user={} redir=-1 resp={}",
            self.id,
            self.addr,
            self.laddr,
            String::from_utf8_lossy(&name),
            age.as_secs(),
            user.as_deref().unwrap_or("default"),
            self.protocol.load(Ordering::Relaxed),
        );
    }
}

/// Which clients `CLIENT KILL` closes; every given filter must match.
#[derive(Default)]
pub(crate) struct KillFilter {
    pub id: Option<u64>,
    pub addr: Option<SocketAddr>,
    pub laddr: Option<SocketAddr>,
    pub user: Option<String>,
    /// The caller's id when `SKIPME yes` (the default).
    pub skip: Option<u64>,
}

impl Clients {
    /// Registers a new client, or `None` when `maxclients` are connected.
    pub(crate) fn register(
        &self,
        addr: SocketAddr,
        laddr: SocketAddr,
        maxclients: usize,
        shutdown: &CancellationToken,
    ) -> Option<Arc<ClientEntry>> {
        let mut map = self.map.lock();
        if map.len() >= maxclients {
            return None;
        }
        // Redis's ids start at 1 and never repeat.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let entry = Arc::new(ClientEntry {
            id,
            addr,
            laddr,
            created: Instant::now(),
            last_active_ms: AtomicU64::new(0),
            last_command: AtomicUsize::new(0),
            protocol: AtomicU8::new(2),
            name: Mutex::new(None),
            user: Mutex::new(None),
            // A child of the server's stop: stopping closes every client.
            kill: shutdown.child_token(),
            outbox: crate::outbox::Outbox::default(),
        });
        map.insert(id, entry.clone());
        Some(entry)
    }

    pub(crate) fn remove(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    /// The client with this id, if connected.
    pub(crate) fn get(&self, id: u64) -> Option<Arc<ClientEntry>> {
        self.map.lock().get(&id).cloned()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// Every client, in id order (a snapshot: the lock is not held while
    /// formatting).
    pub(crate) fn list(&self) -> Vec<Arc<ClientEntry>> {
        self.map.lock().values().cloned().collect()
    }

    /// Closes the matching clients; returns how many.
    pub(crate) fn kill(&self, filter: &KillFilter) -> usize {
        let mut killed = 0;
        for client in self.list() {
            let user = client.user.lock().clone();
            let matches = filter.id.is_none_or(|id| id == client.id)
                && filter.addr.is_none_or(|a| a == client.addr)
                && filter.laddr.is_none_or(|a| a == client.laddr)
                && filter.user.as_deref().is_none_or(|u| u == user.as_deref().unwrap_or("default"))
                && filter.skip != Some(client.id);
            if matches {
                client.kill.cancel();
                killed += 1;
            }
        }
        killed
    }
}
