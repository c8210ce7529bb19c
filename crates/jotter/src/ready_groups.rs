//! Transactions' groups taken from the buffer and waiting for the group
//! writer (`group_flush.rs`), oldest first, each kept whole.

use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::batch::Batch;

/// Groups taken and waiting for the group writer.
#[derive(Default)]
pub(crate) struct ReadyGroups {
    batches: Mutex<Vec<Batch>>,
    wake: Notify,
}

impl std::fmt::Debug for ReadyGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadyGroups").field("waiting", &self.batches.lock().len()).finish()
    }
}

impl ReadyGroups {
    pub(crate) fn push(&self, batch: Batch) {
        self.batches.lock().push(batch);
        self.wake.notify_one();
    }

    /// Resolves once a group was pushed since the last take (a push
    /// before the wait is not missed).
    pub(crate) async fn notified(&self) {
        self.wake.notified().await;
    }

    /// Whole groups, oldest first, until they hold `max` writes (at least
    /// one group, however large: a group is never split).
    pub(crate) fn take(&self, max: usize) -> Option<Batch> {
        let mut waiting = self.batches.lock();
        if waiting.is_empty() {
            return None;
        }
        let mut n = 0;
        let mut groups = 0;
        while groups < waiting.len() && (groups == 0 || n + waiting[groups].len() <= max) {
            n += waiting[groups].len();
            groups += 1;
        }
        let mut merged = Batch::default();
        for group in waiting.drain(..groups) {
            merged.append(group);
        }
        Some(merged)
    }
}
