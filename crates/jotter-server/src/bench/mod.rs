//! `jotter bench`: a load generator that runs workloads against Jotter
//! and redis-server side by side and reports how each fared.
//!
//! The bench is a matrix: for each durability level (`--fsync`, when it
//! starts the servers itself with `--start`, `servers.rs`), each workload
//! (`workload.rs`, keys drawn by `zipf.rs` or `template.rs`) and each
//! pipeline depth (`-P`), every target (`target.rs`) runs for `--duration`,
//! one after the other, round after round (A B A B), so that they see the
//! same machine. Servers live through a level's cells and are started
//! afresh for the next level. A run (`load.rs`) is `--clients` lean
//! connections (`conn.rs`), closed loop or at a fixed offered rate. `get`
//! reads keys written beforehand (`preload.rs`). A Jotter target is
//! drained with JOTTER.FLUSH before and after each run (outside the
//! measured time; the drain's own time is reported), and its store
//! counters read (`store_figures.rs`). The figures (`summary.rs`) are
//! printed as tables, or as JSON with `--json` (`json.rs`); `--report DIR`
//! also writes them as Markdown with SVG plots (`report.rs`, `svg.rs`).
//!
//! Exit status: 0 when every request got its reply (error replies are
//! counted and shown, not fatal); 1 when a target could not be reached or
//! started, dropped a connection, or the bench was interrupted (Ctrl-C):
//! the servers it started are stopped in every case.

mod conn;
mod json;
mod load;
mod preload;
mod report;
mod servers;
mod store_figures;
mod summary;
mod svg;
mod target;
mod template;
mod workload;
mod zipf;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context;

use crate::cli::BenchArgs;
use crate::config::FsyncSetting;
use crate::operator::render::table;
use servers::{Launch, Started};
use store_figures::{Counters, StoreFigures};
use summary::{Cell, Measured, TargetRuns};
pub(crate) use target::{Kind, Target};
pub(crate) use workload::Workload;

/// Runs `jotter bench`; Ctrl-C stops it, and the servers it started.
pub(crate) async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    tokio::select! {
        result = bench(&args) => result,
        _ = tokio::signal::ctrl_c() => {
            anyhow::bail!("interrupted; the servers it started are stopped")
        }
    }
}

async fn bench(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let has_jotter =
        args.start.contains(&Kind::Jotter) || args.targets.iter().any(|t| t.kind == Kind::Jotter);
    if args.through && !has_jotter {
        anyhow::bail!(
            "--through writes through a Jotter target: give one with --start jotter or --target \
             jotter=HOST:PORT"
        );
    }
    // Without --start the servers are given, at whatever level they run.
    let levels: Vec<Option<FsyncSetting>> = match (args.start.is_empty(), args.fsync.is_empty()) {
        (true, _) => vec![None],
        (false, true) => vec![Some(FsyncSetting::Everysec)],
        (false, false) => args.fsync.iter().copied().map(Some).collect(),
    };
    let names: Vec<&str> = args.workloads.iter().map(|w| w.name()).collect();
    eprintln!("jotter bench: {} on {}", names.join(","), report::machine());
    // Event ids keep increasing from run to run, and from one bench to the
    // next: they start at the clock, in microseconds.
    let first_event = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default();
    let next_event = Arc::new(AtomicU64::new(first_event));
    let total = levels.len() * args.workloads.len() * args.pipelines.len();
    let mut cells = Vec::with_capacity(total);
    for fsync in levels {
        let started = start_servers(args, fsync).await?;
        let mut targets = vec![];
        for target in started.iter().map(|s| &s.target).chain(&args.targets) {
            targets.push(target.clone());
            if args.through && target.kind == Kind::Jotter {
                targets.push(target.written_through());
            }
        }
        let mut preloaded: Vec<String> = vec![];
        for &workload in &args.workloads {
            if workload.reads_preloaded_keys() {
                for target in &targets {
                    if !preloaded.contains(&target.address()) {
                        let took = preload::preload(target, args).await?;
                        eprintln!(
                            "jotter bench: {} keys written to {target} in {:.2} s",
                            args.keyspace,
                            took.as_secs_f64()
                        );
                        preloaded.push(target.address());
                    }
                }
            }
            for &pipeline in &args.pipelines {
                let mut cell = Cell {
                    fsync,
                    workload,
                    pipeline,
                    targets: targets
                        .iter()
                        .map(|t| TargetRuns { target: t.clone(), runs: vec![] })
                        .collect(),
                };
                for round in 1..=args.rounds {
                    for runs in &mut cell.targets {
                        let label = format!(
                            "[{}/{total}] {} {} P{pipeline} round {round}/{} {}",
                            cells.len() + 1,
                            cell.fsync.map_or("-", FsyncSetting::name),
                            workload.name(),
                            args.rounds,
                            runs.target
                        );
                        let mix = workload::Mix {
                            workload,
                            read_ratio: args.read_ratio,
                            keyspace: args.keyspace,
                            value_size: args.value_size,
                            zipf: args.zipf,
                            through: runs.target.through,
                            next_event: Arc::clone(&next_event),
                        };
                        let measured = measure(&runs.target, args, &mix, pipeline, &label).await?;
                        runs.runs.push(measured);
                    }
                }
                cells.push(cell);
            }
        }
        // The next level starts its own servers.
        drop(started);
    }

    if args.json {
        println!("{}", serde_json::to_string_pretty(&json::document(args, &cells))?);
    } else {
        for (header, rows) in [summary::results(&cells), summary::ratios(&cells)] {
            if !rows.is_empty() {
                println!("{}", table(&header, &rows));
            }
        }
        let (header, rows) = summary::store(&cells);
        if !rows.is_empty() {
            println!("{}", table(&header, &rows));
        }
    }
    if let Some(dir) = &args.report {
        report::write(dir, args, &cells)?;
        eprintln!("jotter bench: report written to {}", dir.join("REPORT.md").display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The servers `--start` names, at `fsync`: redis-server first, so that
/// the ratios read Jotter against Redis.
async fn start_servers(
    args: &BenchArgs,
    fsync: Option<FsyncSetting>,
) -> anyhow::Result<Vec<Started>> {
    let Some(fsync) = fsync else { return Ok(vec![]) };
    let launch = Launch { fsync, store: args.store.clone() };
    let mut started = vec![];
    for kind in [Kind::Redis, Kind::Jotter] {
        if args.start.contains(&kind) {
            let server = servers::start(kind, &launch).await?;
            eprintln!(
                "jotter bench: started {} on {} (fsync {})",
                kind.name(),
                server.target.address(),
                fsync.name()
            );
            started.push(server);
        }
    }
    Ok(started)
}

/// One run of one target, a Jotter target drained before and after it.
async fn measure(
    target: &Target,
    args: &BenchArgs,
    mix: &workload::Mix,
    pipeline: u32,
    label: &str,
) -> anyhow::Result<Measured> {
    let mut control = match target.kind {
        Kind::Jotter => Some(load::control(target, args).await?),
        Kind::Redis => None,
    };
    let before = match &mut control {
        Some(control) => {
            // What an earlier run left pending must not count here.
            control.call(&["JOTTER.FLUSH"]).await.context("drain before the run")?;
            Some(Counters::read(control).await?)
        }
        None => None,
    };
    let run = load::run(target, args, mix, pipeline, label).await?;
    let store = match (&mut control, before) {
        (Some(control), Some(before)) => Some(StoreFigures::after(control, before).await?),
        _ => None,
    };
    Ok(Measured { run, store })
}
