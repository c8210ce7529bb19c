//! A batch on its way to the store: the writes as the store receives them
//! and, beside each, the shard it came from and its op's first version, so
//! that finishing it (`flusher.rs`) finds each op again.

use crate::store::Write;

/// A batch: the writes as the store receives them, and beside each, where
/// it came from (kept apart so the writes go to the store without a copy).
#[derive(Default)]
pub(crate) struct Batch {
    writes: Vec<Write>,
    origins: Vec<Origin>,
}

impl Batch {
    /// An empty batch with room for `n` writes.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Batch { writes: Vec::with_capacity(n), origins: Vec::with_capacity(n) }
    }

    /// Adds a write taken from shard `shard`, whose op's first version is
    /// `first_version`.
    pub(crate) fn push(&mut self, write: Write, shard: usize, first_version: u64) {
        self.writes.push(write);
        self.origins.push(Origin { shard, first_version });
    }

    /// Adds every write of `other`.
    pub(crate) fn append(&mut self, mut other: Batch) {
        self.writes.append(&mut other.writes);
        self.origins.append(&mut other.origins);
    }

    pub(crate) fn len(&self) -> usize {
        self.writes.len()
    }

    /// The writes, as the store receives them.
    pub(crate) fn writes(&self) -> &[Write] {
        &self.writes
    }

    /// Where the `i`th write came from.
    pub(crate) fn origin(&self, i: usize) -> &Origin {
        &self.origins[i]
    }
}

/// The shard a write of a batch came from, and its op's first version.
pub(crate) struct Origin {
    pub(crate) shard: usize,
    pub(crate) first_version: u64,
}
