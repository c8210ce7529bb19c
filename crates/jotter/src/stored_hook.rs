//! A hook the engine calls with each key whose write reached the store
//! (a front end publishes it, say). It is set at most once; until then a
//! stored write costs one atomic load here. It runs on a flush worker under
//! the key's shard lock, so it must be quick and must not call the cache.

use std::sync::OnceLock;

/// What is called with a stored key.
pub type StoredHook = Box<dyn Fn(&[u8]) + Send + Sync>;

/// The hook, once set.
#[derive(Default)]
pub(crate) struct OnStored(OnceLock<StoredHook>);

impl std::fmt::Debug for OnStored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnStored").field("set", &self.0.get().is_some()).finish()
    }
}

impl OnStored {
    /// Sets the hook; false if one was already set (it stays).
    pub(crate) fn set(&self, hook: StoredHook) -> bool {
        self.0.set(hook).is_ok()
    }

    /// Tells the hook, if any, that `key`'s write is in the store.
    pub(crate) fn call(&self, key: &[u8]) {
        if let Some(hook) = self.0.get() {
            hook(key);
        }
    }
}
