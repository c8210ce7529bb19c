//! Running a container command (CLIENT, ...) by its table of subcommands
//! ([`Sub`] rows): the subcommand is looked up by name, its arity checked
//! with Redis's `container|sub` error, noted as the client's last command
//! (`cmd=` of CLIENT LIST), and run. `HELP` is assembled from the rows.

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Handler, Sub, help};

/// Runs the subcommand `req` names from `subs`, the table of the container
/// `req` names (`upper`: its name in capitals, for the errors). For a
/// container replying without waiting: its rows are all `Sub::now` (the
/// table's tests check it).
pub(crate) fn run(subs: &[Sub], upper: &str, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match find(subs, upper, req, ctx).map(|sub| sub.run) {
        Some(Handler::Now(run)) => run(req, ctx),
        Some(Handler::Waits(_)) => {
            ctx.reply().error(b"ERR This subcommand can not run here");
            Flow::Continue
        }
        None => Flow::Continue,
    }
}

/// [`run`] for a container some of whose subcommands wait (MEMORY,
/// SCRIPT, FUNCTION).
pub(crate) async fn run_waiting(
    subs: &[Sub],
    upper: &str,
    req: &Request,
    ctx: &mut Ctx<'_>,
) -> Flow {
    match find(subs, upper, req, ctx) {
        Some(sub) => sub.run.run(req, ctx).await,
        None => Flow::Continue,
    }
}

/// The row `req` names, once its arity is checked and it is noted as the
/// client's last command; `None` once Redis's error is replied.
fn find<'s>(subs: &'s [Sub], upper: &str, req: &Request, ctx: &mut Ctx<'_>) -> Option<&'s Sub> {
    let name = req.arg(1).unwrap_or_default();
    let Some((at, sub)) =
        subs.iter().enumerate().find(|(_, s)| name.eq_ignore_ascii_case(s.name.as_bytes()))
    else {
        ctx.unknown_subcommand(name, upper);
        return None;
    };
    let need = usize::from(sub.arity.unsigned_abs());
    let fits = if sub.arity >= 0 { req.len() == need } else { req.len() >= need };
    if !fits {
        let full = format!("{}|{}", upper.to_ascii_lowercase(), sub.name);
        ctx.arity_error(&full);
        return None;
    }
    if let Some((index, _)) = ctx.commands.lookup(req.name()) {
        ctx.session.entry.ran_sub(index, at);
    }
    Some(sub)
}

/// A `Sub::now` handler from a function that replies and returns nothing:
/// the container goes on after it.
macro_rules! replies {
    ($handler:path) => {
        |req, ctx| {
            $handler(req, ctx);
            $crate::command::spec::Flow::Continue
        }
    };
}
pub(crate) use replies;

/// A container's `HELP` reply: `head`, then each row's lines in order.
pub(crate) fn write_help(subs: &[Sub], head: &[&'static [u8]], ctx: &mut Ctx<'_>) {
    let mut lines: Vec<&[u8]> = head.to_vec();
    lines.extend(subs.iter().flat_map(|s| s.help.iter().copied()));
    help(&mut ctx.reply(), &lines);
}

/// `Unknown subcommand or wrong number of arguments`, Redis's reply when a
/// subcommand's arguments fit its arity but not its forms.
pub(crate) fn wrong_form(ctx: &mut Ctx<'_>, sub: &[u8], upper: &str) {
    let text = format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {upper} HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    );
    ctx.reply().error(text.as_bytes());
}

/// The optional last argument of a `SUB arg [CHOICE]` form (CLIENT PAUSE's
/// mode, CLIENT UNBLOCK's reason): `default` when absent, else the
/// choice it names. `None` once the error is replied: a longer request
/// ([`wrong_form`]), or `error` for a word not among `choices`.
pub(crate) fn last_choice<T: Copy>(
    req: &Request,
    ctx: &mut Ctx<'_>,
    upper: &str,
    default: T,
    choices: &[(&str, T)],
    error: &[u8],
) -> Option<T> {
    if req.len() > 4 {
        wrong_form(ctx, req.arg(1).unwrap_or_default(), upper);
        return None;
    }
    let Some(word) = req.arg(3) else { return Some(default) };
    let chosen = choices.iter().find(|(name, _)| word.eq_ignore_ascii_case(name.as_bytes()));
    if chosen.is_none() {
        ctx.reply().error(error);
    }
    chosen.map(|(_, value)| *value)
}
