//! The dead-letter queue's file: its format, and a rewrite that a crash
//! cannot leave half done.
//!
//! [`DeadLetters::open`](super::DeadLetters::open) keeps the queue in one
//! file in the data directory, not in the store: the store may be the very
//! thing that is failing. Every change of the queue rewrites the whole file
//! (dead letters are rare, and a whole rewrite has no partial states to
//! recover from): the new contents go to `<file>.tmp`, which is fsynced and
//! renamed over the file, then the directory is fsynced so the rename itself
//! survives a power loss. The rewrite happens under the queue's lock, so no
//! reader sees a change before it is on disk. A crash leaves either the old
//! file or the new one, and at worst a stray `<file>.tmp` that the next
//! rewrite replaces.
//!
//! If the file cannot be written, the change still happens in memory (a
//! dead letter is never dropped for want of a disk), the error is logged
//! and counted; the next successful rewrite carries the whole queue again,
//! so the file catches up by itself. A queue made with `default()` lives in
//! memory only, with no file.
//!
//! The file, little-endian (format 2):
//!
//! | field | bytes |
//! |---|---|
//! | magic | `JDLQ` |
//! | format | `u8`, 2 |
//! | per letter: write | `u32` length, then the write as a [`record`](crate::record) (key, version, op) |
//! | per letter: error | `u32` length, then the store's error, UTF-8 |
//! | per letter: error kind | `u8`: 0 permanent, 1 transient |
//! | per letter: attempts | `u32` |
//! | per letter: first failure | `u64`, milliseconds since the Unix epoch |
//! | per letter: last failure | `u64`, milliseconds since the Unix epoch |
//! | per letter: first version | `u64` |
//! | checksum | `u64`, FNV-1a 64 of every byte between the format byte and the checksum |
//!
//! Format 1 (still read) has no error kind and one time, `at`, in place of
//! the two failure times: it reads as a permanent error (the only kind the
//! flusher dead-letters) that first and last failed at `at`. The next
//! rewrite saves the queue in format 2.
//!
//! Letters follow one another in id order up to the checksum, with no
//! count: the checksum catches a truncated file. Times are kept to the
//! millisecond, and the queue rounds them down when a letter arrives, so a
//! letter reads back exactly as it was listed before a restart. A file that
//! fails its checksum or does not decode makes `open` fail rather than
//! start empty: the letters in it are writes nobody has seen through yet.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::letter::{DeadLetter, ErrorClass};
use crate::record;
use crate::store::Write;

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

const MAGIC: &[u8; 4] = b"JDLQ";
/// The format this code writes.
const FORMAT: u8 = 2;
/// The first format, still read.
const FORMAT_1: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 1;
const CHECKSUM_LEN: usize = 8;

/// The letters saved at `path`; none if there is no file.
pub(super) fn load(path: &Path) -> Result<Vec<DeadLetter>, DeadLetterError> {
    match fs::read(path) {
        Ok(bytes) if bytes.starts_with(MAGIC) && bytes.get(MAGIC.len()) > Some(&FORMAT) => {
            Err(DeadLetterError::Newer { path: path.to_owned(), format: bytes[MAGIC.len()] })
        }
        Ok(bytes) => decode_file(Bytes::from(bytes))
            .map_err(|reason| DeadLetterError::Damaged { path: path.to_owned(), reason }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(DeadLetterError::Read { path: path.to_owned(), source: Arc::new(e) }),
    }
}

/// Replaces the file at `path` with `letters`, the whole queue.
pub(super) fn save<'a>(
    path: &Path,
    letters: impl Iterator<Item = &'a DeadLetter>,
) -> io::Result<()> {
    encode_file(letters).and_then(|bytes| replace_file(path, &bytes))
}

/// The file's bytes for `letters` (the format is in the module doc).
fn encode_file<'a>(letters: impl Iterator<Item = &'a DeadLetter>) -> io::Result<Vec<u8>> {
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
        out.put_u8(match letter.error_kind {
            ErrorClass::Permanent => 0,
            ErrorClass::Transient => 1,
        });
        out.put_u32_le(letter.attempts);
        out.put_u64_le(unix_millis(letter.first_failure));
        out.put_u64_le(unix_millis(letter.last_failure));
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
    let format = file[MAGIC.len()];
    if format != FORMAT && format != FORMAT_1 {
        return Err(format!("it is in format {format}, which this version does not know"));
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
        let error_kind = if format == FORMAT_1 {
            ErrorClass::Permanent
        } else {
            match get_u8(&mut body).map_err(bad)? {
                0 => ErrorClass::Permanent,
                1 => ErrorClass::Transient,
                other => return Err(bad(&format!("unknown error kind {other}"))),
            }
        };
        let attempts = get_u32(&mut body).map_err(bad)?;
        let mut time = || -> Result<SystemTime, String> {
            UNIX_EPOCH
                .checked_add(Duration::from_millis(get_u64(&mut body).map_err(bad)?))
                .ok_or_else(|| bad("a time is out of range"))
        };
        let first_failure = time()?;
        let last_failure = if format == FORMAT_1 { first_failure } else { time()? };
        let first_version = get_u64(&mut body).map_err(bad)?;
        letters.push(DeadLetter {
            write: Write { key, version, change: op.to_change(), expires_at: op.expires_at() },
            error,
            error_kind,
            attempts,
            first_failure,
            last_failure,
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

fn get_u8(buf: &mut Bytes) -> Result<u8, &'static str> {
    if buf.remaining() < 1 {
        return Err("cut short");
    }
    Ok(buf.get_u8())
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
pub(crate) fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `at` rounded down to what the file keeps.
pub(super) fn to_the_millisecond(at: SystemTime) -> SystemTime {
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
pub(super) mod tests {
    use std::collections::BTreeMap;

    use super::super::{DeadLetters, Selection, Settled};
    use super::*;
    use crate::op::Op;
    use crate::store::StoreError;
    use crate::value::{FieldValue, MapKind};

    const FILE: &str = "dead-letters";

    pub(in crate::dead_letter) fn letter(
        key: &'static str,
        version: u64,
        op: &Op,
        error: &str,
    ) -> DeadLetter {
        DeadLetter {
            write: Write {
                expires_at: op.expires_at(),
                key: Bytes::from_static(key.as_bytes()),
                version,
                change: op.to_change(),
            },
            error: error.to_owned(),
            error_kind: ErrorClass::Permanent,
            attempts: 3,
            first_failure: UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789),
            last_failure: UNIX_EPOCH + Duration::new(1_700_000_001, 999_999),
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

    pub(in crate::dead_letter) fn some_letters() -> Vec<DeadLetter> {
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
            assert_eq!(got.error_kind, pushed.error_kind);
            assert_eq!(
                got.first_failure,
                UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
                "to the ms"
            );
            assert_eq!(got.last_failure, UNIX_EPOCH + Duration::from_millis(1_700_000_001_000));
        }
        assert_eq!(reopened.error_for(b"map", 11).as_deref(), Some("héllo: not ASCII"));
        assert_eq!(reopened.save_failures(), 0);
    }

    #[test]
    fn settle_and_purge_survive_a_reopen() {
        let Filled { dir: _dir, path, queue } = filled();
        let refused = StoreError::transient("still refused");
        let gone = queue.settle(vec![
            (10, Settled::Gone),
            (12, Settled::Refused(refused)),
            (99, Settled::Gone),
        ]);
        assert_eq!(gone, 1, "an unknown id is skipped");
        assert_eq!(queue.settle(vec![(10, Settled::Gone)]), 0, "already gone");
        assert_eq!(queue.purge(&Selection::Ids(vec![13, 10])), 1);
        drop(queue);

        let reopened = DeadLetters::open(&path).unwrap();
        let letters = reopened.list();
        let keys: Vec<&[u8]> = letters.iter().map(|d| &d.write.key[..]).collect();
        assert_eq!(keys, [&b"gone"[..], b"map"]);
        assert_eq!(letters[1].error, "still refused");
        assert_eq!(letters[1].error_kind, ErrorClass::Transient);
        assert_eq!(letters[1].attempts, 4);
        assert!(letters[1].last_failure > letters[1].first_failure);
        assert_eq!(letters[1].write, some_letters()[2].write);

        assert_eq!(reopened.purge(&Selection::All), 2);
        drop(reopened);
        let emptied = DeadLetters::open(&path).unwrap();
        assert_eq!(emptied.len(), 0);
    }

    /// A format 1 file, as the previous version wrote it: no error kind,
    /// one time.
    fn format_1(letters: &[DeadLetter]) -> Vec<u8> {
        let mut out = BytesMut::new();
        out.put_slice(MAGIC);
        out.put_u8(FORMAT_1);
        for letter in letters {
            let w = &letter.write;
            let mut write = BytesMut::new();
            record::encode(
                &mut write,
                &w.key,
                w.version,
                &record::op_from_change(&w.change, w.expires_at),
            );
            out.put_u32_le(write.len() as u32);
            out.put_slice(&write);
            out.put_u32_le(letter.error.len() as u32);
            out.put_slice(letter.error.as_bytes());
            out.put_u32_le(letter.attempts);
            out.put_u64_le(unix_millis(letter.first_failure));
            out.put_u64_le(letter.first_version);
        }
        let checksum = fnv1a64(&out[HEADER_LEN..]);
        out.put_u64_le(checksum);
        out.to_vec()
    }

    #[test]
    fn a_format_1_file_loads_as_permanent_errors_failed_once_and_is_saved_as_format_2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let letters = some_letters();
        fs::write(&path, format_1(&letters)).unwrap();

        let queue = DeadLetters::open(&path).unwrap();
        let loaded = queue.list();
        assert_eq!(loaded.len(), letters.len());
        for (got, saved) in loaded.iter().zip(&letters) {
            assert_eq!(got.write, saved.write);
            assert_eq!(got.id(), saved.write.version);
            assert_eq!(got.error, saved.error);
            assert_eq!(got.attempts, saved.attempts);
            assert_eq!(got.first_version, saved.first_version);
            assert_eq!(got.error_kind, ErrorClass::Permanent);
            let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
            assert_eq!((got.first_failure, got.last_failure), (at, at));
        }

        // The next change saves format 2, which reads back the same.
        assert_eq!(queue.purge(&Selection::Ids(vec![11])), 1);
        assert_eq!(fs::read(&path).unwrap()[MAGIC.len()], FORMAT);
        assert_eq!(DeadLetters::open(&path).unwrap().list(), queue.list());
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
        assert_eq!(queue.purge(&Selection::All), 0);
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
        assert_eq!(queue.settle(vec![(11, Settled::Gone)]), 1);
        assert_eq!(queue.settle(vec![(12, Settled::Refused(StoreError::permanent("again")))]), 0);
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
        assert_eq!(queue.settle(vec![(10, Settled::Gone)]), 1);
    }
}
