//! One key's entry in the write buffer: its pending ops, oldest first
//! (`pending_ops.rs`), and the key's current value kept beside them
//! (`view.rs`), which is read and changed only through the methods here so
//! that what it counts in the pending bound stays true.

use crate::op::QueuedOp;
use crate::pending_ops::Ops;
use crate::value::Entry;
use crate::view::{Dropped, View, ViewDelta, Written};

/// A key's pending ops, oldest first, and the key's current entry if known.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    ops: Ops,
    /// The key's entry after all its ops (`Some(None)`: absent), kept up to
    /// date as ops arrive. Without it, every read or field write of a key
    /// with a pending field change would rebuild the whole map from the
    /// clean copy: one copy of a 100,000-member leaderboard per `ZINCRBY`.
    /// A writer takes it out, changes it in place and puts it back; `None`
    /// when not known (it is then rebuilt from the clean copy and the ops).
    /// Boxed: most keys never have one, and every pending key pays for
    /// this field.
    view: Option<Box<View>>,
}

impl Queue {
    pub(crate) fn new(first: QueuedOp) -> Self {
        Queue { ops: Ops::One(first), view: None }
    }

    /// The kept entry, if there is one.
    pub(crate) fn kept(&self) -> Option<&Option<Entry>> {
        self.view.as_ref()?.entry()
    }

    /// Whether an entry is kept.
    pub(crate) fn has_view(&self) -> bool {
        self.kept().is_some()
    }

    /// Moves the kept entry out for a writer to change in place; it stays
    /// counted until [`keep_view`](Queue::keep_view) or
    /// [`drop_view`](Queue::drop_view).
    pub(crate) fn take_kept(&mut self) -> Option<Option<Entry>> {
        self.view.as_mut()?.take()
    }

    /// Keeps `entry` as the key's view; `written` is the field write that
    /// produced it from the previous view (see [`View::keep`]).
    pub(crate) fn keep_view(
        &mut self,
        entry: Option<Entry>,
        written: Option<Written>,
    ) -> ViewDelta {
        self.view.get_or_insert_default().keep(entry, written)
    }

    /// Marks the view as rebuilt (from the clean copy and the ops) rather
    /// than kept: the next [`keep_view`](Queue::keep_view) weighs it exactly.
    pub(crate) fn view_rebuilt(&mut self) {
        if let Some(view) = &mut self.view {
            view.rebuilt();
        }
    }

    /// Notes that the store acknowledged the key's write at `version`, with
    /// the view (if one is kept) that stands in for the clean entry.
    pub(crate) fn note_stored(&mut self, version: u64) {
        if let Some(view) = &mut self.view {
            view.note_stored(version);
        }
    }

    /// The version of the key's last write the store acknowledged, as its
    /// view noted it.
    pub(crate) fn stored(&self) -> Option<u64> {
        self.view.as_ref()?.stored()
    }

    /// Forgets the key's view (if any): it is no longer counted.
    pub(crate) fn drop_view(&mut self) -> Dropped {
        self.view.take().map(|view| view.dropped()).unwrap_or_default()
    }
}

impl std::ops::Deref for Queue {
    type Target = Ops;
    fn deref(&self) -> &Self::Target {
        &self.ops
    }
}

impl std::ops::DerefMut for Queue {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.ops
    }
}
