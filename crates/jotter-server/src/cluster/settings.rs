//! What every client connection of a front end shares: where the cluster
//! is, its shard count (as stored in Redis), whether a write waits for a
//! replica, the protocol limits, and the wake-ups of blocked clients.

use std::time::Duration;

use jotter_resp::Limits;
use jotter_scaleout::ClusterUrl;

use super::wakeup::Wakeups;

/// A front end's settings.
pub(crate) struct Front {
    pub url: ClusterUrl,
    pub shards: u32,
    /// `fsync = always`: after a write, `WAIT 1` for this long.
    pub wait: Option<Duration>,
    pub limits: Limits,
    /// `timeout`: a client idle this long is closed; `None`: never.
    pub idle: Option<Duration>,
    /// Wakes the clients blocked on keys (`wakeup.rs`).
    pub wakeups: Wakeups,
}
