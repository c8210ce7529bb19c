//! The errors the cache answers with. Each says what happened and what the
//! caller can do about it, in the engine's own words (a front end puts them
//! in its protocol's words), with an [`ErrorKind`] a caller can act on and,
//! where one exists, the underlying failure as its
//! [`source`](std::error::Error::source).

use std::sync::Arc;
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
    Log(#[source] jotter_wal::WalError),
    /// The data directory could not be opened, moved into its layout or
    /// replayed at start.
    #[error("cannot recover from the write-ahead log: {message}")]
    Recovery {
        /// What went wrong, where, and what to do about it.
        message: String,
        /// The failure underneath, when there is one (the log's own error,
        /// an I/O error); `message` already says what it says.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// The cache stopped before the write reached the store. It is still
    /// pending (and in the log, when the log is enabled).
    #[error("the cache stopped before the write reached the store")]
    Stopped,
    /// The operation expects another shape of value than the key holds.
    #[error("operation against a key holding the wrong kind of value (expected {expected})")]
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
    /// The write reached the dead-letter queue instead of the store; the
    /// text is the store's refusal as the queue keeps it (it survives
    /// restarts as text, so no typed source is left).
    #[error("the store refused the write for good and it was dead-lettered: {0}")]
    DeadLettered(String),
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// What kind of failure this is, for a caller that decides what to do
    /// (retry, slow down, give up, fix the setup) without reading the text.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Full { .. } | Error::FullTimeout { .. } => ErrorKind::Bound,
            Error::TooManyKeys { .. } | Error::TooLarge { .. } => ErrorKind::NeverFits,
            Error::ShuttingDown | Error::Stopped => ErrorKind::Closed,
            Error::Store(_) => ErrorKind::Store,
            Error::Refused(_) => ErrorKind::Refused,
            Error::Log(_) => ErrorKind::Log,
            Error::Recovery { .. } => ErrorKind::Recovery,
            Error::WrongType { .. } => ErrorKind::WrongType,
            Error::NotAnInteger => ErrorKind::NotAnInteger,
            Error::NotAFloat => ErrorKind::NotAFloat,
            Error::DeadLettered(_) => ErrorKind::DeadLettered,
            Error::Config(_) => ErrorKind::Config,
        }
    }

    /// A failure at start, saying what to do in `message`.
    pub(crate) fn recovery(message: impl Into<String>) -> Error {
        Error::Recovery { message: message.into(), source: None }
    }

    /// A failure at start caused by `source`, which `message` names.
    pub(crate) fn recovery_from(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::Recovery { message: message.into(), source: Some(Arc::new(source)) }
    }
}

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A bound on pending writes is reached ([`Error::Full`],
    /// [`Error::FullTimeout`]): the store is not keeping up; retry later or
    /// slow down.
    Bound,
    /// The write can never fit the bounds ([`Error::TooManyKeys`],
    /// [`Error::TooLarge`]): retrying cannot help.
    NeverFits,
    /// The cache is shutting down or stopped ([`Error::ShuttingDown`],
    /// [`Error::Stopped`]).
    Closed,
    /// The store failed a load or a direct write ([`Error::Store`]; its
    /// [`StoreError`] says whether it is transient).
    Store,
    /// The store would refuse this write ([`Error::Refused`]): not accepted.
    Refused,
    /// The write-ahead log could not take the write ([`Error::Log`]).
    Log,
    /// The data directory could not be opened or replayed at start
    /// ([`Error::Recovery`]).
    Recovery,
    /// The key holds another kind of value ([`Error::WrongType`]).
    WrongType,
    /// The value is not an integer, or the result would overflow.
    NotAnInteger,
    /// The value is not a finite float, or the result would not be one.
    NotAFloat,
    /// The store refused the write for good ([`Error::DeadLettered`]).
    DeadLettered,
    /// The configuration is invalid ([`Error::Config`]).
    Config,
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_failure_at_start_keeps_its_cause_as_its_source() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let err = Error::recovery_from("could not read state/FORMAT: denied", io);
        assert_eq!(err.kind(), ErrorKind::Recovery);
        assert_eq!(
            err.to_string(),
            "cannot recover from the write-ahead log: could not read state/FORMAT: denied"
        );
        let source = err.source().expect("the I/O error is kept");
        assert_eq!(source.to_string(), "denied");
        assert!(Error::recovery("newer format").source().is_none());
    }

    #[test]
    fn kinds_group_what_a_caller_handles_alike() {
        let full = Error::Full { bound: BoundKind::Bytes, limit: 1 };
        let waited =
            Error::FullTimeout { bound: BoundKind::Entries, limit: 1, waited: Duration::ZERO };
        assert_eq!(full.kind(), ErrorKind::Bound);
        assert_eq!(waited.kind(), ErrorKind::Bound);
        assert_eq!(Error::TooLarge { size: 2, limit: 1 }.kind(), ErrorKind::NeverFits);
        assert_eq!(Error::TooManyKeys { keys: 2, limit: 1 }.kind(), ErrorKind::NeverFits);
        assert_eq!(Error::ShuttingDown.kind(), ErrorKind::Closed);
        assert_eq!(Error::Stopped.kind(), ErrorKind::Closed);
        assert_eq!(Error::DeadLettered("no".into()).kind(), ErrorKind::DeadLettered);
        assert_eq!(Error::Config("bad".into()).kind(), ErrorKind::Config);
        let wrong = Error::WrongType { expected: Shape::Blob };
        assert_eq!(wrong.kind(), ErrorKind::WrongType);
        // The engine says it in its own words; a front end picks its protocol's.
        assert!(!wrong.to_string().contains("WRONGTYPE"), "{wrong}");
    }
}
