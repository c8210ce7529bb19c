//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT and RESET.
//! They act on the connection's own state (protocol, authentication,
//! name), never on data. CLIENT is its own family (`client/`).

use jotter_resp::{Protocol, Request};

use super::acl::login;
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

fn auth<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        match login::auth_credentials(req, &ctx.shared.users) {
            Ok(credentials) => {
                if log_in(ctx, credentials).await {
                    ctx.reply().ok();
                }
            }
            Err(text) => ctx.reply().error(text.as_bytes()),
        }
        Flow::Continue
    })
}

/// Authenticates the connection, or replies WRONGPASS and returns false.
async fn log_in(ctx: &mut Ctx<'_>, credentials: login::Credentials<'_>) -> bool {
    let shared = ctx.shared;
    let from = ctx.session.entry.addr.ip();
    match login::log_in(&shared.users, &shared.auth_throttle, from, credentials).await {
        Ok(logged_in) => {
            ctx.session.authenticated = true;
            ctx.session.permissions = logged_in.permissions;
            ctx.session.acl_generation = logged_in.generation;
            *ctx.session.entry.user.lock() = Some(logged_in.user);
            true
        }
        Err(refused) => {
            super::acl::log_refusal(ctx, refused.refusal());
            ctx.reply().error(login::WRONGPASS.as_bytes());
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
    let hello = match login::Hello::parse(req, ctx.session.authenticated) {
        Ok(hello) => hello,
        Err(text) => return ctx.reply().error(text.as_bytes()),
    };
    let protocol = hello.protocol.unwrap_or(ctx.session.protocol);
    if let Some(credentials) = hello.credentials
        && !log_in(ctx, credentials).await
    {
        return;
    }
    if let Some(name) = hello.name
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
