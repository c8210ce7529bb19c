//! The EXPIRE family (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT), the TTL
//! family (TTL, PTTL, EXPIRETIME, PEXPIRETIME) and PERSIST. Expiry is kept
//! in Unix milliseconds.

use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};

/// How an EXPIRE-family command reads its time.
struct Expire {
    name: &'static str,
    /// In seconds, not milliseconds.
    seconds: bool,
    /// From now, not from the Unix epoch.
    relative: bool,
}

pub(super) fn expire(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    set_expiry(req, txn, w, Expire { name: "expire", seconds: true, relative: true })
}

pub(super) fn pexpire(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    set_expiry(req, txn, w, Expire { name: "pexpire", seconds: false, relative: true })
}

pub(super) fn expireat(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    set_expiry(req, txn, w, Expire { name: "expireat", seconds: true, relative: false })
}

pub(super) fn pexpireat(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    set_expiry(req, txn, w, Expire { name: "pexpireat", seconds: false, relative: false })
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX|XX|GT|LT], checked in
/// Redis's order: the options, then the time.
fn set_expiry(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, cmd: Expire) -> Outcome {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in req.args().skip(3) {
        let flag = match opt.to_ascii_lowercase().as_slice() {
            b"nx" => &mut nx,
            b"xx" => &mut xx,
            b"gt" => &mut gt,
            b"lt" => &mut lt,
            _ => {
                return Err(fail::error(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(opt)
                )));
            }
        };
        *flag = true;
    }
    if nx && (xx || gt || lt) {
        return Err(fail::error(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(fail::error("ERR GT and LT options at the same time are not compatible"));
    }
    let mut when = req.arg(2).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    let name = cmd.name;
    let invalid = || fail::error(format!("ERR invalid expire time in '{name}' command"));
    if cmd.seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let base = if cmd.relative { now_i64(txn) } else { 0 };
    // Redis refuses only an overflow past the top (a time far in the past
    // simply deletes the key).
    if when > i64::MAX - base {
        return Err(invalid());
    }
    when += base;
    let key = req.arg(1).unwrap_or_default();
    if txn.get(key).is_none() {
        w.integer(0);
        return Ok(());
    }
    let current = txn.expires_at(key).map(|at| i64::try_from(at).unwrap_or(i64::MAX));
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c));
    if refused {
        w.integer(0);
        return Ok(());
    }
    if when <= now_i64(txn) {
        txn.delete(key);
    } else {
        txn.set_expiry(key, Some(u64::try_from(when).unwrap_or(u64::MAX)));
    }
    w.integer(1);
    Ok(())
}

pub(super) fn ttl(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    time_left(req, txn, w, true, true)
}

pub(super) fn pttl(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    time_left(req, txn, w, true, false)
}

pub(super) fn expiretime(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    time_left(req, txn, w, false, true)
}

pub(super) fn pexpiretime(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    time_left(req, txn, w, false, false)
}

/// The TTL family: -2 for no key, -1 for no expiry, else the time left
/// (`relative`) or the expiry's Unix time, in seconds or milliseconds.
fn time_left(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    relative: bool,
    seconds: bool,
) -> Outcome {
    let Some(entry) = txn.entry(req.arg(1).unwrap_or_default()) else {
        w.integer(-2);
        return Ok(());
    };
    let Some(at) = entry.expires_at else {
        w.integer(-1);
        return Ok(());
    };
    let at = i64::try_from(at).unwrap_or(i64::MAX);
    let ms = if relative { at.saturating_sub(now_i64(txn)).max(0) } else { at };
    // Redis rounds to the nearest second.
    w.integer(if seconds { ms.saturating_add(500) / 1000 } else { ms });
    Ok(())
}

pub(super) fn persist(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    let cleared = txn.expires_at(key).is_some() && txn.set_expiry(key, None);
    w.integer(i64::from(cleared));
    Ok(())
}

fn now_i64(txn: &Txn<'_>) -> i64 {
    i64::try_from(txn.now()).unwrap_or(i64::MAX)
}
