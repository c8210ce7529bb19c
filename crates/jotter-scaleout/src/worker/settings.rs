//! What a worker is told ([`WorkerSettings`]) and what it reports when it
//! stops ([`WorkerReport`]).

use std::time::Duration;

/// How a worker runs: `[worker]` and the flush settings of `jotter worker`.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// This worker's consumer name in the group; unique in the pool.
    pub consumer: String,
    /// Most keys in one store call.
    pub batch_size: usize,
    /// Longest a read of the streams waits for new records (`BLOCK`).
    pub max_age: Duration,
    /// Records pending longer than this with another consumer are claimed.
    pub claim_idle: Duration,
    /// Deliveries after which a record the store refuses is dead-lettered.
    pub max_deliveries: u64,
    /// The number of shard streams, if this worker creates the layout.
    pub shards: u32,
    /// Before flushing, write every key of the store that Redis does not
    /// hold into Redis (`--load-store`), once.
    pub load_store: bool,
}

/// What a worker did before it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Key writes the store committed.
    pub stored: u64,
    /// Records moved to the dead-letter stream.
    pub dead_lettered: u64,
    /// Records claimed from other consumers.
    pub claimed: u64,
}
