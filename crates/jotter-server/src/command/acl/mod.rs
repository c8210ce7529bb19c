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
//! - This file and `subcommands.rs`: the ACL command.

mod access;
mod describe;
mod enforce;
mod file;
mod log;
mod registry;
mod setup;
mod subcommands;
mod user;

pub(crate) use access::Access;
pub(crate) use enforce::{check, check_queued};
pub(crate) use registry::Users;
pub(crate) use setup::users;
pub(crate) use subcommands::{known_user, log_failed_auth};
pub(crate) use user::{CommandRefused, CommandRules};

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Spec, now};

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "acl",
    -2,
    0,
    "server",
    "A container for Access List Control commands.",
    "6.0.0",
    now(acl),
)];

/// Each subcommand: its name, Redis's arity (as for a command: `-n` at
/// least n arguments, the command's name included) and its handler.
type Subcommand = (&'static str, i16, fn(&Request, &mut Ctx<'_>));

const SUBCOMMANDS: &[Subcommand] = &[
    ("cat", -2, subcommands::cat),
    ("deluser", -3, subcommands::deluser),
    ("dryrun", -4, subcommands::dryrun),
    ("genpass", -2, subcommands::genpass),
    ("getuser", 3, subcommands::getuser),
    ("help", 2, help),
    ("list", 2, subcommands::list),
    ("load", 2, subcommands::load),
    ("log", -2, subcommands::log),
    ("save", 2, subcommands::save),
    ("setuser", -3, subcommands::setuser),
    ("users", 2, subcommands::users),
    ("whoami", 2, subcommands::whoami),
];

fn acl(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let sub = req.arg(1).unwrap_or_default();
    let Some((name, arity, handler)) =
        SUBCOMMANDS.iter().find(|(name, _, _)| sub.eq_ignore_ascii_case(name.as_bytes()))
    else {
        ctx.unknown_subcommand(sub, "ACL");
        return Flow::Continue;
    };
    let need = usize::from(arity.unsigned_abs());
    let fits = if *arity >= 0 { req.len() == need } else { req.len() >= need };
    if fits {
        handler(req, ctx);
    } else {
        ctx.arity_error(&format!("acl|{name}"));
    }
    // A deleted user's clients are closed; the caller may be one of them.
    if ctx.session.entry.kill.is_cancelled() { Flow::Close } else { Flow::Continue }
}

fn help(_req: &Request, ctx: &mut Ctx<'_>) {
    ctx.help(HELP);
}

/// `ACL HELP`, in Redis's words.
const HELP: &[&[u8]] = &[
    b"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"CAT [<category>]",
    b"    List all commands that belong to <category>, or all command categories",
    b"    when no category is specified.",
    b"DELUSER <username> [<username> ...]",
    b"    Delete a list of users.",
    b"DRYRUN <username> <command> [<arg> ...]",
    b"    Returns whether the user can execute the given command without executing the command.",
    b"GETUSER <username>",
    b"    Get the user's details.",
    b"GENPASS [<bits>]",
    b"    Generate a secure 256-bit user password. The optional `bits` argument can",
    b"    be used to specify a different size.",
    b"LIST",
    b"    Show users details in config file format.",
    b"LOAD",
    b"    Reload users from the ACL file.",
    b"LOG [<count> | RESET]",
    b"    Show the ACL log entries.",
    b"SAVE",
    b"    Save the current config to the ACL file.",
    b"SETUSER <username> <attribute> [<attribute> ...]",
    b"    Create or modify a user with the specified attributes.",
    b"USERS",
    b"    List all the registered usernames.",
    b"WHOAMI",
    b"    Return the current connection username.",
    b"HELP",
    b"    Prints this help.",
];
