//! `jotter dead-letters ... --data-dir DIR` (or `--config FILE`): the queue
//! of a data directory no server holds, through the engine itself.
//!
//! The log's lock says whether a server holds the directory; if one does, the
//! command stops and says to reach that server instead. If none does, the
//! engine starts on it exactly as `jotter serve` starts it (`open.rs`: the
//! same store, bounds and log), the command runs through the engine's
//! dead-letter API, and the engine stops, draining to the store what its log
//! held.
//!
//! The store: `list` and `purge` need only the saved queue, so a PostgreSQL
//! store that cannot be reached does not stop them (the engine starts without
//! it, as the server does); writes the log held then stay in it, for the
//! server's next start, once `shutdown-timeout` has passed. `replay` needs
//! the store: letters it cannot reach stay, as transient failures.

use std::time::Duration;

use anyhow::Context as _;
use jotter::{Cache, DataDir, Selection};

use super::dead_letters::{Page, Queue};
use super::letter::Letter;
use crate::backend::Backend;
use crate::config::Config;

/// A data directory's engine, running for one command.
pub(crate) struct Offline {
    cache: Cache<Backend>,
    timeout: Duration,
}

impl Offline {
    /// Starts the engine on `config`'s data directory, unless a server holds
    /// it or there is none.
    pub(crate) async fn open(config: &Config) -> anyhow::Result<Offline> {
        let dir = &config.data_dir;
        if !dir.is_dir() {
            anyhow::bail!(
                "there is no data directory at {} (data-dir): give the one the server ran with",
                dir.display()
            );
        }
        let holder = DataDir::new(dir).log_holder().context("cannot check the log's lock")?;
        if let Some(pid) = holder {
            let pid = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
            anyhow::bail!(
                "a running server holds {}{pid}; run the command against it with -h HOST -p PORT",
                dir.display()
            );
        }
        let cache = crate::open::cache(config).await?;
        Ok(Offline { cache, timeout: config.shutdown_timeout.0 })
    }

    /// Stops the engine, draining what its log held to the store for up to
    /// `shutdown-timeout`; what is left stays in the log.
    pub(crate) async fn close(self) {
        let report = self.cache.shutdown(self.timeout).await;
        if !report.drained {
            tracing::warn!(
                pending = report.pending_entries,
                "writes of the log did not reach the store; they stay in the log, and the server \
                 writes them when it starts"
            );
        }
    }
}

impl Queue for Offline {
    async fn count(&mut self) -> anyhow::Result<u64> {
        Ok(self.cache.dead_letter_count())
    }

    async fn page(&mut self, cursor: &str, count: u64) -> anyhow::Result<Page> {
        let after: u64 = cursor.parse().with_context(|| {
            format!("invalid cursor '{cursor}': give 0, or the cursor a page printed")
        })?;
        let limit = usize::try_from(count).unwrap_or(usize::MAX);
        let (letters, next) = self.cache.dead_letters_page(after, limit);
        Ok(Page {
            next: next.map_or_else(|| "0".to_owned(), |n| n.to_string()),
            letters: letters.iter().map(Letter::from).collect(),
        })
    }

    async fn replay(&mut self, ids: &[u64]) -> anyhow::Result<u64> {
        let report = self.cache.replay_dead_letters_of(&Selection::Ids(ids.to_vec())).await;
        Ok((report.replayed + report.superseded) as u64)
    }

    async fn purge(&mut self, ids: &[u64]) -> anyhow::Result<u64> {
        Ok(self.cache.purge_dead_letters_of_ids(&Selection::Ids(ids.to_vec())) as u64)
    }
}
