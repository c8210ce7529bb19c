//! What the list commands share: reading a key's list, and pushing,
//! popping and moving elements as field changes of the engine's
//! [`Value::List`] (order keys from [`jotter::list_order`]).

use bytes::Bytes;
use jotter::list_order::{self, Elements};
use jotter::{MapKind, Txn, Value};

use crate::command::fail::{self, Fail};

/// An end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    Left,
    Right,
}

/// `LEFT` or `RIGHT` (any case), else a syntax error.
pub(super) fn parse_end(arg: &[u8]) -> Result<End, Fail> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Left)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Right)
    } else {
        Err(fail::syntax())
    }
}

/// The list at `key`: `None` if absent, WRONGTYPE if it holds another type.
pub(super) fn list<'t>(txn: &'t Txn<'_>, key: &[u8]) -> Result<Option<&'t Elements>, Fail> {
    match txn.get(key) {
        None => Ok(None),
        Some(Value::List(elements)) => Ok(Some(elements)),
        Some(_) => Err(fail::wrong_type()),
    }
}

/// Inserts `values`, in order, before the element at `index` of the list
/// at `key` (which is a list or absent); returns the new length.
pub(super) fn insert_at(
    txn: &mut Txn<'_>,
    key: &[u8],
    index: usize,
    values: &[Bytes],
) -> Result<usize, Fail> {
    let empty = Elements::new();
    let elements = list(txn, key)?.unwrap_or(&empty);
    let len = elements.len() + values.len();
    let changes = list_order::insert(elements, index, values);
    txn.set_fields(key, MapKind::List, changes)?;
    Ok(len)
}

/// Pushes each of `values` in turn at `end` of the list at `key` (LPUSH a
/// b leaves b first, as in Redis); returns the new length.
pub(super) fn push(
    txn: &mut Txn<'_>,
    key: &[u8],
    end: End,
    values: &[Bytes],
) -> Result<usize, Fail> {
    match end {
        End::Left => {
            let reversed: Vec<Bytes> = values.iter().rev().cloned().collect();
            insert_at(txn, key, 0, &reversed)
        }
        End::Right => {
            let len = list(txn, key)?.map_or(0, Elements::len);
            insert_at(txn, key, len, values)
        }
    }
}

/// Pops up to `n` elements from `end` of the list at `key`; returns them in
/// pop order (none if the key is absent).
pub(super) fn pop_n(txn: &mut Txn<'_>, key: &[u8], end: End, n: usize) -> Result<Vec<Bytes>, Fail> {
    let Some(elements) = list(txn, key)? else {
        return Ok(Vec::new());
    };
    let popped: Vec<(Bytes, Bytes)> = match end {
        End::Left => elements.iter().take(n).map(|(k, v)| (k.clone(), v.clone())).collect(),
        End::Right => elements.iter().rev().take(n).map(|(k, v)| (k.clone(), v.clone())).collect(),
    };
    remove_keys(txn, key, popped.iter().map(|(k, _)| k.clone()))?;
    Ok(popped.into_iter().map(|(_, v)| v).collect())
}

/// Removes the elements under `order_keys` from the list at `key`.
pub(super) fn remove_keys(
    txn: &mut Txn<'_>,
    key: &[u8],
    order_keys: impl IntoIterator<Item = Bytes>,
) -> Result<(), Fail> {
    txn.set_fields(key, MapKind::List, order_keys.into_iter().map(|k| (k, None)))?;
    Ok(())
}

/// LMOVE's step: pops one element from `from` of `src` and pushes it at
/// `to` of `dst`; `None`, changing nothing, if `src` is absent. `dst` is
/// checked only when there is something to move, as in Redis.
pub(super) fn move_one(
    txn: &mut Txn<'_>,
    (src, from): (&[u8], End),
    (dst, to): (&[u8], End),
) -> Result<Option<Bytes>, Fail> {
    if list(txn, src)?.is_none() {
        return Ok(None);
    }
    list(txn, dst)?;
    let value = pop_n(txn, src, from, 1)?.pop().expect("a list holds an element");
    push(txn, dst, to, std::slice::from_ref(&value))?;
    Ok(Some(value))
}

/// A Redis index (negative: from the end) as a position in `elements`, if
/// it is one.
pub(super) fn index_of(elements: &Elements, index: i64) -> Option<usize> {
    let len = i64::try_from(elements.len()).ok()?;
    let at = if index < 0 { len.checked_add(index)? } else { index };
    usize::try_from(at).ok().filter(|&i| i < elements.len())
}

/// A length as an integer reply.
pub(super) fn len_reply(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}
