//! `jotter bench`: a load generator that runs one workload against Jotter
//! and redis-server side by side and reports how each fared.
//!
//! Each target (`target.rs`) runs for `--duration`, one after the other,
//! round after round (A B A B), so that both see the same machine. A run
//! (`load.rs`) is `--clients` connections sending a workload
//! (`workload.rs`, keys drawn by `zipf.rs`), closed loop or at a fixed
//! offered rate. A Jotter target is drained with JOTTER.FLUSH before and
//! after each run, and its store counters read (`store_figures.rs`). The
//! figures (`summary.rs`) are printed as tables; `--report DIR` also writes
//! them as Markdown with SVG plots (`report.rs`, `svg.rs`).
//!
//! Exit status: 0 when every request got its reply (error replies are
//! counted and shown, not fatal); 1 when a target could not be reached or
//! dropped a connection.

mod load;
mod report;
mod store_figures;
mod summary;
mod svg;
mod target;
mod workload;
mod zipf;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context;

use crate::cli::BenchArgs;
use crate::operator::render::table;
use store_figures::{Counters, StoreFigures};
use summary::{Measured, TargetRuns};
pub(crate) use target::{Kind, Target};
pub(crate) use workload::Workload;

/// Runs `jotter bench`.
pub(crate) async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut targets = vec![];
    for target in &args.targets {
        targets.push(TargetRuns { target: target.clone(), runs: vec![] });
        if args.through && target.kind == Kind::Jotter {
            targets.push(TargetRuns { target: target.written_through(), runs: vec![] });
        }
    }
    if args.through && !args.targets.iter().any(|t| t.kind == Kind::Jotter) {
        anyhow::bail!(
            "--through writes through a Jotter target: give one with --target jotter=HOST:PORT"
        );
    }
    eprintln!("jotter bench: {} on {}", args.workload.name(), report::machine());
    // Event ids keep increasing from run to run, and from one bench to the
    // next: they start at the clock, in microseconds.
    let first_event = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default();
    let next_event = Arc::new(AtomicU64::new(first_event));
    for round in 1..=args.rounds {
        for runs in &mut targets {
            let target = &runs.target;
            let label = format!("round {round}/{} {target}", args.rounds);
            let mut control = match target.kind {
                Kind::Jotter => Some(load::connect(target, &args).await?),
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
            let mix = workload::Mix {
                workload: args.workload,
                read_ratio: args.read_ratio,
                keyspace: args.keyspace,
                value_size: args.value_size,
                zipf: args.zipf,
                through: target.through,
                next_event: Arc::clone(&next_event),
            };
            let run = load::run(target, &args, &mix, &label).await?;
            let store = match (&mut control, before) {
                (Some(control), Some(before)) => Some(StoreFigures::after(control, before).await?),
                _ => None,
            };
            runs.runs.push(Measured { run, store });
        }
    }

    let (header, rows) = summary::results(&targets);
    println!("{}", table(&header, &rows));
    let (header, rows) = summary::ratios(&targets);
    if !rows.is_empty() {
        println!("{}", table(&header, &rows));
    }
    let (header, rows) = summary::store(&targets);
    if !rows.is_empty() {
        println!("{}", table(&header, &rows));
    }
    if let Some(dir) = &args.report {
        report::write(dir, &args, &targets)?;
        eprintln!("jotter bench: report written to {}", dir.join("REPORT.md").display());
    }
    Ok(ExitCode::SUCCESS)
}
