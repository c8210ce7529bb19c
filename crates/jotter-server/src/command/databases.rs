//! MOVE and SWAPDB over Jotter's one database: they answer as Redis does
//! when started with `databases 1` (`CONFIG GET databases` says 1, and
//! SELECT takes only 0). MOVE to database 0 is a move onto itself, any
//! other index is out of range; SWAPDB 0 0 swaps nothing and succeeds.
//! Neither ever writes.

use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::args::parse_i64;
use super::fail::{self, Outcome};
use super::spec::{Ctx, Flow, Spec, data, flag, now};

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "move",
        3,
        flag::WRITE | flag::FAST,
        "generic",
        "Moves a key to another database (only database 0 exists).",
        "1.0.0",
        data(move_key),
    )
    .keys(1, 1, 1),
    Spec::new(
        "swapdb",
        3,
        flag::FAST,
        "server",
        "Swaps two databases (only database 0 exists).",
        "4.0.0",
        now(swapdb),
    ),
];

/// A database index as Redis reads one (an `int`), or `None`.
fn index(arg: Option<&[u8]>) -> Option<i64> {
    arg.and_then(parse_i64).filter(|n| i32::try_from(*n).is_ok())
}

fn move_key(req: &Request, _txn: &mut Txn<'_>, _reply: &mut ReplyWriter<'_>) -> Outcome {
    match req.arg(2).and_then(parse_i64) {
        None => Err(fail::not_integer()),
        Some(n) if i32::try_from(n).is_err() => Err(fail::error(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        )),
        Some(0) => Err(fail::error("ERR source and destination objects are the same")),
        Some(_) => Err(fail::error("ERR DB index is out of range")),
    }
}

fn swapdb(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match (index(req.arg(1)), index(req.arg(2))) {
        (None, _) => ctx.reply().error(b"ERR invalid first DB index"),
        (_, None) => ctx.reply().error(b"ERR invalid second DB index"),
        (Some(0), Some(0)) => ctx.reply().ok(),
        _ => ctx.reply().error(b"ERR DB index is out of range"),
    }
    Flow::Continue
}
