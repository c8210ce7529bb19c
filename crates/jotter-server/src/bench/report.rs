//! `--report DIR`: REPORT.md with the command line that made it, the
//! machine it ran on, the tables the terminal shows, and two SVG plots
//! beside it (throughput.svg, latency.svg).

use std::fmt::Write;
use std::path::Path;

use anyhow::Context;

use super::summary::{self, Table, TargetRuns};
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
        out.push_str(if matches!(*cell, "target" | "against") { "---|" } else { "---:|" });
    }
    out.push('\n');
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

/// Writes the report into `dir`, creating it.
pub(crate) fn write(dir: &Path, args: &BenchArgs, targets: &[TargetRuns]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the report folder {}", dir.display()))?;
    let command: Vec<String> = std::env::args()
        .enumerate()
        .map(|(i, a)| if i == 0 { "jotter".to_owned() } else { a })
        .collect();
    let mut md = String::from("# jotter bench\n\n");
    let _ = writeln!(md, "```\n{}\n```\n", command.join(" "));
    let _ = writeln!(md, "- Machine: {}", machine());
    let _ = writeln!(
        md,
        "- Workload: {}, read ratio {}, {} clients, pipeline {}, {} keys (Zipf {}), {}-byte values",
        args.workload.name(),
        args.read_ratio,
        args.clients,
        args.pipeline,
        args.keyspace,
        args.zipf,
        args.value_size
    );
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
    let _ = writeln!(md, "## Throughput and latency\n\n{}", markdown(&summary::results(targets)));
    let ratios = summary::ratios(targets);
    if !ratios.1.is_empty() {
        let _ = writeln!(
            md,
            "## Ratios\n\nThroughput and p99 of each target divided by those of the one it is \
             against.\n\n{}",
            markdown(&ratios)
        );
    }
    let store = summary::store(targets);
    if !store.1.is_empty() {
        let _ = writeln!(
            md,
            "## The store behind Jotter\n\nCounted by JOTTER.STATUS before each run and after \
             JOTTER.FLUSH drained it; coalescing is writes accepted per store write.\n\n{}",
            markdown(&store)
        );
    }
    md.push_str("## Plots\n\n![throughput over time](throughput.svg)\n\n");
    md.push_str("![latency by percentile](latency.svg)\n");
    let files = [
        ("REPORT.md", md),
        ("throughput.svg", svg::throughput(targets)),
        ("latency.svg", svg::latency(targets)),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
