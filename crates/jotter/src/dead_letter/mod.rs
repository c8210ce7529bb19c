//! The dead-letter queue: writes the store refused for good, kept with the
//! store's error so an operator can list them, fix the cause, replay them
//! and purge what is truly bad (docs/DESIGN.md: failures are sorted, never
//! swallowed).
//!
//! A dead-lettered write is not in the store, so the cache stops showing it
//! once it leaves the buffer: reads then show what the store holds, plus any
//! later writes of the key. A field write that was queued behind a
//! dead-lettered whole write (a map replacing a blob, a delete) was built
//! on top of it; it is sent with a reset of the key, so the store and the
//! cache both end up with those fields alone rather than fields hidden
//! under an older value.
//!
//! A letter's id is its write's version ([`DeadLetter::id`]): versions are
//! unique and never reused, across restarts too, so an id names one letter
//! for as long as it exists, and the queue lists letters in id order (the
//! order the writes were accepted in), which is what paging walks.
//!
//! Every change of the queue is saved (`file.rs`) and published as the
//! `jotter_dead_letters` gauge under the queue's lock, so the gauge never
//! trails what [`DeadLetters::len`] answers. Replaying letters is
//! `replay.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::loggable::{LogKey, LogText};
use crate::store::StoreError;

mod file;
mod letter;
mod replay;

pub(crate) use file::{DeadLetterError, replace_file};
pub use letter::{DeadLetter, ErrorClass};

/// Which dead letters a replay or a purge takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every letter in the queue.
    All,
    /// The letters with these ids ([`DeadLetter::id`]); unknown ids are
    /// skipped.
    Ids(Vec<u64>),
}

impl Selection {
    fn picks(&self, id: u64) -> bool {
        match self {
            Selection::All => true,
            Selection::Ids(ids) => ids.contains(&id),
        }
    }
}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Dead letters the store accepted this time (removed from the queue).
    pub replayed: usize,
    /// Dead letters of keys written since: the newer write wins, and the
    /// letter was only removed.
    pub superseded: usize,
    /// Dead letters refused again (kept, with the new error and one more
    /// attempt).
    pub failed: usize,
}

impl ReplayReport {
    /// Letters that left the queue: replayed or superseded.
    #[must_use]
    pub fn removed(&self) -> usize {
        self.replayed + self.superseded
    }
}

/// What became of one letter in a replay.
pub(crate) enum Settled {
    /// Stored, or superseded: it leaves the queue.
    Gone,
    /// Refused again.
    Refused(StoreError),
}

/// The dead letters by id; saved to a file when opened with
/// [`DeadLetters::open`].
#[derive(Debug, Default)]
pub(crate) struct DeadLetters {
    letters: Mutex<BTreeMap<u64, DeadLetter>>,
    /// The file the queue is kept in; `None` keeps it in memory only.
    path: Option<PathBuf>,
    /// Rewrites of the file that failed (the change was kept in memory).
    save_failures: AtomicU64,
    /// Log sequence numbers of letters the file could not take yet.
    held: Mutex<BTreeSet<u64>>,
}

impl DeadLetters {
    /// The queue kept in the file at `path`: loads it if it exists, starts
    /// empty if not. Every later change rewrites the file.
    pub(crate) fn open(path: &Path) -> Result<DeadLetters, DeadLetterError> {
        let letters: BTreeMap<u64, DeadLetter> =
            file::load(path)?.into_iter().map(|d| (d.id(), d)).collect();
        let queue = DeadLetters {
            letters: Mutex::new(letters),
            path: Some(path.to_owned()),
            save_failures: AtomicU64::new(0),
            held: Mutex::default(),
        };
        queue.publish(&queue.letters.lock());
        Ok(queue)
    }

    /// An empty queue in memory only, its gauges published (at 0).
    pub(crate) fn in_memory() -> DeadLetters {
        let queue = DeadLetters::default();
        queue.publish(&queue.letters.lock());
        queue
    }

    /// Adds a letter. `lsn` is the log sequence number of its write: if the
    /// file cannot take the letter, the log must keep that record until a
    /// later rewrite succeeds (see [`DeadLetters::held_floor`]).
    pub(crate) fn push(&self, mut letter: DeadLetter, lsn: Option<u64>) {
        metrics::counter!("jotter_dead_letters_total").increment(1);
        letter.first_failure = file::to_the_millisecond(letter.first_failure);
        letter.last_failure = file::to_the_millisecond(letter.last_failure);
        let mut letters = self.letters.lock();
        letters.insert(letter.id(), letter);
        if !self.save(&letters)
            && let Some(lsn) = lsn
        {
            self.held.lock().insert(lsn);
        }
    }

    /// The smallest log sequence number of a letter that is in memory only:
    /// the log must not forget it, or a crash would lose the write from both
    /// the store and this queue.
    pub(crate) fn held_floor(&self) -> Option<u64> {
        self.held.lock().first().copied()
    }

    /// Every letter, in id order.
    pub(crate) fn list(&self) -> Vec<DeadLetter> {
        self.letters.lock().values().cloned().collect()
    }

    /// Up to `limit` letters with ids above `after`, in id order, and the
    /// cursor for the next page (the last id listed) if more follow.
    pub(crate) fn page(&self, after: u64, limit: usize) -> (Vec<DeadLetter>, Option<u64>) {
        let letters = self.letters.lock();
        let mut rest = letters.range(after.saturating_add(1)..).map(|(_, d)| d);
        let page: Vec<DeadLetter> = rest.by_ref().take(limit).cloned().collect();
        let next = match (page.last(), rest.next()) {
            (Some(last), Some(_)) => Some(last.id()),
            _ => None,
        };
        (page, next)
    }

    /// The letters `selection` picks, in id order.
    pub(crate) fn selected(&self, selection: &Selection) -> Vec<DeadLetter> {
        let letters = self.letters.lock();
        match selection {
            Selection::All => letters.values().cloned().collect(),
            Selection::Ids(ids) => {
                let ids: BTreeSet<u64> = ids.iter().copied().collect();
                ids.iter().filter_map(|id| letters.get(id)).cloned().collect()
            }
        }
    }

    /// The letters of `key`, in id order.
    pub(crate) fn of_key(&self, key: &[u8]) -> Vec<DeadLetter> {
        self.letters.lock().values().filter(|d| d.write.key == key).cloned().collect()
    }

    /// Whether a letter of `key` newer than `id` is in the queue.
    pub(crate) fn has_newer(&self, key: &[u8], id: u64) -> bool {
        self.letters.lock().range(id.saturating_add(1)..).any(|(_, d)| d.write.key == key)
    }

    /// The oldest version of a dead letter, which a replay sends again.
    pub(crate) fn oldest_version(&self) -> Option<u64> {
        self.letters.lock().keys().next().copied()
    }

    pub(crate) fn len(&self) -> u64 {
        self.letters.lock().len() as u64
    }

    /// The error of the letter that a write of `key` at `version` ended in.
    pub(crate) fn error_for(&self, key: &[u8], version: u64) -> Option<String> {
        let letters = self.letters.lock();
        let (_, letter) = letters.range(version..).find(|(_, d)| {
            d.write.key == key && (d.first_version..=d.write.version).contains(&version)
        })?;
        Some(letter.error.clone())
    }

    /// Records what became of replayed letters, in one rewrite of the file:
    /// those [`Settled::Gone`] leave the queue, the others get one more
    /// attempt and the store's new error. Ids no longer in the queue (a
    /// purge came first) are skipped. Returns how many letters left.
    pub(crate) fn settle(&self, settled: Vec<(u64, Settled)>) -> usize {
        if settled.is_empty() {
            return 0;
        }
        let now = file::to_the_millisecond(SystemTime::now());
        let mut letters = self.letters.lock();
        let mut gone = 0;
        for (id, what) in settled {
            match what {
                Settled::Gone => gone += usize::from(letters.remove(&id).is_some()),
                Settled::Refused(e) => {
                    if let Some(letter) = letters.get_mut(&id) {
                        letter.attempts = letter.attempts.saturating_add(1);
                        letter.error = e.message().to_owned();
                        letter.error_kind = e.kind().into();
                        letter.last_failure = now;
                    }
                }
            }
        }
        self.save(&letters);
        gone
    }

    /// Removes the letters `selection` picks, logging each one's key (never
    /// its value); returns how many.
    pub(crate) fn purge(&self, selection: &Selection) -> usize {
        let mut letters = self.letters.lock();
        let before = letters.len();
        letters.retain(|&id, d| {
            let purge = selection.picks(id);
            if purge {
                tracing::warn!(
                    id,
                    key = %LogKey(&d.write.key),
                    error = %LogText(&d.error),
                    "dead letter purged: this write will not reach the store"
                );
            }
            !purge
        });
        let purged = before - letters.len();
        if purged > 0 {
            self.save(&letters);
        }
        purged
    }

    /// Whether any letter is for `key`.
    pub(crate) fn has_key(&self, key: &Bytes) -> bool {
        self.letters.lock().values().any(|d| d.write.key == key)
    }

    /// How many rewrites of the file failed since the queue was opened: each
    /// left a change in memory only, until a later rewrite succeeded.
    pub(crate) fn save_failures(&self) -> u64 {
        self.save_failures.load(Ordering::Relaxed)
    }

    /// Sets the queue's gauges. Called where the queue changes, under its
    /// lock, rather than on the housekeeping round: that round also waits
    /// for the log's checkpoint (an fsync) and runs at most every 100 ms, so
    /// a gauge set there trailed the queue, and a value it read before a
    /// change could overwrite the one set after it.
    fn publish(&self, letters: &BTreeMap<u64, DeadLetter>) {
        metrics::gauge!("jotter_dead_letters").set(letters.len() as f64);
        metrics::gauge!("jotter_dead_letter_write_failures").set(self.save_failures() as f64);
    }

    /// Rewrites the file with `letters`, the whole queue, and publishes the
    /// gauge. Called with the lock held, so changes reach the file in the
    /// order they were made and none is listed before it is on disk.
    /// Returns whether the file now holds the whole queue (always true
    /// for a queue without a file).
    fn save(&self, letters: &BTreeMap<u64, DeadLetter>) -> bool {
        let Some(path) = &self.path else {
            self.publish(letters);
            return true;
        };
        let result = file::save(path, letters.values());
        if result.is_ok() {
            // The whole queue is on disk: nothing needs the log any more.
            self.held.lock().clear();
        } else {
            self.save_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.publish(letters);
        if let Err(e) = result {
            tracing::error!(
                path = %path.display(),
                error = %e,
                letters = letters.len(),
                "could not write the dead-letter queue: the change is kept in memory but would be lost \
                 at a restart until a later write of the queue succeeds (check the data directory)"
            );
            return false;
        }
        true
    }
}
