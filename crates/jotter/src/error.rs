//! The errors the cache answers with. Each says what happened and what the
//! caller can do about it.

use std::time::Duration;

use crate::store::StoreError;
use crate::value::MapKind;

/// Which bound on pending writes was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundKind {
    /// `max_pending_entries`: the number of writes not yet in the store.
    Entries,
    /// `max_pending_bytes`: the bytes those writes hold.
    Bytes,
    /// `max_memory`, when it is below `max_pending_bytes`: the bytes those
    /// writes hold reached the bound on everything the cache holds.
    Memory,
}

impl std::fmt::Display for BoundKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BoundKind::Entries => "max_pending_entries",
            BoundKind::Bytes => "max_pending_bytes",
            BoundKind::Memory => "max_memory",
        })
    }
}

/// An error from a cache operation.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The write buffer is full and the policy is `reject`.
    #[error(
        "write buffer full: {bound} = {limit} reached; the store is not keeping up \
         (raise {bound}, add flush workers, or slow the writers down)"
    )]
    Full {
        /// The bound that was reached.
        bound: BoundKind,
        /// Its configured value.
        limit: u64,
    },
    /// The write buffer stayed full for the whole `block_timeout` (policy `block`).
    #[error(
        "write buffer full: waited {waited:?} for room under {bound} = {limit}; \
         the store is not keeping up (check the store, or raise the bound or the timeout)"
    )]
    FullTimeout {
        /// The bound that was reached.
        bound: BoundKind,
        /// Its configured value.
        limit: u64,
        /// How long the write waited.
        waited: Duration,
    },
    /// A transaction writes more keys than the whole entry bound, so it can
    /// never fit.
    #[error(
        "a transaction writing {keys} keys can never fit max_pending_entries = {limit}; \
         split it or raise the bound"
    )]
    TooManyKeys {
        /// The keys the transaction writes.
        keys: u64,
        /// The configured entry bound.
        limit: u64,
    },
    /// One write is larger than the whole byte bound, so it can never fit.
    #[error("write of {size} bytes is larger than max_pending_bytes = {limit}")]
    TooLarge {
        /// The write's accounted size.
        size: u64,
        /// The configured byte bound.
        limit: u64,
    },
    /// The cache is shutting down and takes no new writes.
    #[error("the cache is shutting down and accepts no new writes")]
    ShuttingDown,
    /// The store failed a load or a direct write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store can tell it would refuse this write (see
    /// [`crate::Store::check`]), so it was not accepted.
    #[error("the store would refuse this write, so it was not accepted: {}", .0.message())]
    Refused(StoreError),
    /// The write-ahead log could not take the write (disk full, I/O error):
    /// the write was not acknowledged. If the log failed only after the
    /// write entered the buffer, it may still reach the store from memory,
    /// but it would not survive a crash. Writes resume once the log can
    /// write again.
    #[error(
        "the write-ahead log could not take the write ({0}); it was not acknowledged, may still be \
         visible and reach the store from memory, but would not survive a crash (do not blindly \
         retry a write that is not idempotent); free disk space or fix the log directory"
    )]
    Log(String),
    /// The write-ahead log could not be opened or replayed at start.
    #[error("cannot recover from the write-ahead log: {0}")]
    Recovery(String),
    /// The cache stopped before the write reached the store. It is still
    /// pending (and in the log, when the log is enabled).
    #[error("the cache stopped before the write reached the store")]
    Stopped,
    /// The operation expects another shape of value than the key holds.
    #[error(
        "WRONGTYPE Operation against a key holding the wrong kind of value (expected {expected})"
    )]
    WrongType {
        /// What the operation works on; `None` for a blob.
        expected: Shape,
    },
    /// The value is not an integer, or the result would overflow.
    #[error("value is not an integer or out of range")]
    NotAnInteger,
    /// The value is not a finite float, or the result would not be one.
    #[error("value is not a valid float")]
    NotAFloat,
    /// The write reached the dead-letter queue instead of the store.
    #[error("the store refused the write for good and it was dead-lettered: {0}")]
    DeadLettered(String),
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// A value's shape, for [`Error::WrongType`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A blob.
    Blob,
    /// A map of the given kind.
    Map(MapKind),
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Blob => f.write_str("blob"),
            Shape::Map(k) => k.fmt(f),
        }
    }
}

/// The result type of cache operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
