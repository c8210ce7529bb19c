//! SORT's options, read in Redis's loop (`sortCommandGeneric`): ASC, DESC,
//! ALPHA, LIMIT offset count, STORE destination (not for SORT_RO), BY
//! pattern and GET pattern (repeatable), each option any number of times,
//! the last one counting; a keyword without the arguments it needs is a
//! syntax error.

use bytes::Bytes;
use jotter_resp::Request;

use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail};

/// What a SORT request asks for.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Options {
    pub desc: bool,
    pub alpha: bool,
    /// LIMIT's offset and count, as given.
    pub limit: Option<(i64, i64)>,
    pub store: Option<Bytes>,
    /// The last BY pattern.
    pub by: Option<Bytes>,
    /// A BY pattern naming no key (`BY nosort`) was given, even if another
    /// BY followed (as in Redis): elements keep their order, unsorted.
    pub dont_sort: bool,
    /// The GET patterns, in order.
    pub gets: Vec<Bytes>,
}

impl Options {
    /// The options of `req` (from argument 2); `readonly` for SORT_RO,
    /// which has no STORE.
    pub(super) fn parse(req: &Request, readonly: bool) -> Result<Options, Fail> {
        let mut o = Options::default();
        let mut j = 2;
        while j < req.len() {
            let left = req.len() - j - 1;
            let arg = req.arg(j).unwrap_or_default();
            let is = |word: &str| arg.eq_ignore_ascii_case(word.as_bytes());
            if is("asc") {
                o.desc = false;
            } else if is("desc") {
                o.desc = true;
            } else if is("alpha") {
                o.alpha = true;
            } else if is("limit") && left >= 2 {
                let number =
                    |i: usize| req.arg(i).and_then(parse_i64).ok_or_else(fail::not_integer);
                o.limit = Some((number(j + 1)?, number(j + 2)?));
                j += 2;
            } else if !readonly && is("store") && left >= 1 {
                o.store = req.arg_bytes(j + 1);
                j += 1;
            } else if is("by") && left >= 1 {
                let pattern = req.arg_bytes(j + 1).unwrap_or_default();
                o.dont_sort |= !pattern.contains(&b'*');
                o.by = Some(pattern);
                j += 1;
            } else if is("get") && left >= 1 {
                o.gets.push(req.arg_bytes(j + 1).unwrap_or_default());
                j += 1;
            } else {
                return Err(fail::syntax());
            }
            j += 1;
        }
        Ok(o)
    }
}

/// The positions `start..end` of `len` sorted elements that LIMIT keeps,
/// as Redis clamps them (a count below 0 is "to the end").
pub(super) fn window(limit: Option<(i64, i64)>, len: usize) -> std::ops::Range<usize> {
    let Some((offset, count)) = limit else { return 0..len };
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let start = offset.clamp(0, len_i);
    let count = count.clamp(-1, len_i);
    let end = if count < 0 { len_i } else { start.saturating_add(count).min(len_i) };
    let at = |i: i64| usize::try_from(i).unwrap_or(0);
    at(start)..at(end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], readonly: bool) -> Result<Options, String> {
        let req = Request::from_args(args).expect("a request");
        Options::parse(&req, readonly).map_err(|f| f.text().into_owned())
    }

    #[test]
    fn options_parse_as_redis() {
        let o = parse(&["SORT", "k", "desc", "ALPHA", "limit", "1", "2", "get", "#"], false)
            .expect("valid");
        assert!(o.desc && o.alpha);
        assert_eq!(o.limit, Some((1, 2)));
        assert_eq!(o.gets, [Bytes::from("#")]);
        let o =
            parse(&["SORT", "k", "BY", "nosort", "BY", "w_*", "STORE", "d"], false).expect("valid");
        assert!(o.dont_sort, "a BY without a pattern sticks");
        assert_eq!(o.by.as_deref(), Some(&b"w_*"[..]));
        assert!(!parse(&["SORT", "k", "BY", "w_*"], false).expect("valid").dont_sort);
        assert_eq!(o.store.as_deref(), Some(&b"d"[..]));
        assert!(parse(&["SORT", "k", "by", "nosort"], false).expect("valid").dont_sort);
        let syntax = Err("ERR syntax error".to_owned());
        assert_eq!(parse(&["SORT_RO", "k", "STORE", "d"], true), syntax);
        assert_eq!(parse(&["SORT", "k", "LIMIT", "1"], false), syntax);
        assert_eq!(parse(&["SORT", "k", "GET"], false), syntax);
        assert_eq!(parse(&["SORT", "k", "foo"], false), syntax);
        assert_eq!(
            parse(&["SORT", "k", "LIMIT", "x", "1"], false),
            Err("ERR value is not an integer or out of range".to_owned())
        );
    }

    #[test]
    fn the_window_is_clamped_as_redis_clamps_it() {
        assert_eq!(window(None, 5), 0..5);
        assert_eq!(window(Some((1, 2)), 5), 1..3);
        assert_eq!(window(Some((-3, 2)), 5), 0..2);
        assert_eq!(window(Some((2, -1)), 5), 2..5);
        assert_eq!(window(Some((2, -7)), 5), 2..5);
        assert_eq!(window(Some((7, 2)), 5), 5..5);
        assert_eq!(window(Some((0, 0)), 5), 0..0);
        assert_eq!(window(Some((3, 100)), 5), 3..5);
        assert_eq!(window(Some((i64::MAX, i64::MAX)), 5), 5..5);
        assert_eq!(window(Some((1, 1)), 0), 0..0);
    }
}
