//! What every client connection of a front end shares: where the cluster
//! is, its shard count (as stored in Redis), whether a write waits for a
//! replica, how long a write-through waits for the store, the protocol
//! limits, its users and the auth-failure throttle, and the wake-ups of
//! blocked clients. Read-only once the front end runs, but for the
//! throttle's counts and ACL LOG.

use std::fmt::Display;
use std::time::Duration;

use jotter_resp::Limits;
use jotter_scaleout::{ClusterUrl, MultiplexedConnection, connect};

use super::wakeup::Wakeups;
use crate::auth_throttle::AuthThrottle;
use crate::command::Users;

/// A front end's settings.
pub(crate) struct Front {
    pub url: ClusterUrl,
    pub shards: u32,
    /// `fsync = always`: after a write, `WAIT 1` for this long.
    pub wait: Option<Duration>,
    /// `cluster-through-timeout`: how long a write-through waits for the
    /// store.
    pub through_timeout: Duration,
    pub limits: Limits,
    /// `timeout`: a client idle this long is closed; `None`: never.
    pub idle: Option<Duration>,
    /// Wakes the clients blocked on keys (`wakeup.rs`).
    pub wakeups: Wakeups,
    /// The front end's own users, from its settings (never Redis's).
    pub users: Users,
    /// Failed AUTH attempts, per client address.
    pub throttle: AuthThrottle,
}

impl Front {
    /// A connection of its own to the current primary, for one of Jotter's
    /// commands (JOTTER.FLUSH, DEADLETTERS, KEY, STATUS); the client's
    /// `TRYAGAIN` error when none can be had.
    pub(crate) async fn command_connection(&self) -> Result<MultiplexedConnection, String> {
        connect(&self.url).await.map_err(|e| format!("TRYAGAIN {e}"))
    }
}

/// The client's error when the cluster's Redis refuses a call made for
/// one of Jotter's commands.
pub(crate) fn refused(command: &str, e: impl Display) -> String {
    format!("ERR the cluster's Redis refused {command}: {e}; retry it")
}
