//! Running a container command (CLIENT, ...) by its table of subcommands
//! ([`Sub`] rows): the subcommand is looked up by name, its arity checked
//! with Redis's `container|sub` error, noted as the client's last command
//! (`cmd=` of CLIENT LIST), and run. `HELP` is assembled from the rows.

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Sub, help};

/// Runs the subcommand `req` names from `subs`, the table of the container
/// `req` names (`upper`: its name in capitals, for the errors).
pub(crate) fn run(subs: &[Sub], upper: &str, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let name = req.arg(1).unwrap_or_default();
    let Some((at, sub)) =
        subs.iter().enumerate().find(|(_, s)| name.eq_ignore_ascii_case(s.name.as_bytes()))
    else {
        ctx.unknown_subcommand(name, upper);
        return Flow::Continue;
    };
    let need = usize::from(sub.arity.unsigned_abs());
    let fits = if sub.arity >= 0 { req.len() == need } else { req.len() >= need };
    if !fits {
        let full = format!("{}|{}", upper.to_ascii_lowercase(), sub.name);
        ctx.arity_error(&full);
        return Flow::Continue;
    }
    if let Some((index, _)) = ctx.commands.lookup(req.name()) {
        ctx.session.entry.ran_sub(index, at);
    }
    (sub.run)(req, ctx)
}

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
