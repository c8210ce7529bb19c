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
    /// No write: the entry goes back as it was taken (a command that only
    /// read the key, or wrote nothing to it). A map view keeps its count
    /// instead of being weighed again, so reading a large pending map costs
    /// nothing like a walk over it.
    pub(crate) const UNCHANGED: Written = Written { fields: 0, weight: 0, blob: None };

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
    /// The version of the key's last write the store acknowledged while
    /// this view was kept (0: none yet); the clean cache, which usually
    /// holds it, gives its entry up while a view stands in for it.
    stored: u64,
}

impl View {
    /// The kept entry, unless a writer has it.
    pub(crate) fn entry(&self) -> Option<&Option<Entry>> {
        self.entry.as_ref()
    }

    /// Moves the kept entry out; it stays counted.
    pub(crate) fn take(&mut self) -> Option<Option<Entry>> {
        self.entry.take()
    }

    /// Keeps `entry`; `written` is the field write that produced it from
    /// the previous view (for the cheap, upper-bound count of a map).
    pub(crate) fn keep(&mut self, entry: Option<Entry>, written: Option<Written>) -> ViewDelta {
        let view = self;
        let before = view.weight;
        let after = match (&entry, written) {
            (Some(Entry { value, .. }), Some(op))
                if value.map_kind().is_some()
                    && before > 0
                    && view.writes < writes_between(entry.as_ref()) =>
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

    /// Notes that the store acknowledged the key's write at `version`.
    pub(crate) fn note_stored(&mut self, version: u64) {
        self.stored = self.stored.max(version);
    }

    /// The version noted by [`note_stored`](View::note_stored), if any.
    pub(crate) fn stored(&self) -> Option<u64> {
        (self.stored != 0).then_some(self.stored)
    }

    /// Marks the view as rebuilt rather than kept: the next
    /// [`keep`](View::keep) weighs it exactly.
    pub(crate) fn rebuilt(&mut self) {
        self.writes = usize::MAX;
    }

    /// The view given up: its entry, and the bytes it no longer counts.
    pub(crate) fn dropped(self) -> Dropped {
        Dropped { entry: self.entry, delta: ViewDelta { before: self.weight, after: 0 } }
    }
}

/// A view given up.
#[derive(Debug, Default)]
pub(crate) struct Dropped {
    /// The entry it kept: a value, a known absence, or nothing kept.
    pub entry: Option<Option<Entry>>,
    /// The bytes it no longer counts.
    pub delta: ViewDelta,
}

/// Bytes a kept view counts: the entry, or nothing for a known absence.
fn entry_weight(entry: Option<&Entry>) -> usize {
    entry.map_or(0, Entry::weight)
}

fn writes_between(entry: Option<&Entry>) -> usize {
    let len = entry.and_then(|e| e.value.map_len()).unwrap_or(0);
    (len / 8).max(MIN_WRITES_BETWEEN_WEIGHINGS)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::value::{FieldValue, MapKind};

    #[test]
    fn a_blob_view_of_the_ops_own_bytes_counts_only_itself() {
        let value = Bytes::from(vec![b'v'; 1000]);
        let op = Op::Put { value: value.clone(), expires_at: None };
        let mut q = View::default();
        let shared = q.keep(Some(Entry::new(Value::Blob(value))), Some(Written::of(&op)));
        assert_eq!(shared, ViewDelta { before: 0, after: ENTRY_OVERHEAD });
        let copy = Value::Blob(Bytes::from(vec![b'v'; 1000]));
        let apart = q.keep(Some(Entry::new(copy)), Some(Written::of(&op)));
        assert_eq!(apart, ViewDelta { before: ENTRY_OVERHEAD, after: 1000 + ENTRY_OVERHEAD });
        assert_eq!(q.dropped().delta, ViewDelta { before: 1000 + ENTRY_OVERHEAD, after: 0 });
    }

    #[test]
    fn a_map_view_put_back_unchanged_keeps_its_count() {
        let set = |n: usize| {
            let members = (0..n).map(|i| (Bytes::from(i.to_string()), FieldValue::Member));
            Entry::new(Value::map_of(MapKind::Set, members).unwrap())
        };
        let mut q = View::default();
        let exact = q.keep(Some(set(100)), None).after;
        assert_eq!(exact, set(100).weight());
        // Put back unchanged, the view is not weighed again: its count
        // stays (a smaller set here shows that no walk re-counted it).
        assert_eq!(q.keep(Some(set(10)), Some(Written::UNCHANGED)).after, exact);
        // A view never counted is weighed exactly even when unchanged.
        let mut fresh = View::default();
        assert_eq!(fresh.keep(Some(set(100)), Some(Written::UNCHANGED)).after, exact);
    }
}
