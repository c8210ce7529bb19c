//! CLIENT: a container of subcommands over the connection's own state
//! (name, reply mode, eviction) and over the client registry (LIST, KILL,
//! UNBLOCK) and the server's pause (PAUSE, UNPAUSE). Its table of
//! subcommands, [`SUBS`], is in the order of Redis's `CLIENT HELP`; a
//! feature adds its subcommand as one row.

mod kill;
mod list;
mod modes;
mod name;
mod pause;
mod unblock;

use jotter_resp::Request;

pub(crate) use list::command_name;
pub(crate) use name::set_name;

use super::spec::{Ctx, Flow, Spec, Sub, flag, now};
use super::{pubsub, subcommand};

/// What most subcommands are flagged, as in Redis.
const PLAIN: u16 = flag::NOSCRIPT | flag::LOADING | flag::STALE;
const ADMIN: u16 = flag::ADMIN | PLAIN;

pub(in crate::command) const SPECS: &[Spec] = &[Spec::new(
    "client",
    -2,
    flag::SENTINEL,
    "connection",
    "A container for client connection commands.",
    "2.4.0",
    now(client),
)
.subs(SUBS)];

/// CLIENT's subcommands, in `CLIENT HELP`'s order.
pub(crate) const SUBS: &[Sub] = &[
    Sub::now(
        "caching",
        3,
        PLAIN,
        "Instruct the server about tracking or not keys in the next request",
        "6.0.0",
        &[
            b"CACHING (YES|NO)",
            b"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        ],
        pubsub::caching,
    ),
    Sub::now(
        "getredir",
        2,
        PLAIN,
        "Get tracking notifications redirection client ID if any",
        "6.0.0",
        &[b"GETREDIR", b"    Return the client ID we are redirecting to when tracking is enabled."],
        pubsub::getredir,
    ),
    Sub::now(
        "getname",
        2,
        PLAIN,
        "Get the current connection name",
        "2.6.9",
        &[b"GETNAME", b"    Return the name of the current connection."],
        name::getname,
    ),
    Sub::now(
        "id",
        2,
        PLAIN,
        "Returns the client ID for the current connection",
        "5.0.0",
        &[b"ID", b"    Return the ID of the current connection."],
        name::id,
    ),
    Sub::now(
        "info",
        2,
        PLAIN,
        "Returns information about the current client connection.",
        "6.2.0",
        &[b"INFO", b"    Return information about the current client connection."],
        list::info,
    ),
    Sub::now("kill", -3, ADMIN, "Kill the connection of a client", "2.4.0", kill::HELP, kill::kill),
    Sub::now(
        "list",
        -2,
        ADMIN,
        "Get the list of client connections",
        "2.4.0",
        list::HELP,
        list::list,
    ),
    Sub::now(
        "unpause",
        2,
        ADMIN,
        "Resume processing of clients that were paused",
        "6.2.0",
        &[b"UNPAUSE", b"    Stop the current client pause, resuming traffic."],
        pause::unpause,
    ),
    Sub::now(
        "pause",
        -3,
        ADMIN,
        "Stop processing commands from clients for some time",
        "2.9.50",
        &[
            b"PAUSE <timeout> [WRITE|ALL]",
            b"    Suspend all, or just write, clients for <timeout> milliseconds.",
        ],
        pause::pause,
    ),
    Sub::now(
        "reply",
        3,
        PLAIN,
        "Instruct the server whether to reply to commands",
        "3.2.0",
        &[b"REPLY (ON|OFF|SKIP)", b"    Control the replies sent to the current connection."],
        modes::reply,
    ),
    Sub::now(
        "setname",
        3,
        PLAIN,
        "Set the current connection name",
        "2.6.9",
        &[b"SETNAME <name>", b"    Assign the name <name> to the current connection."],
        name::setname,
    ),
    Sub::now(
        "unblock",
        -3,
        ADMIN,
        "Unblock a client blocked in a blocking command from a different connection",
        "5.0.0",
        &[b"UNBLOCK <clientid> [TIMEOUT|ERROR]", b"    Unblock the specified blocked client."],
        unblock::unblock,
    ),
    Sub::now(
        "tracking",
        -3,
        PLAIN,
        "Enable or disable server assisted client side caching support",
        "6.0.0",
        &[
            b"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            b"         [OPTIN] [OPTOUT] [NOLOOP]",
            b"    Control server assisted client side caching.",
        ],
        pubsub::tracking,
    ),
    Sub::now(
        "trackinginfo",
        2,
        PLAIN,
        "Return information about server assisted client side caching for the current connection",
        "6.2.0",
        &[b"TRACKINGINFO", b"    Report tracking status for the current connection."],
        pubsub::tracking_info,
    ),
    Sub::now(
        "no-evict",
        3,
        ADMIN,
        "Set client eviction mode for the current connection",
        "7.0.0",
        &[b"NO-EVICT (ON|OFF)", b"    Protect current client connection from eviction."],
        modes::no_evict,
    ),
    // Redis 7.2's library name and version, which clients send on connect.
    Sub::now(
        "setinfo",
        4,
        PLAIN,
        "Set client or connection specific info",
        "7.2.0",
        &[],
        name::setinfo,
    ),
    subcommand::help_row("5.0.0"),
];

fn client(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    subcommand::run(SUBS, "CLIENT", req, ctx)
}
