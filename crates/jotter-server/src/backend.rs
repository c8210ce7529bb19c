//! The store the server writes behind into, chosen by the `store` setting:
//! SQLite in the data directory (`sqlite:PATH`, the default) or PostgreSQL
//! (`postgres://...`). One enum rather than a boxed trait object, so the
//! engine stays generic over one concrete type and each store call is a
//! `match`, not an allocation. A PostgreSQL store is always wrapped in a
//! `MappedStore`, which writes the keys of the `[[mapping]]` sections into
//! the user's own tables (and passes everything through without any), and
//! set up when the database first answers (`lazy_postgres.rs`), so that the
//! server starts while it cannot be reached.

use std::path::Path;

use anyhow::Context as _;
use bytes::Bytes;
use jotter::{Entry, Page, SqliteOptions, SqliteStore, Store, StoreError, Write, WriterPriority};
use jotter_postgres::MappedStore;

use crate::config::{Config, FlushPriority, StoreUrl};
use crate::lazy_postgres::LazyPostgres;

#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite(SqliteStore),
    /// With the `[[mapping]]`s, if any; without, a pass-through.
    Postgres(LazyPostgres),
}

impl Backend {
    /// Opens the configured store (creating the SQLite file, or the
    /// PostgreSQL schema, if missing). A PostgreSQL database that cannot be
    /// reached is not an error: it is set up when it answers.
    pub(crate) async fn open(config: &Config) -> anyhow::Result<Backend> {
        match &config.store {
            StoreUrl::Sqlite(_) => {
                let path = config.sqlite_path().expect("an SQLite store has a path");
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                open_sqlite(&path, config.flush_priority)
            }
            StoreUrl::Postgres(url) => {
                let mappings =
                    config.mapping.iter().map(|m| m.to_mapping()).collect::<Result<Vec<_>, _>>()?;
                let store = LazyPostgres::open(url, mappings).await.context(
                    "cannot open the PostgreSQL store (store = \"postgres://...\", [[mapping]])",
                )?;
                Ok(Backend::Postgres(store))
            }
        }
    }

    /// Whether anything but this server may write the store: a PostgreSQL
    /// database is shared by nature, the SQLite file in the data directory
    /// is the server's own.
    pub(crate) fn is_shared(&self) -> bool {
        matches!(self, Backend::Postgres(_))
    }
}

fn open_sqlite(path: &Path, priority: FlushPriority) -> anyhow::Result<Backend> {
    let writer_priority = match priority {
        FlushPriority::Background => WriterPriority::Background,
        FlushPriority::Nice => WriterPriority::Nice,
        FlushPriority::Normal => WriterPriority::Normal,
    };
    let options = SqliteOptions { writer_priority, ..SqliteOptions::default() };
    let store = SqliteStore::open_with(path, options)
        .with_context(|| format!("cannot open the SQLite store {}", path.display()))?;
    Ok(Backend::Sqlite(store))
}

impl Store for Backend {
    const CHECKS_WRITES: bool = MappedStore::CHECKS_WRITES;

    fn check(&self, write: &Write) -> Result<(), StoreError> {
        match self {
            Backend::Sqlite(_) => Ok(()),
            // Until the store is set up its columns are unknown: the write is
            // accepted and, if it does not fit, dead-lettered at flush.
            Backend::Postgres(s) => s.ready().map_or(Ok(()), |store| store.check(write)),
        }
    }

    async fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        match self {
            Backend::Sqlite(s) => s.collect(horizon).await,
            Backend::Postgres(s) => s.get().await?.collect(horizon).await,
        }
    }

    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        match self {
            Backend::Sqlite(s) => s.write(batch).await,
            Backend::Postgres(s) => s.get().await?.write(batch).await,
        }
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        match self {
            Backend::Sqlite(s) => s.load(key).await,
            Backend::Postgres(s) => s.get().await?.load(key).await,
        }
    }

    async fn version_of(&self, key: &Bytes) -> Result<Option<u64>, StoreError> {
        match self {
            Backend::Sqlite(s) => s.version_of(key).await,
            Backend::Postgres(s) => s.get().await?.version_of(key).await,
        }
    }

    async fn probe(&self) -> Result<(), StoreError> {
        match self {
            Backend::Sqlite(s) => s.probe().await,
            Backend::Postgres(s) => s.get().await?.probe().await,
        }
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        match self {
            Backend::Sqlite(s) => s.max_version().await,
            Backend::Postgres(s) => s.get().await?.max_version().await,
        }
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<Bytes>, StoreError> {
        match self {
            Backend::Sqlite(s) => s.list(page).await,
            Backend::Postgres(s) => s.get().await?.list(page).await,
        }
    }
}
