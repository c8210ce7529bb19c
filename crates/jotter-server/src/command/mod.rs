//! Commands: the static table every request is looked up in, the checks
//! Redis makes before running a command (unknown name, arity,
//! authentication), and the dispatch to the family that runs it.
//!
//! # The table
//!
//! Each family file (`connection.rs`, `server.rs`, ...) owns:
//!
//! - `pub(crate) enum Cmd { ... }` (`Clone, Copy, Debug, PartialEq, Eq`): one
//!   variant per command it runs;
//! - `pub(super) const SPECS: &[Spec]`: one [`Spec`] per command (name in
//!   lowercase, Redis arity, flags, key positions, docs), whose `command`
//!   field is `Command::<Family>(Cmd::<Variant>)`;
//! - `pub(super) async fn execute(cmd: Cmd, req: &Request, ctx: &mut Ctx<'_>) -> Flow`:
//!   a `match` on `cmd` that writes the reply into `ctx.reply()`.
//!
//! The table is every family's `SPECS`, in [`FAMILIES`] order; lookup is
//! case-insensitive through a hash map built once, keyed by the lowercase
//! name, with the request's name lowered into a stack buffer (no allocation
//! per command). Dispatch is a `match` on [`Command`] (no boxed future).
//!
//! # Adding a family (e.g. `hashes.rs`)
//!
//! 1. Write `command/hashes.rs` with `Cmd`, `SPECS` and `execute` as above
//!    (start it with a `//!` line saying what it owns).
//! 2. In this file, add one line at each of the four places marked
//!    `FAMILY:` — `mod hashes;`, the `Command::Hashes(hashes::Cmd)` variant,
//!    `hashes::SPECS` in [`FAMILIES`], and the arm in [`run`].
//!
//! Each family touches only its own file plus one line per marker here, so
//! families written in parallel merge without conflicts beyond those lines.
//! The unit tests below check that names are unique, lowercase, and that
//! every spec's arity and flags are sane.
//!
//! # Handlers
//!
//! A handler gets the decoded [`Request`] (argument 0 is the command name;
//! the arity is already checked) and a [`Ctx`]: the shared server state,
//! the connection's [`Client`] state, and the output buffer. It writes
//! exactly one reply through `ctx.reply()` (errors included: a handler never
//! returns an error, it replies one) and returns [`Flow::Close`] only to
//! close the connection after the reply (QUIT, a client killing itself).
//! Engine errors become Redis errors through [`reply_engine_error`].

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use jotter_resp::{ReplyWriter, Request};
use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio_util::sync::CancellationToken;

use crate::connection::Client;
use crate::state::Shared;

pub(crate) mod data;
pub(crate) mod glob;
pub(crate) mod range;
mod scan;

pub(crate) use range::parse_i64;
// FAMILY: one `mod` line per family.
mod connection;
mod hashes;
mod keys;
mod server;
mod sorted_set_ops;
mod sorted_sets;
mod strings;
pub(crate) mod transactions;
mod writebehind;

/// Every command the server runs, by family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    // FAMILY: one variant per family.
    Connection(connection::Cmd),
    Hashes(hashes::Cmd),
    Keys(keys::Cmd),
    Server(server::Cmd),
    SortedSetOps(sorted_set_ops::Cmd),
    SortedSets(sorted_sets::Cmd),
    Strings(strings::Cmd),
    Transactions(transactions::Cmd),
    WriteBehind(writebehind::Cmd),
}

/// The families' tables, in the order `COMMAND` lists them.
// FAMILY: one entry per family.
const FAMILIES: &[&[Spec]] = &[
    connection::SPECS,
    server::SPECS,
    writebehind::SPECS,
    transactions::SPECS,
    strings::SPECS,
    hashes::SPECS,
    keys::SPECS,
    sorted_sets::SPECS,
    sorted_set_ops::SPECS,
];

/// Runs `spec.command`, already checked: a command that may block
/// ([`flag::BLOCKING`]) through its family's blocking loop when it may
/// block (not inside `EXEC`), a data command as one engine transaction
/// over its keys ([`data::run`]), any other through its family's
/// `execute`. `ctx.spec` is `command`'s spec.
async fn run(command: Command, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    debug_assert_eq!(ctx.spec.command, command);
    if ctx.may_block && ctx.spec.has(flag::BLOCKING) {
        // BLOCKING: one arm per family with blocking commands.
        if let Command::SortedSetOps(cmd) = command {
            return sorted_set_ops::execute(cmd, req, ctx).await;
        }
    }
    if let Some(keys) = data_keys(command, ctx.spec, req) {
        let blind = data_blind(command, req);
        let flow = data::run(ctx, &keys, blind, |txn, w| data_apply(command, req, txn, w)).await;
        if ctx.spec.has(flag::WRITE) {
            wrote();
        }
        return flow;
    }
    match command {
        // FAMILY: one arm per family.
        Command::Connection(cmd) => connection::execute(cmd, req, ctx).await,
        Command::Hashes(cmd) => hashes::execute(cmd, req, ctx).await,
        Command::Keys(cmd) => keys::execute(cmd, req, ctx).await,
        Command::Server(cmd) => server::execute(cmd, req, ctx).await,
        Command::SortedSetOps(cmd) => sorted_set_ops::execute(cmd, req, ctx).await,
        Command::SortedSets(cmd) => sorted_sets::execute(cmd, req, ctx).await,
        Command::Strings(cmd) => strings::execute(cmd, req, ctx).await,
        Command::Transactions(cmd) => {
            // EXEC runs its commands through `run` or `data_apply`: none
            // of them blocks, as in Redis.
            let may_block = std::mem::replace(&mut ctx.may_block, false);
            let flow = transactions::execute(cmd, req, ctx).await;
            ctx.may_block = may_block;
            wrote();
            flow
        }
        Command::WriteBehind(cmd) => writebehind::execute(cmd, req, ctx).await,
    }
}

/// The keys of a data command: one that runs as a transaction over its
/// keys, its body in the family's `apply`. `None` for every other command
/// (the family's `execute` runs those).
pub(crate) fn data_keys(command: Command, spec: &Spec, req: &Request) -> Option<Vec<Bytes>> {
    match command {
        // DATA FAMILY: one arm per family with data commands.
        Command::Keys(cmd) => keys::keys(cmd, spec, req),
        Command::Strings(cmd) => strings::keys(cmd, spec, req),
        Command::Hashes(cmd) => hashes::keys(cmd, spec, req),
        Command::SortedSets(cmd) => sorted_sets::keys(cmd, spec, req),
        Command::SortedSetOps(cmd) => sorted_set_ops::keys(cmd, spec, req),
        _ => None,
    }
}

/// Whether a data command overwrites its one key without reading it (a
/// plain `SET`): then the key is not loaded from the store first. Its body
/// must not read the key before writing it (the engine panics if it does).
pub(crate) fn data_blind(command: Command, req: &Request) -> bool {
    match command {
        // DATA FAMILY: one arm per family with blind writes.
        Command::Strings(cmd) => strings::blind(cmd, req),
        _ => false,
    }
}

/// The body of a data command (see [`data_keys`]).
pub(crate) fn data_apply(
    command: Command,
    req: &Request,
    txn: &mut jotter::Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> data::Outcome {
    match command {
        // DATA FAMILY: one arm per family with data commands.
        Command::Keys(cmd) => keys::apply(cmd, req, txn, w),
        Command::Strings(cmd) => strings::apply(cmd, req, txn, w),
        Command::Hashes(cmd) => hashes::apply(cmd, req, txn, w),
        Command::SortedSets(cmd) => sorted_sets::apply(cmd, req, txn, w),
        Command::SortedSetOps(cmd) => sorted_set_ops::apply(cmd, req, txn, w),
        _ => Err(data::error("ERR this command cannot run inside a transaction")),
    }
}

/// Flags of a command, as `COMMAND INFO` shows them (Redis's names).
pub(crate) mod flag {
    pub(crate) const WRITE: u16 = 1 << 0;
    pub(crate) const READONLY: u16 = 1 << 1;
    pub(crate) const FAST: u16 = 1 << 2;
    /// Runs before `AUTH` (AUTH, HELLO, QUIT, RESET).
    pub(crate) const NOAUTH: u16 = 1 << 3;
    pub(crate) const LOADING: u16 = 1 << 4;
    pub(crate) const STALE: u16 = 1 << 5;
    pub(crate) const DENYOOM: u16 = 1 << 6;
    pub(crate) const ADMIN: u16 = 1 << 7;
    pub(crate) const NOSCRIPT: u16 = 1 << 8;
    pub(crate) const SENTINEL: u16 = 1 << 9;
    /// May block (BZPOPMIN, ...): outside `EXEC` it runs in its family's
    /// blocking loop, while the connection watches for the client closing.
    pub(crate) const BLOCKING: u16 = 1 << 10;

    /// Names for `COMMAND INFO`, in Redis's order.
    pub(crate) const NAMES: &[(u16, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (FAST, "fast"),
        (NOAUTH, "no_auth"),
        (SENTINEL, "sentinel"),
    ];
}

/// One command's entry in the table.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Lowercase, as Redis names it in errors and `COMMAND`.
    pub name: &'static str,
    /// Redis's convention: `n > 0` exactly n arguments (the name included),
    /// `-n` at least n.
    pub arity: i16,
    /// [`flag`] bits.
    pub flags: u16,
    /// Position of the first key (0: none), the last (-1: the last argument)
    /// and the step between keys, as `COMMAND INFO` reports them.
    pub first_key: i16,
    pub last_key: i16,
    pub step: i16,
    /// `COMMAND DOCS` group: `connection`, `server`, `string`, ...
    pub group: &'static str,
    /// `COMMAND DOCS` summary and the Redis version that introduced it.
    pub summary: &'static str,
    pub since: &'static str,
    pub command: Command,
}

impl Spec {
    /// A spec with no keys; set the key fields with struct update syntax.
    pub(crate) const fn new(
        name: &'static str,
        arity: i16,
        flags: u16,
        group: &'static str,
        summary: &'static str,
        since: &'static str,
        command: Command,
    ) -> Spec {
        Spec {
            name,
            arity,
            flags,
            first_key: 0,
            last_key: 0,
            step: 0,
            group,
            summary,
            since,
            command,
        }
    }

    /// The same spec with key positions.
    pub(crate) const fn keys(mut self, first: i16, last: i16, step: i16) -> Spec {
        self.first_key = first;
        self.last_key = last;
        self.step = step;
        self
    }

    pub(crate) fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    fn arity_ok(&self, args: usize) -> bool {
        let need = usize::from(self.arity.unsigned_abs());
        if self.arity >= 0 { args == need } else { args >= need }
    }
}

/// Longest command name looked up; longer names are unknown. Redis's
/// longest top-level name is 20 bytes.
const MAX_NAME: usize = 32;

struct Table {
    specs: Vec<&'static Spec>,
    by_name: HashMap<&'static [u8], usize>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let specs: Vec<&'static Spec> = FAMILIES.iter().flat_map(|f| f.iter()).collect();
    let mut by_name = HashMap::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let previous = by_name.insert(spec.name.as_bytes(), i);
        assert!(previous.is_none(), "command {} is in the table twice", spec.name);
    }
    Table { specs, by_name }
});

/// Every command, in table order (the index is the metrics' and
/// `CLIENT LIST`'s reference).
pub(crate) fn specs() -> &'static [&'static Spec] {
    &TABLE.specs
}

/// Finds a command by name, ignoring case.
pub(crate) fn lookup(name: &[u8]) -> Option<(usize, &'static Spec)> {
    if name.len() > MAX_NAME {
        return None;
    }
    let mut buf = [0u8; MAX_NAME];
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    let table = &*TABLE;
    table.by_name.get(&*lower).map(|&i| (i, table.specs[i]))
}

/// What the connection does after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// Close once the replies written so far are sent.
    Close,
}

/// What a handler works with.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub client: &'a mut Client,
    out: &'a mut BytesMut,
    /// The spec of the command being run (set by [`execute`]).
    pub spec: &'static Spec,
    /// False while `EXEC` runs: a blocking command then makes one attempt,
    /// as in Redis.
    may_block: bool,
    /// Cancelled once the client has closed its side; the connection
    /// watches for that only while a command that may block runs.
    closed: Option<&'a CancellationToken>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(shared: &'a Shared, client: &'a mut Client, out: &'a mut BytesMut) -> Self {
        Ctx { shared, client, out, spec: specs()[0], may_block: true, closed: None }
    }

    /// The same context, told through `closed` when the client closes.
    pub(crate) fn watching(mut self, closed: &'a CancellationToken) -> Self {
        self.closed = Some(closed);
        self
    }

    /// Completes once the client has closed its connection; never if the
    /// connection does not watch for it (see [`may_block`]). A blocking
    /// command awaits it between attempts and then ends without a reply.
    pub(crate) async fn client_closed(&self) {
        match self.closed {
            Some(closed) => closed.cancelled().await,
            None => std::future::pending().await,
        }
    }

    /// The connection's output buffer, for a reply built while the keys are
    /// locked ([`data::run`]).
    pub(crate) fn out(&mut self) -> &mut BytesMut {
        self.out
    }

    /// A writer in the connection's current protocol. Take a new one after
    /// changing the protocol (HELLO replies in the protocol it selects).
    pub(crate) fn reply(&mut self) -> ReplyWriter<'_> {
        ReplyWriter::new(self.out, self.client.protocol)
    }

    /// `-ERR wrong number of arguments for '<name>' command`; `name` is the
    /// command or `command|subcommand`.
    pub(crate) fn arity_error(&mut self, name: &str) {
        let text = format!("ERR wrong number of arguments for '{name}' command");
        self.reply().error(text.as_bytes());
    }

    /// `-ERR syntax error`.
    pub(crate) fn syntax_error(&mut self) {
        self.reply().error(b"ERR syntax error");
    }

    /// `-ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    pub(crate) fn unknown_subcommand(&mut self, sub: &[u8], command: &str) {
        let text = format!(
            "ERR unknown subcommand '{}'. Try {command} HELP.",
            String::from_utf8_lossy(&sub[..sub.len().min(128)])
        );
        self.reply().error(text.as_bytes());
    }
}

/// Looks a request up, makes Redis's checks in Redis's order (unknown
/// command, arity, then authentication) and runs it.
pub(crate) async fn execute(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    execute_found(lookup(req.name()), req, ctx).await
}

/// Whether a request, looked up as `found`, may block: a command with
/// [`flag::BLOCKING`], alone or under `JOTTER.THROUGH`. The connection
/// then watches for the client closing while it runs (see
/// [`Ctx::client_closed`]).
pub(crate) fn may_block(found: Option<(usize, &'static Spec)>, req: &Request) -> bool {
    let Some((_, mut spec)) = found else { return false };
    let mut at = 0;
    loop {
        if spec.has(flag::BLOCKING) {
            return true;
        }
        if spec.command != Command::WriteBehind(writebehind::Cmd::Through) {
            return false;
        }
        at += 1;
        match req.arg(at).and_then(lookup) {
            Some((_, inner)) => spec = inner,
            None => return false,
        }
    }
}

/// [`execute`] for a request already looked up (`found` is
/// `lookup(req.name())`).
pub(crate) async fn execute_found(
    found: Option<(usize, &'static Spec)>,
    req: &Request,
    ctx: &mut Ctx<'_>,
) -> Flow {
    let Some((index, spec)) = found else {
        unknown_command(req, ctx);
        transactions::queue_failed(ctx);
        return Flow::Continue;
    };
    if !spec.arity_ok(req.len()) {
        ctx.arity_error(spec.name);
        transactions::queue_failed(ctx);
        return Flow::Continue;
    }
    if !ctx.client.authenticated && !spec.has(flag::NOAUTH) {
        ctx.reply().error(b"NOAUTH Authentication required.");
        transactions::queue_failed(ctx);
        return Flow::Continue;
    }
    if ctx.client.multi.is_some() && !transactions::runs_inside_multi(spec.command) {
        transactions::queue(ctx, index, req);
        return Flow::Continue;
    }
    ctx.spec = spec;
    ctx.shared.metrics.command(index);
    ctx.shared.commands_processed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ctx.client.entry.touch(index);
    run(spec.command, req, ctx).await
}

/// Commands blocked until a write (see [`WriteWait`]): while there are
/// none, a write costs one atomic load here.
static BLOCKED: AtomicUsize = AtomicUsize::new(0);
static WRITTEN: Notify = Notify::const_new();

/// Commands blocked now, for INFO's `blocked_clients`.
pub(crate) fn blocked_clients() -> usize {
    BLOCKED.load(Ordering::Relaxed)
}

/// Wakes the blocked commands after a write (any key: each looks at its
/// own keys again). Cheap when none is blocked.
fn wrote() {
    if BLOCKED.load(Ordering::SeqCst) > 0 {
        WRITTEN.notify_waiters();
    }
}

/// A blocked command's wait for the next write. Take it before looking at
/// the keys: a write that lands after the look wakes it. A write that does
/// not go through [`run`] (none does today) would not wake it, so a blocked
/// command also looks again every few milliseconds.
pub(crate) struct WriteWait(Pin<Box<Notified<'static>>>);

impl WriteWait {
    pub(crate) fn new() -> WriteWait {
        BLOCKED.fetch_add(1, Ordering::SeqCst);
        let mut notified = Box::pin(WRITTEN.notified());
        notified.as_mut().enable();
        WriteWait(notified)
    }

    /// Completes at the first write since [`WriteWait::new`].
    pub(crate) async fn written(&mut self) {
        self.0.as_mut().await;
    }
}

impl Drop for WriteWait {
    fn drop(&mut self) {
        BLOCKED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Redis 7.0's text, byte for byte: the name as sent and the first
/// arguments, each quoted and followed by a space, up to about 128 bytes.
fn unknown_command(req: &Request, ctx: &mut Ctx<'_>) {
    let name = req.name();
    let mut text = Vec::with_capacity(96);
    text.extend_from_slice(b"ERR unknown command '");
    text.extend_from_slice(&name[..name.len().min(128)]);
    text.extend_from_slice(b"', with args beginning with: ");
    let mut args_len = 0;
    for arg in req.args().skip(1) {
        if args_len >= 128 {
            break;
        }
        let take = arg.len().min(128 - args_len);
        text.push(b'\'');
        text.extend_from_slice(&arg[..take]);
        text.extend_from_slice(b"' ");
        args_len += take + 3;
    }
    ctx.reply().error(&text);
}

/// Writes an engine error in Redis's words where Redis has them.
pub(crate) fn reply_engine_error(ctx: &mut Ctx<'_>, error: &jotter::Error) {
    let text = engine_error_text(error);
    ctx.reply().error(text.as_bytes());
}

/// An engine error's reply text: Redis's words where Redis has them
/// (`engine_error.rs`).
pub(crate) use crate::engine_error::reply_text as engine_error_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_and_fit_the_lookup_buffer() {
        let specs = specs(); // builds the table, which asserts uniqueness
        for spec in specs {
            assert_eq!(spec.name, spec.name.to_ascii_lowercase());
            assert!(spec.name.len() <= MAX_NAME, "{}", spec.name);
            assert!(spec.arity != 0, "{} has arity 0", spec.name);
            assert!(
                !(spec.has(flag::WRITE) && spec.has(flag::READONLY)),
                "{} is both write and readonly",
                spec.name
            );
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup(b"GeT").map(|(_, s)| s.name), Some("get"));
        assert_eq!(lookup(b"jotter.FLUSH").map(|(_, s)| s.name), Some("jotter.flush"));
        assert!(lookup(b"nope").is_none());
        assert!(lookup(&[b'a'; 100]).is_none());
    }
}
