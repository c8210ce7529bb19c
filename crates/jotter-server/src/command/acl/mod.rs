//! ACL: users, their rules and what they may run and touch, as Redis 7.0
//! defines them, changed while the server runs.
//!
//! - `user.rs`: one user and the rules that change it; `access.rs`: the
//!   keys and channels a user may touch; `describe.rs`: a user written
//!   back as rules (ACL LIST, GETUSER, the ACL file).
//! - `registry.rs`: every user, shared by all connections ([`Users`]);
//!   `setup.rs`: the users a server starts with, from its settings;
//!   `file.rs`: the ACL file.
//! - `enforce.rs`: the checks the dispatcher makes before a command;
//!   `log.rs`: ACL LOG.
//! - `login.rs`: AUTH's and HELLO's arguments and a password's check,
//!   shared with a cluster front end.
//! - This file and `subcommands.rs`: the ACL command, and its read-only
//!   form ([`read_only`]) for a cluster front end.

mod access;
mod describe;
mod enforce;
mod file;
mod log;
pub(crate) mod login;
mod registry;
mod setup;
mod subcommands;
mod user;

pub(crate) use access::Access;
pub(crate) use enforce::{check, check_queued, log_refusal};
pub(crate) use registry::Users;
pub(crate) use setup::users;
pub(crate) use subcommands::known_user;
pub(crate) use user::{CommandRefused, CommandRules};

use jotter_resp::{ReplyWriter, Request};

use super::spec::{Ctx, Flow, Spec, Sub, Table, flag, now};
use super::subcommand;

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "acl",
    -2,
    0,
    "server",
    "A container for Access List Control commands.",
    "6.0.0",
    now(acl),
)
.subs(SUBS)];

/// A row's handler for a subcommand that only reads ([`subcommands::Reads`]).
macro_rules! reads {
    ($read:path) => {
        |req, ctx| {
            subcommands::read($read, req, ctx);
            Flow::Continue
        }
    };
}

/// What most subcommands are flagged, as in Redis.
const PLAIN: u16 = flag::NOSCRIPT | flag::LOADING | flag::STALE;
const ADMIN: u16 = flag::ADMIN | PLAIN;

/// ACL's subcommands, in `ACL HELP`'s order.
const SUBS: &[Sub] = &[
    Sub::now(
        "cat",
        -2,
        PLAIN,
        "List the ACL categories or the commands inside a category",
        "6.0.0",
        &[
            b"CAT [<category>]",
            b"    List all commands that belong to <category>, or all command categories",
            b"    when no category is specified.",
        ],
        reads!(subcommands::cat),
    ),
    Sub::now(
        "deluser",
        -3,
        ADMIN,
        "Remove the specified ACL users and the associated rules",
        "6.0.0",
        &[b"DELUSER <username> [<username> ...]", b"    Delete a list of users."],
        subcommand::replies!(subcommands::deluser),
    ),
    Sub::now(
        "dryrun",
        -4,
        ADMIN,
        "Returns whether the user can execute the given command without executing the command.",
        "7.0.0",
        &[
            b"DRYRUN <username> <command> [<arg> ...]",
            b"    Returns whether the user can execute the given command without executing the command.",
        ],
        reads!(subcommands::dryrun),
    ),
    Sub::now(
        "getuser",
        3,
        ADMIN,
        "Get the rules for a specific ACL user",
        "6.0.0",
        &[b"GETUSER <username>", b"    Get the user's details."],
        reads!(subcommands::getuser),
    ),
    Sub::now(
        "genpass",
        -2,
        PLAIN,
        "Generate a pseudorandom secure password to use for ACL users",
        "6.0.0",
        &[
            b"GENPASS [<bits>]",
            b"    Generate a secure 256-bit user password. The optional `bits` argument can",
            b"    be used to specify a different size.",
        ],
        reads!(subcommands::genpass),
    ),
    Sub::now(
        "list",
        2,
        ADMIN,
        "List the current ACL rules in ACL config file format",
        "6.0.0",
        &[b"LIST", b"    Show users details in config file format."],
        reads!(subcommands::list),
    ),
    Sub::now(
        "load",
        2,
        ADMIN,
        "Reload the ACLs from the configured ACL file",
        "6.0.0",
        &[b"LOAD", b"    Reload users from the ACL file."],
        subcommand::replies!(subcommands::load),
    ),
    Sub::now(
        "log",
        -2,
        ADMIN,
        "List latest events denied because of ACLs in place",
        "6.0.0",
        &[b"LOG [<count> | RESET]", b"    Show the ACL log entries."],
        reads!(subcommands::log),
    ),
    Sub::now(
        "save",
        2,
        ADMIN,
        "Save the current ACL rules in the configured ACL file",
        "6.0.0",
        &[b"SAVE", b"    Save the current config to the ACL file."],
        subcommand::replies!(subcommands::save),
    ),
    Sub::now(
        "setuser",
        -3,
        ADMIN,
        "Modify or create the rules for a specific ACL user",
        "6.0.0",
        &[
            b"SETUSER <username> <attribute> [<attribute> ...]",
            b"    Create or modify a user with the specified attributes.",
        ],
        subcommand::replies!(subcommands::setuser),
    ),
    Sub::now(
        "users",
        2,
        ADMIN,
        "List the username of all the configured ACL rules",
        "6.0.0",
        &[b"USERS", b"    List all the registered usernames."],
        reads!(subcommands::users),
    ),
    Sub::now(
        "whoami",
        2,
        PLAIN,
        "Return the name of the user associated to the current connection",
        "6.0.0",
        &[b"WHOAMI", b"    Return the current connection username."],
        subcommand::replies!(subcommands::whoami),
    ),
    subcommand::help_row("6.0.0"),
];

fn acl(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    subcommand::run(SUBS, "ACL", req, ctx);
    // A deleted user's clients are closed; the caller may be one of them.
    if ctx.session.entry.kill.is_cancelled() { Flow::Close } else { Flow::Continue }
}

/// ACL where the users are read but never changed (a cluster front end's,
/// from its settings): the subcommands that only read
/// ([`subcommands::READS`]), WHOAMI of `user`, and HELP, each as a single
/// node replies; any other is refused, saying where users are changed.
pub(crate) fn read_only(
    req: &Request,
    users: &Users,
    commands: &'static Table,
    user: &str,
    reply: &mut ReplyWriter<'_>,
) {
    let sub = match subcommand::row(SUBS, "ACL", req) {
        Ok((_, sub)) => sub,
        Err(text) => return reply.error(text.as_bytes()),
    };
    match sub.name {
        "whoami" => reply.bulk(user.as_bytes()),
        "help" => subcommand::usual_help("ACL", SUBS, reply),
        name => match subcommands::READS.iter().find(|(read, _)| *read == name) {
            Some((_, read)) => read(req, users, commands, reply),
            None => {
                let text = format!(
                    "ERR ACL {} is not served by a cluster front end: its users come from its \
                     settings (requirepass, [[user]], aclfile); change them there and restart it",
                    name.to_uppercase()
                );
                reply.error(text.as_bytes());
            }
        },
    }
}
