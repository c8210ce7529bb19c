//! The format marker of the data directory: the `FORMAT` file in `state/`,
//! which says in which format and layout every file of the directory is
//! written (the log's segments with the engine's records in them, `CLOCK`,
//! the dead-letter queue; see `data_dir.rs`), so that a directory written by
//! a newer Jotter is refused with a clear message by an older one instead of
//! being misread as damage (or, with salvage, moved aside).
//!
//! The file is text: the first line is the format number in decimal (this
//! stays so in every format, so any version can read it); the second names
//! the version of Jotter that wrote the marker (`written by jotter X.Y.Z`).
//! A directory without the file is format 1, as written by every release
//! before the marker existed. Format 1 kept every file, the marker too, in
//! one folder; format 2 is the layout of `data_dir.rs`, into which a format
//! 1 directory is moved at start; format 3 adds the log record of a
//! multi-key transaction (a group, `record.rs`), which a format 2 reader
//! would take for damage. Every earlier format is read as it is.
//!
//! [`check`] runs before the log is opened, so a newer directory is refused
//! before a single segment is read; [`mark`] runs once the log is open (its
//! lock held) and writes the marker when it is missing or older, which is
//! the whole upgrade from formats 1 and 2 (their files are read as they
//! are).

use std::path::Path;

use crate::error::{Error, Result};

/// The format this code writes and the newest it reads.
pub(crate) const CURRENT: u32 = 3;

/// The file's name inside its directory.
const FILE: &str = "FORMAT";

/// The marker's path in `dir`.
pub(crate) fn path(dir: &Path) -> std::path::PathBuf {
    dir.join(FILE)
}

/// Whether `dir` holds a marker.
pub(crate) fn exists(dir: &Path) -> bool {
    path(dir).exists()
}

/// What the marker says, if there is one.
#[derive(Debug, PartialEq, Eq)]
struct Marker {
    format: u32,
    /// The second line as written, e.g. `written by jotter 0.1.0`.
    writer: String,
}

/// Refuses a directory whose marker is newer than [`CURRENT`] or cannot be
/// read; returns the format found (1 for a directory without a marker, or
/// one that does not exist yet).
pub(crate) fn check(dir: &Path) -> Result<u32> {
    let Some(marker) = read(dir)? else {
        return Ok(1);
    };
    if marker.format > CURRENT {
        let writer = match marker.writer.strip_prefix("written by ") {
            Some(writer) if !writer.is_empty() => format!("{writer}, a newer version of Jotter"),
            _ => "a newer version of Jotter".to_owned(),
        };
        return Err(Error::recovery(format!(
            "the data directory {} is in format {}, written by {writer}; this version ({}) reads formats up to \
             {CURRENT}. Start the newer version on it; to go back to this version, stop the newer one cleanly \
             (exit status 0: every write in the store, no dead letters) and start this one with an empty data \
             directory",
            dir.display(),
            marker.format,
            this_version(),
        )));
    }
    Ok(marker.format)
}

/// Writes the marker of [`CURRENT`] unless `found` (what [`check`] read) is
/// already current and the file exists.
pub(crate) fn mark(dir: &Path, found: u32) -> Result<()> {
    let path = dir.join(FILE);
    if found == CURRENT && path.exists() {
        return Ok(());
    }
    let contents = format!("{CURRENT}\n{}\n", writer_line());
    crate::dead_letter::replace_file(&path, contents.as_bytes()).map_err(|e| {
        let message = format!(
            "could not write the format marker {}: {e}. Check that the data directory is writable by this user",
            path.display()
        );
        Error::recovery_from(message, e)
    })?;
    tracing::info!(dir = %dir.display(), from = found, to = CURRENT, "wrote the data directory's format marker");
    Ok(())
}

fn writer_line() -> String {
    format!("written by {}", this_version())
}

fn this_version() -> &'static str {
    concat!("jotter ", env!("CARGO_PKG_VERSION"))
}

fn read(dir: &Path) -> Result<Option<Marker>> {
    let path = dir.join(FILE);
    let text = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            let message = format!(
                "could not read the format marker {}: {e}. Check that it is readable by this user",
                path.display()
            );
            return Err(Error::recovery_from(message, e));
        }
    };
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim();
    let format = first.parse::<u32>().ok().filter(|&f| f >= 1).ok_or_else(|| {
        Error::recovery(format!(
            "the format marker {} does not start with a format number (it starts with {first:?}). If this \
             directory was written by this version of Jotter, write {CURRENT} into it",
            path.display()
        ))
    })?;
    let writer = lines.next().unwrap_or("").trim().chars().take(200).collect();
    Ok(Some(Marker { format, writer }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_a_marker_is_format_1_and_gains_one() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check(dir.path()).unwrap(), 1);
        mark(dir.path(), 1).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(text, format!("{CURRENT}\nwritten by jotter {}\n", env!("CARGO_PKG_VERSION")));
        assert_eq!(check(dir.path()).unwrap(), CURRENT);
        assert!(!dir.path().join("FORMAT.tmp").exists());
    }

    #[test]
    fn a_newer_marker_is_refused_naming_the_writer_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "7\nwritten by jotter 9.9.9\n").unwrap();
        let message = check(dir.path()).unwrap_err().to_string();
        assert!(message.contains("is in format 7"), "{message}");
        assert!(
            message.contains("written by jotter 9.9.9, a newer version of Jotter"),
            "{message}"
        );
        assert!(message.contains(&format!("reads formats up to {CURRENT}")), "{message}");
        assert!(message.contains("Start the newer version"), "{message}");
        assert!(message.contains(&dir.path().display().to_string()), "{message}");
    }

    #[test]
    fn a_marker_without_a_number_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "x\n", "0\n", "-1\n"] {
            std::fs::write(dir.path().join(FILE), bad).unwrap();
            let message = check(dir.path()).unwrap_err().to_string();
            assert!(message.contains("does not start with a format number"), "{bad:?}: {message}");
        }
    }
}
