//! The prober: while the store is unavailable (`outage.rs`), asks once a
//! second whether it is back, and closes the circuit when it answers.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::Inner;
use crate::store::Store;

/// How often the store is probed while it is unavailable.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// How long one probe may take before it counts as unanswered: a connect
/// into a black hole is given up after this, while a store that sets
/// itself up on its first answer (migrations) has time to.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The prober: while the store is unavailable, asks once a second whether
/// it is back; when it is, raises the version clock above the store's
/// highest version (a start without the store, or another writer during
/// the outage, may have left it below) and closes the circuit. Runs until
/// the cache stops.
pub(crate) async fn probe<S: Store>(inner: Arc<Inner<S>>) {
    let health = &inner.health;
    loop {
        tokio::select! {
            () = health.wait_down() => {}
            () = inner.cancel.cancelled() => return,
        }
        while !health.is_up() {
            tokio::select! {
                () = tokio::time::sleep(PROBE_EVERY) => {}
                () = inner.cancel.cancelled() => return,
            }
            health.set_probing(true);
            metrics::counter!("jotter_store_probes_total").increment(1);
            let answer = tokio::time::timeout(PROBE_TIMEOUT, async {
                inner.store.probe().await?;
                inner.store.max_version().await
            })
            .await;
            let pending = inner.bound.used().0;
            match answer {
                Ok(Ok(max)) => {
                    // Before any batch goes: a write versioned from now on
                    // is newer than everything the store holds.
                    inner.clock.raise(max);
                    health.recover(pending);
                }
                Ok(Err(e)) => {
                    health.still_down(e.message().to_owned(), pending, inner.oldest_pending())
                }
                Err(_) => health.still_down(
                    format!("the probe got no answer within {PROBE_TIMEOUT:?}"),
                    pending,
                    inner.oldest_pending(),
                ),
            }
        }
    }
}
