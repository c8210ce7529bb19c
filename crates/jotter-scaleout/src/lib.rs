//! Jotter's scale-out mode: the cache and the write-behind queue live in a
//! Redis primary with replicas watched by Sentinel; Jotter's front ends
//! are stateless and its flush workers form a pool. Jotter never elects,
//! replicates or fails over anything itself: Redis and Sentinel do.
//!
//! # Layout
//!
//! - `layout.rs`: the names of Jotter's own keys in Redis, the change
//!   record's fields, and which shard stream a key's records go to.
//! - `url.rs`: [`ClusterUrl`], the `--cluster` address (one Redis, or a
//!   Sentinel-watched primary by name).
//! - `connect.rs`: connecting to the current primary.
//! - `prepare.rs`: the layout every process checks or creates on each
//!   connection (meta hash, consumer groups, its function library).
//! - `front.rs`, `front.lua`: the front end's function library (change
//!   records, user-key DBSIZE and RANDOMKEY, dead letters' replay and
//!   purge, a key's status).
//! - `front_barrier.rs`: `JOTTER.FLUSH` across the shard streams, and
//!   their lag and pending entries for `/metrics`.
//! - `dead_letters.rs`: the dead-letter stream as `JOTTER.DEADLETTERS`
//!   serves it (ids, pages, replay, purge).
//! - `key_status.rs`: where a key's newest write stands (`JOTTER.KEY`),
//!   and where one write stands (a front end's write-through).
//! - `worker/`: the flush workers ([`worker::run`]), with their functions
//!   in `worker.lua`.
//!
//! # The contract in Redis
//!
//! Every write a front end takes is applied in Redis together with one
//! change record per written key (the key and its new version) appended to
//! the key's shard stream, in one atomic step. Workers read the streams in
//! consumer groups, read each key's current value with its version in one
//! atomic step, write it into the store with a versioned upsert, and
//! acknowledge the records only after the store's commit.

mod connect;
mod dead_letters;
mod front;
mod front_barrier;
mod key_status;
mod layout;
mod prepare;
mod url;
pub mod worker;

pub use connect::{ConnectError, connect, primary, tcp_address};
pub use dead_letters::{
    StreamLetter, dead_letter_count, dead_letters_page, entry_of, letter_id, purge_dead_letters,
    replay_dead_letters,
};
pub use front::{
    DBSIZE, FUNCTION_PREFIX, LIBRARY, RANDOMKEY, RECORD, own_keys, prepare_front, record_call,
    version_floor,
};
pub use front_barrier::{BarrierError, ShardStats, barrier, stream_stats};
pub use key_status::{ClusterKeyStatus, WriteState, key_status, write_state};
pub use layout::{
    CLOCK, CONSUMER_GROUP, DEAD_LETTERS, FIELD_KEY, FIELD_VERSION, FORMAT, META, RESERVED_PREFIX,
    STORED, VERSIONS, is_reserved, shard_of, shard_stream,
};
pub use prepare::LayoutError;
/// The connection [`connect`] returns, named for callers that keep one.
pub use redis::aio::MultiplexedConnection;
pub use url::{ClusterUrl, UrlError};
