//! How the operator's commands print: byte strings as text, tables that fit
//! a terminal, times as UTC, and a progress bar on stderr. JSON documents are
//! built by the commands themselves (`serde_json`). Byte strings go through
//! [`printable`], as on the admin port, so that JSON and the table show the
//! same characters.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};

pub(crate) use crate::dead_letter_fields::printable;

/// [`printable`] for one table cell: control characters (a newline in a key or
/// an error) as `\xNN` too, so a row stays one line; cut to `max`
/// characters with `…` when `max` is given.
pub(crate) fn cell(bytes: &[u8], max: Option<usize>) -> String {
    let mut out = String::new();
    for c in printable(bytes).chars() {
        if c.is_control() {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    match max {
        Some(max) if out.chars().count() > max => {
            let mut cut: String = out.chars().take(max.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
        _ => out,
    }
}

/// A table with a header row; columns padded to their widest cell, the
/// last one left unpadded.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                let pad = width - cell.chars().count();
                let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD hh:mm:ss.mmm` UTC.
pub(crate) fn utc(ms: u64) -> String {
    let (days, ms_of_day) = (ms / 86_400_000, ms % 86_400_000);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 >= 0.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let (h, m, s, milli) =
        (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}.{milli:03}")
}

/// "replayed n/N" on stderr, redrawn in place, when stderr is a terminal
/// (and nothing when it is not, so logs and pipes stay clean).
pub(crate) struct Progress {
    verb: &'static str,
    total: u64,
    shown: bool,
}

impl Progress {
    pub(crate) fn new(verb: &'static str, total: u64, quiet: bool) -> Progress {
        Progress { verb, total, shown: !quiet && std::io::stderr().is_terminal() }
    }

    /// Redraws the bar at `done` letters.
    pub(crate) fn show(&self, done: u64) {
        if !self.shown {
            return;
        }
        const WIDTH: u64 = 30;
        let filled = (done.min(self.total) * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        let bar = format!(
            "{}{}",
            "#".repeat(usize::try_from(filled).unwrap_or(0)),
            " ".repeat(usize::try_from(WIDTH - filled).unwrap_or(0))
        );
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r[{bar}] {} {done}/{}", self.verb, self.total);
        let _ = err.flush();
    }

    /// Ends the bar's line.
    pub(crate) fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_one_line() {
        assert_eq!(cell(b"line\nbreak", None), "line\\x0abreak");
        assert_eq!(cell(b"abcdef", Some(4)), "abc…");
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000");
        assert_eq!(utc(951_782_400_123), "2000-02-29 00:00:00.123");
        assert_eq!(utc(1_798_761_599_999), "2026-12-31 23:59:59.999");
    }

    #[test]
    fn columns_line_up() {
        let rows =
            vec![vec!["1".to_owned(), "k".to_owned()], vec!["10".to_owned(), "x".to_owned()]];
        assert_eq!(table(&["ID", "KEY"], &rows), "ID  KEY\n1   k\n10  x\n");
    }
}
