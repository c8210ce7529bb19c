//! What SORT reads and writes by type: the elements of the key it sorts,
//! one function per type, and the list its STORE option writes. Adding a
//! type SORT takes is one arm in [`elements`].

use bytes::Bytes;
use std::sync::Arc;

use jotter::{ScoreMap, Txn, Value, list_order};

use crate::command::fail::{self, Fail};
use crate::command::set::Members;

/// The elements of the key being sorted.
pub(super) struct Input {
    /// In the order the type keeps them.
    pub elements: Vec<Bytes>,
    /// Whether that order means something (a list's, a sorted set's),
    /// which `BY nosort` keeps; a set's members have none.
    pub ordered: bool,
}

/// The elements of `value` (an absent key: none, as an empty list);
/// WRONGTYPE for a type SORT does not take.
pub(super) fn elements(value: Option<&Value>) -> Result<Input, Fail> {
    match value {
        None => Ok(Input { elements: Vec::new(), ordered: true }),
        Some(Value::Set(members)) => Ok(of_set(members)),
        Some(Value::Scores(map)) => Ok(of_sorted_set(map)),
        // `BY nosort` keeps a list's order, head to tail.
        Some(Value::List(list)) => {
            Ok(Input { elements: list.values().cloned().collect(), ordered: true })
        }
        Some(_) => Err(fail::wrong_type()),
    }
}

fn of_set(members: &Members) -> Input {
    Input { elements: members.iter().cloned().collect(), ordered: false }
}

/// A sorted set's members by rank (lowest score first).
fn of_sorted_set(map: &ScoreMap) -> Input {
    Input { elements: map.ranked().map(|(m, _)| m.clone()).collect(), ordered: true }
}

/// SORT ... STORE: `items` replace whatever `dst` held, as a list without
/// a TTL; no items delete it.
pub(super) fn store(txn: &mut Txn<'_>, dst: &[u8], items: Vec<Bytes>) -> Result<(), Fail> {
    if items.is_empty() {
        txn.delete(dst);
        return Ok(());
    }
    txn.put(dst, Value::List(Arc::new(list_order::elements(&items))), None);
    Ok(())
}
