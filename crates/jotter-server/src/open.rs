//! Opening the store and the cache as the settings say: the one way
//! `jotter serve` and the operator's commands on a data directory
//! (`jotter dead-letters --data-dir`) start the engine, so both see the same
//! data directory, store and queue bounds.

use anyhow::Context as _;
use jotter::Cache;

use crate::backend::Backend;
use crate::config::{self, Config, FullPolicySetting};

/// Creates the data directory if needed, opens the configured store and
/// starts the cache on both (replaying the write-ahead log).
pub(crate) async fn cache(config: &Config) -> anyhow::Result<Cache<Backend>> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data-dir {}", config.data_dir.display()))?;
    let store = Backend::open(config).await?;
    build(config, store).await
}

async fn build(config: &Config, store: Backend) -> anyhow::Result<Cache<Backend>> {
    // Known keys assume the server is the store's only writer: true of its
    // own SQLite file, not to be assumed of a database others may share.
    let known_keys = config.known_keys == config::YesNo::Yes && !store.is_shared();
    let policy = match config.full_policy {
        FullPolicySetting::Block => jotter::FullPolicy::Block { timeout: config.block_timeout.0 },
        FullPolicySetting::Reject => jotter::FullPolicy::Reject,
        FullPolicySetting::WriteThrough => jotter::FullPolicy::WriteThrough,
    };
    let mut builder = Cache::builder(store)
        .batch_size(config.batch_size)
        .flush_interval(config.flush_interval.0)
        .max_pending_entries(config.max_pending)
        .max_pending_bytes(config.max_pending_bytes.0.0)
        .cache_bytes(config.cache_bytes.0.0)
        .known_keys(known_keys)
        .full_policy(policy)
        .collect_bookkeeping(config.bookkeeping_retention.0, config.bookkeeping_interval.0)
        .data_dir(&config.data_dir, config.fsync.engine());
    if config.flush_workers > 0 {
        builder = builder.flush_workers(config.flush_workers);
    }
    if config.maxmemory.0.0 > 0 {
        builder = builder.max_memory(config.maxmemory.0.0);
    }
    if config.max_store_writes_per_sec > 0 {
        builder = builder.max_store_writes_per_sec(config.max_store_writes_per_sec);
    }
    builder.build().await.context("cannot start the cache")
}
