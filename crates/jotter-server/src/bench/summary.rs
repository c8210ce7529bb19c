//! The figures of a bench, per cell of its matrix (durability level,
//! workload, pipeline depth) and target: throughput (the median of its
//! rounds), latency percentiles over all its rounds, the ratios between
//! targets, and a Jotter target's store figures per run. Built once as
//! rows, which the terminal shows as aligned tables and the report as
//! Markdown.

use hdrhistogram::Histogram;

use super::load::{Run, histogram};
use super::store_figures::StoreFigures;
use super::target::Target;
use super::workload::Workload;
use crate::config::FsyncSetting;

/// One run of one target.
#[derive(Debug)]
pub(crate) struct Measured {
    pub run: Run,
    /// Jotter targets only.
    pub store: Option<StoreFigures>,
}

/// One cell of the matrix: every target's runs with one workload at one
/// pipeline depth, servers at one durability level.
#[derive(Debug)]
pub(crate) struct Cell {
    /// The level of the servers the bench started; `None` for given ones.
    pub fsync: Option<FsyncSetting>,
    pub workload: Workload,
    pub pipeline: u32,
    pub targets: Vec<TargetRuns>,
}

impl Cell {
    /// The fsync level as the tables show it.
    pub(crate) fn fsync_name(&self) -> &'static str {
        self.fsync.map_or("-", FsyncSetting::name)
    }

    /// The cell's first three columns.
    fn columns(&self) -> [String; 3] {
        [self.fsync_name().to_owned(), self.workload.name().to_owned(), self.pipeline.to_string()]
    }

    /// A name for the cell's files: `everysec-set-P16`.
    pub(crate) fn slug(&self) -> String {
        let level = self.fsync.map(|f| format!("{}-", f.name())).unwrap_or_default();
        format!("{level}{}-P{}", self.workload.name(), self.pipeline)
    }

    /// Each target against each one listed before it: (target, against).
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&TargetRuns, &TargetRuns)> {
        self.targets
            .iter()
            .enumerate()
            .flat_map(|(i, t)| self.targets[..i].iter().map(move |earlier| (t, earlier)))
    }
}

/// Every run of one target.
#[derive(Debug)]
pub(crate) struct TargetRuns {
    pub target: Target,
    pub runs: Vec<Measured>,
}

impl TargetRuns {
    /// The median of the rounds' throughputs (the lower middle one of an
    /// even count).
    pub(crate) fn throughput(&self) -> f64 {
        let mut all: Vec<f64> = self.runs.iter().map(|m| m.run.throughput()).collect();
        all.sort_by(f64::total_cmp);
        all.get(all.len().saturating_sub(1) / 2).copied().unwrap_or(0.0)
    }

    /// Every reply's latency, in microseconds, over all rounds.
    pub(crate) fn latency(&self) -> Histogram<u64> {
        let mut all = histogram();
        for m in &self.runs {
            let _ = all.add(&m.run.latency);
        }
        all
    }

    /// A latency percentile over all rounds, in microseconds.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        self.latency().value_at_quantile(q)
    }

    /// Throughput and p99 of `self` divided by those of `against`.
    pub(crate) fn ratios(&self, against: &TargetRuns) -> (f64, f64) {
        let p99 = |t: &TargetRuns| t.quantile(0.99).max(1) as f64;
        (self.throughput() / against.throughput().max(1e-9), p99(self) / p99(against))
    }

    pub(crate) fn total(&self, field: impl Fn(&Run) -> u64) -> u64 {
        self.runs.iter().map(|m| field(&m.run)).sum()
    }
}

/// A table: its header and its rows.
pub(crate) type Table = (Vec<&'static str>, Vec<Vec<String>>);

/// Milliseconds, from microseconds, to the precision that matters.
fn ms(micros: u64) -> String {
    let ms = micros as f64 / 1000.0;
    match ms {
        ms if ms < 1.0 => format!("{ms:.3}"),
        ms if ms < 100.0 => format!("{ms:.2}"),
        ms => format!("{ms:.0}"),
    }
}

/// Throughput and latency per cell and target.
pub(crate) fn results(cells: &[Cell]) -> Table {
    let header = vec![
        "fsync", "workload", "P", "target", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms",
        "requests", "replies", "errors",
    ];
    let mut rows = vec![];
    for cell in cells {
        for t in &cell.targets {
            let latency = t.latency();
            let mut row = cell.columns().to_vec();
            row.extend([
                t.target.to_string(),
                format!("{:.0}", t.throughput()),
                ms(latency.value_at_quantile(0.5)),
                ms(latency.value_at_quantile(0.99)),
                ms(latency.value_at_quantile(0.999)),
                ms(latency.max()),
                t.total(|r| r.sent).to_string(),
                t.total(|r| r.replies).to_string(),
                t.total(|r| r.errors).to_string(),
            ]);
            rows.push(row);
        }
    }
    (header, rows)
}

/// In each cell, each target against each one listed before it:
/// throughputs, and the ratios of throughput and p99.
pub(crate) fn ratios(cells: &[Cell]) -> Table {
    let header =
        vec!["fsync", "workload", "P", "target", "req/s", "against", "req/s", "throughput", "p99"];
    let mut rows = vec![];
    for cell in cells {
        for (t, earlier) in cell.pairs() {
            let (throughput, p99) = t.ratios(earlier);
            let mut row = cell.columns().to_vec();
            row.extend([
                t.target.to_string(),
                format!("{:.0}", t.throughput()),
                earlier.target.to_string(),
                format!("{:.0}", earlier.throughput()),
                format!("{throughput:.2}×"),
                format!("{p99:.2}×"),
            ]);
            rows.push(row);
        }
    }
    (header, rows)
}

/// A Jotter target's store figures, run by run.
pub(crate) fn store(cells: &[Cell]) -> Table {
    let header = vec![
        "fsync",
        "workload",
        "P",
        "target",
        "round",
        "writes sent",
        "writes accepted",
        "store writes",
        "batches",
        "coalescing",
        "drain s",
    ];
    let mut rows = vec![];
    for cell in cells {
        for t in &cell.targets {
            for (round, m) in t.runs.iter().enumerate() {
                let Some(store) = &m.store else { continue };
                let mut row = cell.columns().to_vec();
                row.extend([
                    t.target.to_string(),
                    (round + 1).to_string(),
                    m.run.writes.to_string(),
                    store.writes_accepted.to_string(),
                    store.store_writes.to_string(),
                    store.batches.to_string(),
                    format!("{:.2}", store.coalescing()),
                    format!("{:.2}", store.drain.as_secs_f64()),
                ]);
                rows.push(row);
            }
        }
    }
    (header, rows)
}
