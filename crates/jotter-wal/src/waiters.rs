//! Callers waiting for the writer thread under [`Fsync::Always`]: each
//! leaves its task's waker and the LSN it waits for; after each group
//! commit the writer wakes those it covered. No channel per record: one
//! list, one lock, one wake per waiting task.
//!
//! [`Fsync::Always`]: crate::Fsync::Always

use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;

use parking_lot::Mutex;

/// The wakers of tasks waiting for the resolved mark to pass an LSN.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    list: Mutex<Vec<(u64, Waker)>>,
}

impl Waiters {
    /// Leaves `waker` to be woken once `resolved` passes `lsn`; false (and
    /// nothing left) if it already has.
    ///
    /// The mark is read under the list's lock, and the writer moves the
    /// mark before it takes that lock to wake: a waiter either sees the new
    /// mark or is in the list the writer goes through.
    pub(crate) fn register(&self, lsn: u64, waker: &Waker, resolved: &AtomicU64) -> bool {
        let mut list = self.list.lock();
        if resolved.load(Ordering::Acquire) > lsn {
            return false;
        }
        list.push((lsn, waker.clone()));
        true
    }

    /// Wakes every waiter whose LSN is below `resolved`.
    pub(crate) fn wake_below(&self, resolved: u64) {
        let mut woken = Vec::new();
        {
            let mut list = self.list.lock();
            let mut i = 0;
            while i < list.len() {
                if list[i].0 < resolved {
                    woken.push(list.swap_remove(i).1);
                } else {
                    i += 1;
                }
            }
        }
        // Outside the lock: waking may take a while, and new waiters must
        // not queue behind it.
        for waker in woken {
            waker.wake();
        }
    }
}
