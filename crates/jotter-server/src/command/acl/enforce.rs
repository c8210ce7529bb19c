//! What the dispatcher asks before running a command: whether the
//! session's user may run it, touch its keys and use its channels
//! (PUBLISH, SUBSCRIBE, PSUBSCRIBE, by name, as Redis finds a command's
//! channels), under the user's rules as they are now. A refusal is logged
//! (ACL LOG) and answered in Redis 7.0's words.

use jotter_resp::Request;

use super::super::client::command_name;
use super::super::permissions::Permissions;
use super::super::spec::{Ctx, Spec, flag};
use super::log::{Reason, Refusal};
use crate::session::Session;
use crate::state::Shared;

/// Redis 7.0's refusal of a key.
const KEY_REFUSED: &str =
    "NOPERM this user has no permissions to access one of the keys used as arguments";

/// Redis 7.0's refusal of a channel.
const CHANNEL_REFUSED: &str =
    "NOPERM this user has no permissions to access one of the channels used as arguments";

/// Takes the session's user's current permissions if any user changed
/// since it last looked.
pub(crate) fn refresh(shared: &Shared, session: &mut Session) {
    let now = shared.users.generation();
    if session.acl_generation == now {
        return;
    }
    session.acl_generation = now;
    let user = session.entry.user.lock().clone();
    session.permissions = shared.users.of(user.as_deref().unwrap_or("default"));
}

/// Whether the session's user may run `req` (the command `spec`, at
/// `index` of the table) and touch its keys; if not, the refusal's text,
/// already logged.
pub(crate) fn check(
    ctx: &mut Ctx<'_>,
    index: usize,
    spec: &Spec,
    req: &Request,
) -> Result<(), String> {
    let context = if ctx.session.multi.is_some() { "multi" } else { "toplevel" };
    match refusal(ctx, index, spec, req, context) {
        None => Ok(()),
        Some((reason, name)) => Err(refusal_text(reason, &name)),
    }
}

/// Redis 7.0's refusal of a command (`name`), a key or a channel.
pub(crate) fn refusal_text(reason: Reason, name: &str) -> String {
    match reason {
        Reason::Command => {
            format!("NOPERM this user has no permissions to run the '{name}' command")
        }
        Reason::Channel => CHANNEL_REFUSED.to_owned(),
        _ => KEY_REFUSED.to_owned(),
    }
}

/// [`check`] for a command `MULTI` queued, as EXEC runs it: the user's
/// rules may have changed since. The refusal is Redis 7.0's reply in
/// EXEC's array for that command.
pub(crate) fn check_queued(
    ctx: &mut Ctx<'_>,
    index: usize,
    spec: &Spec,
    req: &Request,
) -> Result<(), String> {
    let Some((reason, _)) = refusal(ctx, index, spec, req, "multi") else { return Ok(()) };
    let why = match reason {
        Reason::Command => "no permission to execute the command or subcommand",
        Reason::Channel => "no permission to access one of the channels used as arguments",
        _ => "no permission to touch the specified keys",
    };
    Err(format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {why}"
    ))
}

/// Why the session's user, as its rules are now, may not run `req`, and
/// what it was refused (the command's name, the key, the channel), logged
/// in `context`.
fn refusal(
    ctx: &mut Ctx<'_>,
    index: usize,
    spec: &Spec,
    req: &Request,
    context: &'static str,
) -> Option<(Reason, String)> {
    refresh(ctx.shared, ctx.session);
    let refused = denied(&ctx.session.permissions, index, spec, req)?;
    // The log's client line names the refused command, as Redis's does.
    ctx.session.entry.ran(index);
    let username = ctx.session.entry.user.lock().as_deref().unwrap_or("default").to_owned();
    let (reason, object) = refused.clone();
    log_refusal(ctx, Refusal { reason, context, object, username });
    Some(refused)
}

/// Why `permissions` do not let a client run `req` (the command `spec`,
/// at `index` of the table), and what they refuse: the command's name
/// (`client|kill`), its first key refused, or its first channel refused.
pub(crate) fn denied(
    permissions: &Permissions,
    index: usize,
    spec: &Spec,
    req: &Request,
) -> Option<(Reason, String)> {
    Some(match permissions.check(index, req) {
        Err(name) => (Reason::Command, name),
        Ok(()) => match denied_key(permissions, spec, req) {
            Some(key) => (Reason::Key, key),
            None => (Reason::Channel, denied_channel(permissions, spec, req)?),
        },
    })
}

/// The first channel of `req` the permissions do not let it use: the
/// channel PUBLISH and SPUBLISH name, the channels SUBSCRIBE and
/// SSUBSCRIBE name, the patterns PSUBSCRIBE names (unsubscribing is never
/// refused, as in Redis).
pub(crate) fn denied_channel(
    permissions: &Permissions,
    spec: &Spec,
    req: &Request,
) -> Option<String> {
    if permissions.access().all_channels() {
        return None;
    }
    let (channels, is_pattern) = match spec.name {
        "publish" | "spublish" => (1..2.min(req.len()), false),
        "subscribe" | "ssubscribe" => (1..req.len(), false),
        "psubscribe" => (1..req.len(), true),
        _ => return None,
    };
    channels
        .filter_map(|at| req.arg(at))
        .find(|channel| !may_use_channel(permissions, channel, is_pattern))
        .map(|channel| String::from_utf8_lossy(channel).into_owned())
}

/// Writes whose first key is written and whose other keys are only read
/// (their sources), as Redis's key specifications say.
const WRITES_FIRST: &[&str] = &[
    "bitop",
    "geosearchstore",
    "pfmerge",
    "sdiffstore",
    "sinterstore",
    "sunionstore",
    "zdiffstore",
    "zinterstore",
    "zrangestore",
    "zunionstore",
];

/// Writes whose first key is only read and whose other keys are written
/// (COPY's destination, the STORE key of SORT and GEORADIUS).
const READS_FIRST: &[&str] = &["copy", "georadius", "georadiusbymember", "sort"];

/// The first key of `req` the permissions do not let it touch. A key a
/// command writes needs write access, a key it only reads read access.
/// Redis 7.0 decides from each key's specification; Jotter from the
/// command's flags, with the sources of the writes above read only.
pub(crate) fn denied_key(permissions: &Permissions, spec: &Spec, req: &Request) -> Option<String> {
    let access = permissions.access();
    if access.all_keys() {
        return None;
    }
    let write = spec.flags_of(req) & flag::WRITE != 0;
    let writes = |at: usize| {
        write
            && if WRITES_FIRST.contains(&spec.name) {
                at == 0
            } else if READS_FIRST.contains(&spec.name) {
                at > 0
            } else {
                true
            }
    };
    let keys = spec.data_keys(req).unwrap_or_else(|| spec.key_args(req));
    keys.into_iter()
        .enumerate()
        .find(|(at, key)| !access.may_use_key(key, !writes(*at), writes(*at)))
        .map(|(_, key)| String::from_utf8_lossy(&key).into_owned())
}

/// Whether `permissions` let a client use `channel` (PUBLISH, SUBSCRIBE;
/// `is_pattern` for PSUBSCRIBE's patterns, which must be one of the
/// user's patterns byte for byte). The dispatcher asks it for the
/// commands [`denied_channel`] knows.
pub(crate) fn may_use_channel(permissions: &Permissions, channel: &[u8], is_pattern: bool) -> bool {
    permissions.access().may_use_channel(channel, is_pattern)
}

/// Logs `refusal` with the client's CLIENT INFO line.
pub(crate) fn log_refusal(ctx: &Ctx<'_>, refusal: Refusal) {
    let mut info = String::new();
    let commands = ctx.commands;
    ctx.session.entry.info_line(&mut info, 0, |i, sub| command_name(commands, i, sub));
    ctx.shared.users.log().add(refusal, info);
}

#[cfg(test)]
mod tests {
    use super::super::super::dispatch::{lookup, table};
    use super::super::user::User;
    use super::*;

    fn denied(rules: &str, args: &[&str]) -> Option<String> {
        let permissions = User::of_rules(rules, table()).expect("valid rules").permissions();
        let (_, spec) = lookup(args[0].as_bytes()).expect("a command");
        denied_key(&permissions, spec, &Request::from_args(args).expect("a request"))
    }

    #[test]
    fn a_write_s_sources_need_only_read_access() {
        let split = "%R~s* %W~d*";
        let swapped = "%W~s* %R~d*";
        for args in [
            &["zunionstore", "d", "2", "s1", "s2"][..],
            &["zrangestore", "d", "s", "0", "1"],
            &["sunionstore", "d", "s1", "s2"],
            &["bitop", "and", "d", "s1", "s2"],
            &["pfmerge", "d", "s1"],
            &["geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "km"],
            &["copy", "s", "d"],
            &["georadius", "s", "0", "0", "1", "km", "store", "d"],
            &["sort", "s", "store", "d"],
        ] {
            assert_eq!(denied(split, args), None, "{args:?}");
            assert!(denied(swapped, args).is_some(), "{args:?}");
        }
        assert_eq!(denied(split, &["lmove", "s", "d", "left", "left"]).as_deref(), Some("s"));
        assert_eq!(denied(split, &["get", "d"]).as_deref(), Some("d"));
        assert_eq!(denied(split, &["set", "s", "v"]).as_deref(), Some("s"));
    }
}
