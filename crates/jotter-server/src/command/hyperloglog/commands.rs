//! PFADD, PFCOUNT and PFMERGE, with Redis's checks in Redis's order: a key
//! of another type is WRONGTYPE, a string that is not a HyperLogLog is
//! Redis's own WRONGTYPE text, broken sparse runs are INVALIDOBJ. A
//! HyperLogLog changed in place keeps its TTL. PFCOUNT never writes (Redis
//! caches the count in the value's header; here it is computed each time).

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::estimate::{add, count};
use super::registers::{Invalid, Registers};
use crate::command::fail::{self, Fail, Outcome};
use crate::command::strings::string;

impl From<Invalid> for Fail {
    fn from(invalid: Invalid) -> Fail {
        fail::error(invalid.to_string())
    }
}

/// The HyperLogLog bytes at `key`, `None` if absent.
fn hll<'t>(txn: &'t Txn<'_>, key: &[u8]) -> Result<Option<&'t Bytes>, Fail> {
    let bytes = string(txn, key)?;
    if let Some(bytes) = bytes {
        Registers::check(bytes)?;
    }
    Ok(bytes)
}

/// Stores `registers` at `key`, keeping its TTL.
fn store(txn: &mut Txn<'_>, key: &[u8], registers: &Registers) {
    let expires_at = txn.expires_at(key);
    txn.put(key, Value::Blob(Bytes::from(registers.to_dense())), expires_at);
}

/// `PFADD key [element ...]`: 1 if a register changed or the key was
/// created, else 0 (and nothing is written).
pub(super) fn pfadd(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    let (mut registers, mut changed) = match hll(txn, key)? {
        None => (Registers::empty(), true),
        Some(bytes) => (Registers::read(bytes)?, false),
    };
    for element in req.args().skip(2) {
        changed |= add(&mut registers, element);
    }
    if changed {
        store(txn, key, &registers);
    }
    w.integer(i64::from(changed));
    Ok(())
}

/// `PFCOUNT key [key ...]`: the cardinality of their union.
pub(super) fn pfcount(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let registers = union(req, 1, txn)?;
    w.integer(count(&registers) as i64);
    Ok(())
}

/// `PFMERGE destkey [sourcekey ...]`: the destination becomes the union
/// of itself and the sources.
pub(super) fn pfmerge(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let registers = union(req, 1, txn)?;
    store(txn, req.arg(1).unwrap_or_default(), &registers);
    w.ok();
    Ok(())
}

/// The register-wise maximum of the HyperLogLogs at the keys from argument
/// `from` on (a missing key is an empty one).
fn union(req: &Request, from: usize, txn: &Txn<'_>) -> Result<Registers, Fail> {
    let mut registers = Registers::empty();
    for key in req.args().skip(from) {
        if let Some(bytes) = hll(txn, key)? {
            registers.merge_bytes(bytes)?;
        }
    }
    Ok(registers)
}
