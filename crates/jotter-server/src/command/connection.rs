//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and
//! CLIENT (ID, SETNAME, GETNAME, SETINFO, LIST, INFO, KILL). They act on the
//! connection's own state (protocol, authentication, name) or on the client
//! registry, never on data.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use jotter_resp::{Protocol, Request};

use super::args::parse_i64;
use super::spec::{BoxFlow, Ctx, Flow, Spec, Table, flag, now, waits};
use crate::clients::KillFilter;
use crate::state::Shared;

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
    Spec::new("echo", 2, flag::FAST, GROUP, "Returns the given string.", "1.0.0", now(echo)),
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
    Spec::new(
        "client",
        -2,
        flag::SENTINEL,
        GROUP,
        "A container for client connection commands.",
        "2.4.0",
        now(client),
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
    ctx.session.authenticated = !ctx.shared.config.auth_required();
    ctx.session.permissions = ctx.shared.users.default_user();
    ctx.session.multi = None;
    ctx.session.watched.clear();
    ctx.session.write_through = false;
    super::pubsub::leave(ctx.shared, ctx.session);
    ctx.reply().simple(b"RESET");
    Flow::Continue
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell how much of a password was right (the length still shows).
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The user `name` (or `default`) authenticated by `password`, if any.
///
/// `default`'s password is `requirepass`; without one, `default` cannot
/// log in while named users exist (configuring users means wanting
/// authentication), and with no auth configured at all it accepts anything,
/// like Redis's `nopass` default user.
fn authenticate(shared: &Shared, name: Option<&[u8]>, password: &[u8]) -> Option<Arc<str>> {
    let config = &shared.config;
    match name {
        None | Some(b"default") => {
            let ok = match &config.requirepass {
                Some(pass) => same_secret(pass.as_bytes(), password),
                None => !config.auth_required(),
            };
            ok.then(|| Arc::from("default"))
        }
        Some(name) => config
            .user
            .iter()
            .find(|u| u.name.as_bytes() == name && same_secret(u.password.as_bytes(), password))
            .map(|u| Arc::from(u.name.as_str())),
    }
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
    if name.is_none() && ctx.shared.config.requirepass.is_none() {
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
    match authenticate(ctx.shared, name, password) {
        Some(user) => {
            ctx.session.authenticated = true;
            ctx.session.permissions = ctx.shared.users.of(&user);
            *ctx.session.entry.user.lock() = Some(user);
            true
        }
        None => {
            attempt.failed();
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

/// Sets the connection's name (empty clears it), or replies the error and
/// returns false.
fn set_name(ctx: &mut Ctx<'_>, name: Bytes) -> bool {
    // Redis refuses what would break the space-separated CLIENT LIST line.
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        ctx.reply()
            .error(b"ERR Client names cannot contain spaces, newlines or special characters.");
        return false;
    }
    *ctx.session.entry.name.lock() = (!name.is_empty()).then_some(name);
    true
}

fn client(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let sub = req.arg(1).unwrap_or_default();
    let n = req.len();
    let is = |name: &str| sub.eq_ignore_ascii_case(name.as_bytes());
    if is("id") {
        if n != 2 {
            ctx.arity_error("client|id");
        } else {
            let id = i64::try_from(ctx.session.entry.id).unwrap_or(i64::MAX);
            ctx.reply().integer(id);
        }
    } else if is("getname") {
        if n != 2 {
            ctx.arity_error("client|getname");
        } else {
            let name = ctx.session.entry.name.lock().clone();
            match name {
                Some(name) => ctx.reply().bulk(&name),
                None => ctx.reply().null(),
            }
        }
    } else if is("setname") {
        if n != 3 {
            ctx.arity_error("client|setname");
        } else if set_name(ctx, req.arg_bytes(2).unwrap_or_default()) {
            ctx.reply().ok();
        }
    } else if is("setinfo") {
        // Redis 7.2's library name/version; clients send it on connect.
        if n != 4 {
            ctx.arity_error("client|setinfo");
        } else {
            ctx.reply().ok();
        }
    } else if is("info") {
        if n != 2 {
            ctx.arity_error("client|info");
        } else {
            let mut line = String::new();
            ctx.session.entry.info_line(&mut line, |i| command_name(ctx.commands, i));
            ctx.reply().verbatim(*b"txt", line.as_bytes());
        }
    } else if is("list") {
        client_list(req, ctx);
    } else if is("kill") {
        if n < 3 {
            ctx.arity_error("client|kill");
        } else {
            return client_kill(req, ctx);
        }
    } else if super::pubsub::client_subcommand(sub, req, ctx) {
        // TRACKING, CACHING, TRACKINGINFO, GETREDIR: client-side caching.
    } else if is("help") {
        ctx.help(CLIENT_HELP);
    } else {
        ctx.unknown_subcommand(sub, "CLIENT");
    }
    Flow::Continue
}

/// `CLIENT HELP`: the subcommands, in Redis's words.
const CLIENT_HELP: &[&[u8]] = &[
    b"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"ID",
    b"    Return the ID of the current connection.",
    b"GETNAME",
    b"    Return the name of the current connection.",
    b"SETNAME <name>",
    b"    Assign the name <name> to the current connection.",
    b"INFO",
    b"    Return information about the current client connection.",
    b"LIST [TYPE normal] [ID <id> [<id> ...]]",
    b"    Return information about client connections.",
    b"KILL <ip:port>",
    b"    Kill connection made from <ip:port>.",
    b"KILL <option> <value> [<option> <value> [...]]",
    b"    Kill connections. Options are: ID, ADDR, LADDR, USER, SKIPME (yes|no).",
];

fn client_list(req: &Request, ctx: &mut Ctx<'_>) {
    let mut ids: Option<Vec<u64>> = None;
    let mut normal = true;
    let mut j = 2;
    while j < req.len() {
        let option = req.arg(j).unwrap_or_default();
        if option.eq_ignore_ascii_case(b"TYPE") && j + 1 < req.len() {
            let kind = req.arg(j + 1).unwrap_or_default();
            if kind.eq_ignore_ascii_case(b"normal") {
                normal = true;
            } else if [&b"master"[..], b"replica", b"slave", b"pubsub"]
                .iter()
                .any(|k| kind.eq_ignore_ascii_case(k))
            {
                normal = false; // Jotter has only normal clients.
            } else {
                let text = format!("ERR Unknown client type '{}'", String::from_utf8_lossy(kind));
                return ctx.reply().error(text.as_bytes());
            }
            j += 2;
        } else if option.eq_ignore_ascii_case(b"ID") && j + 1 < req.len() {
            let list = ids.get_or_insert_with(Vec::new);
            j += 1;
            while j < req.len() {
                match req.arg(j).and_then(parse_i64) {
                    Some(id) if id > 0 => list.push(id.unsigned_abs()),
                    _ => return ctx.reply().error(b"ERR Invalid client ID"),
                }
                j += 1;
            }
        } else {
            return ctx.syntax_error();
        }
    }
    let mut text = String::new();
    if normal {
        for client in ctx.shared.clients.list() {
            if ids.as_ref().is_none_or(|ids| ids.contains(&client.id)) {
                client.info_line(&mut text, |i| command_name(ctx.commands, i));
            }
        }
    }
    ctx.reply().verbatim(*b"txt", text.as_bytes());
}

fn client_kill(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let me = ctx.session.entry.id;
    let parse_addr = |arg: &[u8]| std::str::from_utf8(arg).ok()?.parse::<SocketAddr>().ok();
    // The old form: CLIENT KILL ip:port, which may kill the caller too.
    if req.len() == 3 {
        let Some(addr) = req.arg(2).and_then(parse_addr) else {
            ctx.reply().error(b"ERR No such client");
            return Flow::Continue;
        };
        let filter = KillFilter { addr: Some(addr), ..KillFilter::default() };
        if ctx.shared.clients.kill(&filter) == 0 {
            ctx.reply().error(b"ERR No such client");
            return Flow::Continue;
        }
        ctx.reply().ok();
        return if ctx.session.entry.kill.is_cancelled() { Flow::Close } else { Flow::Continue };
    }
    if !req.len().is_multiple_of(2) {
        ctx.syntax_error();
        return Flow::Continue;
    }
    let mut filter = KillFilter { skip: Some(me), ..KillFilter::default() };
    for pair in (2..req.len()).step_by(2) {
        let option = req.arg(pair).unwrap_or_default();
        let value = req.arg(pair + 1).unwrap_or_default();
        let is = |name: &[u8]| option.eq_ignore_ascii_case(name);
        if is(b"ID") {
            match parse_i64(value) {
                Some(id) if id > 0 => filter.id = Some(id.unsigned_abs()),
                _ => {
                    ctx.reply().error(b"ERR client-id should be greater than 0");
                    return Flow::Continue;
                }
            }
        } else if is(b"ADDR") || is(b"LADDR") {
            let Some(addr) = parse_addr(value) else {
                // No client has an address that does not parse.
                ctx.reply().integer(0);
                return Flow::Continue;
            };
            if is(b"ADDR") {
                filter.addr = Some(addr);
            } else {
                filter.laddr = Some(addr);
            }
        } else if is(b"USER") {
            filter.user = Some(String::from_utf8_lossy(value).into_owned());
        } else if is(b"SKIPME") {
            if value.eq_ignore_ascii_case(b"yes") {
                filter.skip = Some(me);
            } else if value.eq_ignore_ascii_case(b"no") {
                filter.skip = None;
            } else {
                ctx.syntax_error();
                return Flow::Continue;
            }
        } else if is(b"TYPE") {
            if !value.eq_ignore_ascii_case(b"normal") {
                ctx.reply().integer(0); // Jotter has only normal clients.
                return Flow::Continue;
            }
        } else {
            ctx.syntax_error();
            return Flow::Continue;
        }
    }
    let killed = ctx.shared.clients.kill(&filter);
    ctx.reply().integer(i64::try_from(killed).unwrap_or(i64::MAX));
    if ctx.session.entry.kill.is_cancelled() { Flow::Close } else { Flow::Continue }
}

/// The name of the command at `index` of the table, for `cmd=`.
fn command_name(commands: &Table, index: usize) -> Option<&'static str> {
    commands.specs().get(index).map(|spec| spec.name)
}
