//! Running a container command (CLIENT, OBJECT, ...) by its table of
//! subcommands ([`Sub`] rows): the subcommand is looked up by name, its
//! arity checked with Redis's `container|sub` error, noted as the client's
//! last command (`cmd=` of CLIENT LIST), and run: as a control handler
//! ([`run`], [`run_waiting`]) or as a body under the keys its row places
//! ([`apply`], [`keys`]). `HELP` is assembled from the rows ([`help_row`]
//! for Redis's usual one).

use bytes::Bytes;
use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::fail::{self, Outcome};
use super::spec::{Ctx, Flow, Handler, Kind, Spec, Sub, flag, help};

/// Runs the subcommand `req` names from `subs`, the table of the container
/// `req` names (`upper`: its name in capitals, for the errors). For a
/// container replying without waiting: its rows are all `Sub::now` (the
/// table's tests check it).
pub(crate) fn run(subs: &[Sub], upper: &str, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match find(subs, upper, req, ctx).map(|sub| sub.run) {
        Some(Kind::Control(Handler::Now(run))) => run(req, ctx),
        Some(_) => {
            ctx.reply().error(MISPLACED.as_bytes());
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
    match find(subs, upper, req, ctx).map(|sub| sub.run) {
        Some(Kind::Control(handler)) => handler.run(req, ctx).await,
        Some(Kind::Data(_)) => {
            ctx.reply().error(MISPLACED.as_bytes());
            Flow::Continue
        }
        None => Flow::Continue,
    }
}

/// [`run`] for a data container (OBJECT, XGROUP, XINFO): its rows are
/// `Sub::data` bodies, run under the keys the container locked.
pub(crate) fn apply(
    subs: &[Sub],
    upper: &str,
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    let (_, sub) = row(subs, upper, req).map_err(fail::error)?;
    match sub.run {
        Kind::Data(data) => (data.apply)(req, txn, w),
        // HELP ([`help_row`]) needs no keys: it is answered from the table.
        Kind::Control(_) if sub.name == "help" => {
            usual_help(upper, subs, w);
            Ok(())
        }
        Kind::Control(_) => Err(fail::error(MISPLACED)),
    }
}

/// A data container's keys (`Data::keys`): the one key of the row `req`
/// names, where its row places it; none for an unknown subcommand, HELP,
/// or a request too short to hold it.
pub(crate) fn keys(spec: &Spec, req: &Request) -> Vec<Bytes> {
    let name = req.arg(1).unwrap_or_default();
    let at = spec
        .subs
        .iter()
        .find(|s| name.eq_ignore_ascii_case(s.name.as_bytes()))
        .map_or(0, |s| s.key);
    match usize::try_from(at) {
        Ok(at) if at > 0 => req.arg_bytes(at).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// What a row of the wrong kind for its container replies; the table's
/// tests make sure none is.
const MISPLACED: &str = "ERR this subcommand cannot run in its container";

/// The row `req` names, once its arity is checked and it is noted as the
/// client's last command; `None` once Redis's error is replied.
fn find<'s>(subs: &'s [Sub], upper: &str, req: &Request, ctx: &mut Ctx<'_>) -> Option<&'s Sub> {
    match row(subs, upper, req) {
        Ok((at, sub)) => {
            if let Some((index, _)) = ctx.commands.lookup(req.name()) {
                ctx.session.entry.ran_sub(index, at);
            }
            Some(sub)
        }
        Err(text) => {
            ctx.reply().error(text.as_bytes());
            None
        }
    }
}

/// The row `req` names, or Redis's error (see [`row`]): for a front end
/// that runs a container's rows itself.
pub(crate) fn row_of<'s>(subs: &'s [Sub], upper: &str, req: &Request) -> Result<&'s Sub, String> {
    row(subs, upper, req).map(|(_, sub)| sub)
}

/// The row `req` names and its place, or Redis's error: an unknown
/// subcommand, or the wrong number of arguments for it.
pub(crate) fn row<'s>(
    subs: &'s [Sub],
    upper: &str,
    req: &Request,
) -> Result<(usize, &'s Sub), String> {
    let name = req.arg(1).unwrap_or_default();
    let Some((at, sub)) =
        subs.iter().enumerate().find(|(_, s)| name.eq_ignore_ascii_case(s.name.as_bytes()))
    else {
        return Err(unknown(name, upper));
    };
    let need = usize::from(sub.arity.unsigned_abs());
    let fits = if sub.arity >= 0 { req.len() == need } else { req.len() >= need };
    if !fits {
        let full = format!("{}|{}", upper.to_ascii_lowercase(), sub.name);
        return Err(format!("ERR wrong number of arguments for '{full}' command"));
    }
    Ok((at, sub))
}

/// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
fn unknown(sub: &[u8], upper: &str) -> String {
    format!(
        "ERR unknown subcommand '{}'. Try {upper} HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    )
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
pub(crate) fn write_help(subs: &[Sub], head: &[&[u8]], ctx: &mut Ctx<'_>) {
    write_lines(head, subs, &mut ctx.reply());
}

/// A `HELP` reply: `head`, then each row's lines in order.
pub(crate) fn write_lines(head: &[&[u8]], subs: &[Sub], reply: &mut ReplyWriter<'_>) {
    let mut lines: Vec<&[u8]> = head.to_vec();
    lines.extend(subs.iter().flat_map(|s| s.help.iter().copied()));
    help(reply, &lines);
}

/// The `HELP` row of a container whose help is Redis's usual: the
/// container's name, then its rows' lines.
pub(crate) const fn help_row(since: &'static str) -> Sub {
    Sub::now(
        "help",
        2,
        flag::LOADING | flag::STALE,
        "Show helpful text about the different subcommands",
        since,
        &[b"HELP", b"    Prints this help."],
        help_reply,
    )
}

fn help_reply(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let Some((_, spec)) = ctx.commands.lookup(req.name()) else { return Flow::Continue };
    usual_help(&spec.name.to_ascii_uppercase(), spec.subs, &mut ctx.reply());
    Flow::Continue
}

/// `<NAME> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
/// then each row's lines.
pub(crate) fn usual_help(upper: &str, subs: &[Sub], reply: &mut ReplyWriter<'_>) {
    let head = format!("{upper} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    write_lines(&[head.as_bytes()], subs, reply);
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

#[cfg(test)]
mod tests {
    use super::super::dispatch::specs;
    use super::*;

    /// A row runs only as its container can run it: `run` runs rows that
    /// reply at once, `run_waiting` any control row, `apply` data rows.
    #[test]
    fn each_row_runs_as_its_container_runs_it() {
        for spec in specs() {
            for sub in spec.subs {
                let fits = matches!(
                    (spec.kind, sub.run),
                    (Kind::Control(Handler::Now(_)), Kind::Control(Handler::Now(_)))
                        | (Kind::Control(Handler::Waits(_)), Kind::Control(_))
                        | (Kind::Data(_), Kind::Data(_))
                ) || (matches!(spec.kind, Kind::Data(_)) && sub.name == "help");
                assert!(fits, "{}|{} cannot run in its container", spec.name, sub.name);
            }
        }
    }

    #[test]
    fn rows_are_named_once_in_lowercase_with_sane_arity_and_key() {
        for spec in specs() {
            for (i, sub) in spec.subs.iter().enumerate() {
                let full = format!("{}|{}", spec.name, sub.name);
                assert_eq!(sub.name, sub.name.to_ascii_lowercase(), "{full}");
                assert!(spec.subs[..i].iter().all(|s| s.name != sub.name), "{full} twice");
                assert!(sub.arity.unsigned_abs() >= 2, "{full}: arity {}", sub.arity);
                assert!(sub.key == 0 || sub.key < sub.arity.abs(), "{full}: key {}", sub.key);
            }
        }
    }
}
