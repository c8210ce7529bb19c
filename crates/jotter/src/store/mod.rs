//! The seam between the engine and a database: the [`Store`] trait, the
//! versioned writes the engine hands it, and the errors it answers with.
//!
//! # What a store must guarantee
//!
//! A store applies a batch of [`Write`]s, each carrying a version. Every
//! write is *conditional*: it takes effect only where it is newer than what
//! the store already holds, so a retried, replayed or late batch can never
//! put an older value over a newer one (the "no regression" line of the
//! contract). In detail, for one key:
//!
//! - [`Change::Put`] at version `v` replaces the whole key (whatever its
//!   shape) if `v` is newer than the key's *reset version*, the version at
//!   which the key was last replaced or deleted. It then becomes the reset
//!   version.
//! - [`Change::Delete`] at `v` removes the key if `v` is newer than its reset
//!   version, and leaves `v` behind as a tombstone: a later-arriving write
//!   older than `v` is ignored.
//! - [`Change::Patch`] first resets the key at `reset` (if given, exactly as
//!   a delete), then sets or removes single fields, each with its own
//!   version; a field write applies only if its version is at least the
//!   key's reset version (a patch's fields may carry the same version as its
//!   own reset) and newer than the field's current version and the field's
//!   tombstone (a removed field leaves one).
//!
//! Every write also carries the key's expiry after it ([`Write::expires_at`]).
//! A store keeps, per key, the expiry of the newest put or patch that
//! applied (a reset forgets it) and hands it back with [`Store::load`]; the
//! engine, not the store, decides that an expired key is gone. A store that
//! can list keys by expiry ([`Store::list`] with [`Listing::Expired`]) lets
//! the engine delete expired keys nobody reads.
//!
//! Every key appears at most once in one batch, and writes in a batch are
//! independent of one another, so a store may apply them in any order.
//!
//! A store sorts its failures into a [`StoreErrorKind`]: the store cannot
//! be reached at all (unavailable: refused or reset connections, a
//! database shutting down), one attempt failed (transient: a deadlock, a
//! lock timeout), or the data itself was refused (permanent: a constraint, a
//! type). The engine treats the first as an outage (no batches sent, one
//! probe a second, flushing resumed as soon as the store answers), retries
//! the second with back-off for as long as it takes, and isolates the third,
//! retries it a few times and then moves it to the dead-letter queue.

use std::future::Future;

use bytes::Bytes;

use crate::value::{Entry, FieldValue, MapKind};

mod fault;
mod memory;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use fault::Faults;
pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous, WriterPriority};

/// One versioned write of one key, as the engine hands it to a store.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    /// The key.
    pub key: Bytes,
    /// The version of the newest write folded into this one. Versions are
    /// unique and increase with time, across restarts too.
    pub version: u64,
    /// What to do to the key.
    pub change: Change,
    /// When the key expires after this write (Unix milliseconds), or `None`
    /// for never. Meaningless for a delete.
    pub expires_at: Option<u64>,
}

impl Write {
    /// A write that leaves the key without an expiry.
    #[must_use]
    pub fn new(key: impl Into<Bytes>, version: u64, change: Change) -> Self {
        Write { key: key.into(), version, change, expires_at: None }
    }
}

/// What a [`Write`] does to its key.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Replace the whole key with a blob.
    Put(Bytes),
    /// Remove the key, leaving a tombstone at the write's version.
    Delete,
    /// Change single fields of a map.
    Patch {
        /// The shape of the map, which says where its fields are stored.
        kind: MapKind,
        /// If set, the key is first reset at this version, exactly as by a
        /// delete: everything older is gone (the key was deleted, replaced
        /// wholesale, or changed shape before these fields were written).
        reset: Option<u64>,
        /// The changed fields, each with its own version; at most one entry
        /// per field.
        fields: Vec<FieldChange>,
    },
}

/// One field of a [`Change::Patch`].
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    /// The field (a hash field or a scored member).
    pub field: Bytes,
    /// The version of the write that set or removed it.
    pub version: u64,
    /// The new value, or `None` to remove the field (leaving a tombstone).
    pub value: Option<FieldValue>,
}

/// What kind of failure a [`StoreError`] is: what the engine, and a caller
/// that meets it, can do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store cannot be reached at all: the connection was refused,
    /// reset or timed out, the database is shutting down or starting. The
    /// engine treats it as an outage (see the crate documentation): it stops
    /// sending batches, probes the store once a second and resumes when it
    /// answers; a read that needs the store meanwhile is refused at once.
    Unavailable,
    /// The store answered, and this one attempt failed: a deadlock, a
    /// serialization failure, a lock or statement timeout. The same batch is
    /// retried with exponential back-off and jitter.
    Transient,
    /// The store refused the data itself (a constraint, a type, a size):
    /// retrying will not cure it, and the write ends in the dead-letter queue.
    Permanent,
}

impl std::fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreErrorKind::Unavailable => "store unavailable",
            StoreErrorKind::Transient => "transient store error",
            StoreErrorKind::Permanent => "permanent store error",
        })
    }
}

/// A failure reported by a [`Store`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
}

impl StoreError {
    /// A failure that a later retry may not see: a deadlock, a lock or a
    /// statement timeout, a serialization failure.
    pub fn transient(message: impl Into<String>) -> Self {
        StoreError { kind: StoreErrorKind::Transient, message: message.into() }
    }

    /// The store cannot be reached: refused, reset or timed-out
    /// connections, a database shutting down or not yet accepting
    /// connections. Retrying may succeed once it is back.
    pub fn unavailable(message: impl Into<String>) -> Self {
        StoreError { kind: StoreErrorKind::Unavailable, message: message.into() }
    }

    /// A failure that retrying will not cure: the database refused the data
    /// (a constraint, a type, a size).
    pub fn permanent(message: impl Into<String>) -> Self {
        StoreError { kind: StoreErrorKind::Permanent, message: message.into() }
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Whether a retry may succeed: a transient failure, or an unavailable store.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.kind != StoreErrorKind::Permanent
    }

    /// Whether the store could not be reached at all.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        self.kind == StoreErrorKind::Unavailable
    }

    /// The store's own words for what went wrong.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A database that the cache writes behind into.
///
/// Implement it for your own database as you would Hazelcast's `MapStore`:
/// the engine calls [`Store::write`] with batches and [`Store::load`] on
/// cache misses. The module documentation states the conditional-write rules
/// a store must follow; [`MemoryStore`] is a small reference implementation.
pub trait Store: Send + Sync + 'static {
    /// Whether [`Store::check`] looks at writes at all. The engine builds
    /// the [`Write`] it checks only for a store that says so, so a store
    /// without checks costs nothing on the write path. Default: `false`.
    const CHECKS_WRITES: bool = false;

    /// Refuses a write the store can already tell it will refuse when it is
    /// flushed (a value too long for its column, a value that does not
    /// convert to the column's type), so that the engine refuses it when it
    /// is accepted instead of acknowledging it and dead-lettering it later.
    /// Called (only if [`Store::CHECKS_WRITES`]) under the key's lock for
    /// each write accepted, before it is logged: it must not block or do
    /// I/O. The write's versions are 0. The default accepts everything.
    ///
    /// # Errors
    ///
    /// A permanent [`StoreError`] that names what does not fit; the engine
    /// answers the write with [`crate::Error::Refused`].
    fn check(&self, write: &Write) -> Result<(), StoreError> {
        let _ = write;
        Ok(())
    }

    /// Applies a batch of writes, all or nothing, following the version rules
    /// above. On a permanent error the engine splits the batch to find the
    /// writes the store refuses, so a store need not report which row failed.
    fn write(&self, batch: &[Write]) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Loads one key's live value with its expiry, or `None` if the store
    /// has none. An expired key may be returned: the engine checks expiry.
    fn load(&self, key: &Bytes) -> impl Future<Output = Result<Option<Entry>, StoreError>> + Send;

    /// Loads several keys at once, as [`Store::load`] does each (the result
    /// in the same order). The engine calls it when a transaction over many
    /// keys finds several of them not resident; a store that can answer in
    /// one query should. The default loads them one by one.
    fn load_many(
        &self,
        keys: &[Bytes],
    ) -> impl Future<Output = Result<Vec<Option<Entry>>, StoreError>> + Send {
        async move {
            let mut entries = Vec::with_capacity(keys.len());
            for key in keys {
                entries.push(self.load(key).await?);
            }
            Ok(entries)
        }
    }

    /// The newest version the store holds for `key` in any row or
    /// tombstone (its value, a field, a delete's or a reset's tombstone),
    /// or `None` if it holds nothing of the key; `JOTTER.KEY key FROM-STORE`
    /// reports it beside the version the engine last saw acknowledged.
    /// Tombstones collected below the horizon are gone, so a deleted key
    /// may read `None` again. The default says `None`: a store that does
    /// not keep versions where it can read them back cannot tell.
    fn version_of(
        &self,
        key: &Bytes,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send {
        let _ = key;
        async { Ok(None) }
    }

    /// Asks, as cheaply as the store can, whether it answers: the engine
    /// calls it once a second while the store is unavailable, and resumes
    /// flushing once it succeeds. The default reads
    /// [`max_version`](Store::max_version); a SQL store should run `SELECT 1`.
    fn probe(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { self.max_version().await.map(|_| ()) }
    }

    /// The highest version the store holds in any row or tombstone, or 0.
    ///
    /// The engine starts its version clock above it, so that versions stay
    /// monotonic across restarts even if the machine's clock went back.
    fn max_version(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// One page of a key listing, in ascending byte order (see [`Page`]):
    /// the live keys ([`Store::keys`]) or the expired ones
    /// ([`Store::expired`]). A store implements this one method for both,
    /// so that a store wrapping another forwards listings in one place.
    ///
    /// The default lists no live keys (it says the store cannot, so
    /// `KEYS`, `SCAN` and `DBSIZE` in the server are refused) and finds no
    /// expired ones (expired keys leave such a store only when touched).
    fn list(&self, page: Page<'_>) -> impl Future<Output = Result<Vec<Bytes>, StoreError>> + Send {
        async move {
            match page.listing {
                Listing::Live => Err(StoreError::permanent("this store cannot list its keys")),
                Listing::Expired => Ok(Vec::new()),
            }
        }
    }

    /// Up to `limit` live keys in ascending byte order, all greater than
    /// `after` (from the first key if `None`). Keys whose expiry is at or
    /// before `now` (Unix milliseconds) are left out. Listing keys (`KEYS`,
    /// `SCAN`, `DBSIZE` in the server) needs it; it asks [`Store::list`].
    fn keys(
        &self,
        after: Option<&[u8]>,
        limit: usize,
        now: u64,
    ) -> impl Future<Output = Result<Vec<Bytes>, StoreError>> + Send {
        self.list(Page { listing: Listing::Live, after, limit, now })
    }

    /// Drops the rows that exist only to keep these rules and that no write
    /// at or above `horizon` can need: a key's reset or a field's tombstone
    /// older than `horizon`, and a map key's expiry record older than it
    /// that says "never" or whose fields are all gone. Every write the engine may still send is at or
    /// above the horizon (see [`CacheBuilder::collect_bookkeeping`](crate::CacheBuilder::collect_bookkeeping)), so
    /// whether such a row is there changes no outcome. Returns how many
    /// rows went. The engine calls it periodically; the default keeps
    /// everything.
    fn collect(&self, horizon: u64) -> impl Future<Output = Result<u64, StoreError>> + Send {
        let _ = horizon;
        async { Ok(0) }
    }

    /// Up to `limit` keys whose stored expiry is at or before `now` (Unix
    /// milliseconds), in ascending byte order, all greater than `after` (the
    /// engine sweeps in rounds and carries on where the last round ended, so
    /// keys it cannot delete yet do not hide the others); it asks
    /// [`Store::list`].
    fn expired(
        &self,
        now: u64,
        after: Option<&[u8]>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Bytes>, StoreError>> + Send {
        self.list(Page { listing: Listing::Expired, after, limit, now })
    }
}

/// Which keys a [`Page`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// The live keys whose expiry is after [`Page::now`] (or who have none).
    Live,
    /// The live keys whose stored expiry is at or before [`Page::now`].
    Expired,
}

/// One page of a key listing ([`Store::list`]): up to `limit` keys of the
/// kind `listing` asks for, in ascending byte order, all greater than
/// `after` (from the first key if `None`).
#[derive(Clone, Copy, Debug)]
pub struct Page<'a> {
    /// Live or expired keys.
    pub listing: Listing,
    /// The key the page starts after, or `None` for the first page.
    pub after: Option<&'a [u8]>,
    /// The most keys the page holds.
    pub limit: usize,
    /// The time (Unix milliseconds) expiry is judged at.
    pub now: u64,
}
