//! The scripts of a `MULTI` queue (EVAL, EVALSHA, FCALL and their `_RO`
//! forms), run by `EXEC` in their places in its one engine transaction:
//! a script sees the writes of the commands queued before it, the commands
//! after it see its writes, and all of it commits together, as one log
//! record.
//!
//! Each is resolved before the transaction begins: its script or function
//! and its declared keys, which join the transaction's keys, or the error
//! reply Redis gives in its slot (NOSCRIPT, a bad `numkeys`, an unknown
//! function). The interpreter stays locked from then until the transaction
//! ends, so these scripts run one at a time with every other script.
//! Each runs through `run::on_txn`, as a script sent alone does.

use bytes::{Bytes, BytesMut};
use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::call::Call;
use super::eval_commands;
use super::function_commands;
use super::run::{self, Script, Stop};
use super::scripts::{Engine, EngineGuard};
use crate::command::spec::{Spec, Table};
use crate::session::Session;
use crate::state::Shared;

/// The queue's scripts, resolved for `EXEC`.
pub(crate) struct InExec<'a> {
    shared: &'a Shared,
    commands: &'static Table,
    /// The interpreter, locked while this lives; `None` when it could not
    /// start (each script's slot holds that error).
    engine: Option<EngineGuard<'a>>,
    /// For each queued command: `None` for one that is not a script, else
    /// the script or the error reply in its slot.
    scripts: Vec<Option<Result<Script, String>>>,
}

/// How a command runs a script.
#[derive(Clone, Copy)]
enum Form {
    Eval { by_sha: bool, read_only: bool },
    Fcall { read_only: bool },
}

impl Form {
    /// The form of the command named `name`, if it runs a script.
    fn of(name: &str) -> Option<Form> {
        Some(match name {
            "eval" => Form::Eval { by_sha: false, read_only: false },
            "evalsha" => Form::Eval { by_sha: true, read_only: false },
            "eval_ro" => Form::Eval { by_sha: false, read_only: true },
            "evalsha_ro" => Form::Eval { by_sha: true, read_only: true },
            "fcall" => Form::Fcall { read_only: false },
            "fcall_ro" => Form::Fcall { read_only: true },
            _ => return None,
        })
    }

    fn prepare(self, engine: &mut Engine, req: &Request) -> Result<Script, String> {
        match self {
            Form::Eval { by_sha, read_only } => {
                eval_commands::prepare(engine, req, by_sha, read_only)
            }
            Form::Fcall { read_only } => function_commands::prepare(engine, req, read_only),
        }
    }
}

impl<'a> InExec<'a> {
    /// The scripts among `queued` (the queue's table rows and requests),
    /// but those `refused` by the permissions; `None` when there is none,
    /// and then the interpreter is not locked. In queue order, so a script
    /// EVAL compiles is found by an EVALSHA queued after it.
    pub(crate) async fn resolve(
        shared: &'a Shared,
        commands: &'static Table,
        queued: &[(&Spec, &Request)],
        refused: &[Option<String>],
    ) -> Option<InExec<'a>> {
        let forms: Vec<Option<Form>> = queued
            .iter()
            .zip(refused)
            .map(|((spec, _), refused)| refused.as_ref().map_or(Form::of(spec.name), |_| None))
            .collect();
        if forms.iter().all(Option::is_none) {
            return None;
        }
        let mut engine = shared.scripts.engine().await;
        let scripts = forms
            .into_iter()
            .zip(queued)
            .map(|(form, (_, req))| {
                let form = form?;
                Some(match &mut engine {
                    Ok(engine) => form.prepare(engine, req),
                    Err(text) => Err(text.clone()),
                })
            })
            .collect();
        Some(InExec { shared, commands, engine: engine.ok(), scripts })
    }

    /// Whether the queued command at `at` is a script, which
    /// [`InExec::run`] runs.
    pub(crate) fn is_script(&self, at: usize) -> bool {
        self.scripts[at].is_some()
    }

    /// The keys the scripts declare.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Bytes> {
        self.scripts.iter().flatten().flatten().flat_map(|script| &script.keys)
    }

    /// Runs the script queued at `at` for `session` on `txn`, which holds
    /// `declared`; its reply (or the error it resolved to) goes to `out`.
    /// The write commands it ran, for their keyspace events; `Err` as
    /// `run::on_txn`.
    pub(crate) fn run(
        &self,
        at: usize,
        session: &mut Session,
        declared: &[Bytes],
        txn: &mut Txn<'_>,
        out: &mut BytesMut,
    ) -> Result<Vec<(usize, Request)>, Stop> {
        let protocol = session.protocol;
        let (Some(Ok(script)), Some(engine)) = (&self.scripts[at], &self.engine) else {
            if let Some(Err(text)) = &self.scripts[at] {
                ReplyWriter::new(out, protocol).error(text.as_bytes());
            }
            return Ok(Vec::new());
        };
        let call = Call::new(self.shared, session, self.commands, declared);
        let (reply, wrote) = run::on_txn(&engine.interpreter, script, call, txn)?;
        reply.encode(protocol, out);
        Ok(wrote)
    }
}
