//! Store outages: whether the store answers, as a state rather than a retry
//! count.
//!
//! An error of kind [`StoreErrorKind::Unavailable`](crate::store::StoreErrorKind)
//! (a refused or reset connection, a database shutting down) opens the
//! circuit. While it is open:
//!
//! - the flush workers send no batches; they wait (no spinning, no per-batch
//!   back-off), so pending writes keep coalescing in memory and the log;
//! - one probe a second ([`Store::probe`]) asks whether the store is back;
//!   when it answers, the version clock is raised above the store's highest
//!   version and the circuit closes, so flushing resumes within about a
//!   second of the store answering;
//! - a read that needs the store (a miss, a listing) is refused at once with
//!   an unavailable [`StoreError`] instead of waiting for a connect timeout;
//!   a read of a key held in memory, and every write, go on as usual.
//!
//! Writes accepted while the store was unreachable are versioned by the
//! clock saved in the data directory (plus a margin) and the wall clock. They
//! sit below a version the store holds for their key only if another writer
//! (or this machine before its clock was set back) wrote that key ahead of
//! this clock; the store then keeps the newer-versioned row, as the
//! no-regression rule says. Writes versioned after the store answered are
//! above everything it holds.
//!
//! The outage is logged once when it begins, then every [`LOG_EVERY`] with
//! the pending depth, and once when it ends; never once per batch. Writes
//! that fail because the store is unavailable never count toward
//! dead-lettering.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::loggable::LogText;
use crate::store::StoreError;

/// How often an ongoing outage is logged again.
pub(crate) const LOG_EVERY: Duration = Duration::from_secs(30);

/// The store's state as the engine sees it, from [`Cache::store_state`](crate::Cache::store_state).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreState {
    /// The store answers; batches flow.
    Up,
    /// The store cannot be reached: no batches are sent, a probe asks once a
    /// second whether it is back, and reads that need the store are refused.
    Unavailable {
        /// When the outage began (the first failure that found it).
        since: SystemTime,
        /// How long it has lasted.
        lasted: Duration,
        /// The last error, in the store's words.
        error: String,
        /// Whether a probe is in flight now.
        probing: bool,
    },
}

/// An ongoing outage.
#[derive(Debug)]
struct Down {
    since: SystemTime,
    began: Instant,
    error: String,
    probing: bool,
    logged: Instant,
}

/// The circuit: shared by the workers, the read path and the prober.
#[derive(Debug)]
pub(crate) struct StoreHealth {
    /// Whether the store answers; read on every batch and every miss.
    up: AtomicBool,
    down: Mutex<Option<Down>>,
    /// Follows `up`, for the workers and the prober to wait on.
    watch: watch::Sender<bool>,
}

impl Default for StoreHealth {
    fn default() -> Self {
        StoreHealth {
            up: AtomicBool::new(true),
            down: Mutex::new(None),
            watch: watch::Sender::new(true),
        }
    }
}

impl StoreHealth {
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Opens the circuit on an unavailable error (logged once, when the
    /// outage begins); during an outage, keeps the error as the last one.
    pub(crate) fn trip(&self, error: &StoreError, pending: u64) {
        let mut down = self.down.lock();
        match down.as_mut() {
            Some(d) => d.error = error.message().to_owned(),
            None => {
                tracing::warn!(
                    error = %LogText(error.message()),
                    pending,
                    "the store is unavailable: writes are kept in memory and the log, \
                     no batches are sent, and a probe asks once a second whether it is back"
                );
                let now = Instant::now();
                *down = Some(Down {
                    since: SystemTime::now(),
                    began: now,
                    error: error.message().to_owned(),
                    probing: false,
                    logged: now,
                });
                self.up.store(false, Ordering::Release);
                self.watch.send_replace(false);
                metrics::counter!("jotter_store_outages_total").increment(1);
                publish(false, Duration::ZERO);
            }
        }
    }

    /// The error a read that needs the store gets while it is unavailable.
    pub(crate) fn refusal(&self) -> Option<StoreError> {
        if self.is_up() {
            return None;
        }
        let down = self.down.lock();
        let d = down.as_ref()?;
        Some(StoreError::unavailable(format!(
            "{} (unreachable for {}s; this needs a value not in memory: retry once the store is back)",
            d.error,
            d.began.elapsed().as_secs()
        )))
    }

    /// Waits until the store answers.
    pub(crate) async fn wait_up(&self) {
        let mut rx = self.watch.subscribe();
        let _ = rx.wait_for(|up| *up).await;
    }

    /// Waits until the store is unavailable.
    pub(crate) async fn wait_down(&self) {
        let mut rx = self.watch.subscribe();
        let _ = rx.wait_for(|up| !*up).await;
    }

    pub(crate) fn set_probing(&self, probing: bool) {
        if let Some(d) = self.down.lock().as_mut() {
            d.probing = probing;
        }
    }

    /// A probe failed: keeps its error, and logs the outage again if
    /// [`LOG_EVERY`] has passed since the last line.
    pub(crate) fn still_down(&self, error: String, pending: u64, oldest: Option<Duration>) {
        let mut down = self.down.lock();
        let Some(d) = down.as_mut() else { return };
        d.error = error;
        d.probing = false;
        if d.logged.elapsed() >= LOG_EVERY {
            d.logged = Instant::now();
            tracing::warn!(
                error = %LogText(&d.error),
                unavailable_for_s = d.began.elapsed().as_secs(),
                pending,
                oldest_pending_s = oldest.map_or(0, |o| o.as_secs()),
                "the store is still unavailable; writes are kept in memory and the log"
            );
        }
    }

    /// Closes the circuit: the store answers again.
    pub(crate) fn recover(&self, pending: u64) {
        let Some(d) = self.down.lock().take() else { return };
        tracing::info!(
            unavailable_for_ms = u64::try_from(d.began.elapsed().as_millis()).unwrap_or(u64::MAX),
            pending,
            "the store answers again; flushing resumes"
        );
        self.up.store(true, Ordering::Release);
        self.watch.send_replace(true);
        publish(true, Duration::ZERO);
    }

    /// The public view.
    pub(crate) fn state(&self) -> StoreState {
        match self.down.lock().as_ref() {
            None => StoreState::Up,
            Some(d) => StoreState::Unavailable {
                since: d.since,
                lasted: d.began.elapsed(),
                error: d.error.clone(),
                probing: d.probing,
            },
        }
    }

    /// How long the current outage has lasted, if there is one.
    pub(crate) fn unavailable_for(&self) -> Option<Duration> {
        self.down.lock().as_ref().map(|d| d.began.elapsed())
    }

    /// Brings the gauges up to date (called with the other metrics).
    pub(crate) fn publish(&self) {
        let lasted = self.unavailable_for();
        publish(lasted.is_none(), lasted.unwrap_or_default());
    }
}

fn publish(up: bool, lasted: Duration) {
    metrics::gauge!("jotter_store_up").set(if up { 1.0 } else { 0.0 });
    metrics::gauge!("jotter_store_unavailable_seconds").set(lasted.as_secs_f64());
}
