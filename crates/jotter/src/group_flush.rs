//! Multi-key transactions on their way to the store. A transaction's ops
//! wait until each is its key's front op (older writes of its keys go
//! first, by their workers); then they are taken together as one group, and
//! one task writes every group that is ready in one store batch, so a
//! stream of transactions costs a store commit per round, not one per
//! transaction. A store batch is atomic, so each group still lands whole
//! or not at all; a write the store refuses for good is isolated and
//! dead-lettered as in any batch (the rest of its group lands).
//!
//! While a group is in flight its ops count as direct writes, so barriers
//! wait for them.

use std::sync::Arc;

use crate::batch::Batch;
use crate::engine::Inner;
use crate::flusher::{complete_direct, flush};
use crate::op::Group;
use crate::shard::Taken;
use crate::store::Store;

/// Waits until every op of `group` is its key's front op, takes them and
/// hands them to the group writer.
pub(crate) async fn flush_group<S: Store>(inner: Arc<Inner<S>>, group: Arc<Group>) {
    loop {
        if let Some(batch) = take_group(&inner, &group) {
            inner.ready_groups().push(batch);
            return;
        }
        // Woken when an older write of one of its keys is finished and one
        // of its ops becomes the front op (the permit is kept if that
        // happened since the look above).
        tokio::select! {
            () = group.fronted.notified() => {}
            () = inner.stopped() => return,
        }
    }
}

/// The group's ops, marked in flight, if every one of them is its key's
/// front op; otherwise nothing is taken.
fn take_group<S: Store>(inner: &Inner<S>, group: &Arc<Group>) -> Option<Batch> {
    for (s, key) in &group.keys {
        if !inner.buffer().lock(*s).fronts_group(key, group) {
            return None;
        }
    }
    // Nothing else takes a grouped front op, so they are still there.
    let mut batch = Batch::default();
    for (s, key) in &group.keys {
        let Some(Taken { write, first_version }) = inner.buffer().lock(*s).take_grouped(key) else {
            continue;
        };
        batch.push(write, *s, first_version);
    }
    Some(batch)
}

/// The group writer: writes the ready groups, as many as a batch holds,
/// one batch at a time, until the cache is cancelled.
pub(crate) async fn run<S: Store>(inner: Arc<Inner<S>>) {
    let mut rng = fastrand::Rng::new();
    let ready = inner.ready_groups();
    loop {
        let Some(batch) = ready.take(inner.config().batch_size) else {
            tokio::select! {
                () = ready.notified() => continue,
                () = inner.stopped() => return,
            }
        };
        tokio::select! {
            outcomes = flush(&inner, batch.writes(), &mut rng) => {
                complete_direct(&inner, batch, outcomes);
            }
            () = inner.stopped() => return,
        }
        // The workers publish watermarks past the groups' writes now.
        inner.wake_workers();
        inner.room_freed();
    }
}
