//! The dead-letter queue: writes the store refused for good, kept with the
//! store's error so an operator can list them, fix the cause, replay them
//! and purge what is truly bad (docs/DESIGN.md: failures are sorted, never
//! swallowed).
//!
//! A dead-lettered write is not in the store, so the cache stops showing it
//! once it leaves the buffer: reads then show what the store holds, plus any
//! later writes of the key. A field write that was queued behind a
//! dead-lettered whole write (a map replacing a blob, a delete) was built
//! on top of it; it is sent with a reset of the key, so the store and the
//! cache both end up with those fields alone rather than fields hidden
//! under an older value.
//!
//! # Saved to disk
//!
//! [`DeadLetters::open`] keeps the queue in one file in the data directory,
//! not in the store: the store may be the very thing that is failing. Every
//! change of the queue rewrites the whole file (dead letters are rare, and
//! a whole rewrite has no partial states to recover from): the new contents
//! go to `<file>.tmp`, which is fsynced and renamed over the file, then the
//! directory is fsynced so the rename itself survives a power loss. The
//! rewrite happens under the queue's lock, so no reader sees a change
//! before it is on disk. A crash leaves either the old file or the new one,
//! and at worst a stray `<file>.tmp` that the next rewrite replaces.
//!
//! If the file cannot be written, the change still happens in memory (a
//! dead letter is never dropped for want of a disk), the error is logged
//! and counted ([`DeadLetters::save_failures`]); the next successful
//! rewrite carries the whole queue again, so the file catches up by itself.
//! [`DeadLetters::default`] is a queue in memory only, with no file.
//!
//! The file, little-endian:
//!
//! | field | bytes |
//! |---|---|
//! | magic | `JDLQ` |
//! | format | `u8`, 1 |
//! | per letter: write | `u32` length, then the write as a [`record`](crate::record) (key, version, op) |
//! | per letter: error | `u32` length, then the store's error, UTF-8 |
//! | per letter: attempts | `u32` |
//! | per letter: at | `u64`, milliseconds since the Unix epoch |
//! | per letter: first version | `u64` |
//! | checksum | `u64`, FNV-1a 64 of every byte between the format byte and the checksum |
//!
//! Letters follow one another in queue order up to the checksum, with no
//! count: the checksum catches a truncated file. `at` is kept to the
//! millisecond, and the queue rounds it down when a letter arrives, so a
//! letter reads back exactly as it was listed before a restart. A file that
//! fails its checksum or does not decode makes `open` fail rather than
//! start empty: the letters in it are writes nobody has seen through yet.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use parking_lot::Mutex;

use crate::record;
use crate::store::Write;

/// One write the store refused for good.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The write, with its original version.
    pub write: Write,
    /// The store's last error for it.
    pub error: String,
    /// How many times it was tried.
    pub attempts: u32,
    /// When it was moved here (to the millisecond).
    pub at: SystemTime,
    /// The first version folded into the write: a ticket for any version
    /// from here to `write.version` ended in this letter.
    pub(crate) first_version: u64,
}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Dead letters the store accepted this time (removed from the queue).
    pub replayed: usize,
    /// Dead letters refused again (kept, with the new error).
    pub failed: usize,
}

/// The saved queue could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum DeadLetterError {
    /// The file exists but could not be read.
    #[error(
        "could not read the dead-letter queue {}: {source}. Check that the file is readable by this user \
         and that the disk is healthy",
        .path.display()
    )]
    Read {
        /// The queue's file.
        path: PathBuf,
        /// The operating system's error.
        source: Arc<io::Error>,
    },
    /// The file fails its checksum or does not decode.
    #[error(
        "the dead-letter queue {} is damaged: {reason}. Its letters (writes the store refused) cannot be \
         read back. To start with an empty queue, move the file aside (rename it or move it elsewhere; \
         nothing else is deleted, and the moved file keeps the letters for inspection)",
        .path.display()
    )]
    Damaged {
        /// The queue's file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The file is in a format newer than this code knows.
    #[error(
        "the dead-letter queue {} is in format {format}, written by a newer version of Jotter; this version \
         reads format {FORMAT}. Start the newer version on this data directory: the file holds writes the \
         store refused, which this version cannot read back (moving it aside would lose sight of them)",
        .path.display()
    )]
    Newer {
        /// The queue's file.
        path: PathBuf,
        /// The format byte found.
        format: u8,
    },
}

/// The dead letters, in the order they arrived; saved to a file when
/// opened with [`DeadLetters::open`].
#[derive(Debug, Default)]
pub(crate) struct DeadLetters {
    letters: Mutex<Vec<DeadLetter>>,
    /// The file the queue is kept in; `None` keeps it in memory only.
    path: Option<PathBuf>,
    /// Rewrites of the file that failed (the change was kept in memory).
    save_failures: AtomicU64,
    /// Log sequence numbers of letters the file could not take yet.
    held: Mutex<BTreeSet<u64>>,
}

impl DeadLetters {
    /// The queue kept in the file at `path`: loads it if it exists, starts
    /// empty if not. Every later change rewrites the file.
    pub(crate) fn open(path: &Path) -> Result<DeadLetters, DeadLetterError> {
        let letters = match fs::read(path) {
            Ok(bytes) if bytes.starts_with(MAGIC) && bytes.get(MAGIC.len()) > Some(&FORMAT) => {
                return Err(DeadLetterError::Newer {
                    path: path.to_owned(),
                    format: bytes[MAGIC.len()],
                });
            }
            Ok(bytes) => decode_file(Bytes::from(bytes))
                .map_err(|reason| DeadLetterError::Damaged { path: path.to_owned(), reason })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(DeadLetterError::Read { path: path.to_owned(), source: Arc::new(e) });
            }
        };
        Ok(DeadLetters {
            letters: Mutex::new(letters),
            path: Some(path.to_owned()),
            save_failures: AtomicU64::new(0),
            held: Mutex::default(),
        })
    }

    /// Adds a letter. `lsn` is the log sequence number of its write: if the
    /// file cannot take the letter, the log must keep that record until a
    /// later rewrite succeeds (see [`DeadLetters::held_floor`]).
    pub(crate) fn push(&self, mut letter: DeadLetter, lsn: Option<u64>) {
        metrics::counter!("jotter_dead_letters_total").increment(1);
        letter.at = to_the_millisecond(letter.at);
        let mut letters = self.letters.lock();
        letters.push(letter);
        if !self.save(&letters)
            && let Some(lsn) = lsn
        {
            self.held.lock().insert(lsn);
        }
    }

    /// The smallest log sequence number of a letter that is in memory only:
    /// the log must not forget it, or a crash would lose the write from both
    /// the store and this queue.
    pub(crate) fn held_floor(&self) -> Option<u64> {
        self.held.lock().first().copied()
    }

    pub(crate) fn list(&self) -> Vec<DeadLetter> {
        self.letters.lock().clone()
    }

    /// The oldest version of a dead letter, which a replay sends again.
    pub(crate) fn oldest_version(&self) -> Option<u64> {
        self.letters.lock().iter().map(|d| d.write.version).min()
    }

    pub(crate) fn len(&self) -> u64 {
        self.letters.lock().len() as u64
    }

    /// The error of the letter that a write of `key` at `version` ended in.
    pub(crate) fn error_for(&self, key: &[u8], version: u64) -> Option<String> {
        let letters = self.letters.lock();
        let letter = letters.iter().find(|d| {
            d.write.key == key && (d.first_version..=d.write.version).contains(&version)
        })?;
        Some(letter.error.clone())
    }

    /// Removes the letter of `key` at `version` (versions are unique, so
    /// there is at most one): for a replay, once the store accepted it.
    /// Returns whether it was there; a purge or another replay may have
    /// removed it first.
    pub(crate) fn remove(&self, key: &[u8], version: u64) -> bool {
        let mut letters = self.letters.lock();
        let Some(i) = letters.iter().position(|d| d.write.key == key && d.write.version == version)
        else {
            return false;
        };
        letters.remove(i);
        self.save(&letters);
        true
    }

    /// Records another failed attempt of the letter of `key` at `version`:
    /// one more attempt, and the store's new error. Returns whether the
    /// letter was there.
    pub(crate) fn update(&self, key: &[u8], version: u64, error: String) -> bool {
        let mut letters = self.letters.lock();
        let Some(letter) =
            letters.iter_mut().find(|d| d.write.key == key && d.write.version == version)
        else {
            return false;
        };
        letter.attempts = letter.attempts.saturating_add(1);
        letter.error = error;
        self.save(&letters);
        true
    }

    /// Removes the letters `purge` picks; returns how many.
    pub(crate) fn purge(&self, mut purge: impl FnMut(&DeadLetter) -> bool) -> usize {
        let mut letters = self.letters.lock();
        let before = letters.len();
        letters.retain(|d| !purge(d));
        let purged = before - letters.len();
        if purged > 0 {
            self.save(&letters);
        }
        purged
    }

    /// The versions and errors of the letters of `key`, oldest first.
    pub(crate) fn of_key(&self, key: &[u8]) -> Vec<(u64, String)> {
        let letters = self.letters.lock();
        let mut of: Vec<(u64, String)> = letters
            .iter()
            .filter(|d| d.write.key == key)
            .map(|d| (d.write.version, d.error.clone()))
            .collect();
        of.sort_unstable_by_key(|(v, _)| *v);
        of
    }

    /// Whether any letter is for `key`.
    pub(crate) fn has_key(&self, key: &Bytes) -> bool {
        self.letters.lock().iter().any(|d| d.write.key == key)
    }

    /// How many rewrites of the file failed since the queue was opened: each
    /// left a change in memory only, until a later rewrite succeeded.
    pub(crate) fn save_failures(&self) -> u64 {
        self.save_failures.load(Ordering::Relaxed)
    }

    /// Rewrites the file with `letters`, the whole queue. Called with the
    /// lock held, so changes reach the file in the order they were made
    /// and none is listed before it is on disk.
    /// Returns whether the file now holds the whole queue (always true
    /// for a queue without a file).
    fn save(&self, letters: &[DeadLetter]) -> bool {
        let Some(path) = &self.path else { return true };
        let result = encode_file(letters).and_then(|bytes| replace_file(path, &bytes));
        if result.is_ok() {
            // The whole queue is on disk: nothing needs the log any more.
            self.held.lock().clear();
        }
        if let Err(e) = result {
            self.save_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                path = %path.display(),
                error = %e,
                letters = letters.len(),
                "could not write the dead-letter queue: the change is kept in memory but would be lost \
                 at a restart until a later write of the queue succeeds (check the data directory)"
            );
            return false;
        }
        true
    }
}

const MAGIC: &[u8; 4] = b"JDLQ";
const FORMAT: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 1;
const CHECKSUM_LEN: usize = 8;

/// The file's bytes for `letters` (the format is in the module doc).
fn encode_file(letters: &[DeadLetter]) -> io::Result<Vec<u8>> {
    let mut out = BytesMut::new();
    out.put_slice(MAGIC);
    out.put_u8(FORMAT);
    let mut write = BytesMut::new();
    for letter in letters {
        let w = &letter.write;
        write.clear();
        record::encode(
            &mut write,
            &w.key,
            w.version,
            &record::op_from_change(&w.change, w.expires_at),
        );
        put_len(&mut out, write.len())?;
        out.put_slice(&write);
        put_len(&mut out, letter.error.len())?;
        out.put_slice(letter.error.as_bytes());
        out.put_u32_le(letter.attempts);
        out.put_u64_le(unix_millis(letter.at));
        out.put_u64_le(letter.first_version);
    }
    let checksum = fnv1a64(&out[HEADER_LEN..]);
    out.put_u64_le(checksum);
    Ok(out.to_vec())
}

/// The letters in a file's bytes, or what is wrong with them.
fn decode_file(mut file: Bytes) -> Result<Vec<DeadLetter>, String> {
    if file.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(format!("it is {} bytes long, shorter than an empty queue", file.len()));
    }
    if &file[..MAGIC.len()] != MAGIC {
        return Err("it does not start with JDLQ".to_owned());
    }
    if file[MAGIC.len()] != FORMAT {
        return Err(format!(
            "it is in format {}, which this version does not know",
            file[MAGIC.len()]
        ));
    }
    let mut checksum = file.split_off(file.len() - CHECKSUM_LEN);
    let mut body = file.split_off(HEADER_LEN);
    if fnv1a64(&body) != checksum.get_u64_le() {
        return Err("its checksum does not match (the file was changed or cut short)".to_owned());
    }
    let mut letters = Vec::new();
    while body.has_remaining() {
        let n = letters.len() + 1;
        let bad = |what: &str| format!("letter {n}: {what}");
        let record::Record { key, version, op } =
            record::decode(get_bytes(&mut body).map_err(bad)?).map_err(|e| bad(&e.to_string()))?;
        // Slices of the whole file otherwise: one letter kept would keep it all.
        let (key, op) = (crate::owned::own(&key), op.into_owned());
        let error = String::from_utf8(get_bytes(&mut body).map_err(bad)?.to_vec())
            .map_err(|_| bad("the error is not UTF-8"))?;
        let attempts = get_u32(&mut body).map_err(bad)?;
        let at = UNIX_EPOCH
            .checked_add(Duration::from_millis(get_u64(&mut body).map_err(bad)?))
            .ok_or_else(|| bad("the time is out of range"))?;
        let first_version = get_u64(&mut body).map_err(bad)?;
        letters.push(DeadLetter {
            write: Write { key, version, change: op.to_change(), expires_at: op.expires_at() },
            error,
            attempts,
            at,
            first_version,
        });
    }
    Ok(letters)
}

/// Replaces the file at `path` with `bytes` so that a crash leaves the old
/// contents or the new, never a mix: write a temporary file, fsync it,
/// rename it over the file, fsync the directory.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = tmp_path(path);
    let written = File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        // Best effort: a leftover is harmless (the next rewrite replaces it)
        // and the error that matters is the one above.
        fs::remove_file(&tmp).ok();
        return Err(e);
    }
    // Without this the rename could vanish at a power loss even though the
    // contents were synced.
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// `<path>.tmp`, next to the file so the rename stays in one file system.
fn tmp_path(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    PathBuf::from(tmp)
}

fn put_len(out: &mut BytesMut, len: usize) -> io::Result<()> {
    let len = u32::try_from(len).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "a dead letter larger than 4 GiB cannot be stored",
        )
    })?;
    out.put_u32_le(len);
    Ok(())
}

fn get_u32(buf: &mut Bytes) -> Result<u32, &'static str> {
    if buf.remaining() < 4 {
        return Err("cut short");
    }
    Ok(buf.get_u32_le())
}

fn get_u64(buf: &mut Bytes) -> Result<u64, &'static str> {
    if buf.remaining() < 8 {
        return Err("cut short");
    }
    Ok(buf.get_u64_le())
}

fn get_bytes(buf: &mut Bytes) -> Result<Bytes, &'static str> {
    let len = get_u32(buf)? as usize;
    if buf.remaining() < len {
        return Err("cut short");
    }
    Ok(buf.split_to(len))
}

/// Milliseconds since the Unix epoch; 0 for an earlier time.
fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `at` rounded down to what the file keeps.
fn to_the_millisecond(at: SystemTime) -> SystemTime {
    UNIX_EPOCH.checked_add(Duration::from_millis(unix_millis(at))).unwrap_or(at)
}

/// FNV-1a, 64 bits: enough to catch a damaged or cut file, and written here
/// so this crate needs no checksum dependency.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::op::Op;
    use crate::value::{FieldValue, MapKind};

    const FILE: &str = "dead-letters";

    fn letter(key: &'static str, version: u64, op: &Op, error: &str) -> DeadLetter {
        DeadLetter {
            write: Write {
                expires_at: op.expires_at(),
                key: Bytes::from_static(key.as_bytes()),
                version,
                change: op.to_change(),
            },
            error: error.to_owned(),
            attempts: 3,
            at: UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789),
            first_version: version - 2,
        }
    }

    fn patch() -> Op {
        let fields: BTreeMap<Bytes, (u64, Option<FieldValue>)> = [
            (Bytes::from_static(b"a"), (7, Some(FieldValue::Bytes(Bytes::from_static(b"1"))))),
            (Bytes::from_static(b"b"), (6, None)),
        ]
        .into();
        Op::Patch { kind: MapKind::Hash, reset: Some(5), fields, expires_at: Some(99) }
    }

    /// A queue in a fresh directory (removed when `dir` is dropped).
    struct Filled {
        dir: tempfile::TempDir,
        path: std::path::PathBuf,
        queue: DeadLetters,
    }

    /// A queue holding [`some_letters`].
    fn filled() -> Filled {
        let filled = opened();
        for l in some_letters() {
            filled.queue.push(l, None);
        }
        filled
    }

    /// An empty queue opened in a fresh directory.
    fn opened() -> Filled {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let queue = DeadLetters::open(&path).unwrap();
        Filled { dir, path, queue }
    }

    fn some_letters() -> Vec<DeadLetter> {
        let scores = Op::Patch {
            kind: MapKind::Scores,
            reset: None,
            fields: [(Bytes::from_static(b"m"), (12, Some(FieldValue::Score(-1.5))))].into(),
            expires_at: None,
        };
        vec![
            letter(
                "blob",
                10,
                &Op::Put { value: Bytes::from_static(b"value"), expires_at: None },
                "CHECK constraint failed",
            ),
            letter("gone", 11, &Op::Delete, ""),
            letter("map", 12, &patch(), "héllo: not ASCII"),
            letter("zset", 13, &scores, "bad score"),
        ]
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn pushed_letters_survive_a_reopen_with_every_field() {
        let Filled { dir: _dir, path, queue } = filled();
        let before = queue.list();
        drop(queue);

        let reopened = DeadLetters::open(&path).unwrap();
        let after = reopened.list();
        assert_eq!(after, before);
        assert_eq!(after.len(), 4);
        for (got, pushed) in after.iter().zip(some_letters()) {
            assert_eq!(got.write, pushed.write);
            assert_eq!(got.error, pushed.error);
            assert_eq!(got.attempts, pushed.attempts);
            assert_eq!(got.first_version, pushed.first_version);
            assert_eq!(got.at, UNIX_EPOCH + Duration::from_millis(1_700_000_000_123), "to the ms");
        }
        assert_eq!(reopened.error_for(b"map", 11).as_deref(), Some("héllo: not ASCII"));
        assert_eq!(reopened.save_failures(), 0);
    }

    #[test]
    fn remove_update_and_purge_survive_a_reopen() {
        let Filled { dir: _dir, path, queue } = filled();
        assert!(queue.remove(b"blob", 10));
        assert!(!queue.remove(b"blob", 10), "already gone");
        assert!(!queue.remove(b"gone", 10), "another version");
        assert!(queue.update(b"map", 12, "still refused".to_owned()));
        assert!(!queue.update(b"blob", 10, "gone".to_owned()));
        assert_eq!(queue.purge(|d| d.write.key == "zset"), 1);
        drop(queue);

        let reopened = DeadLetters::open(&path).unwrap();
        let letters = reopened.list();
        let keys: Vec<&[u8]> = letters.iter().map(|d| &d.write.key[..]).collect();
        assert_eq!(keys, [&b"gone"[..], b"map"]);
        assert_eq!(letters[1].error, "still refused");
        assert_eq!(letters[1].attempts, 4);
        assert_eq!(letters[1].write, some_letters()[2].write);

        assert_eq!(reopened.purge(|_| true), 2);
        drop(reopened);
        let emptied = DeadLetters::open(&path).unwrap();
        assert_eq!(emptied.len(), 0);
    }

    #[test]
    fn a_damaged_file_fails_to_open_naming_the_path_and_what_to_do() {
        let Filled { dir, path, queue } = filled();
        drop(queue);
        let good = fs::read(&path).unwrap();

        // A flipped byte anywhere: the magic, a letter, the checksum (a
        // flipped format byte reads as a newer or an unknown format, below).
        for at in [0, 3, HEADER_LEN + 6, good.len() / 2, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x20;
            fs::write(&path, &bad).unwrap();
            let e = DeadLetters::open(&path).unwrap_err();
            assert!(matches!(e, DeadLetterError::Damaged { .. }), "byte {at}: {e:?}");
            let message = e.to_string();
            assert!(message.contains(&path.display().to_string()), "{message}");
            assert!(message.contains("move the file aside"), "{message}");
        }
        // Cut short, at every length.
        for len in 0..good.len() {
            fs::write(&path, &good[..len]).unwrap();
            assert!(DeadLetters::open(&path).is_err(), "cut at {len}");
        }
        // Open never repairs by deleting: the damaged file is still there.
        assert_eq!(entries(dir.path()), [FILE]);
    }

    #[test]
    fn a_newer_format_is_refused_as_newer_not_as_damage() {
        let Filled { dir: _dir, path, queue } = opened();
        queue.push(some_letters().remove(0), None);
        drop(queue);
        let mut file = fs::read(&path).unwrap();
        file[MAGIC.len()] = FORMAT + 1;
        fs::write(&path, &file).unwrap();
        let e = DeadLetters::open(&path).unwrap_err();
        assert!(
            matches!(e, DeadLetterError::Newer { format, .. } if format == FORMAT + 1),
            "{e:?}"
        );
        let message = e.to_string();
        assert!(message.contains("written by a newer version of Jotter"), "{message}");
        assert!(message.contains("Start the newer version"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");

        // Below every format: damage.
        file[MAGIC.len()] = 0;
        fs::write(&path, &file).unwrap();
        let e = DeadLetters::open(&path).unwrap_err();
        assert!(matches!(e, DeadLetterError::Damaged { .. }), "{e:?}");
    }

    #[test]
    fn a_letter_that_does_not_decode_fails_even_with_a_good_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let mut file = BytesMut::new();
        file.put_slice(MAGIC);
        file.put_u8(FORMAT);
        file.put_u32_le(3);
        file.put_slice(b"bad");
        let checksum = fnv1a64(&file[HEADER_LEN..]);
        file.put_u64_le(checksum);
        fs::write(&path, &file).unwrap();
        let message = DeadLetters::open(&path).unwrap_err().to_string();
        assert!(message.contains("letter 1"), "{message}");
    }

    #[test]
    fn a_missing_file_opens_an_empty_queue_and_writes_nothing_yet() {
        let dir = tempfile::tempdir().unwrap();
        let queue = DeadLetters::open(&dir.path().join(FILE)).unwrap();
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.purge(|_| true), 0);
        assert!(queue.list().is_empty());
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_rewrite_leaves_no_temporary_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let queue = DeadLetters::open(&dir.path().join(FILE)).unwrap();
        for l in some_letters() {
            queue.push(l, None);
            assert_eq!(entries(dir.path()), [FILE]);
        }
        assert!(queue.remove(b"gone", 11));
        assert!(queue.update(b"map", 12, "again".to_owned()));
        assert_eq!(entries(dir.path()), [FILE]);
    }

    #[test]
    fn an_unwritable_file_keeps_the_letter_in_memory_and_counts_the_failure() {
        let Filled { dir, path, queue } = opened();
        // A directory where the file should be: the rename over it fails.
        fs::create_dir(&path).unwrap();
        let mut letters = some_letters();
        let second = letters.remove(1);
        queue.push(letters.remove(0), Some(7));
        assert_eq!(queue.list().len(), 1, "the letter is kept");
        assert_eq!(queue.save_failures(), 1);
        assert_eq!(queue.held_floor(), Some(7), "the log must keep its record");
        assert_eq!(queue.error_for(b"blob", 9).as_deref(), Some("CHECK constraint failed"));
        assert_eq!(entries(dir.path()), [FILE], "no temporary file left");

        // Once the file can be written again, the next rewrite catches up.
        fs::remove_dir(&path).unwrap();
        queue.push(second, None);
        assert_eq!(queue.save_failures(), 1);
        assert_eq!(queue.held_floor(), None, "the file has every letter again");
        assert_eq!(DeadLetters::open(&path).unwrap().list(), queue.list());
    }

    #[test]
    fn an_unreadable_file_fails_to_open_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        fs::create_dir(&path).unwrap();
        let e = DeadLetters::open(&path).unwrap_err();
        assert!(matches!(e, DeadLetterError::Read { .. }), "{e:?}");
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    }

    #[test]
    fn the_default_queue_lives_in_memory() {
        let queue = DeadLetters::default();
        queue.push(some_letters().remove(0), None);
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.save_failures(), 0);
        assert!(queue.remove(b"blob", 10));
    }
}
