//! The string commands that take an expiry: SET with its options, SETEX,
//! PSETEX and GETEX, with Redis's option loop.
//! Expiry is kept in Unix milliseconds.

use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::value::{arg, key, put_string, string};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail, Outcome};

pub(super) fn setex(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    set_expiring(req, txn, w, Expiry::Ex, "setex")
}

pub(super) fn psetex(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    set_expiring(req, txn, w, Expiry::Px, "psetex")
}

/// SETEX and PSETEX: the value at argument 3, expiring after argument 2.
fn set_expiring(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    unit: Expiry,
    name: &str,
) -> Outcome {
    let at = expire_at(req.arg(2).unwrap_or_default(), unit, txn.now(), name)?;
    put_string(txn, key(req), arg(req, 3), Some(at));
    w.ok();
    Ok(())
}

const NX: u16 = 1 << 0;
const XX: u16 = 1 << 1;
const EX: u16 = 1 << 2;
const PX: u16 = 1 << 3;
const KEEPTTL: u16 = 1 << 4;
const GET: u16 = 1 << 5;
const EXAT: u16 = 1 << 6;
const PXAT: u16 = 1 << 7;
const PERSIST: u16 = 1 << 8;
const ANY_EXPIRE: u16 = EX | PX | EXAT | PXAT;

/// How an expiry argument reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expiry {
    /// Seconds from now.
    Ex,
    /// Milliseconds from now.
    Px,
    /// A Unix time in seconds.
    ExAt,
    /// A Unix time in milliseconds.
    PxAt,
}

/// Parsed SET/GETEX options: the flags and the expiry argument.
struct Options<'r> {
    flags: u16,
    expire: Option<(Expiry, &'r [u8])>,
}

/// Redis's option loop, conflicts and all: an option that conflicts with an
/// earlier one, or an expiry without its argument, is `ERR syntax error`.
fn parse_options(req: &Request, set: bool) -> Result<Options<'_>, Fail> {
    let mut flags = 0u16;
    let mut expire = None;
    let mut j = if set { 3 } else { 2 };
    while j < req.len() {
        let opt = req.arg(j).unwrap_or_default();
        let is = |word: &str| opt.eq_ignore_ascii_case(word.as_bytes());
        if is("nx") && set && flags & XX == 0 {
            flags |= NX;
        } else if is("xx") && set && flags & NX == 0 {
            flags |= XX;
        } else if is("get") && set {
            flags |= GET;
        } else if is("keepttl") && set && flags & (PERSIST | ANY_EXPIRE) == 0 {
            flags |= KEEPTTL;
        } else if is("persist") && !set && flags & (ANY_EXPIRE | KEEPTTL) == 0 {
            flags |= PERSIST;
        } else if let Some((unit, own)) = expiry_word(opt)
            && flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & !own)) == 0
            && let Some(next) = req.arg(j + 1)
        {
            flags |= own;
            expire = Some((unit, next));
            j += 1;
        } else {
            return Err(fail::syntax());
        }
        j += 1;
    }
    Ok(Options { flags, expire })
}

/// EX, PX, EXAT or PXAT, with its flag.
fn expiry_word(opt: &[u8]) -> Option<(Expiry, u16)> {
    [
        (b"ex" as &[u8], Expiry::Ex, EX),
        (b"px", Expiry::Px, PX),
        (b"exat", Expiry::ExAt, EXAT),
        (b"pxat", Expiry::PxAt, PXAT),
    ]
    .into_iter()
    .find(|(word, ..)| opt.eq_ignore_ascii_case(word))
    .map(|(_, unit, flag)| (unit, flag))
}

/// `getExpireMillisecondsOrReply`: the expiry as a Unix time in ms.
fn expire_at(arg: &[u8], unit: Expiry, now: u64, command: &str) -> Result<u64, Fail> {
    let invalid = || fail::error(format!("ERR invalid expire time in '{command}' command"));
    let value = parse_i64(arg).ok_or_else(fail::not_integer)?;
    let seconds = matches!(unit, Expiry::Ex | Expiry::ExAt);
    if value <= 0 || (seconds && value > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { value * 1000 } else { value };
    if matches!(unit, Expiry::Ex | Expiry::Px) {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        ms = ms.checked_add(now).ok_or_else(invalid)?;
    }
    u64::try_from(ms).map_err(|_| invalid())
}

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL]
/// (`setCommand`, `setGenericCommand`).
pub(super) fn set(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let options = parse_options(req, true)?;
    let flags = options.flags;
    let at = match options.expire {
        Some((unit, value)) => Some(expire_at(value, unit, txn.now(), "set")?),
        None => None,
    };
    let old = if flags & GET != 0 { Some(string(txn, key)?.cloned()) } else { None };
    // Read only when asked: a plain SET writes its key blind (not loaded).
    let found = flags & (NX | XX) != 0 && txn.get(key).is_some();
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        match &old {
            Some(old) => w.bulk_or_null(old.as_deref()),
            None => w.null(),
        }
        return Ok(());
    }
    let expires_at = if flags & KEEPTTL != 0 { txn.expires_at(key) } else { at };
    put_string(txn, key, arg(req, 2), expires_at);
    match &old {
        Some(old) => w.bulk_or_null(old.as_deref()),
        None => w.ok(),
    }
    Ok(())
}

/// GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST] (`getexCommand`):
/// the options' syntax first, then the key (nil if absent, WRONGTYPE), and
/// only then the expiry's value.
pub(super) fn getex(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let options = parse_options(req, false)?;
    let Some(value) = string(txn, key)?.cloned() else {
        w.null();
        return Ok(());
    };
    let at = match options.expire {
        Some((unit, arg)) => Some((unit, expire_at(arg, unit, txn.now(), "getex")?)),
        None => None,
    };
    w.bulk(&value);
    match at {
        Some((Expiry::ExAt | Expiry::PxAt, at)) if at <= txn.now() => {
            txn.delete(key);
        }
        Some((_, at)) => {
            txn.set_expiry(key, Some(at));
        }
        None if options.flags & PERSIST != 0 && txn.expires_at(key).is_some() => {
            txn.set_expiry(key, None);
        }
        None => {}
    }
    Ok(())
}
