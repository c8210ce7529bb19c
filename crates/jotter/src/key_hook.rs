//! A hook the engine calls with each key whose write reached the store,
//! and each key the expiry sweep deleted (a front end publishes them, say).
//! It is set at most once; until then an event costs one atomic load here.
//! It runs on a flush worker under the key's shard lock (or in the sweep),
//! so it must be quick and must not call the cache.

use std::sync::OnceLock;

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEvent {
    /// Its write (or delete) is in the store.
    Stored,
    /// The expiry sweep deleted it: its time had passed.
    Expired,
}

/// What is called with each event and its key.
pub type KeyHook = Box<dyn Fn(KeyEvent, &[u8]) + Send + Sync>;

/// The hook, once set.
#[derive(Default)]
pub(crate) struct OnKeyEvent(OnceLock<KeyHook>);

impl std::fmt::Debug for OnKeyEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnKeyEvent").field("set", &self.0.get().is_some()).finish()
    }
}

impl OnKeyEvent {
    /// Sets the hook; false if one was already set (it stays).
    pub(crate) fn set(&self, hook: KeyHook) -> bool {
        self.0.set(hook).is_ok()
    }

    /// Tells the hook, if any, of `event` on `key`.
    pub(crate) fn call(&self, event: KeyEvent, key: &[u8]) {
        if let Some(hook) = self.0.get() {
            hook(event, key);
        }
    }
}
