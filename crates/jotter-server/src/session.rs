//! One connection's session: what the commands it sends read and change
//! (protocol, authentication and the user's permissions, write-through, the `MULTI` queue and the
//! `WATCH`ed keys, the writes not yet acknowledged). The connection owns
//! it; other connections see a client only through its registry entry
//! (`clients.rs`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use jotter_resp::{Protocol, Request};

use crate::clients::ClientEntry;
use crate::command::Permissions;

/// The connection's own state.
pub(crate) struct Session {
    /// The registry's view of this client (id, name, kill switch).
    pub entry: Arc<ClientEntry>,
    /// RESP2 until `HELLO 3`.
    pub protocol: Protocol,
    /// False until AUTH when the server requires a password.
    pub authenticated: bool,
    /// What the user may run: the default user's until AUTH.
    pub permissions: Arc<Permissions>,
    /// The users' generation `permissions` were taken at (`acl/registry.rs`).
    pub acl_generation: u64,
    /// `JOTTER.WRITETHROUGH ON`: every write is acknowledged only once the
    /// store has it.
    pub write_through: bool,
    /// Inside `MULTI`: the commands queued so far.
    pub multi: Option<Queued>,
    /// `WATCH`ed keys and what each held when watched.
    pub watched: Vec<(Bytes, Option<jotter::Entry>)>,
    /// The log records of writes whose replies are in the output buffer:
    /// the buffer is sent only once they are durable.
    pub unacknowledged: jotter::Durability,
    /// Commands run but not yet added to the server's counters: a run of
    /// one command (its table index and how many), added when another
    /// command comes or before the replies are sent, so that a pipeline of
    /// one command costs one shared atomic add, not one per command.
    pub uncounted: (usize, u64),
    /// `CLIENT REPLY`: whether replies are sent.
    pub reply_mode: crate::reply_mode::ReplyMode,
    /// Microseconds those uncounted commands took.
    pub uncounted_usec: u64,
    /// Channels, patterns and shard channels subscribed to.
    pub subscriptions: crate::command::Subscriptions,
    /// Client-side caching's options (`CLIENT TRACKING`).
    pub tracking: crate::command::Tracking,
    /// Keys the running command wrote, while something watches writes
    /// (keyspace notifications, tracking).
    pub written: Vec<jotter::Ticket>,
}

/// The commands a `MULTI` has queued.
#[derive(Debug, Default)]
pub(crate) struct Queued {
    /// Each command's index in the table and its request.
    pub commands: Vec<(usize, Request)>,
    /// A command could not be queued (unknown, wrong arity): `EXEC` refuses.
    pub failed: bool,
}

impl Session {
    /// A new connection's session: RESP2, authenticated only when the
    /// server asks for no password.
    pub(crate) fn new(
        entry: Arc<ClientEntry>,
        authenticated: bool,
        permissions: Arc<Permissions>,
    ) -> Session {
        Session {
            entry,
            protocol: Protocol::Resp2,
            authenticated,
            permissions,
            acl_generation: 0,
            write_through: false,
            multi: None,
            watched: Vec::new(),
            unacknowledged: jotter::Durability::default(),
            uncounted: (0, 0),
            reply_mode: Default::default(),
            uncounted_usec: 0,
            subscriptions: Default::default(),
            tracking: Default::default(),
            written: Vec::new(),
        }
    }

    pub(crate) fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = protocol;
        let number = if protocol == Protocol::Resp3 { 3 } else { 2 };
        self.entry.protocol.store(number, Ordering::Relaxed);
    }

    /// Shows the `MULTI` queue in the registry (`multi=` of CLIENT LIST).
    pub(crate) fn show_multi(&self) {
        let queued = self.multi.as_ref().map(|m| {
            let bytes = m.commands.iter().flat_map(|(_, r)| r.args()).map(<[u8]>::len).sum();
            (m.commands.len(), bytes)
        });
        self.entry.set_multi(queued);
    }

    /// A command refused while queuing: `EXEC` will refuse the transaction.
    pub(crate) fn queue_failed(&mut self) {
        if let Some(multi) = &mut self.multi {
            multi.failed = true;
        }
    }
}
