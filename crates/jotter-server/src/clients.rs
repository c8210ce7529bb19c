//! The registry of connected clients, for `CLIENT LIST`, `CLIENT KILL`,
//! `maxclients` and INFO. The map is locked only when a client connects,
//! leaves, or is listed or killed; per-command bookkeeping is atomics on the
//! client's own entry, so commands never contend on the registry.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU16, AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::client_buffers::Buffers;
use crate::unblock::Unblock;

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
    /// The socket's file descriptor, for `fd=` (-1 where there is none).
    pub fd: i64,
    pub created: Instant,
    /// Milliseconds after `created` of the last command, for `idle=`.
    last_active_ms: AtomicU64,
    /// The last command, for `cmd=`: its table index plus one in the low
    /// 32 bits (0: none yet), its subcommand's index plus one above them.
    last_command: AtomicU64,
    /// 2 or 3, for `resp=`.
    pub protocol: AtomicU8,
    pub name: Mutex<Option<Bytes>>,
    pub user: Mutex<Option<Arc<str>>>,
    /// Cancelled by `CLIENT KILL`; the connection closes after its current
    /// command.
    pub kill: CancellationToken,
    /// [`flags`] bits, for `flags=` and the `TYPE` filters.
    flags: AtomicU16,
    /// Commands queued by `MULTI` (-1: not in one) and their bytes.
    multi: AtomicI64,
    multi_mem: AtomicU64,
    /// The connection's buffers as it last reported them.
    pub buffers: Buffers,
    /// What `CLIENT UNBLOCK` asks of the client while it is blocked.
    pub unblock: Unblock,
    /// Messages other connections send it (pub/sub, invalidations).
    pub outbox: crate::outbox::Outbox,
    /// Its subscriptions and tracking redirect, as `CLIENT LIST` shows them.
    pub pubsub: PubSubShown,
}

/// A client's `sub`, `psub`, `ssub` and `redir`, set by its connection.
pub(crate) struct PubSubShown {
    counts: [AtomicU64; 3],
    redir: AtomicI64,
}

impl Default for PubSubShown {
    fn default() -> Self {
        PubSubShown { counts: Default::default(), redir: AtomicI64::new(-1) }
    }
}

impl PubSubShown {
    /// Channels, patterns and shard channels subscribed to, and the
    /// tracking redirect (-1: not tracking, 0: none).
    pub(crate) fn set(&self, counts: [usize; 3], redir: i64) {
        for (shown, n) in self.counts.iter().zip(counts) {
            shown.store(n as u64, Ordering::Relaxed);
        }
        self.redir.store(redir, Ordering::Relaxed);
    }

    fn count(&self, at: usize) -> u64 {
        self.counts[at].load(Ordering::Relaxed)
    }
}

/// A client's flags, as `CLIENT LIST` prints them (Redis's letters).
pub(crate) mod flags {
    pub(crate) const PUBSUB: u16 = 1 << 0;
    pub(crate) const MULTI: u16 = 1 << 1;
    pub(crate) const BLOCKED: u16 = 1 << 2;
    pub(crate) const TRACKING: u16 = 1 << 3;
    pub(crate) const TRACKING_BROKEN_REDIR: u16 = 1 << 4;
    pub(crate) const TRACKING_BCAST: u16 = 1 << 5;
    pub(crate) const NO_EVICT: u16 = 1 << 6;

    /// Each flag's letter, in the order Redis prints them.
    pub(crate) const LETTERS: &[(u16, char)] = &[
        (PUBSUB, 'P'),
        (MULTI, 'x'),
        (BLOCKED, 'b'),
        (TRACKING, 't'),
        (TRACKING_BROKEN_REDIR, 'R'),
        (TRACKING_BCAST, 'B'),
        (NO_EVICT, 'e'),
    ];
}

/// A client's kind, as `CLIENT LIST TYPE` and `CLIENT KILL TYPE` name it.
/// Jotter has no replication, so no client is a master or a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientType {
    Normal,
    Master,
    Replica,
    Pubsub,
}

impl ClientType {
    /// Redis's names (`slave` is `replica`), ignoring case.
    pub(crate) fn parse(name: &[u8]) -> Option<ClientType> {
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("normal") {
            Some(ClientType::Normal)
        } else if is("master") {
            Some(ClientType::Master)
        } else if is("replica") || is("slave") {
            Some(ClientType::Replica)
        } else if is("pubsub") {
            Some(ClientType::Pubsub)
        } else {
            None
        }
    }
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
        self.last_command.store(index as u64 + 1, Ordering::Relaxed);
    }

    /// Notes that the command at `index` ran its subcommand at `sub`.
    pub(crate) fn ran_sub(&self, index: usize, sub: usize) {
        self.last_command.store((index as u64 + 1) | ((sub as u64 + 1) << 32), Ordering::Relaxed);
    }

    /// The last command and subcommand, as table indexes.
    pub(crate) fn last_command(&self) -> Option<(usize, Option<usize>)> {
        let packed = self.last_command.load(Ordering::Relaxed);
        let index = usize::try_from(packed & u64::from(u32::MAX)).ok()?.checked_sub(1)?;
        let sub = usize::try_from(packed >> 32).ok().and_then(|s| s.checked_sub(1));
        Some((index, sub))
    }

    /// Turns `flag` (a [`flags`] bit) on or off.
    pub(crate) fn set_flag(&self, flag: u16, on: bool) {
        if on {
            self.flags.fetch_or(flag, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!flag, Ordering::Relaxed);
        }
    }

    pub(crate) fn has_flag(&self, flag: u16) -> bool {
        self.flags.load(Ordering::Relaxed) & flag != 0
    }

    /// Notes the `MULTI` queue: `None` outside one, else how many commands
    /// and bytes it holds.
    pub(crate) fn set_multi(&self, queued: Option<(usize, usize)>) {
        let (count, bytes) = match queued {
            Some((count, bytes)) => (i64::try_from(count).unwrap_or(i64::MAX), bytes as u64),
            None => (-1, 0),
        };
        self.multi.store(count, Ordering::Relaxed);
        self.multi_mem.store(bytes, Ordering::Relaxed);
        self.set_flag(flags::MULTI, queued.is_some());
    }

    pub(crate) fn kind(&self) -> ClientType {
        if self.has_flag(flags::PUBSUB) { ClientType::Pubsub } else { ClientType::Normal }
    }

    /// `CLIENT LIST`/`CLIENT INFO` line, in Redis 7.0's field order.
    /// `command_name` names the command (and subcommand) at indexes of the
    /// table; `argv_mem` is the bytes of the command running now (the
    /// caller's own `CLIENT LIST`; 0 for the others, which are between
    /// commands). Subscriptions and tracking belong to other features and
    /// read as Redis shows them when unused until those set them.
    pub(crate) fn info_line(
        &self,
        out: &mut String,
        argv_mem: usize,
        command_name: impl Fn(usize, Option<usize>) -> Option<String>,
    ) {
        use std::fmt::Write as _;
        let age = self.created.elapsed();
        let active = std::time::Duration::from_millis(self.last_active_ms.load(Ordering::Relaxed));
        let idle = age.saturating_sub(active).as_secs();
        let name = self.name.lock().clone().unwrap_or_default();
        let user = self.user.lock().clone();
        let cmd = self
            .last_command()
            .and_then(|(index, sub)| command_name(index, sub))
            .unwrap_or_else(|| "NULL".to_owned());
        let mut bits = self.flags.load(Ordering::Relaxed);
        if self.unblock.is_blocked() {
            bits |= flags::BLOCKED;
        }
        let mut letters: String =
            flags::LETTERS.iter().filter(|(f, _)| bits & f != 0).map(|(_, c)| *c).collect();
        if letters.is_empty() {
            letters.push('N');
        }
        let b = self.buffers.read();
        let multi_mem = self.multi_mem.load(Ordering::Relaxed);
        let tot_mem = b.qbuf_capacity as u64 + b.out_capacity as u64 + argv_mem as u64 + multi_mem;
        let events = if b.out_pending > 0 { "rw" } else { "r" };
        let _ = writeln!(
            out,
            "id={} addr={} laddr={} fd={} name={} age={} idle={idle} flags={letters} db=0 \
             sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={argv_mem} \
             multi-mem={multi_mem} rbs={} rbp={} obl={} oll=0 omem=0 tot-mem={tot_mem} \
             events={events} cmd={cmd} user={} redir={} resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            String::from_utf8_lossy(&name),
            age.as_secs(),
            self.pubsub.count(0),
            self.pubsub.count(1),
            self.pubsub.count(2),
            self.multi.load(Ordering::Relaxed),
            b.qbuf,
            b.qbuf_capacity.saturating_sub(b.qbuf),
            b.out_capacity,
            b.out_peak,
            b.out_pending,
            user.as_deref().unwrap_or("default"),
            self.pubsub.redir.load(Ordering::Relaxed),
            self.protocol.load(Ordering::Relaxed),
        );
    }
}

/// Which clients `CLIENT KILL` closes; every given filter must match.
#[derive(Default)]
pub(crate) struct KillFilter {
    pub id: Option<u64>,
    /// `ip:port` as `CLIENT LIST` prints it.
    pub addr: Option<String>,
    pub laddr: Option<String>,
    pub user: Option<String>,
    pub kind: Option<ClientType>,
    /// The caller's id when `SKIPME yes` (the default).
    pub skip: Option<u64>,
}

impl KillFilter {
    fn matches(&self, client: &ClientEntry) -> bool {
        let user = || client.user.lock().clone();
        self.id.is_none_or(|id| id == client.id)
            && self.addr.as_deref().is_none_or(|a| a == client.addr.to_string())
            && self.laddr.as_deref().is_none_or(|a| a == client.laddr.to_string())
            && self.kind.is_none_or(|k| k == client.kind())
            && self.user.as_deref().is_none_or(|u| u == user().as_deref().unwrap_or("default"))
            && self.skip != Some(client.id)
    }
}

impl Clients {
    /// Registers a new client, or `None` when `maxclients` are connected.
    pub(crate) fn register(
        &self,
        addr: SocketAddr,
        laddr: SocketAddr,
        fd: i64,
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
            fd,
            created: Instant::now(),
            last_active_ms: AtomicU64::new(0),
            last_command: AtomicU64::new(0),
            protocol: AtomicU8::new(2),
            name: Mutex::new(None),
            user: Mutex::new(None),
            // A child of the server's stop: stopping closes every client.
            kill: shutdown.child_token(),
            flags: AtomicU16::new(0),
            multi: AtomicI64::new(-1),
            multi_mem: AtomicU64::new(0),
            buffers: Buffers::default(),
            unblock: Unblock::default(),
            outbox: crate::outbox::Outbox::default(),
            pubsub: PubSubShown::default(),
        });
        map.insert(id, entry.clone());
        Some(entry)
    }

    /// The client with this id, if connected (and not killed).
    pub(crate) fn get(&self, id: u64) -> Option<Arc<ClientEntry>> {
        self.map.lock().get(&id).filter(|c| !c.kill.is_cancelled()).cloned()
    }

    pub(crate) fn remove(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    pub(crate) fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// Every client, in id order (a snapshot: the lock is not held while
    /// formatting). A client killed and not yet gone is left out, as Redis
    /// frees it at once.
    pub(crate) fn list(&self) -> Vec<Arc<ClientEntry>> {
        self.map.lock().values().filter(|c| !c.kill.is_cancelled()).cloned().collect()
    }

    /// Closes the matching clients; returns how many.
    pub(crate) fn kill(&self, filter: &KillFilter) -> usize {
        let mut killed = 0;
        for client in self.list() {
            if filter.matches(&client) {
                client.kill.cancel();
                killed += 1;
            }
        }
        killed
    }
}
