//! `--json`: the figures of the tables as one JSON document on stdout, for
//! scripts: per cell (fsync, workload, pipeline) each target's throughput,
//! latency percentiles in microseconds, counts and runs (with the store
//! figures of a Jotter target), and the ratios of each target against
//! those before it.

use serde_json::{Value, json};

use super::report;
use super::summary::{Cell, Measured, TargetRuns};
use crate::cli::BenchArgs;

/// The whole bench as one document.
pub(crate) fn document(args: &BenchArgs, cells: &[Cell]) -> Value {
    json!({
        "command": report::command_line(),
        "machine": report::machine(),
        "clients": args.clients,
        "keyspace": args.keyspace,
        "value_size": args.value_size,
        "read_ratio": args.read_ratio,
        "duration_s": args.duration.as_secs_f64(),
        "rounds": args.rounds,
        "rate": args.rate,
        "cells": cells.iter().map(cell).collect::<Vec<_>>(),
    })
}

fn cell(cell: &Cell) -> Value {
    let ratios: Vec<Value> = cell
        .pairs()
        .map(|(t, against)| {
            let (throughput, p99) = t.ratios(against);
            json!({
                "target": t.target.name(),
                "against": against.target.name(),
                "throughput": throughput,
                "p99": p99,
            })
        })
        .collect();
    json!({
        "fsync": cell.fsync.map(|f| f.name()),
        "workload": cell.workload.name(),
        "pipeline": cell.pipeline,
        "targets": cell.targets.iter().map(target).collect::<Vec<_>>(),
        "ratios": ratios,
    })
}

fn target(t: &TargetRuns) -> Value {
    let latency = t.latency();
    json!({
        "target": t.target.name(),
        "address": t.target.address(),
        "started": t.target.started,
        "throughput": t.throughput(),
        "latency_us": {
            "p50": latency.value_at_quantile(0.5),
            "p99": latency.value_at_quantile(0.99),
            "p99_9": latency.value_at_quantile(0.999),
            "max": latency.max(),
        },
        "requests": t.total(|r| r.sent),
        "replies": t.total(|r| r.replies),
        "errors": t.total(|r| r.errors),
        "writes": t.total(|r| r.writes),
        "runs": t.runs.iter().map(run).collect::<Vec<_>>(),
    })
}

fn run(m: &Measured) -> Value {
    let store = m.store.map(|s| {
        json!({
            "writes_accepted": s.writes_accepted,
            "store_writes": s.store_writes,
            "batches": s.batches,
            "coalescing": s.coalescing(),
            "drain_s": s.drain.as_secs_f64(),
        })
    });
    json!({
        "throughput": m.run.throughput(),
        "elapsed_s": m.run.elapsed.as_secs_f64(),
        "requests": m.run.sent,
        "replies": m.run.replies,
        "errors": m.run.errors,
        "first_error": m.run.first_error,
        "writes": m.run.writes,
        "store": store,
    })
}
