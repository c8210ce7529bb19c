//! Replaying dead letters: each picked letter is written to the store again
//! with its original version, unless the key was written since.
//!
//! A replay never regresses a key. A letter whose key has a write pending
//! in the buffer, or a newer dead letter, is *superseded*: the newer write
//! is what the key should hold, so the letter is only removed. The others
//! go to the store in batches, each write carrying its original version, so
//! a store that already holds something newer of the key ignores it (the
//! conditional write of `store/mod.rs`). A batch the store refuses is sent
//! again one write at a time, as the flusher isolates refused writes, so
//! one bad letter does not keep the rest out.
//!
//! A letter leaves the queue only after the store acknowledged it, and each
//! batch's outcome is saved in one rewrite of the queue's file: a crash in
//! the middle of a replay loses no letter (at worst, one the store took is
//! replayed again, which the store's version check makes harmless).

use bytes::Bytes;

use super::{DeadLetter, ReplayReport, Selection, Settled};
use crate::engine::Inner;
use crate::store::{Store, Write};

/// Writes sent to the store in one batch of a replay.
const BATCH: usize = 256;

impl<S: Store> Inner<S> {
    /// Replays the letters `selection` picks (see the module doc).
    pub(crate) async fn replay_dead_letters(&self, selection: &Selection) -> ReplayReport {
        let dead = &self.progress().dead;
        let mut report = ReplayReport::default();
        let mut superseded = Vec::new();
        let mut to_write: Vec<DeadLetter> = Vec::new();
        for letter in dead.selected(selection) {
            if self.written_since(&letter) {
                superseded.push((letter.id(), Settled::Gone));
            } else {
                to_write.push(letter);
            }
        }
        report.superseded = dead.settle(superseded);
        // Only the newest letter of a key is written (older ones are
        // superseded above), so every key is at most once in a batch.
        for chunk in to_write.chunks(BATCH) {
            let writes: Vec<Write> = chunk.iter().map(|d| d.write.clone()).collect();
            let outcomes = self.write_isolating(&writes).await;
            let mut settled = Vec::with_capacity(chunk.len());
            let mut stored = Vec::new();
            for (letter, outcome) in chunk.iter().zip(outcomes) {
                match outcome {
                    Ok(()) => {
                        stored.push(letter.write.key.clone());
                        settled.push((letter.id(), Settled::Gone));
                    }
                    Err(e) => {
                        report.failed += 1;
                        settled.push((letter.id(), Settled::Refused(e)));
                    }
                }
            }
            report.replayed += dead.settle(settled);
            for key in &stored {
                self.forget_clean(key);
            }
        }
        report
    }

    /// Whether `letter`'s key was written after it: a write of it is
    /// pending, or a newer letter of it is in the queue.
    fn written_since(&self, letter: &DeadLetter) -> bool {
        let key = &letter.write.key;
        self.progress().dead.has_newer(key, letter.id())
            || self.buffer().lock(self.buffer().shard_of(key)).has_pending(key)
    }

    /// Writes `writes` as one batch; if the store refuses it, one at a time.
    /// One result per write. An unavailable store fails the whole batch at
    /// once (each write would meet the same error).
    async fn write_isolating(&self, writes: &[Write]) -> Vec<Result<(), crate::StoreError>> {
        match self.store().write(writes).await {
            Ok(()) => {
                self.counters().batch_done(writes.len());
                vec![Ok(()); writes.len()]
            }
            Err(e) if writes.len() == 1 || e.is_unavailable() => vec![Err(e); writes.len()],
            Err(_) => {
                let mut outcomes = Vec::with_capacity(writes.len());
                for write in writes {
                    let outcome = self.store().write(std::slice::from_ref(write)).await;
                    if outcome.is_ok() {
                        self.counters().batch_done(1);
                    }
                    outcomes.push(outcome);
                }
                outcomes
            }
        }
    }

    /// Drops the clean copy of a key after the store changed behind the
    /// workers' back, so the next read loads what the store now holds. A
    /// key with a write pending keeps its view: the pending write is newer
    /// than what the store was given.
    fn forget_clean(&self, key: &Bytes) {
        let mut shard = self.buffer().lock(self.buffer().shard_of(key));
        if shard.has_pending(key) {
            return;
        }
        shard.invalidate_load(key);
        self.clean().remove(key);
        self.forget_view(&mut shard, key);
    }
}
