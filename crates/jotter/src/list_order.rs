//! A list's order keys: where a new element goes, as the field it is
//! stored under.
//!
//! A list ([`Value::List`](crate::Value::List)) is a map of elements by
//! order key, and the keys' byte order is the list's order, so each element
//! is one row in the store (`ORDER BY` the key reads the list back) and a
//! push or a pop writes one row, never the list. This module owns how keys
//! are chosen: eight bytes, a big-endian `u64`, so byte order is number
//! order.
//!
//! - The first element of an empty list takes the middle, 2^63.
//! - A push takes keys [`STEP`] (2^32) beyond the end it goes to, so about
//!   2^31 pushes fit on either side before the ends run out.
//! - An insert between two neighbours spreads its keys evenly over the gap
//!   between theirs, halving it at worst: 32 inserts at one spot fit in a
//!   gap of 2^32.
//! - When no key is free where one is needed (a gap of one, an end reached,
//!   a neighbour's key that is not eight bytes because it was written by
//!   hand), the whole list is renumbered: every element gets a new key,
//!   [`STEP`] apart (closer only if the list is too long for that) and
//!   centred on 2^63. That rewrites the list once, after which the gaps
//!   are whole again, so renumbering always finds keys and is rare: a
//!   queue (pushed at one end, popped at the other) renumbers once per
//!   2^31 pushes, and repeated inserts at one spot once per 32.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::value::FieldValue;

/// A list's elements by order key, as [`Value::List`](crate::Value::List)
/// holds them.
pub type Elements = BTreeMap<Bytes, Bytes>;

/// One change to a list: an order key and its element (`None`: removed),
/// as [`Txn::set_fields`](crate::Txn::set_fields) takes it with
/// [`MapKind::List`](crate::MapKind::List).
pub type Change = (Bytes, Option<FieldValue>);

/// The gap a push leaves between neighbouring keys.
pub const STEP: u64 = 1 << 32;

/// The key of the first element of an empty list.
const MIDDLE: u64 = 1 << 63;

/// A list of `values`, in order, under fresh keys (a list built whole:
/// RESTORE, a STORE option).
#[must_use]
pub fn elements(values: &[Bytes]) -> Elements {
    let mut list = Elements::new();
    for (key, value) in insert(&list, 0, values) {
        if let Some(FieldValue::Element(value)) = value {
            list.insert(key, value);
        }
    }
    list
}

/// The element at `index` (0 is the head) with its order key, walking from
/// the nearer end.
#[must_use]
pub fn nth(list: &Elements, index: usize) -> Option<(&Bytes, &Bytes)> {
    let len = list.len();
    if index >= len {
        None
    } else if index <= len / 2 {
        list.iter().nth(index)
    } else {
        list.iter().nth_back(len - 1 - index)
    }
}

/// The changes that insert `values`, in order, before the element at
/// `index` (`index == len`: after the last): keys between its neighbours',
/// or, if the gap has no room, the whole list renumbered with them.
#[must_use]
pub fn insert(list: &Elements, index: usize, values: &[Bytes]) -> Vec<Change> {
    if values.is_empty() {
        return Vec::new();
    }
    let index = index.min(list.len());
    // `Some(None)`: a neighbour whose key is not one of ours.
    let lo = index.checked_sub(1).and_then(|i| nth(list, i)).map(|(k, _)| number(k));
    let hi = nth(list, index).map(|(k, _)| number(k));
    let keys = match (lo, hi) {
        (Some(None), _) | (_, Some(None)) => None,
        (lo, hi) => spread(lo.flatten(), hi.flatten(), values.len()),
    };
    match keys {
        Some(keys) => keys
            .into_iter()
            .zip(values)
            .map(|(k, v)| (key(k), Some(FieldValue::Element(v.clone()))))
            .collect(),
        None => renumber(list, index, values),
    }
}

/// `n` keys strictly between `lo` and `hi` (`None`: an open end), in
/// order; `None` if they do not fit.
fn spread(lo: Option<u64>, hi: Option<u64>, n: usize) -> Option<Vec<u64>> {
    let n = u64::try_from(n).ok()?;
    let (first, step) = match (lo, hi) {
        (None, None) => (MIDDLE, STEP),
        (Some(lo), None) => (lo.checked_add(STEP)?, STEP),
        (None, Some(hi)) => (hi.checked_sub(STEP.checked_mul(n)?)?, STEP),
        (Some(lo), Some(hi)) => {
            let step = (hi - lo) / (n + 1);
            (lo.checked_add(step)?, step)
        }
    };
    if step == 0 {
        return None;
    }
    // The last key must fit (and, between neighbours, stay below `hi`).
    let last = first.checked_add(step.checked_mul(n - 1)?)?;
    if hi.is_some_and(|hi| last >= hi) {
        return None;
    }
    Some((0..n).map(|i| first + step * i).collect())
}

/// Every element, `values` inserted before the one at `index`, under new
/// keys evenly spaced around the middle; the old keys not reused removed.
fn renumber(list: &Elements, index: usize, values: &[Bytes]) -> Vec<Change> {
    let old: Vec<(&Bytes, &Bytes)> = list.iter().collect();
    let all = old[..index]
        .iter()
        .map(|(_, v)| *v)
        .chain(values)
        .chain(old[index..].iter().map(|(_, v)| *v));
    let total = u64::try_from(old.len() + values.len()).unwrap_or(u64::MAX);
    let step = STEP.min(u64::MAX / total.saturating_add(1)).max(1);
    let first = MIDDLE.saturating_sub(step.saturating_mul(total / 2));
    let mut changes: BTreeMap<Bytes, Option<FieldValue>> =
        old.iter().map(|(k, _)| ((*k).clone(), None)).collect();
    for (i, value) in (0u64..).zip(all) {
        changes.insert(key(first + step * i), Some(FieldValue::Element(value.clone())));
    }
    changes.into_iter().collect()
}

/// The order key of `n`.
fn key(n: u64) -> Bytes {
    Bytes::copy_from_slice(&n.to_be_bytes())
}

/// The number an order key holds, if it is one of ours.
fn number(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn apply(list: &mut Elements, index: usize, values: &[Bytes]) {
        for (k, v) in insert(list, index, values) {
            match v {
                Some(FieldValue::Element(v)) => {
                    list.insert(k, v);
                }
                _ => {
                    list.remove(&k);
                }
            }
        }
    }

    proptest! {
        /// Any sequence of inserts at any index keeps the list in the order
        /// a plain vector does, renumbering included.
        #[test]
        fn inserts_keep_the_order_a_vector_has(
            steps in proptest::collection::vec((any::<prop::sample::Index>(), 1usize..4, any::<bool>()), 1..120)
        ) {
            let mut list = Elements::new();
            let mut model: Vec<Bytes> = Vec::new();
            let mut next = 0u32;
            for (at, n, hand_written) in steps {
                let index = at.index(model.len() + 1);
                let values: Vec<Bytes> = (0..n).map(|_| { next += 1; Bytes::from(next.to_string()) }).collect();
                // A key of another length (a row written by hand) forces a renumber.
                if hand_written && model.is_empty() {
                    list.insert(Bytes::from_static(b"\x80"), Bytes::from_static(b"hand"));
                    model.push(Bytes::from_static(b"hand"));
                    continue;
                }
                apply(&mut list, index, &values);
                model.splice(index..index, values);
                prop_assert_eq!(list.values().cloned().collect::<Vec<_>>(), model.clone());
            }
        }
    }

    #[test]
    fn repeated_inserts_at_one_spot_renumber_and_stay_in_order() {
        let mut list = Elements::new();
        let mut model = Vec::new();
        for i in 0..200u32 {
            let v = Bytes::from(i.to_string());
            apply(&mut list, 1.min(model.len()), std::slice::from_ref(&v));
            model.insert(1.min(model.len()), v);
        }
        assert_eq!(list.values().cloned().collect::<Vec<_>>(), model);
    }

    #[test]
    fn pushes_step_away_from_the_ends() {
        let mut list = Elements::new();
        apply(&mut list, 0, &[Bytes::from_static(b"a")]);
        apply(&mut list, 1, &[Bytes::from_static(b"b")]);
        apply(&mut list, 0, &[Bytes::from_static(b"z")]);
        let keys: Vec<u64> = list.keys().map(|k| number(k).unwrap()).collect();
        assert_eq!(keys, vec![MIDDLE - STEP, MIDDLE, MIDDLE + STEP]);
        assert_eq!(nth(&list, 2).map(|(_, v)| v.clone()), Some(Bytes::from_static(b"b")));
    }
}
