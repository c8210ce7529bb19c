//! The arguments the pops share, parsed as Redis parses them
//! (`zmpopGenericCommand`, `lmpopGenericCommand`, `popGenericCommand`):
//! ZMPOP, BZMPOP, LMPOP and BLMPOP's `numkeys key... WHERE [COUNT n]`, and
//! the optional count of ZPOPMIN, ZPOPMAX, LPOP and RPOP; the same checks
//! in the same order, the same error texts.

use std::ops::Range;

use jotter_resp::Request;

use super::args::parse_i64;
use super::fail::{self, Fail};

/// What an MPOP's arguments say.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mpop {
    /// The argument indexes of the keys.
    pub(crate) keys: Range<usize>,
    /// `WHERE` is the second of the two words (MAX, RIGHT).
    pub(crate) second: bool,
    /// How many to pop (1 without COUNT).
    pub(crate) count: usize,
}

/// The optional count at argument 2 of ZPOPMIN, ZPOPMAX, LPOP and RPOP.
pub(crate) fn optional_count(req: &Request) -> Result<Option<usize>, Fail> {
    req.arg(2)
        .map(|arg| {
            parse_i64(arg)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| fail::error("ERR value is out of range, must be positive"))
        })
        .transpose()
}

/// `numkeys key... WHERE [COUNT n]` from argument `at` (1 for ZMPOP and
/// LMPOP, 2 for BZMPOP and BLMPOP, after their timeout), `WHERE` one of
/// `sides` (any case).
pub(crate) fn parse(req: &Request, at: usize, sides: [&[u8]; 2]) -> Result<Mpop, Fail> {
    let argc = req.len();
    let numkeys = req
        .arg(at)
        .and_then(parse_i64)
        .filter(|&n| n >= 1)
        .ok_or_else(|| fail::error("ERR numkeys should be greater than 0"))?;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(at + 1))
        .filter(|&i| i < argc)
        .ok_or_else(fail::syntax)?;
    let side = req.arg(where_at).unwrap_or_default();
    let second = if side.eq_ignore_ascii_case(sides[0]) {
        false
    } else if side.eq_ignore_ascii_case(sides[1]) {
        true
    } else {
        return Err(fail::syntax());
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < argc {
        let more = argc - 1 - j;
        let arg = req.arg(j).unwrap_or_default();
        if count.is_none() && more > 0 && arg.eq_ignore_ascii_case(b"count") {
            j += 1;
            let n = req
                .arg(j)
                .and_then(parse_i64)
                .filter(|&n| n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| fail::error("ERR count should be greater than 0"))?;
            count = Some(n);
        } else {
            return Err(fail::syntax());
        }
        j += 1;
    }
    Ok(Mpop { keys: at + 1..where_at, second, count: count.unwrap_or(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    #[test]
    fn mpop_arguments() {
        let sides: [&[u8]; 2] = [b"min", b"max"];
        let args = parse(&req(&["ZMPOP", "2", "a", "b", "max", "COUNT", "3"]), 1, sides).unwrap();
        assert_eq!(args, Mpop { keys: 2..4, second: true, count: 3 });
        let args = parse(&req(&["LMPOP", "1", "a", "LEFT"]), 1, [b"left", b"right"]).unwrap();
        assert_eq!(args, Mpop { keys: 2..3, second: false, count: 1 });
        let err = |args: &[&str]| parse(&req(args), 1, sides).unwrap_err().text().into_owned();
        assert_eq!(err(&["ZMPOP", "0", "a", "MIN"]), "ERR numkeys should be greater than 0");
        assert_eq!(err(&["ZMPOP", "x", "a", "MIN"]), "ERR numkeys should be greater than 0");
        assert_eq!(err(&["ZMPOP", "2", "a", "MIN"]), "ERR syntax error");
        assert_eq!(err(&["ZMPOP", "9223372036854775807", "a", "MIN"]), "ERR syntax error");
        assert_eq!(err(&["ZMPOP", "1", "a", "MID"]), "ERR syntax error");
        assert_eq!(
            err(&["ZMPOP", "1", "a", "MIN", "COUNT", "0"]),
            "ERR count should be greater than 0"
        );
        assert_eq!(err(&["ZMPOP", "1", "a", "MIN", "COUNT"]), "ERR syntax error");
        assert_eq!(
            err(&["ZMPOP", "1", "a", "MIN", "COUNT", "1", "COUNT", "1"]),
            "ERR syntax error"
        );
    }
}
