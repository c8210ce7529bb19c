//! Fault injection for test stores: make the next batches fail, refuse one
//! key for good, take the whole store down (every call unavailable) and
//! bring it back, add latency, or re-deliver old batches; and count the
//! write attempts and probes the store saw.
//!
//! A [`Faults`] handle is shared: a test keeps a clone and changes the
//! faults while the cache is running.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;

use super::{StoreError, Write};

/// A shared, changeable set of faults for a test store.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    inner: Arc<FaultState>,
}

#[derive(Debug, Default)]
struct FaultState {
    fail_writes: AtomicU64,
    fail_loads: AtomicU64,
    down: std::sync::atomic::AtomicBool,
    write_attempts: AtomicU64,
    probes: AtomicU64,
    latency_us: AtomicU64,
    rejected: Mutex<HashSet<Bytes>>,
    chaos: Mutex<Option<Chaos>>,
}

/// Re-delivery of old batches: with probability `p` after each batch, the
/// store applies the same batch again or an earlier one, as a network that
/// duplicates and reorders messages would.
#[derive(Debug)]
struct Chaos {
    rng: fastrand::Rng,
    p: f64,
    history: Vec<Vec<Write>>,
}

impl Faults {
    /// Makes the next `n` batch writes fail with a transient error.
    pub fn fail_next_writes(&self, n: u64) {
        self.inner.fail_writes.store(n, Ordering::SeqCst);
    }

    /// Makes the next `n` reads (loads, and the highest-version query at
    /// start) fail with a transient error.
    pub fn fail_next_loads(&self, n: u64) {
        self.inner.fail_loads.store(n, Ordering::SeqCst);
    }

    /// Takes the store down (`true`): every call fails as unavailable, as a
    /// database that refuses connections would; `false` brings it back.
    pub fn set_unavailable(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
    }

    /// Batch writes attempted so far, failed ones included.
    #[must_use]
    pub fn write_attempts(&self) -> u64 {
        self.inner.write_attempts.load(Ordering::SeqCst)
    }

    /// Probes ([`Store::probe`](crate::Store::probe)) answered so far.
    #[must_use]
    pub fn probes(&self) -> u64 {
        self.inner.probes.load(Ordering::SeqCst)
    }

    /// Refuses, with a permanent error, every batch that writes `key`.
    pub fn reject_key(&self, key: impl Into<Bytes>) {
        self.inner.rejected.lock().insert(key.into());
    }

    /// Stops refusing `key`.
    pub fn accept_key(&self, key: &[u8]) {
        self.inner.rejected.lock().remove(key);
    }

    /// Adds `latency` to every write and load.
    pub fn set_latency(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.inner.latency_us.store(us, Ordering::SeqCst);
    }

    /// After each applied batch, with probability `p`, re-applies that batch
    /// or an earlier one (seeded, so a failing test replays exactly).
    pub fn redeliver(&self, seed: u64, p: f64) {
        *self.inner.chaos.lock() =
            Some(Chaos { rng: fastrand::Rng::with_seed(seed), p, history: Vec::new() });
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_micros(self.inner.latency_us.load(Ordering::SeqCst))
    }

    /// The error this batch meets, if any.
    pub(crate) fn check_write(&self, batch: &[Write]) -> Result<(), StoreError> {
        self.inner.write_attempts.fetch_add(1, Ordering::SeqCst);
        self.check_up()?;
        if take_one(&self.inner.fail_writes) {
            return Err(StoreError::transient("injected fault: write failed"));
        }
        let rejected = self.inner.rejected.lock();
        if let Some(w) = batch.iter().find(|w| rejected.contains(&w.key)) {
            return Err(StoreError::permanent(format!(
                "injected fault: key {:?} refused",
                String::from_utf8_lossy(&w.key)
            )));
        }
        Ok(())
    }

    pub(crate) fn check_load(&self) -> Result<(), StoreError> {
        self.check_up()?;
        if take_one(&self.inner.fail_loads) {
            return Err(StoreError::transient("injected fault: load failed"));
        }
        Ok(())
    }

    /// A probe: counted, and answered unless the store is down.
    pub(crate) fn probe(&self) -> Result<(), StoreError> {
        self.inner.probes.fetch_add(1, Ordering::SeqCst);
        self.check_up()
    }

    /// The error a bookkeeping collection meets: only an outage.
    pub(crate) fn check_collect(&self) -> Result<(), StoreError> {
        self.check_up()
    }

    fn check_up(&self) -> Result<(), StoreError> {
        if self.inner.down.load(Ordering::SeqCst) {
            return Err(StoreError::unavailable("injected fault: connection refused"));
        }
        Ok(())
    }

    /// The old batches to re-apply after `batch` was applied.
    pub(crate) fn redeliveries(&self, batch: &[Write]) -> Vec<Vec<Write>> {
        let mut guard = self.inner.chaos.lock();
        let Some(chaos) = guard.as_mut() else { return Vec::new() };
        chaos.history.push(batch.to_vec());
        let mut out = Vec::new();
        if chaos.rng.f64() < chaos.p {
            let i = chaos.rng.usize(..chaos.history.len());
            out.push(chaos.history[i].clone());
        }
        out
    }
}

fn take_one(counter: &AtomicU64) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}
