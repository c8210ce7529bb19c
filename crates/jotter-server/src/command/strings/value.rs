//! What the string commands share: reading their arguments and their
//! key's string, storing one, and Redis's length limit.

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::Request;

use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail};

/// Redis's default `proto-max-bulk-len`: the longest string APPEND and
/// SETRANGE may build, and the largest LCS table (`checkStringLength`).
pub(in crate::command) const MAX_STRING: u64 = 512 * 1024 * 1024;

/// The key: argument 1.
pub(super) fn key(req: &Request) -> &[u8] {
    req.arg(1).unwrap_or_default()
}

/// Argument `i` (present: the arity is checked).
pub(super) fn arg(req: &Request, i: usize) -> Bytes {
    req.arg_bytes(i).unwrap_or_default()
}

/// Argument `i` as Redis's `getLongLongFromObjectOrReply` reads it.
pub(super) fn integer_arg(req: &Request, i: usize) -> Result<i64, Fail> {
    parse_i64(req.arg(i).unwrap_or_default()).ok_or_else(fail::not_integer)
}

/// The key's string, `None` if absent; WRONGTYPE if it holds a map.
pub(in crate::command) fn string<'t>(
    txn: &'t Txn<'_>,
    key: &[u8],
) -> Result<Option<&'t Bytes>, Fail> {
    match txn.get(key) {
        None => Ok(None),
        Some(Value::Blob(value)) => Ok(Some(value)),
        Some(_) => Err(fail::wrong_type()),
    }
}

/// Stores a string expiring at `expires_at`; one already past deletes the
/// key (as a Redis key set with a past EXAT/PXAT is gone at once).
pub(super) fn put_string(txn: &mut Txn<'_>, key: &[u8], value: Bytes, expires_at: Option<u64>) {
    if expires_at.is_some_and(|at| at <= txn.now()) {
        txn.delete(key);
    } else {
        txn.put(key, Value::Blob(value), expires_at);
    }
}

/// `checkStringLength`.
pub(super) fn check_length(len: u64) -> Result<(), Fail> {
    if len > MAX_STRING {
        return Err(fail::error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    }
    Ok(())
}
