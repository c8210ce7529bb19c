//! Saving, as Redis names it: `SAVE` and `BGSAVE` are flush barriers (like
//! `JOTTER.FLUSH`: every write accepted before them reaches the store, or
//! the dead-letter queue); `BGSAVE` replies at once and waits in the
//! background. `LASTSAVE` is the time of the last save that completed (the
//! start, before any). The state is in `saves.rs`.

use jotter_resp::Request;

use super::spec::{BoxFlow, Ctx, Flow, Spec, flag, now, waits};

const FLAGS: u16 = flag::ADMIN | flag::NOSCRIPT;

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "save",
        1,
        FLAGS | flag::NO_MULTI,
        "server",
        "Synchronously saves the database(s) to disk: waits until every write is in the store.",
        "1.0.0",
        waits(save),
    ),
    Spec::new(
        "bgsave",
        -1,
        FLAGS,
        "server",
        "Asynchronously saves the database(s) to disk: flushes every write to the store.",
        "1.0.0",
        now(bgsave),
    ),
    Spec::new(
        "lastsave",
        1,
        flag::LOADING | flag::STALE | flag::FAST,
        "server",
        "Returns the Unix timestamp of the last successful save to disk.",
        "1.0.0",
        now(lastsave),
    ),
];

fn save<'a>(_req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        if ctx.shared.saves.background_running() {
            ctx.reply().error(b"ERR Background save already in progress");
            return Flow::Continue;
        }
        let flushed = ctx.shared.cache.flush().await;
        ctx.shared.saves.finished(flushed.is_ok());
        match flushed {
            Ok(()) => ctx.reply().ok(),
            Err(e) => ctx.engine_error(&e),
        }
        Flow::Continue
    })
}

fn bgsave(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let schedule = match req.arg(1) {
        None => false,
        Some(arg) if req.len() == 2 && arg.eq_ignore_ascii_case(b"schedule") => true,
        Some(_) => {
            ctx.syntax_error();
            return Flow::Continue;
        }
    };
    // Inside EXEC (where nothing may block) Redis schedules the save.
    let in_exec = !ctx.may_block;
    let saves = &ctx.shared.saves;
    let started = saves.begin_background();
    if !started && !schedule && !in_exec {
        ctx.reply().error(b"ERR Background save already in progress");
        return Flow::Continue;
    }
    // A second barrier, when one runs, covers the writes since the first.
    let flush = ctx.shared.cache.flush();
    let saves = saves.clone();
    tokio::spawn(async move {
        let ok = flush.await.is_ok();
        if started {
            saves.end_background(ok);
        } else {
            saves.finished(ok);
        }
    });
    if started && !in_exec {
        ctx.reply().simple(b"Background saving started");
    } else {
        ctx.reply().simple(b"Background saving scheduled");
    }
    Flow::Continue
}

fn lastsave(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let last = ctx.shared.saves.last();
    ctx.reply().integer(i64::try_from(last).unwrap_or(i64::MAX));
    Flow::Continue
}
