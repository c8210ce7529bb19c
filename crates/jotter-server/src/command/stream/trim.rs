//! The options XADD and XTRIM share (`streamParseAddOrTrimArgsOrReply`):
//! MAXLEN or MINID with `=` or `~`, LIMIT, and XADD's NOMKSTREAM and id;
//! and which entries a trim removes.
//!
//! Redis keeps a stream in nodes of about a hundred entries and, with `~`,
//! removes whole nodes only, so it may keep more entries than asked. The
//! engine keeps no nodes: with `~` a trim removes exactly the entries `=`
//! would, at most LIMIT of them (10000 when LIMIT is not given, as Redis's
//! default), which the option's contract ("at least this many are kept")
//! allows.

use jotter::{Stream, StreamId, StreamWrite, Txn};
use jotter_resp::Request;

use super::id::{GivenId, parse_for_add, parse_strict};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail};

/// How a trim chooses what goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Strategy {
    None,
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Remove entries with smaller ids.
    MinId(StreamId),
}

/// The options parsed.
#[derive(Clone, Copy, Debug)]
pub(super) struct TrimArgs {
    pub(super) strategy: Strategy,
    /// At most this many entries removed (0: no limit).
    pub(super) limit: u64,
    /// XADD's NOMKSTREAM.
    pub(super) no_mkstream: bool,
    /// XADD's id (`None`: `*`).
    pub(super) id: Option<GivenId>,
    /// The argument after the id (XADD's first field).
    pub(super) fields_at: usize,
}

/// Redis's default LIMIT for `~` (100 times its 100 entries a node).
const APPROX_LIMIT: u64 = 10_000;

fn error(text: &'static str) -> Fail {
    fail::error(text)
}

/// Parses the options from argument 2; for XADD, up to and including the id.
pub(super) fn parse(req: &Request, xadd: bool) -> Result<TrimArgs, Fail> {
    let mut args = TrimArgs {
        strategy: Strategy::None,
        limit: 0,
        no_mkstream: false,
        id: None,
        fields_at: req.len(),
    };
    let (mut approx, mut limit_given) = (false, false);
    let argc = req.len();
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = req.arg(i).unwrap_or_default();
        let is = |name: &str| opt.eq_ignore_ascii_case(name.as_bytes());
        if xadd && opt == b"*" {
            args.fields_at = i + 1;
            break;
        } else if (is("maxlen") || is("minid")) && more > 0 {
            if args.strategy != Strategy::None {
                return Err(error(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            approx = false;
            match req.arg(i + 1) {
                Some(b"~") if more >= 2 => {
                    approx = true;
                    i += 1;
                }
                Some(b"=") if more >= 2 => i += 1,
                _ => {}
            }
            let value = req.arg(i + 1).unwrap_or_default();
            args.strategy = if is("maxlen") {
                let n = parse_i64(value).ok_or_else(fail::not_integer)?;
                let n =
                    u64::try_from(n).map_err(|_| error("ERR The MAXLEN argument must be >= 0."))?;
                Strategy::MaxLen(n)
            } else {
                Strategy::MinId(parse_strict(value, 0)?)
            };
            i += 1;
        } else if is("limit") && more > 0 {
            let n = parse_i64(req.arg(i + 1).unwrap_or_default()).ok_or_else(fail::not_integer)?;
            args.limit =
                u64::try_from(n).map_err(|_| error("ERR The LIMIT argument must be >= 0."))?;
            limit_given = true;
            i += 1;
        } else if xadd && is("nomkstream") {
            args.no_mkstream = true;
        } else if xadd {
            args.id = Some(parse_for_add(opt)?);
            args.fields_at = i + 1;
            break;
        } else {
            return Err(fail::syntax());
        }
        i += 1;
    }
    if args.limit > 0 && args.strategy == Strategy::None {
        return Err(error(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && args.strategy == Strategy::None {
        return Err(error("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !approx {
            return Err(error(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else {
        args.limit = if approx { APPROX_LIMIT } else { 0 };
    }
    Ok(args)
}

/// The ids a trim removes from `s`, oldest first.
pub(super) fn victims(s: &Stream, args: &TrimArgs) -> Vec<StreamId> {
    let len = s.entries().len() as u64;
    let most = if args.limit == 0 { u64::MAX } else { args.limit };
    let ids = s.entries().keys().copied();
    let chosen: Vec<StreamId> = match args.strategy {
        Strategy::None => Vec::new(),
        Strategy::MaxLen(n) => ids
            .take(usize::try_from(len.saturating_sub(n).min(most)).unwrap_or(usize::MAX))
            .collect(),
        Strategy::MinId(min) => ids
            .take_while(|id| *id < min)
            .take(usize::try_from(most).unwrap_or(usize::MAX))
            .collect(),
    };
    chosen
}

/// Trims the stream at `key` as `args` say; how many entries went. Redis
/// does not count trimmed entries as deleted ones (max-deleted-entry-id
/// stays), nor does this.
pub(super) fn trim(txn: &mut Txn<'_>, key: &[u8], args: &TrimArgs) -> Result<usize, Fail> {
    let Some(s) = super::reply::stream(txn, key)? else { return Ok(0) };
    let gone = victims(s, args);
    let n = gone.len();
    if n > 0 {
        txn.set_fields(
            key,
            jotter::MapKind::Stream,
            gone.into_iter().map(StreamWrite::remove_entry),
        )?;
    }
    Ok(n)
}
