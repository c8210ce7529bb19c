//! The string family, as Redis 7.0 (`t_string.c`) runs it: GET, SET (with
//! EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), SETNX, SETEX, PSETEX, GETSET, GETDEL,
//! GETEX, MGET, MSET, MSETNX, APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE,
//! LCS, INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT. Every one is a data
//! command; each checks its arguments and types in Redis's order, so the
//! same bad request gets the same error, before its first write.
//!
//! Expiry is kept in Unix milliseconds. Commands that rewrite a value in
//! place (APPEND, SETRANGE, INCR..., INCRBYFLOAT) keep the key's expiry;
//! SET, GETSET, MSET clear it (SET ... KEEPTTL keeps it).

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::args::{getrange_range, parse_f64};
use super::data::{self, Fail, Outcome};
use super::{Command, Ctx, Flow, Spec, flag, parse_i64};

/// Redis's default `proto-max-bulk-len`: the longest string APPEND and
/// SETRANGE may build, and the largest LCS table (`checkStringLength`).
const MAX_STRING: u64 = 512 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Get,
    Set,
    SetNx,
    SetEx,
    PSetEx,
    GetSet,
    GetDel,
    GetEx,
    MGet,
    MSet,
    MSetNx,
    Append,
    StrLen,
    GetRange,
    SetRange,
    Substr,
    Lcs,
    Incr,
    Decr,
    IncrBy,
    DecrBy,
    IncrByFloat,
}

const fn spec(
    name: &'static str,
    arity: i16,
    flags: u16,
    summary: &'static str,
    since: &'static str,
    cmd: Cmd,
) -> Spec {
    Spec::new(name, arity, flags, "string", summary, since, Command::Strings(cmd))
}

const WD: u16 = flag::WRITE | flag::DENYOOM;
const WDF: u16 = flag::WRITE | flag::DENYOOM | flag::FAST;
const WF: u16 = flag::WRITE | flag::FAST;
const R: u16 = flag::READONLY;
const RF: u16 = flag::READONLY | flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    spec("get", 2, RF, "Returns the string value of a key.", "1.0.0", Cmd::Get).keys(1, 1, 1),
    spec(
        "set",
        -3,
        WD,
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        "1.0.0",
        Cmd::Set,
    )
    .keys(1, 1, 1),
    spec(
        "setnx",
        3,
        WDF,
        "Set the string value of a key only when the key doesn't exist.",
        "1.0.0",
        Cmd::SetNx,
    )
    .keys(1, 1, 1),
    spec(
        "setex",
        4,
        WD,
        "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
        "2.0.0",
        Cmd::SetEx,
    )
    .keys(1, 1, 1),
    spec(
        "psetex",
        4,
        WD,
        "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
        "2.6.0",
        Cmd::PSetEx,
    )
    .keys(1, 1, 1),
    spec(
        "getset",
        3,
        WDF,
        "Returns the previous string value of a key after setting it to a new value.",
        "1.0.0",
        Cmd::GetSet,
    )
    .keys(1, 1, 1),
    spec(
        "getdel",
        2,
        WF,
        "Returns the string value of a key after deleting the key.",
        "6.2.0",
        Cmd::GetDel,
    )
    .keys(1, 1, 1),
    spec(
        "getex",
        -2,
        WF,
        "Returns the string value of a key after setting its expiration time.",
        "6.2.0",
        Cmd::GetEx,
    )
    .keys(1, 1, 1),
    spec(
        "mget",
        -2,
        RF,
        "Atomically returns the string values of one or more keys.",
        "1.0.0",
        Cmd::MGet,
    )
    .keys(1, -1, 1),
    spec(
        "mset",
        -3,
        WD,
        "Atomically creates or modifies the string values of one or more keys.",
        "1.0.1",
        Cmd::MSet,
    )
    .keys(1, -1, 2),
    spec(
        "msetnx",
        -3,
        WD,
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        "1.0.1",
        Cmd::MSetNx,
    )
    .keys(1, -1, 2),
    spec(
        "append",
        3,
        WDF,
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        "2.0.0",
        Cmd::Append,
    )
    .keys(1, 1, 1),
    spec("strlen", 2, RF, "Returns the length of a string value.", "2.2.0", Cmd::StrLen)
        .keys(1, 1, 1),
    spec(
        "getrange",
        4,
        R,
        "Returns a substring of the string stored at a key.",
        "2.4.0",
        Cmd::GetRange,
    )
    .keys(1, 1, 1),
    spec(
        "setrange",
        4,
        WD,
        "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
        "2.2.0",
        Cmd::SetRange,
    )
    .keys(1, 1, 1),
    spec("substr", 4, R, "Returns a substring from a string value.", "1.0.0", Cmd::Substr)
        .keys(1, 1, 1),
    spec("lcs", -3, R, "Finds the longest common substring.", "7.0.0", Cmd::Lcs).keys(1, 2, 1),
    spec(
        "incr",
        2,
        WDF,
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        "1.0.0",
        Cmd::Incr,
    )
    .keys(1, 1, 1),
    spec(
        "decr",
        2,
        WDF,
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        "1.0.0",
        Cmd::Decr,
    )
    .keys(1, 1, 1),
    spec(
        "incrby",
        3,
        WDF,
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        "1.0.0",
        Cmd::IncrBy,
    )
    .keys(1, 1, 1),
    spec(
        "decrby",
        3,
        WDF,
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
        "1.0.0",
        Cmd::DecrBy,
    )
    .keys(1, 1, 1),
    spec(
        "incrbyfloat",
        3,
        WDF,
        "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        "2.6.0",
        Cmd::IncrByFloat,
    )
    .keys(1, 1, 1),
];

/// The keys of a data command; every string command is one.
pub(super) fn keys(_cmd: Cmd, spec: &Spec, req: &Request) -> Option<Vec<Bytes>> {
    Some(data::spec_keys(spec, req))
}

/// Whether the command overwrites its key without reading it.
pub(super) fn blind(cmd: Cmd, req: &Request) -> bool {
    match cmd {
        Cmd::SetEx | Cmd::PSetEx => true,
        // Only the options that read the old value (NX, XX, GET, KEEPTTL)
        // need it; a time argument that happens to spell one of them would
        // only cost a load.
        Cmd::Set => req.args().skip(3).all(|a| {
            !(a.eq_ignore_ascii_case(b"nx")
                || a.eq_ignore_ascii_case(b"xx")
                || a.eq_ignore_ascii_case(b"get")
                || a.eq_ignore_ascii_case(b"keepttl"))
        }),
        _ => false,
    }
}

/// The body of each command, run under the locks of its keys.
pub(super) fn apply(
    cmd: Cmd,
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    match cmd {
        Cmd::Get => match string(txn, key)? {
            Some(value) => w.bulk(value),
            None => w.null(),
        },
        Cmd::Set => set(req, key, txn, w)?,
        Cmd::SetNx => {
            if txn.get(key).is_some() {
                w.integer(0);
            } else {
                txn.put(key, Value::Blob(arg(req, 2)), None);
                w.integer(1);
            }
        }
        Cmd::SetEx | Cmd::PSetEx => {
            let (unit, name) = match cmd {
                Cmd::SetEx => (Expiry::Ex, "setex"),
                _ => (Expiry::Px, "psetex"),
            };
            let at = expire_at(req.arg(2).unwrap_or_default(), unit, txn.now(), name)?;
            put_string(txn, key, arg(req, 3), Some(at));
            w.ok();
        }
        Cmd::GetSet => {
            let old = string(txn, key)?.cloned();
            txn.put(key, Value::Blob(arg(req, 2)), None);
            bulk_or_null(w, old.as_deref());
        }
        Cmd::GetDel => {
            let old = string(txn, key)?.cloned();
            if old.is_some() {
                txn.delete(key);
            }
            bulk_or_null(w, old.as_deref());
        }
        Cmd::GetEx => getex(req, key, txn, w)?,
        Cmd::MGet => {
            w.array(req.len() - 1);
            for key in req.args().skip(1) {
                match txn.get(key) {
                    Some(Value::Blob(value)) => w.bulk(value),
                    _ => w.null(),
                }
            }
        }
        Cmd::MSet | Cmd::MSetNx => {
            if req.len().is_multiple_of(2) {
                let name = if cmd == Cmd::MSet { "mset" } else { "msetnx" };
                return Err(data::error(format!(
                    "ERR wrong number of arguments for '{name}' command"
                )));
            }
            let pairs = (1..req.len()).step_by(2);
            if cmd == Cmd::MSetNx && pairs.clone().any(|i| txn.get(&arg(req, i)).is_some()) {
                w.integer(0);
                return Ok(());
            }
            for i in pairs {
                txn.put(&arg(req, i), Value::Blob(arg(req, i + 1)), None);
            }
            if cmd == Cmd::MSet { w.ok() } else { w.integer(1) }
        }
        Cmd::Append => {
            let addition = req.arg(2).unwrap_or_default();
            let value = match string(txn, key)? {
                None => arg(req, 2),
                Some(old) => {
                    check_length(old.len() as u64 + addition.len() as u64)?;
                    let mut value = Vec::with_capacity(old.len() + addition.len());
                    value.extend_from_slice(old);
                    value.extend_from_slice(addition);
                    Bytes::from(value)
                }
            };
            let len = value.len();
            let expires_at = txn.expires_at(key);
            txn.put(key, Value::Blob(value), expires_at);
            w.integer(len as i64);
        }
        Cmd::StrLen => {
            let len = string(txn, key)?.map_or(0, Bytes::len);
            w.integer(len as i64);
        }
        Cmd::GetRange | Cmd::Substr => {
            let start = integer_arg(req, 2)?;
            let stop = integer_arg(req, 3)?;
            let value = string(txn, key)?.map(Bytes::as_ref).unwrap_or_default();
            match getrange_range(start, stop, value.len()) {
                Some((start, stop)) => w.bulk(&value[start..=stop]),
                None => w.bulk(b""),
            }
        }
        Cmd::SetRange => setrange(req, key, txn, w)?,
        Cmd::Lcs => lcs(req, txn, w)?,
        Cmd::Incr => incr_by(key, 1, txn, w)?,
        Cmd::Decr => incr_by(key, -1, txn, w)?,
        Cmd::IncrBy => incr_by(key, integer_arg(req, 2)?, txn, w)?,
        Cmd::DecrBy => {
            let by = integer_arg(req, 2)?;
            if by == i64::MIN {
                return Err(data::error("ERR decrement would overflow"));
            }
            incr_by(key, -by, txn, w)?;
        }
        Cmd::IncrByFloat => {
            let current = match string(txn, key)? {
                None => 0.0,
                Some(value) => parse_f64(value).ok_or_else(data::not_float)?,
            };
            let by = parse_f64(req.arg(2).unwrap_or_default()).ok_or_else(data::not_float)?;
            let total = current + by;
            if !total.is_finite() {
                return Err(data::error("ERR increment would produce NaN or Infinity"));
            }
            // Redis replies the stored text as a bulk string, in RESP3 too.
            let text = jotter_resp::double::format_human(total);
            let expires_at = txn.expires_at(key);
            txn.put(key, Value::Blob(Bytes::copy_from_slice(text.as_bytes())), expires_at);
            w.bulk(text.as_bytes());
        }
    }
    Ok(())
}

/// Commands that are not data commands; there are none in this family.
pub(super) async fn execute(_cmd: Cmd, _req: &Request, _ctx: &mut Ctx<'_>) -> Flow {
    unreachable!("every string command is a data command")
}

/// Argument `i` (present: the arity is checked).
fn arg(req: &Request, i: usize) -> Bytes {
    req.arg_bytes(i).unwrap_or_default()
}

/// Argument `i` as Redis's `getLongLongFromObjectOrReply` reads it.
fn integer_arg(req: &Request, i: usize) -> Result<i64, Fail> {
    parse_i64(req.arg(i).unwrap_or_default()).ok_or_else(data::not_integer)
}

/// The key's string, `None` if absent; WRONGTYPE if it holds a map.
fn string<'t>(txn: &'t Txn<'_>, key: &[u8]) -> Result<Option<&'t Bytes>, Fail> {
    match txn.get(key) {
        None => Ok(None),
        Some(Value::Blob(value)) => Ok(Some(value)),
        Some(_) => Err(data::wrong_type()),
    }
}

fn bulk_or_null(w: &mut ReplyWriter<'_>, value: Option<&[u8]>) {
    match value {
        Some(value) => w.bulk(value),
        None => w.null(),
    }
}

/// Stores a string expiring at `expires_at`; one already past deletes the
/// key (as a Redis key set with a past EXAT/PXAT is gone at once).
fn put_string(txn: &mut Txn<'_>, key: &[u8], value: Bytes, expires_at: Option<u64>) {
    if expires_at.is_some_and(|at| at <= txn.now()) {
        txn.delete(key);
    } else {
        txn.put(key, Value::Blob(value), expires_at);
    }
}

/// `checkStringLength`.
fn check_length(len: u64) -> Result<(), Fail> {
    if len > MAX_STRING {
        return Err(data::error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    }
    Ok(())
}

/// INCR, DECR, INCRBY, DECRBY (`incrDecrCommand`): the key keeps its TTL.
fn incr_by(key: &[u8], by: i64, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let current = match string(txn, key)? {
        None => 0,
        Some(value) => parse_i64(value).ok_or_else(data::not_integer)?,
    };
    let total = current
        .checked_add(by)
        .ok_or_else(|| data::error("ERR increment or decrement would overflow"))?;
    let expires_at = txn.expires_at(key);
    txn.put(
        key,
        Value::Blob(Bytes::from(itoa::Buffer::new().format(total).to_owned())),
        expires_at,
    );
    w.integer(total);
    Ok(())
}

// ---------------------------------------------------------------------------
// SET and GETEX options (`parseExtendedStringArgumentsOrReply`)
// ---------------------------------------------------------------------------

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
            return Err(data::syntax());
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
    let invalid = || data::error(format!("ERR invalid expire time in '{command}' command"));
    let value = parse_i64(arg).ok_or_else(data::not_integer)?;
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
fn set(req: &Request, key: &[u8], txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
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
            Some(old) => bulk_or_null(w, old.as_deref()),
            None => w.null(),
        }
        return Ok(());
    }
    let expires_at = if flags & KEEPTTL != 0 { txn.expires_at(key) } else { at };
    put_string(txn, key, arg(req, 2), expires_at);
    match &old {
        Some(old) => bulk_or_null(w, old.as_deref()),
        None => w.ok(),
    }
    Ok(())
}

/// GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST] (`getexCommand`):
/// the options' syntax first, then the key (nil if absent, WRONGTYPE), and
/// only then the expiry's value.
fn getex(req: &Request, key: &[u8], txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
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

/// SETRANGE key offset value (`setrangeCommand`): the key keeps its TTL.
fn setrange(req: &Request, key: &[u8], txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let offset = integer_arg(req, 2)?;
    let Ok(offset) = u64::try_from(offset) else {
        return Err(data::error("ERR offset is out of range"));
    };
    let patch = req.arg(3).unwrap_or_default();
    let old = string(txn, key)?;
    if patch.is_empty() {
        // Setting nothing changes nothing, not even an absent key.
        w.integer(old.map_or(0, Bytes::len) as i64);
        return Ok(());
    }
    let end = offset.saturating_add(patch.len() as u64);
    check_length(end)?;
    let (offset, end) = (offset as usize, end as usize);
    let mut value = old.map(|v| v.to_vec()).unwrap_or_default();
    if value.len() < end {
        value.resize(end, 0);
    }
    value[offset..end].copy_from_slice(patch);
    let len = value.len();
    let expires_at = txn.expires_at(key);
    txn.put(key, Value::Blob(Bytes::from(value)), expires_at);
    w.integer(len as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------

/// One matching range of an LCS IDX reply: (a start, a end, b start, b end).
type Match = (u32, u32, u32, u32);

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] (`lcsCommand`).
fn lcs(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let side = |key: &[u8]| match txn.get(key) {
        None => Ok(Bytes::new()),
        Some(Value::Blob(value)) => Ok(value.clone()),
        Some(_) => Err(data::error("ERR The specified keys must contain string values")),
    };
    let a = side(req.arg(1).unwrap_or_default())?;
    let b = side(req.arg(2).unwrap_or_default())?;
    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len = 0i64;
    let mut j = 3;
    while j < req.len() {
        let opt = req.arg(j).unwrap_or_default();
        let more = j + 1 < req.len();
        if opt.eq_ignore_ascii_case(b"idx") {
            get_idx = true;
        } else if opt.eq_ignore_ascii_case(b"len") {
            get_len = true;
        } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
            with_match_len = true;
        } else if opt.eq_ignore_ascii_case(b"minmatchlen") && more {
            min_match_len = integer_arg(req, j + 1)?.max(0);
            j += 1;
        } else {
            return Err(data::syntax());
        }
        j += 1;
    }
    if get_len && get_idx {
        return Err(data::error(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let limit = u32::MAX as usize - 1;
    if a.len() >= limit || b.len() >= limit {
        return Err(data::error("ERR String too long for LCS"));
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells.saturating_mul(4) > MAX_STRING {
        return Err(data::error(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }

    // table[i * (blen + 1) + j]: the LCS length of a[..i] and b[..j].
    let (alen, blen) = (a.len(), b.len());
    let width = blen + 1;
    let mut table = vec![0u32; (alen + 1) * width];
    for i in 1..=alen {
        for j in 1..=blen {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[alen * width + blen];
    if get_len {
        w.integer(i64::from(total));
        return Ok(());
    }

    // Walk back from the end, as Redis does, collecting the LCS and the
    // ranges of contiguous matches (last ones first).
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut ranges: Vec<Match> = Vec::new();
    let unset = alen as u32;
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (unset, 0u32, 0u32, 0u32);
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == unset {
                a_start = (i - 1) as u32;
                a_end = (i - 1) as u32;
                b_start = (j - 1) as u32;
                b_end = (j - 1) as u32;
            } else if a_start == i as u32 && b_start == j as u32 {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != unset {
                emit = true;
            }
        }
        if emit {
            let match_len = a_end.wrapping_sub(a_start).wrapping_add(1);
            if min_match_len == 0 || i64::from(match_len) >= min_match_len {
                ranges.push((a_start, a_end, b_start, b_end));
            }
            a_start = unset;
        }
    }
    if !get_idx {
        w.bulk(&result);
        return Ok(());
    }
    w.map(2);
    w.bulk(b"matches");
    w.array(ranges.len());
    for (a_start, a_end, b_start, b_end) in ranges {
        w.array(if with_match_len { 3 } else { 2 });
        w.array(2);
        w.integer(i64::from(a_start));
        w.integer(i64::from(a_end));
        w.array(2);
        w.integer(i64::from(b_start));
        w.integer(i64::from(b_end));
        if with_match_len {
            w.integer(i64::from(a_end - a_start + 1));
        }
    }
    w.bulk(b"len");
    w.integer(i64::from(total));
    Ok(())
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use jotter::{Cache, FieldValue, MapKind, MemoryStore};
    use jotter_resp::Protocol;

    use super::*;
    use crate::command::lookup;

    /// A cache holding the hash `h` (no front end can make one here yet).
    async fn with_hash() -> Cache<MemoryStore> {
        let cache = Cache::builder(MemoryStore::new()).build().await.expect("a cache");
        let field = (Bytes::from("f"), Some(FieldValue::Bytes(Bytes::from("v"))));
        cache
            .transact(&[Bytes::from("h")], |txn| {
                txn.set_fields(b"h", MapKind::Hash, [field.clone()])
            })
            .await
            .expect("a hash");
        cache
    }

    /// Runs one command as the dispatcher does; the reply as text.
    async fn run(cache: &Cache<MemoryStore>, args: &[&str]) -> String {
        let req = Request::from_args(args).expect("a request");
        let (_, spec) = lookup(args[0].as_bytes()).expect("a string command");
        let Command::Strings(cmd) = spec.command else {
            panic!("{} is not a string command", args[0])
        };
        let keys = keys(cmd, spec, &req).expect("a data command");
        let mut out = BytesMut::new();
        let result = cache
            .transact_deferred(&keys, |txn| {
                out.clear();
                apply(cmd, &req, txn, &mut ReplyWriter::new(&mut out, Protocol::Resp2))
            })
            .await;
        match result {
            Ok(_) => String::from_utf8_lossy(&out).into_owned(),
            Err(fail) => format!("-{}\r\n", fail.text()),
        }
    }

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[tokio::test]
    async fn string_commands_on_a_hash_are_wrongtype_in_redis_order() {
        let cache = with_hash().await;
        for args in [
            &["GET", "h"][..],
            &["SET", "h", "v", "GET"],
            &["SET", "h", "v", "NX", "GET"],
            &["GETSET", "h", "v"],
            &["GETDEL", "h"],
            &["GETEX", "h"],
            &["GETEX", "h", "PERSIST"],
            &["GETEX", "h", "EX", "-1"],
            &["APPEND", "h", "x"],
            &["STRLEN", "h"],
            &["GETRANGE", "h", "0", "-1"],
            &["SUBSTR", "h", "0", "-1"],
            &["SETRANGE", "h", "0", "x"],
            &["SETRANGE", "h", "536870912", "x"],
            &["INCR", "h"],
            &["DECR", "h"],
            &["INCRBY", "h", "2"],
            &["DECRBY", "h", "2"],
            &["INCRBYFLOAT", "h", "1.5"],
            &["INCRBYFLOAT", "h", "x"],
        ] {
            assert_eq!(run(&cache, args).await, WRONGTYPE, "{args:?}");
        }
        // Arguments checked before the key, as in Redis.
        let not_int = "-ERR value is not an integer or out of range\r\n";
        assert_eq!(run(&cache, &["INCRBY", "h", "x"]).await, not_int);
        assert_eq!(run(&cache, &["GETRANGE", "h", "x", "1"]).await, not_int);
        assert_eq!(
            run(&cache, &["SETRANGE", "h", "-1", "x"]).await,
            "-ERR offset is out of range\r\n"
        );
        assert_eq!(run(&cache, &["GETEX", "h", "EX"]).await, "-ERR syntax error\r\n");
        assert_eq!(
            run(&cache, &["SET", "h", "v", "EX", "0", "GET"]).await,
            "-ERR invalid expire time in 'set' command\r\n"
        );
        // LCS has its own words, checked before its options.
        let lcs = "-ERR The specified keys must contain string values\r\n";
        assert_eq!(run(&cache, &["LCS", "h", "none"]).await, lcs);
        assert_eq!(run(&cache, &["LCS", "none", "h", "FOO"]).await, lcs);
        // MGET skips it; SETNX and MSETNX see it exists; SET replaces it.
        assert_eq!(run(&cache, &["MGET", "h", "none"]).await, "*2\r\n$-1\r\n$-1\r\n");
        assert_eq!(run(&cache, &["SETNX", "h", "v"]).await, ":0\r\n");
        assert_eq!(run(&cache, &["MSETNX", "x", "1", "h", "v"]).await, ":0\r\n");
        assert_eq!(run(&cache, &["GET", "x"]).await, "$-1\r\n");
        assert_eq!(run(&cache, &["SET", "h", "v"]).await, "+OK\r\n");
        assert_eq!(run(&cache, &["GET", "h"]).await, "$1\r\nv\r\n");
    }

    #[tokio::test]
    async fn lcs_ranges_follow_redis_walk() {
        let cache = Cache::builder(MemoryStore::new()).build().await.expect("a cache");
        assert_eq!(
            run(&cache, &["MSET", "c", "abcXdefYYghi", "d", "zabcdeQfghi"]).await,
            "+OK\r\n"
        );
        // Checked against Redis 7.0.15.
        assert_eq!(run(&cache, &["LCS", "c", "d"]).await, "$9\r\nabcdefghi\r\n");
        assert_eq!(
            run(&cache, &["LCS", "c", "d", "IDX", "WITHMATCHLEN"]).await,
            "*4\r\n$7\r\nmatches\r\n*4\r\n\
             *3\r\n*2\r\n:9\r\n:11\r\n*2\r\n:8\r\n:10\r\n:3\r\n\
             *3\r\n*2\r\n:6\r\n:6\r\n*2\r\n:7\r\n:7\r\n:1\r\n\
             *3\r\n*2\r\n:4\r\n:5\r\n*2\r\n:4\r\n:5\r\n:2\r\n\
             *3\r\n*2\r\n:0\r\n:2\r\n*2\r\n:1\r\n:3\r\n:3\r\n\
             $3\r\nlen\r\n:9\r\n"
        );
    }
}
