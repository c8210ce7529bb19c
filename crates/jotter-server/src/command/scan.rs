//! What HSCAN and ZSCAN share: reading their `MATCH`/`COUNT` options and
//! the reply for a key that is not there, both as Redis's `scanGenericCommand`.

use jotter_resp::{ReplyWriter, Request};

use super::args::parse_i64;
use super::fail::{self, Fail};

/// `[MATCH pattern] [COUNT count]` from argument `from` on: the count
/// (default 10) and the pattern (`None` for none, or for `*`).
pub(crate) fn options(req: &Request, from: usize) -> Result<(usize, Option<&[u8]>), Fail> {
    let mut count = 10usize;
    let mut pattern: Option<&[u8]> = None;
    let mut i = from;
    while i < req.len() {
        let option = req.arg(i).unwrap_or_default();
        match req.arg(i + 1) {
            Some(value) if option.eq_ignore_ascii_case(b"count") => {
                let n = parse_i64(value).ok_or_else(fail::not_integer)?;
                if n < 1 {
                    return Err(fail::syntax());
                }
                count = usize::try_from(n).unwrap_or(usize::MAX);
            }
            Some(value) if option.eq_ignore_ascii_case(b"match") => {
                pattern = (value != b"*").then_some(value);
            }
            _ => return Err(fail::syntax()),
        }
        i += 2;
    }
    Ok((count, pattern))
}

/// The reply for a key that does not exist: cursor 0, nothing found.
pub(crate) fn nothing(w: &mut ReplyWriter<'_>) {
    w.array(2);
    w.bulk(b"0");
    w.array(0);
}
