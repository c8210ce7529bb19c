//! Finishing a flushed (or dead-lettered) op: it leaves the front of its
//! key's queue, the clean cache learns what the store now holds (or
//! forgets a write the store never got), and the key's next op is readied.
//! Runs under the key's shard lock.

use bytes::Bytes;

use crate::clean::Clean;
use crate::config::WriteMode;
use crate::engine::Inner;
use crate::shard::{Next, Shard};
use crate::store::Store;

/// What finishing an op gave back: its reserved bytes, and its first log
/// sequence number (which a dead letter must hold until it is on disk).
pub(crate) struct Completed {
    pub weight: usize,
    pub lsn: Option<u64>,
}

impl<S: Store> Inner<S> {
    /// Removes a finished front op of `key` (stored, or dead-lettered when
    /// `stored` is false), updates the clean cache, and readies the key's
    /// next op. Returns the bytes the op had reserved.
    pub(crate) fn complete_one(
        &self,
        shard: &mut Shard,
        s: usize,
        key: &Bytes,
        version: u64,
        stored: bool,
    ) -> Completed {
        // What the store holds for the key changes now.
        let Some(done) = shard.finish_front(key, version) else {
            return Completed { weight: 0, lsn: None };
        };
        let (left, kept) = shard.queue(key).map_or((0, false), |q| (q.len(), q.has_view()));
        if stored {
            self.on_key_event.call(crate::KeyEvent::Stored, key);
            if left == 0 && kept {
                // The kept entry is exactly what the store now holds; the
                // clean cache counts it from now on.
                let dropped = shard.drop_view(key).unwrap_or_default();
                self.settle_view(dropped.delta);
                self.clean().insert(key, Clean::flushed(dropped.entry.flatten(), version));
            } else if kept {
                // Reads are served from the kept entry; bringing the clean
                // copy up to date would copy a large map for nothing. If
                // the kept entry is ever dropped, the store is read again.
                // The acknowledged version stays with the kept entry.
                self.clean().remove(key);
                shard.note_stored(key, version);
            } else {
                let after = if done.op.is_whole() {
                    Some(done.op.apply(None))
                } else {
                    self.clean().get(key).map(|base| done.op.apply(base.entry))
                };
                if let Some(after) = after {
                    self.clean().insert(key, Clean::flushed(after, version));
                }
            }
        } else {
            // The store does not have this write: reads must not pretend
            // it does once it leaves the buffer.
            self.clean().remove(key);
            let dropped = shard.drop_view(key).unwrap_or_default();
            self.settle_view(dropped.delta);
            // A field write queued behind a whole write was built on top of
            // it (a map that replaced a blob, a map after a delete). Without
            // it, the fields would land under whatever the store holds and
            // vanish; reset the key with them instead, so the store and the
            // cache both show those fields alone.
            if done.op.is_whole()
                && let Some(reset) = shard.reset_behind(key)
            {
                // The log holds this op's writes without the reset: log the op
                // as it now stands, so that a replay after a crash, folding it
                // over them, rebuilds it with the reset. (Ordered keys keep
                // every op apart, so there a copy would be a second write.)
                if let Some(log) = self.log()
                    && self.config().mode_of(key) == WriteMode::Coalesce
                    && let Err(e) = log.submit(key, reset.version, reset.op)
                {
                    tracing::warn!(error = %e, "could not log a reset after a dead letter; a crash before the flush would lose it");
                }
            }
        }
        match shard.ready_next(key) {
            Next::Ready => self.mark_ready(self.buffer().worker_of(s), 1),
            Next::Grouped(group) => group.fronted.notify_one(),
            Next::Gone(delta) => {
                self.settle_view(delta);
                // Listings learn that a key may have moved to the store.
                self.buffer().departed();
            }
        }
        Completed { weight: done.weight(), lsn: done.first_lsn() }
    }
}
