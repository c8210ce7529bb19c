//! Sorting the elements as SORT does (`sortCompare`): by number (the
//! element's, or the BY key's, read as a double; ties by the elements'
//! bytes) or, with ALPHA, by bytes (the BY key's, a missing one first);
//! DESC reverses the comparison; LIMIT keeps a window of the result.
//!
//! Where this differs from Redis: ALPHA compares bytes, where Redis uses
//! the locale's collation (`strcoll`) unless it stores the result; under
//! the C and C.UTF-8 locales the two agree.

use std::cmp::Ordering;

use bytes::Bytes;
use jotter::Txn;

use super::input::Input;
use super::options::{Options, window};
use super::pattern::Pattern;
use crate::command::fail::{self, Fail};

/// What an element is sorted by.
enum SortKey {
    Number(f64),
    /// ALPHA with BY: the BY key's value, `None` if missing.
    Text(Option<Bytes>),
    /// ALPHA without BY: the element itself.
    Itself,
}

/// The elements SORT returns, in order, before GET: `input` sorted (or
/// not, for `BY nosort`) and cut to LIMIT's window. BY keys are read in
/// `txn`.
pub(super) fn select(txn: &Txn<'_>, input: Input, o: &Options) -> Result<Vec<Bytes>, Fail> {
    let Input { mut elements, ordered } = input;
    let range = window(o.limit, elements.len());
    // A set's members have no order to keep: stored, they are sorted
    // ALPHA instead, so that the stored list is the same everywhere.
    let forced = o.dont_sort && !ordered && o.store.is_some();
    if o.dont_sort && !forced {
        if ordered && o.desc {
            elements.reverse();
        }
        return Ok(elements.drain(range).collect());
    }
    let alpha = o.alpha || forced;
    let by = o.by.as_deref().filter(|_| !forced).map(Pattern::parse);
    let mut unreadable = false;
    let mut keyed: Vec<(SortKey, Bytes)> = elements
        .into_iter()
        .map(|element| {
            let value = match &by {
                Some(pattern) => pattern.lookup(txn, &element),
                None => Some(element.clone()),
            };
            let key = match (alpha, &by, value) {
                (true, Some(_), value) => SortKey::Text(value),
                (true, None, _) => SortKey::Itself,
                (false, _, None) => SortKey::Number(0.0),
                (false, _, Some(value)) => SortKey::Number(score(&value).unwrap_or_else(|| {
                    unreadable = true;
                    0.0
                })),
            };
            (key, element)
        })
        .collect();
    if unreadable {
        return Err(fail::error("ERR One or more scores can't be converted into double"));
    }
    keyed.sort_by(|a, b| {
        let order = compare(a, b);
        if o.desc { order.reverse() } else { order }
    });
    Ok(keyed.drain(range).map(|(_, element)| element).collect())
}

fn compare((a, x): &(SortKey, Bytes), (b, y): &(SortKey, Bytes)) -> Ordering {
    match (a, b) {
        (SortKey::Number(a), SortKey::Number(b)) => {
            a.partial_cmp(b).unwrap_or(Ordering::Equal).then_with(|| x.cmp(y))
        }
        (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
        _ => x.cmp(y),
    }
}

/// A value read as a double the way `strtod` reads the whole of it:
/// leading white space allowed, nothing after the number; the empty
/// string is 0. `None` if it is not one, overflows, or is NaN.
fn score(value: &[u8]) -> Option<f64> {
    if value.is_empty() {
        return Some(0.0);
    }
    let text = std::str::from_utf8(value).ok()?;
    let text = text.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    let number: f64 = text.parse().ok()?;
    let spelled_infinite =
        text.trim_start_matches(['+', '-']).to_ascii_lowercase().starts_with("inf");
    (!number.is_nan() && (number.is_finite() || spelled_infinite)).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_read_as_strtod_reads_them() {
        assert_eq!(score(b""), Some(0.0));
        assert_eq!(score(b"  1.5"), Some(1.5));
        assert_eq!(score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(score(b"1.5 "), None);
        assert_eq!(score(b" "), None);
        assert_eq!(score(b"1e999"), None);
        assert_eq!(score(b"nan"), None);
        assert_eq!(score(b"abc"), None);
    }
}
