//! Where one key's newest write stands ("where is my write?"), answered
//! from memory alone: the key's queue in its shard, the writes waiting to
//! be retried (`retrying.rs`), the dead letters and the clean cache, read
//! under the key's shard lock, so the answer is one consistent moment (an
//! op leaves its queue and becomes a dead letter under that same lock).
//!
//! "Clean" is said only when the store has the key's newest write: nothing
//! of the key is pending or in flight, and no dead letter is newer than the
//! last write the store acknowledged. What is known after a restart: the
//! writes replayed from the log are pending again and the dead letters are
//! read back from their file, so those states survive (a write stored
//! after the log's last checkpoint is replayed and pending again, until it
//! is sent again, harmlessly, at its own version); the acknowledged
//! version does not (the clean cache starts empty), and a key whose writes
//! were all stored before the restart reads as absent until it is written
//! again; [`Cache::key_status_from_store`](crate::Cache::key_status_from_store)
//! then asks the store, and says "clean" when the store holds a version of
//! the key newer than any of its dead letters and nothing of it is pending.

use std::time::SystemTime;

use bytes::Bytes;
use tokio::time::Instant;

use crate::dead_letter::DeadLetter;
use crate::engine::Inner;
use crate::error::Result;
use crate::store::Store;

/// Where a key's newest write stands; see [`KeyStatus`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyState {
    /// The cache holds nothing of the key: no pending write, no dead
    /// letter, no clean copy. Every write of it this process accepted is in
    /// the store; whether the store has the key, only the store can say.
    Absent,
    /// The key's newest write is in the store: nothing pending or in
    /// flight, and no dead letter newer than what the store acknowledged.
    Clean,
    /// Writes of the key wait in the buffer for a flush worker.
    Pending,
    /// The key's oldest pending write is being written to the store now.
    InFlight,
    /// The key's oldest pending write failed at the store and waits to be
    /// sent again (a transient error, a refusal not yet final, or an
    /// outage); [`KeyStatus::last_error`] holds the store's error.
    Retrying,
    /// The key's newest write was refused for good and sits in the
    /// dead-letter queue; [`KeyStatus::last_error`] holds the store's error.
    /// Also said when a letter remains and no newer acknowledged write is
    /// known (after a restart, or once the clean copy is evicted): the
    /// store's version tells whether a newer write reached it.
    DeadLettered,
}

impl KeyState {
    /// The state's name as `JOTTER.KEY` spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            KeyState::Absent => "absent",
            KeyState::Clean => "clean",
            KeyState::Pending => "pending",
            KeyState::InFlight => "in-flight",
            KeyState::Retrying => "retrying",
            KeyState::DeadLettered => "dead-lettered",
        }
    }
}

/// One key's write-behind status, from [`Cache::key_status`](crate::Cache::key_status).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyStatus {
    /// Where the newest write stands.
    pub state: KeyState,
    /// The version of the key's newest write the cache holds: pending, in a
    /// dead letter, or acknowledged by the store; `None` if none is known.
    pub cache_version: Option<u64>,
    /// The version of the key's last write the store acknowledged, as the
    /// engine knows it: kept beside the clean copy (or the kept entry of a
    /// key with writes pending), so `None` once that copy is evicted, after
    /// a restart, or for a value only ever loaded from the store.
    pub stored_version: Option<u64>,
    /// When the key's oldest pending write was accepted (wall clock); for
    /// writes replayed from the log at start, when they were replayed.
    pub pending_since: Option<SystemTime>,
    /// Writes of the key queued for the store; writes folded together
    /// (coalesced) count as one, since they reach the store as one.
    pub pending_writes: usize,
    /// Retrying: the store's last error; dead-lettered: the newest letter's;
    /// pending or in flight during a store outage: the outage's error.
    pub last_error: Option<String>,
    /// The ids (write versions) of the key's dead letters, oldest first.
    pub dead_letter_ids: Vec<u64>,
    /// Only from [`Cache::key_status_from_store`](crate::Cache::key_status_from_store):
    /// the newest version the store holds for the key now (see
    /// [`Store::version_of`]); `None` when it holds nothing of the key or
    /// cannot tell.
    pub store_version: Option<u64>,
}

impl<S: Store> Inner<S> {
    /// The key's status from memory: no store call.
    pub(crate) fn key_status(&self, key: &[u8]) -> KeyStatus {
        let key = Bytes::copy_from_slice(key);
        let shard = self.buffer().lock(self.buffer().shard_of(&key));
        // Read under the shard lock: a dead letter is pushed under it too.
        let letters = self.progress().dead.of_key(&key);
        let dead_letter_ids: Vec<u64> = letters.iter().map(DeadLetter::id).collect();
        let newest_letter = letters.last();
        let clean = self.clean().peek(&key, |c| (c.stored(), c.entry.is_some()));
        let mut status = KeyStatus {
            state: KeyState::Absent,
            cache_version: None,
            stored_version: None,
            pending_since: None,
            pending_writes: 0,
            last_error: None,
            dead_letter_ids,
            store_version: None,
        };
        if let Some(queue) = shard.queue(&key) {
            status.pending_writes = queue.len();
            status.cache_version = queue.back().map(|p| p.version);
            status.stored_version = queue.stored().or(clean.and_then(|(stored, _)| stored));
            if let Some(front) = queue.front() {
                status.pending_since = Some(wall_clock(front.since()));
                status.state = if !front.in_flight() {
                    KeyState::Pending
                } else if let Some(error) = self.retrying().error_of(front.version) {
                    status.last_error = Some(error);
                    KeyState::Retrying
                } else {
                    KeyState::InFlight
                };
                // Held back by an outage: say why it waits.
                if status.last_error.is_none()
                    && let crate::outage::StoreState::Unavailable { error, .. } =
                        self.health().state()
                {
                    status.last_error = Some(format!("the store is unavailable: {error}"));
                }
            }
            return status;
        }
        status.stored_version = clean.and_then(|(stored, _)| stored);
        let newest_letter = newest_letter.filter(|d| status.stored_version < Some(d.id()));
        if let Some(letter) = newest_letter {
            status.state = KeyState::DeadLettered;
            status.cache_version = Some(letter.id());
            status.last_error = Some(letter.error.clone());
        } else if let Some((stored, has_value)) = clean
            && (stored.is_some() || has_value)
        {
            // A value loaded from the store is clean too; a miss loaded
            // from it is not a write the cache holds.
            status.state = KeyState::Clean;
            status.cache_version = stored;
        }
        status
    }

    /// [`key_status`](Inner::key_status), and the version the store holds
    /// for the key now, read through the outage circuit.
    pub(crate) async fn key_status_from_store(&self, key: &[u8]) -> Result<KeyStatus> {
        let mut status = self.key_status(key);
        let key = Bytes::copy_from_slice(key);
        status.store_version = self.guarded(self.store().version_of(&key)).await?;
        // What memory could not tell, the store's version settles: with
        // nothing of the key pending, a version in the store that is newer
        // than every dead letter of the key is its newest write.
        if let Some(version) = status.store_version
            && matches!(status.state, KeyState::Absent | KeyState::DeadLettered)
            && status.dead_letter_ids.last().is_none_or(|&newest| version > newest)
        {
            status.state = KeyState::Clean;
            status.stored_version = status.stored_version.max(Some(version));
        }
        Ok(status)
    }
}

/// The wall-clock time of `at`, an instant in the past.
fn wall_clock(at: Instant) -> SystemTime {
    let age = Instant::now().saturating_duration_since(at);
    SystemTime::now().checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH)
}
