//! What the set commands share: reading a key's set, adding and removing
//! its members, and the set reply.

use bytes::Bytes;
use jotter::{FieldValue, MapKind, MemberSet, Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use crate::command::fail::{self, Fail};

/// What a set holds.
pub(crate) type Members = MemberSet;

/// The set at `key`: `None` if absent, WRONGTYPE if it holds another type.
pub(super) fn set_at<'t>(txn: &'t Txn<'_>, key: &[u8]) -> Result<Option<&'t Members>, Fail> {
    match txn.get(key) {
        None => Ok(None),
        Some(Value::Set(members)) => Ok(Some(members)),
        Some(_) => Err(fail::wrong_type()),
    }
}

/// Adds (`true`) or removes `members` of the set at `key`.
pub(super) fn change(
    txn: &mut Txn<'_>,
    key: &[u8],
    members: impl IntoIterator<Item = Bytes>,
    add: bool,
) -> Result<(), Fail> {
    let value = add.then_some(FieldValue::Member);
    txn.set_fields(key, MapKind::Set, members.into_iter().map(|m| (m, value.clone())))?;
    Ok(())
}

/// A set command's key argument.
pub(super) fn key(req: &Request) -> &[u8] {
    req.arg(1).unwrap_or_default()
}

/// A length as a RESP integer.
pub(super) fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Members as a set reply (an array in RESP2).
pub(super) fn write_set<'a>(
    w: &mut ReplyWriter<'_>,
    members: impl ExactSizeIterator<Item = &'a Bytes>,
) {
    w.set(members.len());
    for member in members {
        w.bulk(member);
    }
}
