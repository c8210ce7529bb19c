//! `--report DIR`: REPORT.md with the command line that made it, the
//! machine it ran on, the tables the terminal shows, and two SVG plots per
//! cell beside it (`throughput-CELL.svg`, `latency-CELL.svg`, CELL as
//! `everysec-set-P16`).

use std::fmt::Write;
use std::path::Path;

use anyhow::Context;

use super::summary::{self, Cell, Table};
use super::svg;
use crate::cli::BenchArgs;

/// The machine, as a report states it: cores and CPU model.
pub(crate) fn machine() -> String {
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map_or("unknown CPU", |(_, m)| m.trim());
    format!("{cores} cores ({}), {model}", std::env::consts::ARCH)
}

fn markdown((header, rows): &Table) -> String {
    let mut out = format!("| {} |\n|", header.join(" | "));
    for cell in header {
        // Names on the left, numbers on the right.
        let name = matches!(*cell, "fsync" | "workload" | "target" | "against");
        out.push_str(if name { "---|" } else { "---:|" });
    }
    out.push('\n');
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

/// The command line that runs this bench again.
pub(crate) fn command_line() -> String {
    let words: Vec<String> = std::env::args()
        .enumerate()
        .map(|(i, a)| if i == 0 { "jotter".to_owned() } else { a })
        .collect();
    words.join(" ")
}

/// Writes the report into `dir`, creating it.
pub(crate) fn write(dir: &Path, args: &BenchArgs, cells: &[Cell]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the report folder {}", dir.display()))?;
    let mut md = String::from("# jotter bench\n\n");
    let _ = writeln!(md, "```\n{}\n```\n", command_line());
    let _ = writeln!(md, "- Machine: {}", machine());
    let list = |names: Vec<String>| names.join(", ");
    let _ = writeln!(
        md,
        "- Workloads: {}, read ratio {}, {} clients, pipeline {}, {} keys (Zipf {}), {}-byte values",
        list(args.workloads.iter().map(|w| w.name().to_owned()).collect()),
        args.read_ratio,
        args.clients,
        list(args.pipelines.iter().map(u32::to_string).collect()),
        args.keyspace,
        args.zipf,
        args.value_size
    );
    if !args.start.is_empty() {
        let levels = match args.fsync.is_empty() {
            true => "everysec".to_owned(),
            false => list(args.fsync.iter().map(|f| f.name().to_owned()).collect()),
        };
        let store = args.store.as_deref().unwrap_or("SQLite");
        let _ = writeln!(
            md,
            "- Servers started by the bench at fsync {levels}, afresh for each level: \
             redis-server `appendonly yes` at `appendfsync` of the level (`appendonly no` for \
             `no`), Jotter `--fsync` of the level, its store {store}",
        );
    }
    let offered = match args.rate {
        0 => "as fast as replies come (closed loop)".to_owned(),
        rate => format!("{rate} requests/s offered (open loop, latency from when each was due)"),
    };
    let _ = writeln!(
        md,
        "- {} s a run, {} round(s), targets alternating; {offered}\n",
        args.duration.as_secs_f64(),
        args.rounds
    );
    let _ = writeln!(md, "## Throughput and latency\n\n{}", markdown(&summary::results(cells)));
    let ratios = summary::ratios(cells);
    if !ratios.1.is_empty() {
        let _ = writeln!(
            md,
            "## Ratios\n\nThroughput and p99 of each target divided by those of the one it is \
             against.\n\n{}",
            markdown(&ratios)
        );
    }
    let store = summary::store(cells);
    if !store.1.is_empty() {
        let _ = writeln!(
            md,
            "## The store behind Jotter\n\nCounted by JOTTER.STATUS before each run and after \
             JOTTER.FLUSH drained it; coalescing is writes accepted per store write.\n\n{}",
            markdown(&store)
        );
    }
    md.push_str("## Plots\n");
    let mut files = vec![];
    for cell in cells {
        let slug = cell.slug();
        let (throughput, latency) =
            (format!("throughput-{slug}.svg"), format!("latency-{slug}.svg"));
        let _ = write!(
            md,
            "\n### {} {} P{}\n\n![throughput over time]({throughput})\n\n\
             ![latency by percentile]({latency})\n",
            cell.fsync_name(),
            cell.workload.name(),
            cell.pipeline
        );
        files.push((throughput, svg::throughput(&cell.targets)));
        files.push((latency, svg::latency(&cell.targets)));
    }
    files.push(("REPORT.md".to_owned(), md));
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
