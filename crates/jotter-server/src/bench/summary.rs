//! The figures of a bench, per target: throughput (the median of its
//! rounds), latency percentiles over all its rounds, the ratios between
//! targets, and a Jotter target's store figures per run. Built once as
//! rows, which the terminal shows as aligned tables and the report as
//! Markdown.

use hdrhistogram::Histogram;

use super::load::{Run, histogram};
use super::store_figures::StoreFigures;
use super::target::Target;

/// One run of one target.
#[derive(Debug)]
pub(crate) struct Measured {
    pub run: Run,
    /// Jotter targets only.
    pub store: Option<StoreFigures>,
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

    fn total(&self, field: impl Fn(&Run) -> u64) -> u64 {
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

/// Throughput and latency per target.
pub(crate) fn results(targets: &[TargetRuns]) -> Table {
    let header = vec![
        "target", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "requests", "replies",
        "errors",
    ];
    let rows = targets
        .iter()
        .map(|t| {
            let latency = t.latency();
            vec![
                t.target.to_string(),
                format!("{:.0}", t.throughput()),
                ms(latency.value_at_quantile(0.5)),
                ms(latency.value_at_quantile(0.99)),
                ms(latency.value_at_quantile(0.999)),
                ms(latency.max()),
                t.total(|r| r.sent).to_string(),
                t.total(|r| r.replies).to_string(),
                t.total(|r| r.errors).to_string(),
            ]
        })
        .collect();
    (header, rows)
}

/// Each target against each one listed before it: throughput and p99.
pub(crate) fn ratios(targets: &[TargetRuns]) -> Table {
    let header = vec!["target", "against", "throughput", "p99"];
    let p99 = |t: &TargetRuns| t.latency().value_at_quantile(0.99).max(1) as f64;
    let mut rows = vec![];
    for (i, t) in targets.iter().enumerate() {
        for earlier in &targets[..i] {
            rows.push(vec![
                t.target.to_string(),
                earlier.target.to_string(),
                format!("{:.2}×", t.throughput() / earlier.throughput().max(1e-9)),
                format!("{:.2}×", p99(t) / p99(earlier)),
            ]);
        }
    }
    (header, rows)
}

/// A Jotter target's store figures, run by run.
pub(crate) fn store(targets: &[TargetRuns]) -> Table {
    let header = vec![
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
    for t in targets {
        for (round, m) in t.runs.iter().enumerate() {
            let Some(store) = &m.store else { continue };
            rows.push(vec![
                t.target.to_string(),
                (round + 1).to_string(),
                m.run.writes.to_string(),
                store.writes_accepted.to_string(),
                store.store_writes.to_string(),
                store.batches.to_string(),
                format!("{:.2}", store.coalescing()),
                format!("{:.2}", store.drain.as_secs_f64()),
            ]);
        }
    }
    (header, rows)
}
