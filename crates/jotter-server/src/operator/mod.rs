//! The operator's commands: `jotter dead-letters list | replay | purge` and
//! `jotter key KEY`.
//!
//! They reach a running server as redis-cli does (`-h`, `-p`, `-a`,
//! `--user`, `-u`, `REDISCLI_AUTH`; `remote.rs`) and send the commands
//! docs/SERVER.md documents (`JOTTER.DEADLETTERS`, `JOTTER.KEY`). Given
//! `--config` or `--data-dir`, `dead-letters` opens that data directory
//! itself instead (`offline.rs`), which only works while no server holds it:
//! the log's lock tells. The steps of each command are the same either way
//! (`dead_letters.rs`); what is printed is a table, or one JSON document
//! with `--json` (`render.rs`, `letter.rs`).
//!
//! Exit status: 0 done; 1 the server or the store refused, or not every
//! selected letter left the queue; 2 a usage error (clap's, or a config that
//! cannot be used).

mod dead_letters;
mod key;
mod letter;
mod offline;
pub(crate) mod remote;
pub(crate) mod render;

use std::process::ExitCode;

use crate::cli::{DeadLettersCommand, KeyArgs, TargetArgs};
use dead_letters::Action;
use remote::{Address, Remote};

/// Runs `jotter dead-letters ...`.
pub(crate) async fn dead_letters(command: DeadLettersCommand) -> anyhow::Result<ExitCode> {
    let target = match &command {
        DeadLettersCommand::List(args) => &args.target,
        DeadLettersCommand::Replay(args) | DeadLettersCommand::Purge(args) => &args.target,
    };
    if let Some(config) = target.offline_config() {
        let config = match config {
            Ok(config) => config,
            Err(e) => {
                eprintln!("jotter: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let mut queue = offline::Offline::open(&config).await?;
        let done = run_dead_letters(&mut queue, &command).await;
        queue.close().await;
        return done;
    }
    if target.store.is_some() {
        anyhow::bail!("--store names the store of a data directory: give --data-dir too");
    }
    let mut remote = connect(target).await?;
    run_dead_letters(&mut remote, &command).await
}

async fn run_dead_letters(
    queue: &mut impl dead_letters::Queue,
    command: &DeadLettersCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        DeadLettersCommand::List(args) => dead_letters::list(queue, args).await,
        DeadLettersCommand::Replay(args) => dead_letters::act(queue, Action::Replay, args).await,
        DeadLettersCommand::Purge(args) => dead_letters::act(queue, Action::Purge, args).await,
    }
}

/// Runs `jotter key KEY`: a running server only, since the key's state
/// (pending, in flight) exists only in one.
pub(crate) async fn key(args: KeyArgs) -> anyhow::Result<ExitCode> {
    if args.target.config.is_some() || args.target.data_dir.is_some() {
        anyhow::bail!(
            "jotter key asks a running server (-h, -p): a stopped server's keys are either in its \
             store or in its log, which the server replays when it starts"
        );
    }
    let mut remote = connect(&args.target).await?;
    key::run(&mut remote, &args).await
}

async fn connect(target: &TargetArgs) -> anyhow::Result<Remote> {
    let mut address = Address {
        host: target.host.clone(),
        port: target.port,
        user: target.user.clone(),
        password: target.password.clone(),
    };
    if let Some(uri) = &target.uri {
        address = address.with_uri(uri)?;
    }
    Ok(Remote::connect(&address, "jotter-cli").await?)
}
