//! Write-behind into the user's own tables: [`MappedStore`] sends the keys
//! that match a [`Mapping`] (a key prefix such as `user:*`) to a table the
//! user owns, one row per key (per member, for a geo set), and every other
//! key to the wrapped
//! [`PostgresStore`].
//!
//! # The shape of a mapped key
//!
//! The key's suffix after the prefix goes into the mapping's key column,
//! converted to that column's type (`user:42` → `id = 42`). A hash mapping
//! ([`Shape::Hash`]) writes each hash field into the column of the same
//! name; a string mapping ([`Shape::String`]) writes the value into one
//! column. Values are sent as text and converted by PostgreSQL to the
//! column's type (`bytea` columns take the bytes as they are). A field with
//! no column, a value that does not convert, or a write of the wrong shape
//! (a `SET` on a hash mapping) is a permanent error of that write alone,
//! whose message names the key, the field, the column and the value's
//! length (never the value: messages reach logs). What
//! the column types read at start show cannot fit is refused when the
//! engine accepts the write ([`jotter::Store::check`], see the `admit`
//! module); the rest, which only the database can judge, when it is
//! flushed: the engine isolates it and dead-letters it, and the rest of its
//! batch lands.
//!
//! A geo mapping ([`Shape::Geo`]) writes each member of a geo set as a row,
//! its position (decoded from its score as GEOPOS gives it) into a
//! longitude and a latitude column, and reads the rows back as the geo set
//! (see the `geo` module).
//!
//! A stream mapping ([`Shape::Stream`]) appends each entry as a row, the
//! entry's fields into the columns of the same names and its id into a
//! column a unique constraint covers (see the `stream` module). Its keys
//! are also written to the wrapped store, as any stream: the stream reads
//! back (after an eviction or a restart) from the store's own tables, with
//! its consumer groups, bounded by its trims; the user's table is an
//! append-only copy of every entry, which only XDEL deletes from (trims,
//! DEL and rewrites of the key leave it).
//!
//! # Versions
//!
//! The user's table is never altered. The versions that keep the contract
//! (no regression, tombstones) live in `jotter_mapped_versions`, created by
//! the store's migrations: per table and key, the reset version under field
//! `''` and each column's version under its name. The rules are those of
//! [`jotter::MemoryStore`]: a delete, a whole replace or a patch's reset at
//! `v` applies if `v` is newer than the reset version, clears the row (or,
//! if some columns were written later, only the older columns) and forgets
//! the column versions at or below `v`; a field write applies if its
//! version is at least the reset version and newer than the column's
//! version; a removed field sets its column to `NULL` and keeps its version
//! as a tombstone. The user's row and the versions change in the same
//! transaction, under a transaction-level advisory lock per key.
//!
//! # Limits
//!
//! - **No expiry.** A mapped row has nowhere to keep an expiry: the expiry
//!   of a mapped write is ignored, so `EXPIRE` on a mapped key does not
//!   reach the table, and the engine forgets it at the next load.
//! - **Two transactions per batch.** The unmapped writes of a batch go to
//!   the inner store in its transaction, the mapped ones in another. If the
//!   second fails, the engine retries the whole batch; the first part is
//!   applied again, which its versions make harmless.
//! - **Row by row.** Mapped writes take a few statements each, not one
//!   set-based statement per batch as the inner store does.
//! - **Read-back is text.** A load returns each non-`NULL` column in its
//!   PostgreSQL text form (`bytea` as its bytes), so `10.50` may come back
//!   as `10.5` and a timestamp in PostgreSQL's format.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use jotter::{Entry, Listing, Page, Store, StoreError, Write};

use crate::PostgresStore;
use crate::error::PgError;
use checked::{Checked, check, route};

mod admit;
mod checked;
mod column;
mod definition;
mod fits;
mod geo;
mod geo_sql;
mod read;
mod stream;
mod stream_sql;
mod versions;
mod write;

pub use definition::{ColumnType, Mapping, MappingError, Shape};

const MAX_VERSION: &str = "SELECT max(version) FROM jotter_mapped_versions";

/// A [`Store`] that writes keys matching its [`Mapping`]s into the user's
/// tables and every other key into the wrapped [`PostgresStore`]. Without
/// mappings it passes everything through. Clones share the pool.
#[derive(Clone, Debug)]
pub struct MappedStore {
    inner: PostgresStore,
    mappings: Arc<[Checked]>,
    copied: Arc<AtomicU64>,
}

impl MappedStore {
    /// Wraps `inner` with `mappings`, after checking each against the
    /// database: its table and columns exist and their types can hold the
    /// declared ones.
    ///
    /// # Errors
    ///
    /// A [`MappingError`] (permanent) saying what to fix, or the database
    /// cannot be reached (transient).
    pub async fn new(
        inner: PostgresStore,
        mappings: Vec<Mapping>,
    ) -> Result<MappedStore, StoreError> {
        for (i, a) in mappings.iter().enumerate() {
            for b in &mappings[..i] {
                if a.prefix().starts_with(b.prefix()) || b.prefix().starts_with(a.prefix()) {
                    return Err(MappingError::Overlap {
                        first: b.pattern.clone(),
                        second: a.pattern.clone(),
                    }
                    .into());
                }
            }
        }
        let mut checked = Vec::with_capacity(mappings.len());
        for m in mappings {
            checked.push(check(&inner, m).await?);
        }
        Ok(MappedStore { inner, mappings: checked.into(), copied: Arc::default() })
    }

    /// The wrapped store.
    #[must_use]
    pub fn inner(&self) -> &PostgresStore {
        &self.inner
    }

    /// How many stream entries went into users' tables by `COPY` (a large
    /// batch's path), since the store was made.
    #[must_use]
    pub fn entries_copied(&self) -> u64 {
        self.copied.load(Ordering::Relaxed)
    }

    fn route(&self, key: &[u8]) -> Option<&Checked> {
        route(&self.mappings, key)
    }

    /// The mapping of a key that reads back from the user's table: a
    /// stream mapping's keys read back from the wrapped store.
    fn route_read(&self, key: &[u8]) -> Option<&Checked> {
        self.route(key).filter(|m| !m.mapping.is_stream())
    }
}

impl Store for MappedStore {
    const CHECKS_WRITES: bool = true;

    async fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        // The inner store's collection covers the mapped versions too.
        self.inner.collect(horizon).await
    }

    fn check(&self, write: &Write) -> Result<(), StoreError> {
        match self.route(&write.key) {
            None => Ok(()),
            Some(m) if m.mapping.is_geo() => Ok(geo::check(m, write)?),
            Some(m) => Ok(admit::check(m, write)?),
        }
    }

    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        if self.mappings.is_empty() {
            return self.inner.write(batch).await;
        }
        let mapped: Vec<&Write> = batch.iter().filter(|w| self.route(&w.key).is_some()).collect();
        if mapped.is_empty() {
            return self.inner.write(batch).await;
        }
        // A stream mapping's writes go to the wrapped store too (see the
        // module documentation).
        let plain: Vec<Write> =
            batch.iter().filter(|w| self.route_read(&w.key).is_none()).cloned().collect();
        if !plain.is_empty() {
            self.inner.write(&plain).await?;
        }
        Ok(write::write(&self.inner, &self.mappings, &mapped, &self.copied).await?)
    }

    async fn load_many(&self, keys: &[Bytes]) -> Result<Vec<Option<Entry>>, StoreError> {
        // The keys of the store's own tables in one query; mapped ones row
        // by row from their tables.
        let plain: Vec<Bytes> =
            keys.iter().filter(|k| self.route_read(k).is_none()).cloned().collect();
        let mut plain_entries = self.inner.load_many(&plain).await?.into_iter();
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            entries.push(match self.route_read(key) {
                None => plain_entries.next().flatten(),
                Some(_) => self.load(key).await?,
            });
        }
        Ok(entries)
    }

    async fn version_of(&self, key: &Bytes) -> Result<Option<u64>, StoreError> {
        // A mapped key's rows are the user's, whose columns need not keep
        // the version: the store cannot tell.
        match self.route_read(key) {
            None => self.inner.version_of(key).await,
            Some(_) => Ok(None),
        }
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        let Some(m) = self.route_read(key) else { return self.inner.load(key).await };
        read::load(&self.inner, m, key).await
    }

    async fn probe(&self) -> Result<(), StoreError> {
        self.inner.probe().await
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        let inner = self.inner.max_version().await?;
        if self.mappings.is_empty() {
            return Ok(inner);
        }
        let context = "postgres max_version of mapped tables";
        let client = self.inner.client(context).await?;
        let row = client.query_one(MAX_VERSION, &[]).await.map_err(PgError::db(context))?;
        let mapped: Option<i64> = row.get(0);
        Ok(inner.max(mapped.and_then(|v| u64::try_from(v).ok()).unwrap_or(0)))
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<Bytes>, StoreError> {
        let mut keys = self.inner.list(page).await?;
        // Mapped keys never expire (see the module documentation).
        if page.listing == Listing::Expired {
            return Ok(keys);
        }
        let n = i64::try_from(page.limit).unwrap_or(i64::MAX);
        for m in self.mappings.iter().filter(|m| !m.mapping.is_stream()) {
            keys.extend(read::keys(&self.inner, m, page.after, n).await?);
        }
        keys.sort();
        keys.dedup();
        keys.truncate(page.limit);
        Ok(keys)
    }
}
