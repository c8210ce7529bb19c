//! The data directory: where the engine keeps every file it writes, laid
//! out so that each kind of file has its own folder:
//!
//! ```text
//! <data dir>/
//!   log/           the write-ahead log (`jotter-wal`): segments, CHECKPOINT, LOCK, salvaged-*/
//!   dead-letters/  queue: the dead-letter queue (`dead_letter/`)
//!   state/         FORMAT (`log_format.rs`), CLOCK (`log.rs`), and a front end's own small files
//! ```
//!
//! Earlier releases kept all of these in one folder (the directory given to
//! the builder, which the server made `<data-dir>/log`). [`DataDir::prepare`]
//! moves such a directory into this layout at start, by renames only, each
//! one atomic, in an order that a rerun after a crash half-way simply
//! finishes; it refuses to start, moving nothing, if a file exists in both
//! layouts (an earlier release ran on a directory this one had moved).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::log_format;

/// The names of the layout's folders and files.
const LOG: &str = "log";
const DEAD_LETTERS: &str = "dead-letters";
const STATE: &str = "state";
const QUEUE: &str = "queue";
const CLOCK: &str = "CLOCK";
/// The earlier layout's dead-letter file is called like the new folder, so
/// it is first renamed to this name beside it; a rerun picks it up there.
const DEAD_LETTERS_MOVING: &str = "dead-letters.moving";

/// The paths of a data directory's parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root` (nothing is read or created here).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

    /// The data directory itself.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The write-ahead log's folder.
    #[must_use]
    pub fn log(&self) -> PathBuf {
        self.root.join(LOG)
    }

    /// The folder of the dead-letter queue.
    #[must_use]
    pub fn dead_letters(&self) -> PathBuf {
        self.root.join(DEAD_LETTERS)
    }

    /// The process that holds the directory's write-ahead log open (a
    /// running cache: one [`Cache`](crate::Cache) at a time may open it),
    /// if any: `Ok(Some(pid))`, the pid being `None` when the holder has not
    /// written it yet. Nothing is created or kept locked; a process opening
    /// the log right after the check still wins, so a tool that finds it free
    /// and then opens a cache must still expect the cache's own refusal.
    ///
    /// # Errors
    ///
    /// [`Error::Recovery`] when the lock file cannot be read.
    pub fn log_holder(&self) -> Result<Option<Option<u32>>> {
        match jotter_wal::check_lock(&self.log()) {
            Ok(()) => Ok(None),
            Err(jotter_wal::WalError::Locked { pid, .. }) => Ok(Some(pid)),
            Err(e) => Err(Error::recovery_from(e.to_string(), e)),
        }
    }

    /// The folder of small state files: the format marker, the clock's
    /// last reading, and whatever a front end keeps beside them.
    #[must_use]
    pub fn state(&self) -> PathBuf {
        self.root.join(STATE)
    }

    pub(crate) fn dead_letter_file(&self) -> PathBuf {
        self.dead_letters().join(QUEUE)
    }

    pub(crate) fn clock_file(&self) -> PathBuf {
        self.state().join(CLOCK)
    }

    /// Refuses a directory newer than this code, moves one of the earlier
    /// layout into this one and creates the folders; returns the format
    /// found, for [`log_format::mark`], then [`finish`](Self::finish).
    pub(crate) fn prepare(&self) -> Result<u32> {
        let found = log_format::check(&self.state())?;
        // A newer release may have kept its marker in the old place.
        for dir in self.old_dirs() {
            log_format::check(&dir)?;
        }
        let moves = self.planned_moves()?;
        if let Some((from, _)) = moves.first()
            && log_format::exists(&self.state())
        {
            return Err(both_layouts(from, &log_format::path(&self.state())));
        }
        for (i, (from, to)) in moves.iter().enumerate() {
            let taken = to.exists() || moves[..i].iter().any(|(_, earlier)| earlier == to);
            if taken {
                return Err(both_layouts(from, to));
            }
        }
        for dir in [self.log(), self.state()] {
            create_dir(&dir)?;
        }
        for (from, to) in &moves {
            self.rename(from, to)?;
        }
        create_dir(&self.dead_letters())?;
        if !moves.is_empty() {
            for dir in [self.root.clone(), self.log(), self.dead_letters(), self.state()] {
                sync_dir(&dir)?;
            }
            tracing::info!(
                dir = %self.root.display(),
                files = moves.len(),
                "moved the data directory into its layout: log/, dead-letters/, state/"
            );
        }
        Ok(found)
    }

    /// Once the marker is in `state/`: removes the earlier layout's markers,
    /// last, so that until then a rerun still sees what it moved from.
    pub(crate) fn finish(&self) -> Result<()> {
        for dir in self.old_dirs() {
            let old = log_format::path(&dir);
            match std::fs::remove_file(&old) {
                Ok(()) => {
                    tracing::info!(file = %old.display(), "removed the earlier layout's format marker (now in state/)")
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", &old, e)),
            }
        }
        Ok(())
    }

    /// Where the earlier layout kept everything: the directory given to the
    /// builder, or (as the server gave it) its `log/` folder.
    fn old_dirs(&self) -> [PathBuf; 2] {
        [self.root.clone(), self.log()]
    }

    /// Every file of the earlier layout found, with where it goes.
    fn planned_moves(&self) -> Result<Vec<(PathBuf, PathBuf)>> {
        let mut moves = Vec::new();
        for entry in read_dir(&self.root)? {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_file =
                entry.file_type().map_err(|e| io_error("read", &entry.path(), e))?.is_file();
            let to = match name {
                CLOCK if is_file => self.clock_file(),
                DEAD_LETTERS | DEAD_LETTERS_MOVING if is_file => self.dead_letter_file(),
                _ if jotter_wal::is_log_file(name) => self.log().join(name),
                _ => continue,
            };
            moves.push((entry.path(), to));
        }
        for entry in read_dir(&self.log())? {
            let name = entry.file_name();
            let is_file =
                entry.file_type().map_err(|e| io_error("read", &entry.path(), e))?.is_file();
            let to = match name.to_str() {
                Some(CLOCK) if is_file => self.clock_file(),
                Some(DEAD_LETTERS) if is_file => self.dead_letter_file(),
                _ => continue,
            };
            moves.push((entry.path(), to));
        }
        moves.sort();
        Ok(moves)
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let rename = |from: &Path, to: &Path| {
            std::fs::rename(from, to).map_err(|e| {
                let message = format!(
                    "could not move {} to {} while moving the data directory into its layout: {e}. \
                     Check that the data directory is writable by this user; a restart finishes the move",
                    from.display(),
                    to.display()
                );
                Error::recovery_from(message, e)
            })
        };
        if from == self.root.join(DEAD_LETTERS) {
            // The file stands where its new folder goes.
            let moving = self.root.join(DEAD_LETTERS_MOVING);
            rename(from, &moving)?;
            create_dir(&self.dead_letters())?;
            return rename(&moving, to);
        }
        if let Some(parent) = to.parent() {
            create_dir(parent)?;
        }
        rename(from, to)
    }
}

fn both_layouts(old: &Path, new: &Path) -> Error {
    Error::recovery(format!(
        "the data directory holds files of both its earlier layout and its current one ({} and {}), \
         as when an earlier release ran on a directory this one had moved; nothing was moved. Keep the \
         files that hold the writes you want (the newer ones, normally), move the others out of the data \
         directory, and start again",
        old.display(),
        new.display()
    ))
}

fn read_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            entries.collect::<std::io::Result<_>>().map_err(|e| io_error("read", dir, e))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_error("read", dir, e)),
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error("sync", dir, e))
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    let message = format!(
        "could not {what} {}: {e}. Check that the data directory is readable and writable by this user",
        path.display()
    );
    Error::recovery_from(message, e)
}
