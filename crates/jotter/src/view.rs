//! The entry kept beside a key's pending ops (its view), and the bytes it
//! counts against `max_pending_bytes`.
//!
//! A view is a whole copy of the key's value (a 100,000-member map, for a
//! leaderboard with one pending `ZINCRBY`), held as long as the key has
//! ops pending; so it counts in the pending bound like the ops do. A blob's
//! view is weighed exactly. A map's view is weighed exactly when it is
//! first kept and again after every `len / 8` field writes; in between,
//! each write adds the weight of the fields it wrote without taking off
//! what they replaced. The count is thus never below the view's weight,
//! and above it by at most about an eighth of the map, while a field write
//! still costs its own fields and not a walk over the map.
//!
//! A view is kept after its write was accepted and cannot be refused: its
//! bytes are taken even beyond the bound, and the next write waits or is
//! refused as the full policy says.

use crate::buffer::Queue;
use crate::op::Op;
use crate::value::{ENTRY_OVERHEAD, Entry, Value};

/// Field writes to a map's view between two exact weighings, at least.
const MIN_WRITES_BETWEEN_WEIGHINGS: usize = 16;

/// What a field write adds to a map view, at most: taken from its op
/// before the op moves into the buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Written {
    fields: usize,
    weight: usize,
    /// Where a whole blob's bytes live: a view of the same bytes holds no
    /// copy of them, and counts only itself.
    blob: Option<(usize, usize)>,
}

impl Written {
    pub(crate) fn of(op: &Op) -> Self {
        let blob = match op {
            Op::Put { value, .. } => Some((value.as_ptr() as usize, value.len())),
            _ => None,
        };
        Written { fields: op.field_count(), weight: op.view_weight(), blob }
    }
}

/// How a queue's counted view bytes changed: the caller takes or gives
/// back the difference in the bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use = "the bound must follow the view's bytes"]
pub(crate) struct ViewDelta {
    pub before: usize,
    pub after: usize,
}

/// A key's kept entry and what it counts.
#[derive(Debug, Default)]
pub(crate) struct View {
    /// `Some(None)`: the key is known absent; `None`: taken out by a writer
    /// (see `Inner::take_view`) or never kept.
    entry: Option<Option<Entry>>,
    /// Bytes counted in the pending bound for it.
    weight: usize,
    /// Field writes to a map view since it was last weighed exactly.
    writes: usize,
}

impl Queue {
    /// The kept entry, if there is one.
    pub(crate) fn kept(&self) -> Option<&Option<Entry>> {
        self.view.as_ref()?.entry.as_ref()
    }

    /// Whether an entry is kept.
    pub(crate) fn has_view(&self) -> bool {
        self.kept().is_some()
    }

    /// Moves the kept entry out for a writer to change in place; it stays
    /// counted until [`keep_view`](Queue::keep_view) or
    /// [`drop_view`](Queue::drop_view).
    pub(crate) fn take_kept(&mut self) -> Option<Option<Entry>> {
        self.view.as_mut()?.entry.take()
    }

    /// Keeps `entry` as the key's view; `written` is the field write that
    /// produced it from the previous view (for the cheap, upper-bound count
    /// of a map).
    pub(crate) fn keep_view(
        &mut self,
        entry: Option<Entry>,
        written: Option<Written>,
    ) -> ViewDelta {
        let view = self.view.get_or_insert_default();
        let before = view.weight;
        let after = match (&entry, written) {
            (Some(Entry { value: Value::Hash(_) | Value::Scores(_), .. }), Some(op))
                if before > 0 && view.writes < writes_between(entry.as_ref()) =>
            {
                view.writes += op.fields;
                before + op.weight
            }
            (Some(Entry { value: Value::Blob(b), .. }), Some(op))
                if op.blob == Some((b.as_ptr() as usize, b.len())) =>
            {
                // The op holds these bytes, and counts them.
                view.writes = 0;
                ENTRY_OVERHEAD
            }
            _ => {
                view.writes = 0;
                entry_weight(entry.as_ref())
            }
        };
        view.entry = Some(entry);
        view.weight = after;
        ViewDelta { before, after }
    }

    /// Marks the view as rebuilt (from the clean copy and the ops) rather
    /// than kept: the next [`keep_view`](Queue::keep_view) weighs it exactly.
    pub(crate) fn view_rebuilt(&mut self) {
        if let Some(view) = &mut self.view {
            view.writes = usize::MAX;
        }
    }

    /// Forgets the key's view (if any): it is no longer counted.
    pub(crate) fn drop_view(&mut self) -> (Option<Option<Entry>>, ViewDelta) {
        match self.view.take() {
            Some(view) => (view.entry, ViewDelta { before: view.weight, after: 0 }),
            None => (None, ViewDelta::default()),
        }
    }
}

/// Bytes a kept view counts: the entry, or nothing for a known absence.
fn entry_weight(entry: Option<&Entry>) -> usize {
    entry.map_or(0, Entry::weight)
}

fn writes_between(entry: Option<&Entry>) -> usize {
    let len = match entry.map(|e| &e.value) {
        Some(Value::Hash(m)) => m.len(),
        Some(Value::Scores(m)) => m.len(),
        _ => 0,
    };
    (len / 8).max(MIN_WRITES_BETWEEN_WEIGHINGS)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::op::Pending;

    fn queue() -> Queue {
        Queue::new(Pending::new(Op::Delete, 1, 0, None))
    }

    #[test]
    fn a_blob_view_of_the_ops_own_bytes_counts_only_itself() {
        let value = Bytes::from(vec![b'v'; 1000]);
        let op = Op::Put { value: value.clone(), expires_at: None };
        let mut q = queue();
        let shared = q.keep_view(Some(Entry::new(Value::Blob(value))), Some(Written::of(&op)));
        assert_eq!(shared, ViewDelta { before: 0, after: ENTRY_OVERHEAD });
        let copy = Value::Blob(Bytes::from(vec![b'v'; 1000]));
        let apart = q.keep_view(Some(Entry::new(copy)), Some(Written::of(&op)));
        assert_eq!(apart, ViewDelta { before: ENTRY_OVERHEAD, after: 1000 + ENTRY_OVERHEAD });
        assert_eq!(q.drop_view().1, ViewDelta { before: 1000 + ENTRY_OVERHEAD, after: 0 });
    }
}
