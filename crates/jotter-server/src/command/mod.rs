//! Commands: the table every request is looked up in, and the families
//! that run them.
//!
//! # The shape
//!
//! - `spec.rs`: what a command is — a [`Spec`] row (name, arity, flags, key
//!   positions, docs, [`Kind`](spec::Kind)) — and what its handler runs with ([`Ctx`]).
//! - `table.rs`: the list of families, in `COMMAND`'s order.
//! - `dispatch.rs`: lookup, Redis's checks, `MULTI` queuing, and running a
//!   command by its kind.
//! - `data.rs`: how a data command runs (one engine transaction over its
//!   keys, write-through); `fail.rs`: errors in Redis's words (how a
//!   body fails, an engine error's text).
//! - `categories.rs`: each command's and subcommand's ACL categories;
//!   `rules.rs`: users' command rules, compiled into `permissions.rs`'s
//!   yes/no per command, which the dispatcher checks.
//! - `acl/`: users changed at run time (ACL SETUSER ...), their key and
//!   channel patterns, the checks the dispatcher makes, ACL LOG.
//! - `wake.rs`: waking commands blocked until a write, per key, first come
//!   first served; `blocking.rs`: the loop a blocking command runs, and
//!   its timeout.
//! - `mpop.rs`: the arguments the pops share (`numkeys key... WHERE [COUNT
//!   n]` of ZMPOP and LMPOP, the count of ZPOPMIN and LPOP).
//! - `args.rs`, `glob.rs`, `scan.rs`: argument parsing shared by families;
//!   `sample.rs`: random picks (HRANDFIELD, ZRANDMEMBER, SRANDMEMBER, SPOP).
//! - `relay.rs`: what a front end relaying a request to Redis needs to
//!   know of it (writes, blocks, its keys), from the table.
//! - `subcommand.rs`: running a container (CLIENT, ...) by its table of
//!   [`Sub`](spec::Sub) rows.
//! - One file or folder per family: `connection.rs`, `client/`,
//!   `introspect/` (COMMAND), `server.rs`,
//!   `writebehind.rs`, `key_status.rs`, `deadletters.rs`, `transactions.rs`, `strings/`,
//!   `hashes.rs`, `keys/`, `zset/`, `set/`, `list/`, `sort/`, `bits/`, `hyperloglog/`, `geo/`,
//!   `stream/`, `dump/`, `pubsub/`, `script/`.
//!
//! A data command's [`Kind`](spec::Kind) holds plain `fn` pointers (its body, how its
//! keys are found, whether it is a blind write), so the hot path (GET, SET,
//! INCR, HSET, ZADD, MULTI/EXEC's bodies) is a table lookup and a direct
//! call, with no boxing. A control command's handler is a plain `fn` when
//! it replies at once (PING, MULTI, CLIENT ...) and returns a boxed future
//! when it waits (AUTH, FLUSHDB, EXEC ...): those are not hot, and a `fn`
//! pointer per row keeps adding a command to one function and one row.
//!
//! # Adding a command
//!
//! 1. In its family, write its function: a data command's body
//!    `fn(&Request, &mut Txn, &mut ReplyWriter) -> Outcome` (the rules are
//!    in `data.rs`), or a control handler `fn(&Request, &mut Ctx) -> Flow`
//!    (or `-> BoxFlow` when it waits).
//! 2. Add its row to the family's `SPECS`:
//!    `Spec::new(name, arity, flags, group, summary, since, data(body))`
//!    with `.keys(first, last, step)` for its keys (`now(handler)` or
//!    `waits(handler)` for a control command; `data(body).keys_by(..)`,
//!    `.blind(..)`, `.blocking(..)` when they apply).
//!
//! # Adding a container or a subcommand
//!
//! A container (CLIENT, CONFIG, OBJECT, ...) is a spec with `.subs(SUBS)`,
//! a table of [`Sub`](spec::Sub) rows in its `HELP` order: each row its
//! name, Redis's arity and flags (which decide what it may do and its ACL
//! categories), `.key(n)` for its one key, its summary and help lines, and
//! how it runs (`Sub::now`, `Sub::waits`, or `Sub::data` for a data
//! container, whose keys `subcommand::keys` finds from the rows). The
//! container's handler is one call: `subcommand::run` (its rows reply at
//! once), `run_waiting` (some wait) or `apply` (data); `subcommand.rs`
//! replies Redis's unknown-subcommand and arity errors and `write_help`
//! builds HELP from the rows. Adding a subcommand is one row.
//!
//! # Adding a family
//!
//! 1. Write `command/<family>.rs` (a folder `command/<family>/` when it
//!    outgrows a file), starting with a `//!` saying what it owns, with its
//!    functions and `pub(super) const SPECS: &[Spec]`.
//! 2. Declare it below (`mod <family>;`) and add `<family>::SPECS` to
//!    `FAMILIES` in `table.rs`.
//! 3. A family of a new value type also names its type: one arm in
//!    `engine_error::type_name` (TYPE, SCAN TYPE), and its group's ACL
//!    category in `categories.rs` (`categories`).
//!
//! The unit tests in `dispatch.rs` check that names are unique, lowercase,
//! and that every spec's arity and flags are sane.
//!
//! # Handlers
//!
//! A handler gets the decoded [`Request`](jotter_resp::Request) (argument
//! 0 is the command name; the arity is already checked) and a [`Ctx`]: the
//! shared server state, the connection's session, the command table and
//! the output buffer. It writes exactly one reply through `ctx.reply()`
//! (errors included: a handler never returns an error, it replies one) and
//! returns [`Flow::Close`] only to close the connection after the reply
//! (QUIT, a client killing itself). Engine errors become Redis errors
//! through [`Ctx::engine_error`] (the words are in `engine_error.rs`).

pub(crate) mod acl;
mod args;
mod blocking;
mod categories;
mod data;
mod dispatch;
mod fail;
mod glob;
mod mpop;
mod observe;
mod permissions;
mod relay;
mod rules;
mod sample;
mod scan;
mod spec;
mod subcommand;
mod table;
mod wake;

mod bits;
mod client;
mod config;
mod connection;
mod databases;
pub(crate) mod deadletters;
mod dump;
mod geo;
mod hashes;
mod hyperloglog;
mod info;
mod introspect;
mod key_status;
mod keys;
mod latency;
mod list;
mod memory;
mod persistence;
mod pubsub;
mod script;
mod server;
mod set;
mod shutdown;
mod slowlog;
mod sort;
mod stream;
mod strings;
mod transactions;
mod writebehind;
mod zset;

pub(crate) use acl::{Users, known_user};
pub(crate) use blocking::Wait;
pub(crate) use dispatch::{execute_found, lookup, may_block, settle_counts, specs, table, users};
pub(crate) use key_status::{Field, KeyReport, key_args, write_key_reply};
pub(crate) use permissions::Permissions;
pub(crate) use pubsub::{
    PubSub, Subscriptions, Tracking, check_notify_keyspace_events, drain_outbox, leave,
    watch_key_events,
};
pub(crate) use relay::{Facts, facts, wait};
pub(crate) use script::{Scripts, allowed_while_busy};
pub(crate) use spec::{Ctx, Flow, Spec};
pub(crate) use writebehind::{
    Stat, sets_write_through, through_command, write_stats, write_through_mode,
};
