//! What the bitmap commands share: a key's string seen as bits (bit 0 is
//! the most significant bit of byte 0, as in Redis), bit offsets parsed as
//! Redis parses them, and a grown string written back with its TTL.

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::Request;

use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail};
use crate::command::strings::MAX_STRING;

/// The key: argument 1.
pub(super) fn key(req: &Request) -> &[u8] {
    req.arg(1).unwrap_or_default()
}

/// Argument `i` (present: the arity is checked).
pub(super) fn arg(req: &Request, i: usize) -> &[u8] {
    req.arg(i).unwrap_or_default()
}

/// The key's string, `None` if absent; WRONGTYPE if it holds another type.
pub(super) use crate::command::strings::string as bitmap;

/// A bit offset as Redis's `getBitOffsetFromArgument` reads it: a
/// non-negative integer whose byte is below the maximum string length. With
/// `width` (BITFIELD), `#n` means the n-th field of that width.
pub(super) fn bit_offset(arg: &[u8], width: Option<u32>) -> Result<u64, Fail> {
    let out_of_range = || fail::error("ERR bit offset is not an integer or out of range");
    let (digits, width) = match (arg.first(), width) {
        (Some(b'#'), Some(width)) => (&arg[1..], i64::from(width)),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits).and_then(|n| n.checked_mul(width)).ok_or_else(out_of_range)?;
    match u64::try_from(offset) {
        Ok(offset) if offset >> 3 < MAX_STRING => Ok(offset),
        _ => Err(out_of_range()),
    }
}

/// The bit at `offset` of `bytes`, 0 beyond their end.
pub(super) fn bit_at(bytes: &[u8], offset: u64) -> u8 {
    usize::try_from(offset >> 3)
        .ok()
        .and_then(|i| bytes.get(i))
        .map_or(0, |byte| (byte >> (7 - (offset & 7))) & 1)
}

/// The key's bytes to change in place, zero-padded to hold bit `last_bit`
/// (Redis's `lookupStringForBitCommand`, which creates a missing key).
pub(super) fn writable(txn: &Txn<'_>, key: &[u8], last_bit: u64) -> Result<Vec<u8>, Fail> {
    let mut bytes = bitmap(txn, key)?.map(|v| v.to_vec()).unwrap_or_default();
    let len = usize::try_from((last_bit >> 3) + 1).map_err(|_| fail::not_integer())?;
    if bytes.len() < len {
        bytes.resize(len, 0);
    }
    Ok(bytes)
}

/// Stores `bytes` as the key's string, keeping its TTL (the key is
/// changed in place, not replaced).
pub(super) fn write_back(txn: &mut Txn<'_>, key: &[u8], bytes: Vec<u8>) {
    let expires_at = txn.expires_at(key);
    txn.put(key, Value::Blob(Bytes::from(bytes)), expires_at);
}
