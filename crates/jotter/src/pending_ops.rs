//! A key's pending ops, oldest first, held inline while there is one.
//!
//! Nearly every pending key has exactly one op (coalescing folds newer
//! writes into it), so that op lives in the key's slot in its shard's map
//! rather than in an allocation of its own: one allocation (and its
//! allocator header and rounding) less per pending key. A second op (one
//! queued behind an op in flight, or ordered mode) moves them all into a
//! `VecDeque`, which is given up again when one op is left.

use std::collections::VecDeque;

use crate::op::QueuedOp;

#[derive(Debug, Default)]
pub(crate) enum Ops {
    #[default]
    Empty,
    One(QueuedOp),
    Many(VecDeque<QueuedOp>),
}

impl Ops {
    pub(crate) fn len(&self) -> usize {
        match self {
            Ops::Empty => 0,
            Ops::One(_) => 1,
            Ops::Many(q) => q.len(),
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn front(&self) -> Option<&QueuedOp> {
        match self {
            Ops::Empty => None,
            Ops::One(p) => Some(p),
            Ops::Many(q) => q.front(),
        }
    }

    pub(crate) fn front_mut(&mut self) -> Option<&mut QueuedOp> {
        match self {
            Ops::Empty => None,
            Ops::One(p) => Some(p),
            Ops::Many(q) => q.front_mut(),
        }
    }

    pub(crate) fn back(&self) -> Option<&QueuedOp> {
        match self {
            Ops::Empty => None,
            Ops::One(p) => Some(p),
            Ops::Many(q) => q.back(),
        }
    }

    pub(crate) fn back_mut(&mut self) -> Option<&mut QueuedOp> {
        match self {
            Ops::Empty => None,
            Ops::One(p) => Some(p),
            Ops::Many(q) => q.back_mut(),
        }
    }

    pub(crate) fn push_back(&mut self, op: QueuedOp) {
        match std::mem::take(self) {
            Ops::Empty => *self = Ops::One(op),
            Ops::One(first) => *self = Ops::Many(VecDeque::from([first, op])),
            Ops::Many(mut q) => {
                q.push_back(op);
                *self = Ops::Many(q);
            }
        }
    }

    pub(crate) fn pop_front(&mut self) -> Option<QueuedOp> {
        match std::mem::take(self) {
            Ops::Empty => None,
            Ops::One(p) => Some(p),
            Ops::Many(mut q) => {
                let front = q.pop_front();
                *self = match q.len() {
                    0 => Ops::Empty,
                    // Back inline: the queue's allocation is given up.
                    1 => q.pop_front().map_or(Ops::Empty, Ops::One),
                    _ => Ops::Many(q),
                };
                front
            }
        }
    }

    /// The ops, oldest first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &QueuedOp> + Clone {
        let (a, b): (&[QueuedOp], &[QueuedOp]) = match self {
            Ops::Empty => (&[], &[]),
            Ops::One(p) => (std::slice::from_ref(p), &[]),
            Ops::Many(q) => q.as_slices(),
        };
        a.iter().chain(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::Op;

    fn op(version: u64) -> QueuedOp {
        QueuedOp::new(Op::Delete, version, 0, None)
    }

    fn versions(ops: &Ops) -> Vec<u64> {
        ops.iter().map(|p| p.version).collect()
    }

    #[test]
    fn ops_stay_in_order_through_pushes_and_pops() {
        let mut ops = Ops::default();
        assert!(ops.is_empty() && ops.front().is_none() && ops.pop_front().is_none());
        ops.push_back(op(1));
        assert!(matches!(ops, Ops::One(_)), "one op is held inline");
        ops.push_back(op(2));
        ops.push_back(op(3));
        assert_eq!(versions(&ops), [1, 2, 3]);
        assert_eq!((ops.front().unwrap().version, ops.back().unwrap().version), (1, 3));
        assert_eq!(ops.pop_front().unwrap().version, 1);
        assert_eq!(ops.pop_front().unwrap().version, 2);
        assert!(matches!(ops, Ops::One(_)), "the queue is given up at one op");
        assert_eq!(versions(&ops), [3]);
        assert_eq!(ops.pop_front().unwrap().version, 3);
        assert!(ops.is_empty() && matches!(ops, Ops::Empty));
    }

    #[test]
    fn one_op_costs_no_more_room_than_it_takes() {
        // The inline op must not grow the key's slot past the op itself.
        assert_eq!(std::mem::size_of::<Ops>(), std::mem::size_of::<QueuedOp>());
    }
}

#[cfg(test)]
mod sizes {
    /// The bytes every pending key pays for its op, held inline in its node
    /// (`pending_keys.rs`): an `Instant` or an `Option<u64>` more would grow
    /// the node into the allocator's next size class.
    #[test]
    fn a_pending_op_stays_within_112_bytes() {
        assert!(std::mem::size_of::<crate::op::QueuedOp>() <= 112);
        assert!(std::mem::size_of::<crate::queue::Queue>() <= 120);
    }
}
