//! What the dispatcher asks before running a command: whether the
//! session's user may run it, touch its keys and use its channels
//! (PUBLISH, SUBSCRIBE, PSUBSCRIBE, by name, as Redis finds a command's
//! channels), under the user's rules as they are now. A refusal is logged
//! (ACL LOG) and answered in Redis 7.0's words.

use jotter_resp::Request;

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
    refresh(ctx.shared, ctx.session);
    if let Err(name) = ctx.session.permissions.check(index, req) {
        log(ctx, Reason::Command, name.clone());
        return Err(format!("NOPERM this user has no permissions to run the '{name}' command"));
    }
    if let Some(key) = denied_key(&ctx.session.permissions, spec, req) {
        log(ctx, Reason::Key, key);
        return Err(KEY_REFUSED.to_owned());
    }
    if let Some(channel) = denied_channel(&ctx.session.permissions, spec, req) {
        log(ctx, Reason::Channel, channel);
        return Err(CHANNEL_REFUSED.to_owned());
    }
    Ok(())
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

/// The first key of `req` the permissions do not let it touch. A command
/// that writes needs write access to its keys, any other read access
/// (Redis 7.0 looks at each key's own flags; Jotter at the command's).
pub(crate) fn denied_key(permissions: &Permissions, spec: &Spec, req: &Request) -> Option<String> {
    let access = permissions.access();
    if access.all_keys() {
        return None;
    }
    let write = spec.has(flag::WRITE);
    let keys = spec.data_keys(req).unwrap_or_else(|| spec.key_args(req));
    keys.into_iter()
        .find(|key| !access.may_use_key(key, !write, write))
        .map(|key| String::from_utf8_lossy(&key).into_owned())
}

/// Whether `permissions` let a client use `channel` (PUBLISH, SUBSCRIBE;
/// `is_pattern` for PSUBSCRIBE's patterns, which must be one of the
/// user's patterns byte for byte). The dispatcher asks it for the
/// commands [`denied_channel`] knows.
pub(crate) fn may_use_channel(permissions: &Permissions, channel: &[u8], is_pattern: bool) -> bool {
    permissions.access().may_use_channel(channel, is_pattern)
}

/// Logs a refusal of the session's user.
fn log(ctx: &Ctx<'_>, reason: Reason, object: String) {
    let username = ctx.session.entry.user.lock().as_deref().unwrap_or("default").to_owned();
    let context = if ctx.session.multi.is_some() { "multi" } else { "toplevel" };
    log_refusal(ctx, Refusal { reason, context, object, username });
}

/// Logs `refusal` with the client's CLIENT INFO line.
pub(crate) fn log_refusal(ctx: &Ctx<'_>, refusal: Refusal) {
    let mut info = String::new();
    let commands = ctx.commands;
    ctx.session.entry.info_line(&mut info, |i| commands.specs().get(i).map(|s| s.name));
    ctx.shared.users.log().add(refusal, info);
}
