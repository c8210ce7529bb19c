//! What a command is and what it runs with: a [`Spec`] is one row of the
//! command table (name, arity, flags, key positions, docs and its
//! [`Kind`]: a data command's body or a control command's handler), a
//! [`Ctx`] is what a handler gets, and a [`Table`] is the table itself as
//! the commands about commands see it (COMMAND, CLIENT LIST, EXEC,
//! JOTTER.THROUGH).
//!
//! The three are in one file because each names the others: a handler
//! takes a `Ctx`, a `Ctx` carries the `Table`, the `Table` holds the specs.
//! The table is handed to each `Ctx` by the connection rather than found in
//! a static here, so that this file, which every family uses, uses no
//! family.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};
use tokio_util::sync::CancellationToken;

use super::fail::Outcome;
use crate::session::Session;
use crate::state::Shared;

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
    /// May block (BZPOPMIN, ...): outside `EXEC` it runs its blocking
    /// handler, while the connection watches for the client closing.
    pub(crate) const BLOCKING: u16 = 1 << 10;
    /// Runs at once inside `MULTI` instead of being queued (EXEC, DISCARD,
    /// MULTI, WATCH, QUIT, RESET). Not shown by `COMMAND INFO`.
    pub(crate) const NOQUEUE: u16 = 1 << 11;
    /// Writes nothing but may change what Redis would replicate (PUBLISH,
    /// EVAL, FCALL): a `CLIENT PAUSE WRITE` holds it. Redis 7.0's `COMMAND
    /// INFO` does not show it.
    pub(crate) const MAY_REPLICATE: u16 = 1 << 12;
    /// Refused inside `MULTI`, failing the transaction (SAVE, SHUTDOWN).
    pub(crate) const NO_MULTI: u16 = 1 << 13;
    /// A pub/sub command (SUBSCRIBE, PUBLISH, ...).
    pub(crate) const PUBSUB: u16 = 1 << 14;

    /// Names for `COMMAND INFO`, in Redis's order.
    pub(crate) const NAMES: &[(u16, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (FAST, "fast"),
        (NOAUTH, "no_auth"),
        (NO_MULTI, "no_multi"),
    ];
}

/// The body of a data command: it runs under the locks of its keys (see
/// `data.rs` for its rules).
pub(crate) type Apply = fn(&Request, &mut Txn<'_>, &mut ReplyWriter<'_>) -> Outcome;

/// A boxed handler future: control commands are not on the hot path.
pub(crate) type BoxFlow<'a> = Pin<Box<dyn Future<Output = Flow> + Send + 'a>>;

/// A handler that waits (on the engine, the store, a timer).
pub(crate) type Waits = for<'a, 'c> fn(&'a Request, &'a mut Ctx<'c>) -> BoxFlow<'a>;

/// How a command runs.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// One engine transaction over its keys, usable inside `EXEC`.
    Data(Data),
    /// Anything else (PING, CLIENT, SCAN, FLUSHDB, EXEC, ...).
    Control(Handler),
}

/// A data command: its body and how its keys are found. Plain `fn`
/// pointers, so running one costs no allocation beyond its key list.
#[derive(Clone, Copy)]
pub(crate) struct Data {
    pub apply: Apply,
    /// Its keys when they follow a count; `None`: where the spec places
    /// them ([`Spec::key_args`]).
    pub keys: Option<fn(&Spec, &Request) -> Vec<Bytes>>,
    /// Whether it overwrites its one key without reading it (a plain
    /// `SET`): then the key is not loaded from the store first. Its body
    /// must not read the key before writing it (the engine panics if it
    /// does).
    pub blind: fn(&Request) -> bool,
    /// The blocking loop it runs in outside `EXEC` ([`flag::BLOCKING`]).
    pub blocking: Option<Waits>,
}

/// A control command's handler. One that replies without waiting is a
/// plain function, so MULTI, PING and the like cost no allocation.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    Now(fn(&Request, &mut Ctx<'_>) -> Flow),
    Waits(Waits),
}

impl Handler {
    pub(crate) async fn run(self, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
        match self {
            Handler::Now(f) => f(req, ctx),
            Handler::Waits(f) => f(req, ctx).await,
        }
    }
}

fn never(_: &Request) -> bool {
    false
}

/// A data command running `apply` over the keys its spec places.
pub(crate) const fn data(apply: Apply) -> Kind {
    Kind::Data(Data { apply, keys: None, blind: never, blocking: None })
}

/// A control command replying without waiting.
pub(crate) const fn now(handler: fn(&Request, &mut Ctx<'_>) -> Flow) -> Kind {
    Kind::Control(Handler::Now(handler))
}

/// A control command that waits.
pub(crate) const fn waits(handler: Waits) -> Kind {
    Kind::Control(Handler::Waits(handler))
}

impl Kind {
    /// The same data command, its keys found by `keys`.
    pub(crate) const fn keys_by(self, keys: fn(&Spec, &Request) -> Vec<Bytes>) -> Kind {
        match self {
            Kind::Data(mut d) => {
                d.keys = Some(keys);
                Kind::Data(d)
            }
            control => control,
        }
    }

    /// The same data command, a blind write when `blind` says so.
    pub(crate) const fn blind(self, blind: fn(&Request) -> bool) -> Kind {
        match self {
            Kind::Data(mut d) => {
                d.blind = blind;
                Kind::Data(d)
            }
            control => control,
        }
    }

    /// The same data command, run by `blocking` outside `EXEC`.
    pub(crate) const fn blocking(self, blocking: Waits) -> Kind {
        match self {
            Kind::Data(mut d) => {
                d.blocking = Some(blocking);
                Kind::Data(d)
            }
            control => control,
        }
    }
}

/// One command's row in the table.
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
    pub kind: Kind,
    /// A container's subcommands (CLIENT's, ...), as `COMMAND INFO` lists
    /// them; empty for a plain command.
    pub subs: &'static [Sub],
}

/// One subcommand of a container (`client|kill`): its own name, arity
/// (counting the container's name, as Redis does), flags, key and docs,
/// and how it runs. A container runs its table through `subcommand.rs`,
/// so adding a subcommand is one row.
pub(crate) struct Sub {
    /// Lowercase, without the container's name.
    pub name: &'static str,
    pub arity: i16,
    pub flags: u16,
    /// The position of its one key (0: none), as `COMMAND INFO` shows it;
    /// the container finds the keys it locks.
    pub key: i16,
    pub summary: &'static str,
    pub since: &'static str,
    /// Its lines of the container's `HELP`, which lists the rows in order.
    pub help: &'static [&'static [u8]],
    /// How it runs: a control container's rows are control handlers (one
    /// that waits needs its container to wait too), a data container's
    /// rows are bodies run under the container's keys.
    pub run: Kind,
}

impl Sub {
    /// A subcommand replying without waiting.
    pub(crate) const fn now(
        name: &'static str,
        arity: i16,
        flags: u16,
        summary: &'static str,
        since: &'static str,
        help: &'static [&'static [u8]],
        run: fn(&Request, &mut Ctx<'_>) -> Flow,
    ) -> Sub {
        Sub { name, arity, flags, key: 0, summary, since, help, run: now(run) }
    }

    /// A subcommand that waits (on the engine, the interpreter, a file).
    pub(crate) const fn waits(
        name: &'static str,
        arity: i16,
        flags: u16,
        summary: &'static str,
        since: &'static str,
        help: &'static [&'static [u8]],
        run: Waits,
    ) -> Sub {
        Sub { name, arity, flags, key: 0, summary, since, help, run: waits(run) }
    }

    /// A data container's subcommand: a body over the container's keys.
    pub(crate) const fn data(
        name: &'static str,
        arity: i16,
        flags: u16,
        summary: &'static str,
        since: &'static str,
        help: &'static [&'static [u8]],
        apply: Apply,
    ) -> Sub {
        Sub { name, arity, flags, key: 0, summary, since, help, run: data(apply) }
    }

    /// The same subcommand, its one key at argument `at`.
    pub(crate) const fn key(mut self, at: i16) -> Sub {
        self.key = at;
        self
    }
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Spec {
    /// A spec with no keys; set them with [`Spec::keys`].
    pub(crate) const fn new(
        name: &'static str,
        arity: i16,
        flags: u16,
        group: &'static str,
        summary: &'static str,
        since: &'static str,
        kind: Kind,
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
            kind,
            subs: &[],
        }
    }

    /// The same spec as a container of `subs`.
    pub(crate) const fn subs(mut self, subs: &'static [Sub]) -> Spec {
        self.subs = subs;
        self
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

    /// The flags `req` runs under: a container's are its subcommand's, as
    /// Redis checks them (a script may not run `CONFIG SET`); its own when
    /// the subcommand is unknown (the container then replies the error).
    pub(crate) fn flags_of(&self, req: &Request) -> u16 {
        let name = req.arg(1).unwrap_or_default();
        self.subs
            .iter()
            .find(|s| name.eq_ignore_ascii_case(s.name.as_bytes()))
            .map_or(self.flags, |s| s.flags)
    }

    pub(crate) fn arity_ok(&self, args: usize) -> bool {
        let need = usize::from(self.arity.unsigned_abs());
        if self.arity >= 0 { args == need } else { args >= need }
    }

    /// The data command's keys; `None` for a control command.
    pub(crate) fn data_keys(&self, req: &Request) -> Option<Vec<Bytes>> {
        match self.kind {
            Kind::Data(d) => Some(d.keys.unwrap_or(Spec::key_args)(self, req)),
            Kind::Control(_) => None,
        }
    }

    /// The one key of a data command whose keys are where its spec places
    /// them and which has exactly one (GET, SET, HSET, ...); `None` for any
    /// other command, whose keys [`data_keys`](Spec::data_keys) lists.
    pub(crate) fn single_key(&self, req: &Request) -> Option<Bytes> {
        let Kind::Data(Data { keys: None, .. }) = self.kind else { return None };
        if self.first_key <= 0 || self.last_key != self.first_key {
            return None;
        }
        req.arg_bytes(usize::try_from(self.first_key).ok()?)
    }

    /// The keys of a request where this spec places them (first, last,
    /// step).
    pub(crate) fn key_args(&self, req: &Request) -> Vec<Bytes> {
        let len = req.len();
        let first = usize::try_from(self.first_key).unwrap_or(0);
        if first == 0 || first >= len {
            return Vec::new();
        }
        let last = if self.last_key < 0 {
            len.saturating_sub(usize::from(self.last_key.unsigned_abs()))
        } else {
            usize::try_from(self.last_key).unwrap_or(0).min(len - 1)
        };
        let step = usize::try_from(self.step).unwrap_or(1).max(1);
        (first..=last).step_by(step).filter_map(|i| req.arg_bytes(i)).collect()
    }
}

/// Longest command name looked up; longer names are unknown. Redis's
/// longest top-level name is 20 bytes.
pub(crate) const MAX_NAME: usize = 32;

/// The command table: every spec in `COMMAND`'s order, and the lookup by
/// name.
pub(crate) struct Table {
    specs: Vec<&'static Spec>,
    by_name: HashMap<&'static [u8], usize, foldhash::fast::FixedState>,
    /// Runs a request as if the client had sent it (JOTTER.THROUGH).
    pub execute: Waits,
}

impl Table {
    /// The table of `families`' specs, in that order.
    pub(crate) fn new(families: &[&'static [Spec]], execute: Waits) -> Table {
        let specs: Vec<&'static Spec> = families.iter().flat_map(|f| f.iter()).collect();
        let mut by_name = HashMap::with_capacity_and_hasher(specs.len(), Default::default());
        for (i, spec) in specs.iter().enumerate() {
            let previous = by_name.insert(spec.name.as_bytes(), i);
            assert!(previous.is_none(), "command {} is in the table twice", spec.name);
        }
        Table { specs, by_name, execute }
    }

    /// Every command, in table order (the index is the metrics' and
    /// `CLIENT LIST`'s reference).
    pub(crate) fn specs(&self) -> &[&'static Spec] {
        &self.specs
    }

    /// Finds a command by name, ignoring case, without allocating: the
    /// name is lowered into a stack buffer.
    pub(crate) fn lookup(&self, name: &[u8]) -> Option<(usize, &'static Spec)> {
        if name.len() > MAX_NAME {
            return None;
        }
        let mut buf = [0u8; MAX_NAME];
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&*lower).map(|&i| (i, self.specs[i]))
    }
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
    pub session: &'a mut Session,
    /// The command table, for the commands about commands.
    pub commands: &'static Table,
    out: &'a mut BytesMut,
    /// False while `EXEC` runs: a blocking command then makes one attempt,
    /// as in Redis.
    pub may_block: bool,
    /// Cancelled once the client has closed its side; the connection
    /// watches for that only while a command that may block runs.
    closed: Option<&'a CancellationToken>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        shared: &'a Shared,
        session: &'a mut Session,
        commands: &'static Table,
        out: &'a mut BytesMut,
    ) -> Self {
        Ctx { shared, session, commands, out, may_block: true, closed: None }
    }

    /// The same context, told through `closed` when the client closes.
    pub(crate) fn watching(mut self, closed: &'a CancellationToken) -> Self {
        self.closed = Some(closed);
        self
    }

    /// Completes once the client has closed its connection; never if the
    /// connection does not watch for it. A blocking command awaits it
    /// between attempts and then ends without a reply.
    pub(crate) async fn client_closed(&self) {
        match self.closed {
            Some(closed) => closed.cancelled().await,
            None => std::future::pending().await,
        }
    }

    /// The connection's output buffer, for a reply built while the keys are
    /// locked (`data::run`).
    pub(crate) fn out(&mut self) -> &mut BytesMut {
        self.out
    }

    /// A writer in the connection's current protocol. Take a new one after
    /// changing the protocol (HELLO replies in the protocol it selects).
    pub(crate) fn reply(&mut self) -> ReplyWriter<'_> {
        ReplyWriter::new(self.out, self.session.protocol)
    }

    /// `-ERR wrong number of arguments for '<name>' command`; `name` is the
    /// command or `command|subcommand`.
    pub(crate) fn arity_error(&mut self, name: &str) {
        let text = format!("ERR wrong number of arguments for '{name}' command");
        self.reply().error(text.as_bytes());
    }

    /// An engine error, in Redis's words where Redis has them.
    pub(crate) fn engine_error(&mut self, error: &jotter::Error) {
        let text = crate::engine_error::reply_text(error);
        self.reply().error(text.as_bytes());
    }

    /// `-ERR syntax error`.
    pub(crate) fn syntax_error(&mut self) {
        self.reply().error(b"ERR syntax error");
    }
}

/// Writes a `HELP` subcommand's reply: its lines, each a simple string.
pub(crate) fn help(reply: &mut ReplyWriter<'_>, lines: &[&[u8]]) {
    reply.array(lines.len());
    for line in lines {
        reply.simple(line);
    }
}
