//! Writes whose last attempt at the store failed and that wait to be sent
//! again, each with the store's last error: what `JOTTER.KEY` reports as
//! "retrying".
//!
//! Only the failure path writes here: a batch that goes through at its
//! first attempt never touches the lock, and the set holds only the writes
//! of batches that failed, until their batch is done (stored or
//! dead-lettered). A write is named by its version, which is unique.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::store::Write;

/// The writes waiting for another attempt, by version, with the store's
/// last error for them.
#[derive(Debug, Default)]
pub(crate) struct Retrying {
    writes: Mutex<HashMap<u64, Arc<str>>>,
}

impl Retrying {
    /// Notes that an attempt of `part` failed with `error`: each of its
    /// writes waits to be sent again.
    pub(crate) fn failed(&self, part: &[Write], error: &str) {
        let error: Arc<str> = Arc::from(error);
        let mut writes = self.writes.lock();
        for w in part {
            writes.insert(w.version, error.clone());
        }
    }

    /// Forgets `part`: it was stored, dead-lettered, or its batch ended.
    pub(crate) fn done(&self, part: &[Write]) {
        let mut writes = self.writes.lock();
        for w in part {
            writes.remove(&w.version);
        }
    }

    /// The store's last error for the write at `version`, if it waits for
    /// another attempt.
    pub(crate) fn error_of(&self, version: u64) -> Option<String> {
        self.writes.lock().get(&version).map(|e| e.to_string())
    }
}

/// Forgets a batch's failed writes once the batch is done however it ends
/// (returned, or dropped when the cache stops), if any attempt of it failed.
pub(crate) struct ForgetOnDrop<'a> {
    pub retrying: &'a Retrying,
    pub writes: &'a [Write],
    pub failed: bool,
}

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        if self.failed {
            self.retrying.done(self.writes);
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::store::Change;

    #[test]
    fn a_failed_write_waits_with_its_error_until_its_batch_is_done() {
        let r = Retrying::default();
        let batch = [
            Write::new("a", 1, Change::Put(Bytes::from_static(b"x"))),
            Write::new("b", 2, Change::Delete),
        ];
        r.failed(&batch, "deadlock");
        r.failed(&batch[1..], "lock timeout");
        assert_eq!(r.error_of(1).as_deref(), Some("deadlock"));
        assert_eq!(r.error_of(2).as_deref(), Some("lock timeout"), "the last error");
        r.done(&batch[..1]);
        assert_eq!(r.error_of(1), None);
        {
            let _guard = ForgetOnDrop { retrying: &r, writes: &batch, failed: true };
        }
        assert_eq!(r.error_of(2), None);
    }
}
