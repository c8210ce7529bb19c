//! `redis.call` and `redis.pcall`: one command of a script, run on the
//! script's transaction through the same table and the same bodies as a
//! client's command, with Redis 7.0's checks and error texts in Redis's
//! order (unknown command, arity, `noscript`, permissions, writes from a
//! read-only script).
//!
//! A data command runs its body on the script's [`Txn`] (the script's
//! writes are one transaction). The transaction holds only the keys
//! declared before it began: a command naming another key is not run; the
//! key is noted in [`Call::undeclared`] and the script is stopped, to run
//! again from the start with that key declared too (`run.rs`). A control
//! command that answers at once (PING, TIME, ECHO ...) runs as it would
//! for the client; one that waits is refused like a `noscript` command.

use bytes::{Bytes, BytesMut};
use jotter::Txn;
use jotter_resp::{Frame, Protocol, ReplyWriter, Request};

use super::busy::Running;
use crate::command::spec::{Ctx, Handler, Kind, Table, flag};
use crate::session::Session;
use crate::state::Shared;

/// The error raised to stop a script that named an undeclared key; the
/// script runs again, so no one sees it.
pub(super) const UNDECLARED: &str = "ERR script stopped to declare a key";

/// What the commands of one script run share.
pub(super) struct Call<'a> {
    pub shared: &'a Shared,
    pub session: &'a mut Session,
    pub commands: &'static Table,
    /// The keys the transaction holds.
    pub declared: &'a [Bytes],
    /// Keys commands named that the transaction does not hold.
    pub undeclared: Vec<Bytes>,
    /// EVAL_RO, FCALL_RO, or a function flagged `no-writes`.
    pub read_only: bool,
    pub running: &'a Running,
    /// The write commands run (table index, request), in order: after the
    /// script they publish their keyspace events as an EXEC's do.
    pub wrote: Vec<(usize, Request)>,
}

/// A command's reply, or why it was not run.
pub(super) enum Called {
    Reply(Frame),
    /// A key it names is not held: stop the script.
    Undeclared,
}

fn error(text: &str) -> Called {
    Called::Reply(Frame::Error(Bytes::copy_from_slice(text.as_bytes())))
}

impl<'a> Call<'a> {
    /// The commands of a script run on a transaction holding `declared`,
    /// for `session`'s client; read-only when the script says so.
    pub(super) fn new(
        shared: &'a Shared,
        session: &'a mut Session,
        commands: &'static Table,
        declared: &'a [Bytes],
    ) -> Call<'a> {
        Call {
            shared,
            session,
            commands,
            declared,
            undeclared: Vec::new(),
            read_only: false,
            running: shared.scripts.running(),
            wrote: Vec::new(),
        }
    }

    /// Runs `args` (the command and its arguments) for the script, its
    /// reply in RESP3 when the script asked for it.
    pub(super) fn run(&mut self, txn: &mut Txn<'_>, args: &[Bytes], resp3: bool) -> Called {
        let Some(req) = Request::from_args(args) else {
            return error("ERR Please specify at least one argument for this redis lib call");
        };
        let Some((index, spec)) = self.commands.lookup(req.name()) else {
            return error("ERR Unknown Redis command called from script");
        };
        if !spec.arity_ok(req.len()) {
            return error("ERR Wrong number of args calling Redis command from script");
        }
        if spec.flags_of(&req) & flag::NOSCRIPT != 0 {
            return error("ERR This Redis command is not allowed from script");
        }
        if self.session.permissions.check(index, &req).is_err() {
            return error("ERR The user executing the script can't run this command or subcommand");
        }
        if spec.flags_of(&req) & flag::WRITE != 0 {
            if self.read_only {
                return error("ERR Write commands are not allowed from read-only scripts.");
            }
            self.running.wrote();
        }
        let protocol = if resp3 { Protocol::Resp3 } else { Protocol::Resp2 };
        let mut out = BytesMut::new();
        match spec.kind {
            Kind::Data(data) => {
                let keys = spec.data_keys(&req).unwrap_or_default();
                let missing: Vec<Bytes> =
                    keys.into_iter().filter(|k| !self.declared.contains(k)).collect();
                if !missing.is_empty() {
                    self.undeclared.extend(missing);
                    return Called::Undeclared;
                }
                if let Err(fail) =
                    (data.apply)(&req, txn, &mut ReplyWriter::new(&mut out, protocol))
                {
                    return error(&fail.text());
                }
                if spec.has(flag::WRITE) {
                    self.wrote.push((index, req));
                }
            }
            Kind::Control(Handler::Now(handler)) => {
                let client_protocol = std::mem::replace(&mut self.session.protocol, protocol);
                let mut ctx = Ctx::new(self.shared, self.session, self.commands, &mut out);
                ctx.may_block = false;
                handler(&req, &mut ctx);
                self.session.protocol = client_protocol;
            }
            Kind::Control(Handler::Waits(_)) => {
                return error("ERR This Redis command is not allowed from script");
            }
        }
        match Frame::parse(&mut out) {
            Ok(Some(frame)) => Called::Reply(frame),
            _ => error("ERR the command gave no reply"),
        }
    }
}
