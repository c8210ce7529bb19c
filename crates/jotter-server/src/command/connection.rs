//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT and RESET.
//! They act on the connection's own state (protocol, authentication,
//! name), never on data. CLIENT is its own family (`client/`).

use std::sync::Arc;

use jotter_resp::{Protocol, Request};

use super::args::parse_i64;
use super::client::set_name;
use super::spec::{BoxFlow, Ctx, Flow, Spec, flag, now, waits};

const GROUP: &str = "connection";

const PRE_AUTH: u16 = flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NOAUTH;

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "ping",
        -1,
        flag::FAST | flag::SENTINEL,
        GROUP,
        "Returns the server's liveliness response.",
        "1.0.0",
        now(ping),
    ),
    Spec::new(
        "echo",
        2,
        flag::LOADING | flag::STALE | flag::FAST,
        GROUP,
        "Returns the given string.",
        "1.0.0",
        now(echo),
    ),
    Spec::new(
        "hello",
        -1,
        PRE_AUTH | flag::SENTINEL,
        GROUP,
        "Handshakes with the server: protocol version, authentication, name.",
        "6.0.0",
        waits(hello),
    ),
    Spec::new(
        "auth",
        -2,
        PRE_AUTH | flag::SENTINEL,
        GROUP,
        "Authenticates the connection.",
        "1.0.0",
        waits(auth),
    ),
    Spec::new(
        "select",
        2,
        flag::LOADING | flag::STALE | flag::FAST,
        GROUP,
        "Changes the selected database (only 0 exists).",
        "1.0.0",
        now(select),
    ),
    Spec::new(
        "quit",
        -1,
        PRE_AUTH | flag::NOQUEUE,
        GROUP,
        "Closes the connection.",
        "1.0.0",
        now(quit),
    ),
    Spec::new(
        "reset",
        1,
        PRE_AUTH | flag::NOQUEUE,
        GROUP,
        "Resets the connection.",
        "6.2.0",
        now(reset),
    ),
];

fn ping(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    if req.len() <= 2 && super::pubsub::subscriber_ping(req, ctx) {
        return Flow::Continue;
    }
    match req.len() {
        1 => ctx.reply().simple(b"PONG"),
        2 => ctx.reply().bulk(req.arg(1).unwrap_or_default()),
        _ => ctx.arity_error("ping"),
    }
    Flow::Continue
}

fn echo(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.reply().bulk(req.arg(1).unwrap_or_default());
    Flow::Continue
}

fn select(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match req.arg(1).and_then(parse_i64) {
        None => ctx.reply().error(b"ERR value is not an integer or out of range"),
        Some(0) => ctx.reply().ok(),
        Some(_) => ctx.reply().error(b"ERR DB index is out of range"),
    }
    Flow::Continue
}

fn quit(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.reply().ok();
    Flow::Close
}

fn reset(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.session.set_protocol(Protocol::Resp2);
    *ctx.session.entry.name.lock() = None;
    *ctx.session.entry.user.lock() = None;
    ctx.session.authenticated = ctx.shared.users.default_open();
    ctx.session.permissions = ctx.shared.users.default_user();
    ctx.session.multi = None;
    ctx.session.watched.clear();
    ctx.session.write_through = false;
    ctx.session.reply_mode.on();
    ctx.session.entry.set_flag(crate::clients::flags::NO_EVICT, false);
    super::pubsub::leave(ctx.shared, ctx.session);
    ctx.reply().simple(b"RESET");
    Flow::Continue
}

const WRONGPASS: &[u8] = b"WRONGPASS invalid username-password pair or user is disabled.";

fn auth<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        auth_inner(req, ctx).await;
        Flow::Continue
    })
}

async fn auth_inner(req: &Request, ctx: &mut Ctx<'_>) {
    let (name, password) = match req.len() {
        2 => (None, req.arg(1).unwrap_or_default()),
        3 => (req.arg(1), req.arg(2).unwrap_or_default()),
        _ => return ctx.syntax_error(),
    };
    if name.is_none() && ctx.shared.users.default_nopass() {
        return ctx.reply().error(
            b"ERR AUTH <password> called without any password configured for the default user. \
              Are you sure your configuration is correct?",
        );
    }
    if log_in(ctx, name, password).await {
        ctx.reply().ok();
    }
}

/// Authenticates the connection, or replies WRONGPASS and returns false.
/// An address that failed too often waits first (see `auth_throttle.rs`).
async fn log_in(ctx: &mut Ctx<'_>, name: Option<&[u8]>, password: &[u8]) -> bool {
    let attempt = ctx.shared.auth_throttle.attempt(ctx.session.entry.addr.ip()).await;
    let user = String::from_utf8_lossy(name.unwrap_or(b"default")).into_owned();
    // Taken first: a change made while this AUTH runs is seen at the next
    // command.
    let generation = ctx.shared.users.generation();
    match ctx.shared.users.authenticate(&user, password) {
        Some(permissions) => {
            ctx.session.authenticated = true;
            ctx.session.permissions = permissions;
            ctx.session.acl_generation = generation;
            *ctx.session.entry.user.lock() = Some(Arc::from(user));
            true
        }
        None => {
            attempt.failed();
            super::acl::log_failed_auth(ctx, &user);
            ctx.reply().error(WRONGPASS);
            false
        }
    }
}

fn hello<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        hello_inner(req, ctx).await;
        Flow::Continue
    })
}

async fn hello_inner(req: &Request, ctx: &mut Ctx<'_>) {
    let mut protocol = ctx.session.protocol;
    if let Some(version) = req.arg(1) {
        match parse_i64(version) {
            None => {
                return ctx
                    .reply()
                    .error(b"ERR Protocol version is not an integer or out of range");
            }
            Some(2) => protocol = Protocol::Resp2,
            Some(3) => protocol = Protocol::Resp3,
            Some(_) => return ctx.reply().error(b"NOPROTO unsupported protocol version"),
        }
    }
    let mut credentials = None;
    let mut name = None;
    let mut j = 2;
    while j < req.len() {
        let option = req.arg(j).unwrap_or_default();
        let more = req.len() - j - 1;
        if option.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            credentials =
                Some((req.arg(j + 1).unwrap_or_default(), req.arg(j + 2).unwrap_or_default()));
            j += 3;
        } else if option.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            name = req.arg_bytes(j + 1);
            j += 2;
        } else {
            let text =
                format!("ERR Syntax error in HELLO option '{}'", String::from_utf8_lossy(option));
            return ctx.reply().error(text.as_bytes());
        }
    }
    if !ctx.session.authenticated && credentials.is_none() {
        return ctx.reply().error(
            b"NOAUTH HELLO must be called with the client already authenticated, otherwise the \
              HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
              select the RESP protocol version at the same time",
        );
    }
    if let Some((user, password)) = credentials
        && !log_in(ctx, Some(user), password).await
    {
        return;
    }
    if let Some(name) = name
        && !set_name(ctx, name)
    {
        return;
    }
    ctx.session.set_protocol(protocol);
    let id = i64::try_from(ctx.session.entry.id).unwrap_or(i64::MAX);
    let mut reply = ctx.reply();
    reply.map(7);
    reply.bulk(b"server");
    // Clients decide what to use from these fields; Jotter speaks Redis
    // 7.0's protocol, so it presents itself as such.
    reply.bulk(b"redis");
    reply.bulk(b"version");
    reply.bulk(super::server::REDIS_VERSION.as_bytes());
    reply.bulk(b"proto");
    reply.integer(if protocol == Protocol::Resp3 { 3 } else { 2 });
    reply.bulk(b"id");
    reply.integer(id);
    reply.bulk(b"mode");
    reply.bulk(b"standalone");
    reply.bulk(b"role");
    reply.bulk(b"master");
    reply.bulk(b"modules");
    reply.array(0);
}
