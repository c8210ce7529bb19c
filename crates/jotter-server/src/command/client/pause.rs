//! CLIENT PAUSE and CLIENT UNPAUSE, over the server's pause (`pause.rs`
//! of the crate, where the held commands wait).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jotter_resp::Request;

use crate::command::args::parse_i64;
use crate::command::spec::{Ctx, Flow};
use crate::command::subcommand;
use crate::pause::PauseKind;

/// `CLIENT PAUSE timeout [WRITE|ALL]`, the timeout in milliseconds.
pub(super) fn pause(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let choices = [("write", PauseKind::Write), ("all", PauseKind::All)];
    let error = b"ERR CLIENT PAUSE mode must be WRITE or ALL";
    let Some(kind) = subcommand::last_choice(req, ctx, "CLIENT", PauseKind::All, &choices, error)
    else {
        return Flow::Continue;
    };
    let Some(ms) = req.arg(2).and_then(parse_i64) else {
        ctx.reply().error(b"ERR timeout is not an integer or out of range");
        return Flow::Continue;
    };
    let Ok(ms) = u64::try_from(ms) else {
        ctx.reply().error(b"ERR timeout is negative");
        return Flow::Continue;
    };
    // Redis adds the timeout to the Unix time in milliseconds.
    let unix_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    if u128::from(ms) > i64::MAX as u128 - unix_ms {
        ctx.reply().error(b"ERR timeout is out of range");
        return Flow::Continue;
    }
    let now = Instant::now();
    // A pause of centuries ends when the process does.
    let until = now.checked_add(Duration::from_millis(ms)).unwrap_or(now + FOREVER);
    ctx.shared.pause.pause(kind, until);
    ctx.reply().ok();
    Flow::Continue
}

/// Far enough to be forever, near enough that `Instant` can hold it.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 86_400);

pub(super) fn unpause(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.shared.pause.unpause();
    ctx.reply().ok();
    Flow::Continue
}
