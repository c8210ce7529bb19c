//! SETBIT and GETBIT: one bit at a time.

use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::value::{arg, bit_at, bit_offset, bitmap, key, writable, write_back};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};

/// `SETBIT key offset value`: the bit's old value. A missing key is
/// created (zero-padded) even when the bit set is 0, as in Redis.
pub(super) fn setbit(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let offset = bit_offset(arg(req, 2), None)?;
    let on = match parse_i64(arg(req, 3)) {
        Some(bit @ (0 | 1)) => bit as u8,
        _ => return Err(fail::error("ERR bit is not an integer or out of range")),
    };
    let key = key(req);
    let mut bytes = writable(txn, key, offset)?;
    let old = bit_at(&bytes, offset);
    let byte = &mut bytes[(offset >> 3) as usize];
    let mask = 1 << (7 - (offset & 7));
    *byte = if on == 1 { *byte | mask } else { *byte & !mask };
    write_back(txn, key, bytes);
    w.integer(i64::from(old));
    Ok(())
}

/// `GETBIT key offset`.
pub(super) fn getbit(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let offset = bit_offset(arg(req, 2), None)?;
    let bit = bitmap(txn, key(req))?.map_or(0, |bytes| bit_at(bytes, offset));
    w.integer(i64::from(bit));
    Ok(())
}
