//! Waking blocked commands, per key, first come first served.
//!
//! A command blocked until a write (BLPOP, BZPOPMIN, ...) is a [`Waiter`]
//! on its keys: it joins the back of each key's queue. A write of key K
//! ([`wrote`]) gives K's *turn* to the first waiter in K's queue and wakes
//! it alone; the waiter takes the turns it holds ([`Waiter::take_turns`]),
//! tries again, then hands them on to the waiter behind it
//! ([`Waiter::pass`]), or, once served, leaves every queue and hands on
//! every turn it held (dropping it). A turn given while it tries stays
//! with it for its next try, so no write goes unseen. So after a push of one
//! element with two clients waiting, the one that blocked first tries
//! first and takes it, and the other tries after it and finds nothing:
//! Redis's order (`serveClientsBlockedOnKey`). A write of another key wakes
//! none of them. A waiter that finds K absent ends K's turn there: nobody
//! behind it can take from a key that is not there.
//!
//! A [`Waiter::watching`] waiter (a reader that takes nothing, as XREAD
//! BLOCK) is woken by every turn that reaches it and hands the turn on at
//! once, so all the readers of a key wake together and the next taker in
//! line still gets its turn.
//!
//! While no command is blocked, a write costs one atomic load here.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

static BLOCKED: AtomicUsize = AtomicUsize::new(0);
static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

/// Commands blocked now, for INFO's `blocked_clients`.
pub(crate) fn blocked_clients() -> usize {
    BLOCKED.load(Ordering::Relaxed)
}

/// After a write of `keys`: each key's turn goes to its first waiter.
/// Cheap when none is blocked.
pub(crate) fn wrote(keys: &[Bytes]) {
    if BLOCKED.load(Ordering::SeqCst) == 0 {
        return;
    }
    let mut registry = lock();
    for key in keys {
        registry.give_turn(key, 0);
    }
}

/// After a write whose keys are not known (a command that is not a data
/// command): every key's turn goes to its first waiter.
pub(crate) fn wrote_anywhere() {
    if BLOCKED.load(Ordering::SeqCst) == 0 {
        return;
    }
    let mut registry = lock();
    let keys: Vec<Bytes> = registry.queues.keys().cloned().collect();
    for key in &keys {
        registry.give_turn(key, 0);
    }
}

fn lock() -> MutexGuard<'static, Registry> {
    // Nothing panics while holding it; a poisoned lock still holds
    // consistent queues.
    REGISTRY.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Every waiter, and each key's queue of them, oldest first.
#[derive(Default)]
struct Registry {
    next_id: u64,
    waiters: HashMap<u64, Entry>,
    queues: HashMap<Bytes, VecDeque<u64>>,
}

struct Entry {
    /// The keys whose turn it holds.
    turns: Vec<Bytes>,
    /// Takes nothing: hands each turn on as it gets it.
    watching: bool,
    wake: Arc<Notify>,
}

impl Registry {
    /// Gives `key`'s turn to its waiter at `from` in the queue (and, past
    /// watchers, to the first taker after them).
    fn give_turn(&mut self, key: &Bytes, from: usize) {
        let Some(queue) = self.queues.get(key) else { return };
        for id in queue.iter().skip(from) {
            let entry = self.waiters.get_mut(id).expect("a queued waiter is registered");
            if !entry.turns.contains(key) {
                entry.turns.push(key.clone());
            }
            entry.wake.notify_one();
            if !entry.watching {
                return;
            }
        }
    }

    /// Takes the turns `id` holds.
    fn take_turns(&mut self, id: u64) -> Vec<Bytes> {
        self.waiters.get_mut(&id).map(|e| std::mem::take(&mut e.turns)).unwrap_or_default()
    }

    /// Hands each of `turns` from `id` to the waiter behind it, except
    /// those of keys `keep_going` refuses.
    fn pass_turns(&mut self, id: u64, turns: Vec<Bytes>, keep_going: impl Fn(&Bytes) -> bool) {
        for key in turns {
            if !keep_going(&key) {
                continue;
            }
            let at = self.queues.get(&key).and_then(|q| q.iter().position(|w| *w == id));
            if let Some(at) = at {
                self.give_turn(&key, at + 1);
            }
        }
    }

    fn has_turn(&self, id: u64) -> bool {
        self.waiters.get(&id).is_some_and(|e| !e.turns.is_empty())
    }
}

/// A blocked command's place in the queues of its keys (see the module
/// docs). Dropping it leaves them, handing on the turns it held.
pub(crate) struct Waiter {
    id: u64,
    keys: Vec<Bytes>,
    wake: Arc<Notify>,
    /// The turns taken for the try under way.
    in_hand: Vec<Bytes>,
}

impl Waiter {
    /// Joins the back of each key's queue as a command that takes what it
    /// finds (a pop). Join before the first look at the keys, so that a
    /// write after the look gives a turn.
    pub(crate) fn new(keys: &[Bytes]) -> Waiter {
        Waiter::join(keys, false)
    }

    /// Joins as a reader that takes nothing (XREAD BLOCK): woken by every
    /// write of its keys, never holding a turn back from the takers.
    pub(crate) fn watching(keys: &[Bytes]) -> Waiter {
        Waiter::join(keys, true)
    }

    fn join(keys: &[Bytes], watching: bool) -> Waiter {
        let mut keys = keys.to_vec();
        keys.sort();
        keys.dedup();
        let wake = Arc::new(Notify::new());
        let mut registry = lock();
        let id = registry.next_id;
        registry.next_id += 1;
        let entry = Entry { turns: Vec::new(), watching, wake: Arc::clone(&wake) };
        registry.waiters.insert(id, entry);
        for key in &keys {
            registry.queues.entry(key.clone()).or_default().push_back(id);
        }
        BLOCKED.fetch_add(1, Ordering::SeqCst);
        Waiter { id, keys, wake, in_hand: Vec::new() }
    }

    /// Completes once the waiter holds the turn of one of its keys.
    pub(crate) async fn turn(&self) {
        loop {
            // A wake before this look left a permit, so none is lost.
            if lock().has_turn(self.id) {
                return;
            }
            self.wake.notified().await;
        }
    }

    /// Takes the turns held, before a try; [`pass`](Waiter::pass) or the
    /// drop hands them on after it.
    pub(crate) fn take_turns(&mut self) {
        let mut taken = lock().take_turns(self.id);
        self.in_hand.append(&mut taken);
    }

    /// After a try that took nothing: each turn taken for it goes to the
    /// waiter behind, unless `present` says its key is absent (no one
    /// behind can take from it either).
    pub(crate) fn pass(&mut self, present: impl Fn(&Bytes) -> bool) {
        let turns = std::mem::take(&mut self.in_hand);
        let mut registry = lock();
        let watching = registry.waiters.get(&self.id).is_some_and(|e| e.watching);
        registry.pass_turns(self.id, turns, |key| watching || present(key));
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut registry = lock();
        let mut turns = std::mem::take(&mut self.in_hand);
        turns.extend(registry.take_turns(self.id));
        registry.pass_turns(self.id, turns, |_| true);
        for key in &self.keys {
            if let Some(queue) = registry.queues.get_mut(key) {
                queue.retain(|w| *w != self.id);
                if queue.is_empty() {
                    registry.queues.remove(key);
                }
            }
        }
        registry.waiters.remove(&self.id);
        BLOCKED.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn has_turn(w: &Waiter) -> bool {
        lock().has_turn(w.id)
    }

    /// One test, as the registry is the process's: tests running at once
    /// would see each other's waiters.
    #[test]
    fn turns_go_per_key_in_arrival_order() {
        let mut first = Waiter::new(&[b("wake:a"), b("wake:b")]);
        let mut second = Waiter::new(&[b("wake:a")]);
        let mut reader = Waiter::watching(&[b("wake:b")]);
        let mut third = Waiter::new(&[b("wake:b")]);
        wrote(&[b("wake:other")]);
        assert!(![&first, &second, &reader, &third].iter().any(|w| has_turn(w)), "no one woken");
        wrote(&[b("wake:a")]);
        assert!(has_turn(&first) && !has_turn(&second), "the first in line only");
        first.take_turns();
        wrote(&[b("wake:a")]);
        assert!(has_turn(&first), "a write during a try is kept for the next");
        first.pass(|_| true);
        assert!(has_turn(&second), "then the one behind");
        first.take_turns();
        first.pass(|_| true);
        second.take_turns();
        second.pass(|_| false);
        assert!(!has_turn(&second));
        wrote(&[b("wake:b")]);
        assert!(has_turn(&first) && !has_turn(&reader) && !has_turn(&third));
        first.take_turns();
        drop(first); // served: its turn goes on, past the reader, to `third`
        assert!(has_turn(&reader) && has_turn(&third));
        reader.take_turns();
        reader.pass(|_| false);
        third.take_turns();
        third.pass(|_| false);
        assert!(!has_turn(&third));
        drop((second, reader, third));
        assert!(lock().queues.keys().all(|k| !k.starts_with(b"wake:")));
    }
}
