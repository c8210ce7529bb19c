//! Client-side caching's commands: CLIENT TRACKING, CACHING,
//! TRACKINGINFO and GETREDIR, with Redis 7.0's options, checks and error
//! texts, and a connection's tracking state ([`Tracking`]). They are rows
//! of CLIENT's table (`client/mod.rs`); the shared table they fill is
//! `invalidation.rs`.

use bytes::Bytes;
use jotter_resp::Request;

use super::super::args::parse_i64;
use super::super::spec::{Ctx, Flow};
use super::invalidation::{Options, Target};

/// A connection's tracking state (`CLIENT TRACKING ON ...`).
#[derive(Debug, Default)]
pub(crate) struct Tracking {
    on: bool,
    options: Options,
    /// `CLIENT CACHING yes|no` given for the next command.
    caching: bool,
    /// The caching flag was set by the command that just ran: it holds
    /// for the next one.
    caching_fresh: bool,
}

impl Tracking {
    pub(crate) fn on(&self) -> bool {
        self.on
    }

    pub(crate) fn bcast(&self) -> bool {
        self.on && self.options.bcast
    }

    /// Whether the keys the command just run read are to be remembered
    /// (`trackingRememberKeys`'s rules).
    pub(crate) fn remembers_reads(&self) -> bool {
        let opted_out =
            if self.options.optin { !self.caching } else { self.options.optout && self.caching };
        self.on && !self.options.bcast && !opted_out
    }

    /// The redirect as CLIENT GETREDIR and TRACKINGINFO show it: -1 when
    /// tracking is off, 0 without a redirect.
    fn redirect_reply(&self) -> i64 {
        match (self.on, self.options.redirect) {
            (false, _) => -1,
            (true, None) => 0,
            (true, Some(id)) => i64::try_from(id).unwrap_or(i64::MAX),
        }
    }

    /// After each command: `CLIENT CACHING` holds for one command.
    pub(crate) fn command_done(&mut self) {
        if self.caching_fresh {
            self.caching_fresh = false;
        } else {
            self.caching = false;
        }
    }
}

/// Shows the connection's pub/sub state in `CLIENT LIST`'s flags (`P`
/// subscribed, `t` tracking, `B` in BCAST mode) and `TYPE pubsub`.
pub(crate) fn show_state(session: &crate::session::Session) {
    use crate::clients::flags::{PUBSUB, TRACKING, TRACKING_BCAST};
    let entry = &session.entry;
    entry.set_flag(PUBSUB, session.subscriptions.active());
    entry.set_flag(TRACKING, session.tracking.on());
    entry.set_flag(TRACKING_BCAST, session.tracking.bcast());
    entry.pubsub.set(session.subscriptions.counts(), session.tracking.redirect_reply());
}

/// `CLIENT GETREDIR`.
pub(crate) fn getredir(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let redirect = ctx.session.tracking.redirect_reply();
    ctx.reply().integer(redirect);
    Flow::Continue
}

fn parse_options(req: &Request, ctx: &mut Ctx<'_>) -> Option<Options> {
    let mut options = Options::default();
    let mut j = 3;
    while j < req.len() {
        let option = req.arg(j).unwrap_or_default();
        let more = j + 1 < req.len();
        let is = |name: &[u8]| option.eq_ignore_ascii_case(name);
        if is(b"redirect") && more {
            j += 1;
            if options.redirect.is_some() {
                ctx.reply().error(b"ERR A client can only redirect to a single other client");
                return None;
            }
            let Some(id) = req.arg(j).and_then(parse_i64) else {
                ctx.reply().error(b"ERR value is not an integer or out of range");
                return None;
            };
            let found = u64::try_from(id).ok().filter(|id| ctx.shared.clients.get(*id).is_some());
            let Some(id) = found else {
                ctx.reply().error(b"ERR The client ID you want redirect to does not exist");
                return None;
            };
            options.redirect = Some(id);
        } else if is(b"bcast") {
            options.bcast = true;
        } else if is(b"optin") {
            options.optin = true;
        } else if is(b"optout") {
            options.optout = true;
        } else if is(b"noloop") {
            options.noloop = true;
        } else if is(b"prefix") && more {
            j += 1;
            options.prefixes.push(req.arg_bytes(j).unwrap_or_default());
        } else {
            ctx.syntax_error();
            return None;
        }
        j += 1;
    }
    Some(options)
}

/// `CLIENT TRACKING on|off [options]`.
pub(crate) fn tracking(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    tracking_switch(req, ctx);
    Flow::Continue
}

fn tracking_switch(req: &Request, ctx: &mut Ctx<'_>) {
    let Some(options) = parse_options(req, ctx) else { return };
    let switch = req.arg(2).unwrap_or_default();
    if switch.eq_ignore_ascii_case(b"off") {
        disable(ctx);
        return ctx.reply().ok();
    }
    if !switch.eq_ignore_ascii_case(b"on") {
        return ctx.syntax_error();
    }
    if let Some(error) = refusal(&ctx.session.tracking, &options) {
        return ctx.reply().error(error.as_bytes());
    }
    let mut options = options;
    let state = &mut ctx.session.tracking;
    if options.bcast {
        // BCAST naming no prefix tracks every key: the prefix "".
        if options.prefixes.is_empty() {
            options.prefixes.push(Bytes::new());
        }
        let mut prefixes = std::mem::take(&mut state.options.prefixes);
        prefixes.append(&mut options.prefixes);
        prefixes.sort();
        prefixes.dedup();
        options.prefixes = prefixes;
    }
    state.on = true;
    state.options = options;
    let target = Target { entry: ctx.session.entry.clone(), options: state.options.clone() };
    ctx.shared.pubsub.tracking.enable(target);
    show_state(ctx.session);
    ctx.reply().ok();
}

/// Turns the connection's tracking off (CLIENT TRACKING OFF, RESET, the
/// connection ending).
pub(crate) fn disable(ctx: &mut Ctx<'_>) {
    if ctx.session.tracking.on {
        ctx.shared.pubsub.tracking.disable(ctx.session.entry.id);
    }
    ctx.session.tracking = Tracking::default();
    show_state(ctx.session);
}

/// Why `CLIENT TRACKING ON` with `options` is refused, in Redis's words
/// and order.
fn refusal(state: &Tracking, options: &Options) -> Option<String> {
    if !options.bcast && !options.prefixes.is_empty() {
        return Some("ERR PREFIX option requires BCAST mode to be enabled".into());
    }
    if state.on && state.options.bcast != options.bcast {
        return Some(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, \
             and then re-enabling it with a different mode."
                .into(),
        );
    }
    if options.bcast && (options.optin || options.optout) {
        return Some("ERR OPTIN and OPTOUT are not compatible with BCAST".into());
    }
    if options.optin && options.optout {
        return Some("ERR You can't specify both OPTIN mode and OPTOUT mode".into());
    }
    if (options.optin && state.options.optout) || (options.optout && state.options.optin) {
        return Some(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
             and then re-enabling it with a different mode."
                .into(),
        );
    }
    if options.bcast {
        return prefix_collision(&state.options.prefixes, &options.prefixes);
    }
    None
}

/// Redis's `checkPrefixCollisionsOrReply`: no prefix may be a prefix of
/// another of the same client's.
fn prefix_collision(existing: &[Bytes], new: &[Bytes]) -> Option<String> {
    let overlap = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
    let show = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
    for (i, prefix) in new.iter().enumerate() {
        if let Some(old) = existing.iter().find(|old| overlap(old, prefix)) {
            return Some(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single \
                 client must not overlap.",
                show(prefix),
                show(old)
            ));
        }
        if let Some(other) = new[i + 1..].iter().find(|other| overlap(other, prefix)) {
            return Some(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a \
                 single client must not overlap.",
                show(prefix),
                show(other)
            ));
        }
    }
    None
}

/// `CLIENT CACHING yes|no`.
pub(crate) fn caching(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    caching_switch(req, ctx);
    Flow::Continue
}

fn caching_switch(req: &Request, ctx: &mut Ctx<'_>) {
    let state = &mut ctx.session.tracking;
    if !state.on {
        return ctx.reply().error(
            b"ERR CLIENT CACHING can be called only when the client is in tracking mode with \
              OPTIN or OPTOUT mode enabled",
        );
    }
    let value = req.arg(2).unwrap_or_default();
    if value.eq_ignore_ascii_case(b"yes") {
        if !state.options.optin {
            return ctx.reply().error(
                b"ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
    } else if value.eq_ignore_ascii_case(b"no") {
        if !state.options.optout {
            return ctx.reply().error(
                b"ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
    } else {
        return ctx.syntax_error();
    }
    state.caching = true;
    state.caching_fresh = true;
    ctx.reply().ok();
}

/// `CLIENT TRACKINGINFO`.
pub(crate) fn tracking_info(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    write_tracking_info(ctx);
    Flow::Continue
}

fn write_tracking_info(ctx: &mut Ctx<'_>) {
    let state = &ctx.session.tracking;
    let mut flags: Vec<&[u8]> = vec![if state.on { b"on" } else { b"off" }];
    if state.options.bcast {
        flags.push(b"bcast");
    }
    if state.options.optin {
        flags.push(b"optin");
        if state.caching {
            flags.push(b"caching-yes");
        }
    }
    if state.options.optout {
        flags.push(b"optout");
        if state.caching {
            flags.push(b"caching-no");
        }
    }
    if state.options.noloop {
        flags.push(b"noloop");
    }
    if let Some(to) = state.options.redirect
        && ctx.shared.clients.get(to).is_none()
    {
        flags.push(b"broken_redirect");
    }
    let redirect = state.redirect_reply();
    let prefixes = state.options.prefixes.clone();
    let mut reply = ctx.reply();
    reply.map(3);
    reply.bulk(b"flags");
    reply.set(flags.len());
    for flag in flags {
        reply.bulk(flag);
    }
    reply.bulk(b"redirect");
    reply.integer(redirect);
    reply.bulk(b"prefixes");
    reply.array(prefixes.len());
    for prefix in &prefixes {
        reply.bulk(prefix);
    }
}
