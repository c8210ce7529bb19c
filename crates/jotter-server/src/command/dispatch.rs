//! Running a request: look it up in the table, make Redis's checks in
//! Redis's order (unknown command, arity, authentication, the user's
//! command permissions), queue it inside
//! `MULTI`, or run it by its [`Kind`]: a data command as one engine
//! transaction over its keys (`data.rs`), or in its blocking loop when it
//! may block; a control command through its handler.

use std::sync::LazyLock;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use jotter_resp::Request;

use crate::config::{Config, ConfigError};
use crate::session::Session;
use crate::state::Shared;

use super::acl::{self, Users};
use super::data;
use super::observe::{self, Ran};
use super::pubsub;
use super::spec::{BoxFlow, Ctx, Flow, Kind, Spec, Table, flag};
use super::table::FAMILIES;
use super::wake;

static TABLE: LazyLock<Table> = LazyLock::new(|| Table::new(FAMILIES, execute_boxed));

/// The command table, built once.
pub(crate) fn table() -> &'static Table {
    &TABLE
}

/// Every command, in table order.
pub(crate) fn specs() -> &'static [&'static Spec] {
    TABLE.specs()
}

/// Finds a command by name, ignoring case.
pub(crate) fn lookup(name: &[u8]) -> Option<(usize, &'static Spec)> {
    TABLE.lookup(name)
}

/// Boxed: JOTTER.THROUGH runs a request through here, and the request may
/// itself be JOTTER.THROUGH, so the future would contain itself.
fn execute_boxed<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(execute(req, ctx))
}

/// Looks a request up, makes Redis's checks in Redis's order (unknown
/// command, arity, authentication, then permissions) and runs it.
pub(crate) async fn execute(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    execute_found(ctx.commands.lookup(req.name()), req, ctx).await
}

/// The name of the command that runs its arguments as a command.
const THROUGH: &str = "jotter.through";

/// Whether a request, looked up as `found`, may block: a command with
/// [`flag::BLOCKING`], alone or under `JOTTER.THROUGH`. The connection
/// then watches for the client closing while it runs (see
/// [`Ctx::client_closed`]).
pub(crate) fn may_block(found: Option<(usize, &'static Spec)>, req: &Request) -> bool {
    let Some((_, mut spec)) = found else { return false };
    let mut at = 0;
    loop {
        if spec.has(flag::BLOCKING) {
            return true;
        }
        if spec.name != THROUGH {
            return false;
        }
        at += 1;
        match req.arg(at).and_then(lookup) {
            Some((_, inner)) => spec = inner,
            None => return false,
        }
    }
}

/// [`execute`] for a request already looked up (`found` is
/// `lookup(req.name())`).
pub(crate) async fn execute_found(
    found: Option<(usize, &'static Spec)>,
    req: &Request,
    ctx: &mut Ctx<'_>,
) -> Flow {
    let mark = ctx.out().len();
    let started = Instant::now();
    let (flow, ran) = checked_run(found, req, ctx).await;
    observe::ran(ctx, found, req, mark, started, ran);
    flow
}

/// [`execute_found`]'s checks and run, saying how far the command got.
async fn checked_run(
    found: Option<(usize, &'static Spec)>,
    req: &Request,
    ctx: &mut Ctx<'_>,
) -> (Flow, Ran) {
    let Some((index, spec)) = found else {
        unknown_command(req, ctx);
        return refused(ctx);
    };
    // Redis notes the last command (`cmd=`) as soon as it is looked up.
    ctx.session.entry.ran(index);
    if !spec.arity_ok(req.len()) {
        ctx.arity_error(spec.name);
        return refused(ctx);
    }
    if !ctx.session.authenticated && !spec.has(flag::NOAUTH) {
        ctx.reply().error(b"NOAUTH Authentication required.");
        return refused(ctx);
    }
    if !spec.has(flag::NOAUTH)
        && let Err(refusal) = acl::check(ctx, index, spec, req)
    {
        refuse(ctx, spec, &refusal);
        return (Flow::Continue, Ran::Refused);
    }
    if ctx.shared.pause.engaged() && !wait_out_pause(ctx, spec, req).await {
        return (Flow::Close, Ran::Refused);
    }
    if pubsub::refused_in_subscriber_mode(spec, req, ctx) {
        return refused(ctx);
    }
    if let Some(busy) = ctx.shared.scripts.running().busy()
        && !super::allowed_while_busy(spec.name, req.arg(1))
    {
        ctx.reply().error(busy);
        return refused(ctx);
    }
    if ctx.session.multi.is_some() && !spec.has(flag::NOQUEUE) {
        let queued = queue(ctx, index, spec, req);
        ctx.session.show_multi();
        return (Flow::Continue, if queued { Ran::Queued } else { Ran::Refused });
    }
    count(ctx.shared, ctx.session, index);
    let flow = match spec.kind {
        Kind::Data(data) => {
            if ctx.may_block
                && let Some(blocking) = data.blocking
            {
                let flow = blocking(req, ctx).await;
                pubsub::after_data(spec, req, &[], ctx);
                return (flow, Ran::Blocking);
            }
            // A command of one key (most) keeps it on the stack: no list
            // allocated per command.
            let one;
            let listed;
            let keys: &[Bytes] = match spec.single_key(req) {
                Some(key) => {
                    one = [key];
                    &one
                }
                None => {
                    listed = spec.data_keys(req).unwrap_or_default();
                    &listed
                }
            };
            let flow = data::run_one(data, keys, req, ctx).await;
            if spec.flags_of(req) & flag::WRITE != 0 {
                wake::wrote(keys);
            }
            pubsub::after_data(spec, req, keys, ctx);
            flow
        }
        Kind::Control(handler) => {
            // What a control command reads (INFO, CLIENT LIST) counts it
            // and every command before it, as when each was added at once.
            settle_counts(ctx.shared, ctx.session);
            let flow = handler.run(req, ctx).await;
            if spec.has(flag::NOQUEUE) {
                ctx.session.show_multi(); // MULTI, EXEC, DISCARD, RESET
            }
            if spec.has(flag::WRITE) {
                wake::wrote_anywhere();
            }
            pubsub::after_control(spec, req, ctx);
            flow
        }
    };
    (flow, Ran::Whole)
}

/// A command refused before it runs (its error already replied): inside
/// `MULTI` the transaction fails with it.
fn refused(ctx: &mut Ctx<'_>) -> (Flow, Ran) {
    ctx.session.queue_failed();
    (Flow::Continue, Ran::Refused)
}

/// Holds a command while `CLIENT PAUSE` holds it, as Redis does after its
/// other checks and before queuing: a command that writes (or may
/// replicate, or an EXEC of such commands) under a WRITE pause, any under
/// ALL. False: the client was killed meanwhile.
async fn wait_out_pause(ctx: &mut Ctx<'_>, spec: &Spec, req: &Request) -> bool {
    const WRITES: u16 = flag::WRITE | flag::MAY_REPLICATE;
    let queued = || {
        let specs = ctx.commands.specs();
        let commands = ctx.session.multi.as_ref().map(|m| m.commands.as_slice()).unwrap_or(&[]);
        commands.iter().any(|(i, queued)| specs[*i].flags_of(queued) & WRITES != 0)
    };
    let writes = spec.flags_of(req) & WRITES != 0 || (spec.name == "exec" && queued());
    let entry = ctx.session.entry.clone();
    // Shown blocked (`flags=b`) while held, as Redis shows it.
    entry.set_flag(crate::clients::flags::BLOCKED, true);
    let done = tokio::select! {
        () = ctx.shared.pause.wait(writes) => true,
        () = entry.kill.cancelled() => false,
    };
    entry.set_flag(crate::clients::flags::BLOCKED, false);
    done
}

/// Counts one run of the command at `index`, in the session until a
/// different command comes ([`Session::uncounted`]).
fn count(shared: &Shared, session: &mut Session, index: usize) {
    if session.uncounted.0 != index {
        settle_counts(shared, session);
    }
    session.uncounted = (index, session.uncounted.1 + 1);
}

/// Adds the session's uncounted commands to the server's counters: before
/// its replies are sent, and when the connection ends.
pub(crate) fn settle_counts(shared: &Shared, session: &mut Session) {
    let (index, n) = std::mem::take(&mut session.uncounted);
    let usec = std::mem::take(&mut session.uncounted_usec);
    if n > 0 {
        shared.metrics.command(index, n);
        shared.commands_processed.fetch_add(n, Ordering::Relaxed);
        shared.command_stats.ran(index, n, usec);
    }
}

/// Redis 7.0's refusal (`text`) of a command the user may not run or of a
/// key it may not touch. Inside `MULTI` the transaction fails with it; a
/// refused `EXEC` discards the transaction, in Redis's words.
fn refuse(ctx: &mut Ctx<'_>, spec: &Spec, text: &str) {
    if spec.name == "exec" {
        ctx.session.multi = None;
        ctx.session.watched.clear();
        ctx.session.show_multi();
        let text = format!("EXECABORT Transaction discarded because of: {text}");
        ctx.reply().error(text.as_bytes());
    } else {
        ctx.session.queue_failed();
        ctx.reply().error(text.as_bytes());
    }
}

/// Every user the settings name, or the first bad rule.
pub(crate) fn users(config: &Config) -> Result<Users, ConfigError> {
    acl::users(config, table())
}

/// Queues a checked command inside `MULTI`. A command that writes but is
/// not a data command (FLUSHDB, FLUSHALL, JOTTER.THROUGH, JOTTER.FLUSH)
/// would run after the transaction's data commands, out of its place, so it
/// is refused and the transaction with it.
///
/// A command Redis never runs in a transaction ([`flag::NO_MULTI`]: SAVE,
/// SHUTDOWN) is refused in Redis's words, and the transaction with it.
/// Returns whether it was queued.
fn queue(ctx: &mut Ctx<'_>, index: usize, spec: &Spec, req: &Request) -> bool {
    if spec.has(flag::NO_MULTI) {
        ctx.session.queue_failed();
        ctx.reply().error(b"ERR Command not allowed inside a transaction");
        return false;
    }
    if spec.has(flag::WRITE) && matches!(spec.kind, Kind::Control(_)) {
        ctx.session.queue_failed();
        let text = format!("ERR '{}' cannot run inside MULTI", spec.name);
        ctx.reply().error(text.as_bytes());
        return false;
    }
    if let Some(multi) = &mut ctx.session.multi {
        multi.commands.push((index, req.clone()));
    }
    ctx.reply().simple(b"QUEUED");
    true
}

/// Redis 7.0's text, byte for byte: the name as sent and the first
/// arguments, each quoted and followed by a space, up to about 128 bytes.
fn unknown_command(req: &Request, ctx: &mut Ctx<'_>) {
    let name = req.name();
    let mut text = Vec::with_capacity(96);
    text.extend_from_slice(b"ERR unknown command '");
    text.extend_from_slice(&name[..name.len().min(128)]);
    text.extend_from_slice(b"', with args beginning with: ");
    let mut args_len = 0;
    for arg in req.args().skip(1) {
        if args_len >= 128 {
            break;
        }
        let take = arg.len().min(128 - args_len);
        text.push(b'\'');
        text.extend_from_slice(&arg[..take]);
        text.extend_from_slice(b"' ");
        args_len += take + 3;
    }
    ctx.reply().error(&text);
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::command::categories::{categories, sub_categories};
    use crate::command::spec::MAX_NAME;

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    #[test]
    fn names_are_unique_lowercase_and_fit_the_lookup_buffer() {
        let specs = specs(); // builds the table, which asserts uniqueness
        for spec in specs {
            assert_eq!(spec.name, spec.name.to_ascii_lowercase());
            assert!(spec.name.len() <= MAX_NAME, "{}", spec.name);
            assert!(spec.arity != 0, "{} has arity 0", spec.name);
            assert!(
                !(spec.has(flag::WRITE) && spec.has(flag::READONLY)),
                "{} is both write and readonly",
                spec.name
            );
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup(b"GeT").map(|(_, s)| s.name), Some("get"));
        assert_eq!(lookup(b"jotter.FLUSH").map(|(_, s)| s.name), Some("jotter.flush"));
        assert!(lookup(b"nope").is_none());
        assert!(lookup(&[b'a'; 100]).is_none());
    }

    #[test]
    fn keys_follow_the_spec() {
        let (_, del) = lookup(b"del").unwrap();
        let keys = del.key_args(&req(&["DEL", "a", "b", "c"]));
        assert_eq!(keys, [Bytes::from("a"), Bytes::from("b"), Bytes::from("c")]);
        let (_, get) = lookup(b"get").unwrap();
        assert_eq!(get.key_args(&req(&["GET", "k"])), [Bytes::from("k")]);
        let (_, ping) = lookup(b"ping").unwrap();
        assert!(ping.key_args(&req(&["PING"])).is_empty());
    }

    #[test]
    fn the_destructive_commands_are_dangerous() {
        let table = specs();
        for name in ["flushall", "flushdb", "keys", "info"] {
            let spec = table.iter().find(|s| s.name == name).expect(name);
            assert!(categories(spec).contains(&"@dangerous"), "{name}");
        }
        for (command, sub) in
            [("config", "set"), ("client", "kill"), ("jotter.deadletters", "purge")]
        {
            let spec = table.iter().find(|s| s.name == command).expect(command);
            let row = spec.subs.iter().find(|s| s.name == sub).expect(sub);
            assert!(sub_categories(spec, row).contains(&"@dangerous"), "{command}|{sub}");
        }
    }
}
