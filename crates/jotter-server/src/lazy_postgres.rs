//! The PostgreSQL store, set up when the database first answers.
//!
//! Setting the store up means connecting, running the migrations and
//! checking the `[[mapping]]` sections against the user's tables. At start:
//!
//! - the database answers: it is set up there and then, and a mapping that
//!   does not fit stops the start, as it always did;
//! - the database cannot be reached: the server starts anyway (writes go to
//!   the log and memory, the engine's circuit is open), and the set-up runs
//!   on the first store call once the database answers, which is the
//!   engine's probe.
//!
//! If the set-up then fails although the database answered (a mapping that
//! does not fit, a schema newer than this binary), every store call reports
//! the store unavailable with that reason: flushing stays stopped, nothing is
//! lost or dead-lettered, the server keeps serving, the engine's store state
//! carries the reason, the failure is logged (once per distinct reason) and
//! the gauge `jotter_store_setup_failed` is 1. Each probe tries again, so
//! fixing the table is picked up without a restart.

use std::sync::Arc;

use jotter::StoreError;
use jotter_postgres::{MappedStore, Mapping, PostgresOptions, PostgresStore};
use parking_lot::Mutex;
use tokio::sync::OnceCell;

/// A PostgreSQL store that is set up on first use. Clones share it.
#[derive(Clone)]
pub(crate) struct LazyPostgres {
    inner: Arc<Lazy>,
}

struct Lazy {
    url: String,
    mappings: Vec<Mapping>,
    store: OnceCell<MappedStore>,
    /// The last set-up failure logged, so that a probe a second does not
    /// log the same one every second.
    failed: Mutex<Option<String>>,
}

impl std::fmt::Debug for LazyPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyPostgres").field("ready", &self.inner.store.initialized()).finish()
    }
}

impl LazyPostgres {
    /// Sets the store up now if the database answers; if it cannot be
    /// reached, leaves the set-up for later.
    ///
    /// # Errors
    ///
    /// The database answered and refused the set-up (a wrong mapping, a
    /// newer schema, a bad URL): the start stops with it.
    pub(crate) async fn open(url: &str, mappings: Vec<Mapping>) -> Result<Self, StoreError> {
        let lazy = LazyPostgres {
            inner: Arc::new(Lazy {
                url: url.to_owned(),
                mappings,
                store: OnceCell::new(),
                failed: Mutex::new(None),
            }),
        };
        match lazy.set_up().await {
            Ok(store) => {
                let _ = lazy.inner.store.set(store);
            }
            Err(e) if e.is_unavailable() => tracing::warn!(
                error = %jotter::LogText(e.message()),
                "PostgreSQL cannot be reached at start: serving anyway, writes go to the log and \
                 memory; the migrations and the [[mapping]] check run when it answers"
            ),
            Err(e) => return Err(e),
        }
        metrics::gauge!("jotter_store_setup_failed").set(0.0);
        Ok(lazy)
    }

    /// Connects, migrates and checks the mappings.
    async fn set_up(&self) -> Result<MappedStore, StoreError> {
        let store =
            PostgresStore::connect_with(&self.inner.url, PostgresOptions::default()).await?;
        MappedStore::new(store, self.inner.mappings.clone()).await
    }

    /// The store, if it is set up already.
    pub(crate) fn ready(&self) -> Option<&MappedStore> {
        self.inner.store.get()
    }

    /// The store, set up on first use.
    pub(crate) async fn get(&self) -> Result<&MappedStore, StoreError> {
        if let Some(store) = self.inner.store.get() {
            return Ok(store);
        }
        match self.inner.store.get_or_try_init(|| self.set_up()).await {
            Ok(store) => {
                if self.inner.failed.lock().take().is_some() {
                    tracing::info!("the PostgreSQL store is set up now; flushing resumes");
                    metrics::gauge!("jotter_store_setup_failed").set(0.0);
                }
                Ok(store)
            }
            Err(e) if e.is_unavailable() => Err(e),
            Err(e) => Err(self.set_up_failed(&e)),
        }
    }

    /// The database answered but the store cannot be set up: reported as
    /// unavailable, so that the engine keeps every write and flushes none.
    fn set_up_failed(&self, e: &StoreError) -> StoreError {
        let reason = e.message().to_owned();
        let mut failed = self.inner.failed.lock();
        if failed.as_deref() != Some(reason.as_str()) {
            tracing::error!(
                error = %reason,
                "PostgreSQL answers, but the store cannot be set up (migrations or the [[mapping]] \
                 check): flushing is stopped and nothing is lost; fix the tables or the [[mapping]] \
                 sections, and the next probe (once a second) picks it up, or restart"
            );
            metrics::gauge!("jotter_store_setup_failed").set(1.0);
            *failed = Some(reason.clone());
        }
        StoreError::unavailable(format!(
            "the store cannot be set up: {reason}; flushing is stopped until it is fixed"
        ))
    }
}
