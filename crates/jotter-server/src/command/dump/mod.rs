//! DUMP and RESTORE: a key's value as Redis's serialized payload, and back.
//!
//! A payload is an RDB object in a checked frame (`payload.rs`). Jotter
//! writes the plain encodings that Redis 7.0 reads (`object.rs`), so a value
//! DUMPed here RESTOREs into Redis, and it reads what Redis 7.0 and 7.2
//! DUMP, their compact encodings included (`listpack.rs`, `lzf.rs`), so a
//! value moves from Redis into Jotter with RESTORE. The bytes differ from
//! Redis's DUMP of the same value (Redis picks compact encodings), so only
//! the round trip is the same, not the payload. A stream is the exception:
//! it is written in a form of Jotter's own (its entries and its groups'
//! state), which another Jotter server RESTOREs and Redis refuses; a Redis
//! stream payload is refused here.
//!
//! RESTORE takes Redis's options: REPLACE, ABSTTL, and IDLETIME or FREQ,
//! which are checked as Redis checks them and then ignored, because the
//! server keeps no access clock or frequency per key.

mod listpack;
mod lzf;
mod object;
// FUNCTION DUMP and RESTORE (`script/`) frame their payload the same way.
pub(super) mod payload;
pub(super) mod rdb;

use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use self::object::Unreadable;
use super::args::parse_i64;
use super::fail::{self, Outcome};
use super::spec::{Spec, data, flag};

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "dump",
        2,
        flag::READONLY,
        "generic",
        "Returns a key's value serialized as Redis's DUMP payload (readable by RESTORE here and in Redis).",
        "2.6.0",
        data(dump),
    )
    .keys(1, 1, 1),
    Spec::new(
        "restore",
        -4,
        flag::WRITE | flag::DENYOOM,
        "generic",
        "Creates a key from a DUMP payload (REPLACE, ABSTTL; IDLETIME and FREQ are accepted).",
        "2.6.0",
        data(restore),
    )
    .keys(1, 1, 1),
];

/// `DUMP key`: the payload, or nil for a missing key.
fn dump(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    match txn.get(req.arg(1).unwrap_or_default()) {
        Some(value) => w.bulk(&payload::seal(object::encode(value))),
        None => w.null(),
    }
    Ok(())
}

/// `RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]`,
/// checked in Redis's order, so the same bad request gets the same error.
fn restore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq) = (false, false);
    let mut i = 4;
    while let Some(opt) = req.arg(i) {
        let has_value = i + 1 < req.len();
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if opt.eq_ignore_ascii_case(b"idletime") && has_value && !freq {
            let seconds = req.arg(i + 1).and_then(parse_i64).ok_or_else(fail::not_integer)?;
            if seconds < 0 {
                return Err(fail::error("ERR Invalid IDLETIME value, must be >= 0"));
            }
            (idle, i) = (true, i + 1);
        } else if opt.eq_ignore_ascii_case(b"freq") && has_value && !idle {
            let f = req.arg(i + 1).and_then(parse_i64).ok_or_else(fail::not_integer)?;
            if !(0..=255).contains(&f) {
                return Err(fail::error("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            }
            (freq, i) = (true, i + 1);
        } else {
            return Err(fail::syntax());
        }
        i += 1;
    }
    let key = req.arg(1).unwrap_or_default();
    if !replace && txn.get(key).is_some() {
        return Err(fail::error("BUSYKEY Target key name already exists."));
    }
    let ttl = req.arg(2).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    if ttl < 0 {
        return Err(fail::error("ERR Invalid TTL value, must be >= 0"));
    }
    let object = payload::open(req.arg(3).unwrap_or_default())
        .ok_or_else(|| fail::error("ERR DUMP payload version or checksum are wrong"))?;
    let value = object::decode(object).map_err(|e| match e {
        Unreadable::BadFormat => fail::error("ERR Bad data format"),
        Unreadable::NotRead(kind) => fail::error(format!(
            "ERR RESTORE does not read a {kind} payload here; copy it with XRANGE and XADD"
        )),
    })?;
    let expires_at = match ttl {
        0 => None,
        ttl if absttl => Some(u64::try_from(ttl).unwrap_or(0)),
        ttl => Some(txn.now().saturating_add(u64::try_from(ttl).unwrap_or(0))),
    };
    match expires_at {
        // Already expired: the key is only deleted (with REPLACE), as in Redis.
        Some(at) if at <= txn.now() => {
            txn.delete(key);
        }
        _ => txn.put(key, value, expires_at),
    }
    w.ok();
    Ok(())
}
