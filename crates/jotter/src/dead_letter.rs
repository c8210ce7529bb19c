//! The dead-letter queue: writes the store refused for good, kept with the
//! store's error so an operator can list them, fix the cause, replay them
//! and purge what is truly bad (contract line 6: failures are sorted, never
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
//! This queue lives in memory; it does not survive a restart until the
//! write-ahead log persists it.

use std::time::SystemTime;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::store::Write;

/// One write the store refused for good.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The write, with its original version.
    pub write: Write,
    /// The store's last error for it.
    pub error: String,
    /// How many times it was tried.
    pub attempts: u32,
    /// When it was moved here.
    pub at: SystemTime,
    /// The first version folded into the write: a ticket for any version
    /// from here to `write.version` ended in this letter.
    pub(crate) first_version: u64,
}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Dead letters the store accepted this time (removed from the queue).
    pub replayed: usize,
    /// Dead letters refused again (kept, with the new error).
    pub failed: usize,
}

#[derive(Debug, Default)]
pub(crate) struct DeadLetters {
    letters: Mutex<Vec<DeadLetter>>,
}

impl DeadLetters {
    pub(crate) fn push(&self, letter: DeadLetter) {
        metrics::counter!("jotter_dead_letters_total").increment(1);
        self.letters.lock().push(letter);
    }

    /// Puts back a letter taken for a replay that failed again.
    pub(crate) fn restore(&self, letter: DeadLetter) {
        self.letters.lock().push(letter);
    }

    pub(crate) fn list(&self) -> Vec<DeadLetter> {
        self.letters.lock().clone()
    }

    pub(crate) fn len(&self) -> u64 {
        self.letters.lock().len() as u64
    }

    /// The error of the letter that a write of `key` at `version` ended in.
    pub(crate) fn error_for(&self, key: &[u8], version: u64) -> Option<String> {
        let letters = self.letters.lock();
        let letter = letters.iter().find(|d| {
            d.write.key == key && (d.first_version..=d.write.version).contains(&version)
        })?;
        Some(letter.error.clone())
    }

    /// Removes and returns every letter (for a replay).
    pub(crate) fn take(&self) -> Vec<DeadLetter> {
        std::mem::take(&mut *self.letters.lock())
    }

    /// Removes the letters `purge` picks; returns how many.
    pub(crate) fn purge(&self, mut purge: impl FnMut(&DeadLetter) -> bool) -> usize {
        let mut letters = self.letters.lock();
        let before = letters.len();
        letters.retain(|d| !purge(d));
        before - letters.len()
    }

    /// Whether any letter is for `key`.
    pub(crate) fn has_key(&self, key: &Bytes) -> bool {
        self.letters.lock().iter().any(|d| d.write.key == key)
    }
}
