//! The ACL subcommands, each replying as Redis 7.0 does: the arity is
//! already checked (`mod.rs`), and every change goes through the shared
//! [`Users`](super::Users). Those that only read ([`READS`]) take the
//! users and the table rather than a connection's context, so that a
//! cluster front end answers them with the same code.

use jotter_resp::{ReplyWriter, Request};

use super::super::args::parse_i64;
use super::super::categories::{CATEGORIES, categories, sub_categories};
use super::super::spec::{Ctx, Table};
use super::log::Reason;
use super::registry::Users;
use super::{describe, enforce, file};
use crate::clients::KillFilter;
use crate::state::Shared;

/// Entries ACL LOG shows when not told how many.
const LOG_DEFAULT: usize = 10;

/// Redis's reply to CAT, GENPASS and LOG with too many arguments (their
/// arity lets any number through), naming the subcommand as sent.
fn too_many(req: &Request, reply: &mut ReplyWriter<'_>) {
    let text = format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
        String::from_utf8_lossy(req.arg(1).unwrap_or_default())
    );
    reply.error(text.as_bytes());
}

/// A subcommand that only reads the users (and the table), replying
/// through `reply`: what a cluster front end serves of ACL too.
pub(crate) type Reads = fn(&Request, &Users, &'static Table, &mut ReplyWriter<'_>);

/// The subcommands that only read, by name.
pub(crate) const READS: &[(&str, Reads)] = &[
    ("cat", cat),
    ("dryrun", dryrun),
    ("genpass", genpass),
    ("getuser", getuser),
    ("list", list),
    ("log", log),
    ("users", users),
];

/// Runs `read` on a single node (`mod.rs`'s rows, through `reads!`).
pub(super) fn read(read: Reads, req: &Request, ctx: &mut Ctx<'_>) {
    let (shared, commands) = (ctx.shared, ctx.commands);
    read(req, &shared.users, commands, &mut ctx.reply());
}

/// The name argument `at`, as users are named.
fn name_at(req: &Request, at: usize) -> String {
    String::from_utf8_lossy(req.arg(at).unwrap_or_default()).into_owned()
}

pub(super) fn setuser(req: &Request, ctx: &mut Ctx<'_>) {
    let name = req.arg(2).unwrap_or_default();
    if name.iter().any(|&b| b == b' ' || b == 0) {
        return ctx.reply().error(b"ERR Usernames can't contain spaces or null characters");
    }
    let rules: Vec<&[u8]> = req.args().skip(3).collect();
    if let Err((rule, e)) = ctx.shared.users.set(&name_at(req, 2), &rules) {
        let text =
            format!("ERR Error in ACL SETUSER modifier '{}': {e}", String::from_utf8_lossy(&rule));
        return ctx.reply().error(text.as_bytes());
    }
    close_refused_subscribers(ctx.shared, Some(&name_at(req, 2)));
    ctx.reply().ok();
}

/// Closes the subscribers of `user` (of every user when `None`) whose
/// channel rules no longer allow a channel or pattern they listen to, as
/// Redis does when the rules change: a subscriber sends no command the
/// check before each command could refuse.
fn close_refused_subscribers(shared: &Shared, user: Option<&str>) {
    shared.pubsub.close_refused_subscribers(|client, name, is_pattern| {
        let theirs = client.user.lock().clone();
        let theirs = theirs.as_deref().unwrap_or("default");
        user.is_none_or(|user| user == theirs)
            && !enforce::may_use_channel(&shared.users.of(theirs), name, is_pattern)
    });
}

pub(super) fn deluser(req: &Request, ctx: &mut Ctx<'_>) {
    if req.args().skip(2).any(|name| name == b"default") {
        return ctx.reply().error(b"ERR The 'default' user cannot be removed");
    }
    let mut deleted = 0;
    for at in 2..req.len() {
        let name = name_at(req, at);
        if ctx.shared.users.delete(&name) {
            deleted += 1;
            kill_clients_of(ctx.shared, &name);
        }
    }
    ctx.reply().integer(deleted);
}

pub(super) fn getuser(req: &Request, users: &Users, table: &Table, reply: &mut ReplyWriter<'_>) {
    let Some(user) = users.get(&name_at(req, 2)) else {
        return reply.null();
    };
    let commands = describe::commands(&user, table);
    reply.map(6);
    reply.bulk(b"flags");
    let flags = user.flags();
    reply.set(flags.len());
    for flag in flags {
        reply.bulk(flag.as_bytes());
    }
    reply.bulk(b"passwords");
    reply.array(user.hashes().len());
    for hash in user.hashes() {
        reply.bulk(hash.as_bytes());
    }
    reply.bulk(b"commands");
    reply.bulk(commands.as_bytes());
    reply.bulk(b"keys");
    reply.bulk(user.keys_text().as_bytes());
    reply.bulk(b"channels");
    reply.bulk(user.channels_text().as_bytes());
    reply.bulk(b"selectors");
    reply.array(0);
}

pub(super) fn list(_req: &Request, users: &Users, table: &Table, reply: &mut ReplyWriter<'_>) {
    let lines = describe::lines(users, table);
    reply.array(lines.len());
    for line in lines {
        reply.bulk(line.as_bytes());
    }
}

pub(super) fn users(_req: &Request, users: &Users, _table: &Table, reply: &mut ReplyWriter<'_>) {
    let names = users.names();
    reply.array(names.len());
    for name in names {
        reply.bulk(name.as_bytes());
    }
}

pub(super) fn whoami(_req: &Request, ctx: &mut Ctx<'_>) {
    let user = ctx.session.entry.user.lock().clone();
    ctx.reply().bulk(user.as_deref().unwrap_or("default").as_bytes());
}

pub(super) fn cat(req: &Request, _users: &Users, table: &Table, reply: &mut ReplyWriter<'_>) {
    if req.len() > 3 {
        return too_many(req, reply);
    }
    let Some(wanted) = req.arg(2) else {
        reply.array(CATEGORIES.len());
        for category in CATEGORIES {
            reply.bulk(category.as_bytes());
        }
        return;
    };
    let Some(category) = CATEGORIES.iter().find(|c| wanted.eq_ignore_ascii_case(c.as_bytes()))
    else {
        let text = format!("ERR Unknown category '{}'", String::from_utf8_lossy(wanted));
        return reply.error(text.as_bytes());
    };
    let within = |of: &[&str]| of.iter().any(|c| c[1..] == **category);
    let mut names = Vec::new();
    for spec in table.specs() {
        if within(&categories(spec)) {
            names.push(spec.name.to_owned());
        }
        for sub in spec.subs {
            if within(&sub_categories(spec, sub)) {
                names.push(format!("{}|{}", spec.name, sub.name));
            }
        }
    }
    reply.array(names.len());
    for name in names {
        reply.bulk(name.as_bytes());
    }
}

pub(super) fn dryrun(req: &Request, users: &Users, table: &Table, reply: &mut ReplyWriter<'_>) {
    let name = name_at(req, 2);
    if users.get(&name).is_none() {
        let text = format!("ERR User '{name}' not found");
        return reply.error(text.as_bytes());
    }
    let command = req.arg(3).unwrap_or_default();
    let Some((index, spec)) = table.lookup(command) else {
        let text = format!("ERR Command '{}' not found", String::from_utf8_lossy(command));
        return reply.error(text.as_bytes());
    };
    let args: Vec<&[u8]> = req.args().skip(3).collect();
    let Some(inner) = Request::from_args(&args) else { return reply.error(b"ERR syntax error") };
    if !spec.arity_ok(inner.len()) {
        return reply.error(
            format!("ERR wrong number of arguments for '{}' command", spec.name).as_bytes(),
        );
    }
    let permissions = users.of(&name);
    let refusal =
        enforce::denied(&permissions, index, spec, &inner).map(|(reason, name)| match reason {
            Reason::Command => format!("This user has no permissions to run the '{name}' command"),
            Reason::Channel => {
                format!("This user has no permissions to access the '{name}' channel")
            }
            _ => format!("This user has no permissions to access the '{name}' key"),
        });
    match refusal {
        Some(text) => reply.bulk(text.as_bytes()),
        None => reply.ok(),
    }
}

pub(super) fn genpass(req: &Request, _users: &Users, _table: &Table, reply: &mut ReplyWriter<'_>) {
    if req.len() > 3 {
        return too_many(req, reply);
    }
    let bits = match req.arg(2).map(parse_i64) {
        None => 256,
        Some(None) => return reply.error(b"ERR value is not an integer or out of range"),
        Some(Some(bits)) if (1..=4096).contains(&bits) => bits.unsigned_abs(),
        Some(Some(_)) => {
            return reply.error(
                b"ERR ACL GENPASS argument must be the number of bits for the output password, \
                  a positive number up to 4096",
            );
        }
    };
    let chars = usize::try_from(bits.div_ceil(4)).unwrap_or(1024);
    match random_hex(chars) {
        Ok(password) => reply.bulk(password.as_bytes()),
        Err(e) => {
            let text = format!("ERR cannot read random bytes: {e}");
            reply.error(text.as_bytes());
        }
    }
}

/// `chars` hex digits from the system's secure random source, as Redis's
/// GENPASS reads them.
fn random_hex(chars: usize) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let mut hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(chars);
    Ok(hex)
}

pub(super) fn log(req: &Request, users: &Users, _table: &Table, reply: &mut ReplyWriter<'_>) {
    if req.len() > 3 {
        return too_many(req, reply);
    }
    let count = match req.arg(2) {
        None => LOG_DEFAULT,
        Some(arg) if arg.eq_ignore_ascii_case(b"reset") => {
            users.log().reset();
            return reply.ok();
        }
        // A negative count shows nothing, as in Redis.
        Some(arg) => match parse_i64(arg) {
            Some(n) => usize::try_from(n).unwrap_or(0),
            None => return reply.error(b"ERR value is not an integer or out of range"),
        },
    };
    users.log().reply(count, reply);
}

/// Redis's refusal of SAVE and LOAD without an ACL file (its first
/// sentence), and how to set one in Jotter.
const NO_FILE: &[u8] = b"ERR This Redis instance is not configured to use an ACL file. \
    Set aclfile in Jotter's settings to save and load users.";

pub(super) fn save(_req: &Request, ctx: &mut Ctx<'_>) {
    let Some(path) = ctx.shared.users.file() else { return ctx.reply().error(NO_FILE) };
    match file::write(path, &describe::lines(&ctx.shared.users, ctx.commands)) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => {
            tracing::warn!(error = %e, "ACL SAVE failed");
            ctx.reply().error(
                b"ERR There was an error trying to save the ACLs. Please check the server logs \
                  for more information",
            );
        }
    }
}

pub(super) fn load(_req: &Request, ctx: &mut Ctx<'_>) {
    let users = &ctx.shared.users;
    let Some(path) = users.file() else { return ctx.reply().error(NO_FILE) };
    match file::read(path, ctx.commands) {
        Ok(loaded) => {
            for gone in users.replace(loaded) {
                kill_clients_of(ctx.shared, &gone);
            }
            close_refused_subscribers(ctx.shared, None);
            ctx.reply().ok();
        }
        Err(e) => {
            let text = format!("ERR {e}");
            ctx.reply().error(text.as_bytes());
        }
    }
}

/// Closes every connection logged in as `user`; returns how many. ACL
/// DELUSER and LOAD close a removed user's; CLIENT KILL USER asks
/// [`known_user`] first.
pub(crate) fn kill_clients_of(shared: &Shared, user: &str) -> usize {
    let filter = KillFilter { user: Some(user.to_owned()), ..KillFilter::default() };
    shared.clients.kill(&filter)
}

/// Whether `user` exists; CLIENT KILL USER of one that does not is
/// Redis's `ERR No such user '<name>'`.
pub(crate) fn known_user(shared: &Shared, user: &[u8]) -> Result<(), String> {
    let name = String::from_utf8_lossy(user);
    if shared.users.get(&name).is_some() {
        Ok(())
    } else {
        Err(format!("ERR No such user '{name}'"))
    }
}
