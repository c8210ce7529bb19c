//! Torn tails, flipped bits, missing segments, salvage.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use jotter_wal::{Fsync, Wal, WalError, WalOptions};

const RECORDS: u64 = 300;

fn options() -> WalOptions {
    WalOptions::default().with_fsync(Fsync::No).with_segment_size(1024)
}

fn payload(i: u64) -> Vec<u8> {
    format!("payload {i:>5}").into_bytes()
}

/// A closed log of `RECORDS` records over many segments.
fn make_log() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = Wal::open(dir.path(), options()).expect("open");
    let pendings: Vec<_> =
        (1..=RECORDS).map(|i| wal.submit(&payload(i)).expect("submit")).collect();
    for pending in pendings {
        pending.wait().expect("written");
    }
    wal.close().expect("close");
    dir
}

/// [`make_log`] with a checkpoint at `lsn` written by the log itself.
fn make_log_with_checkpoint(lsn: u64) -> tempfile::TempDir {
    let dir = make_log();
    let (wal, _) = Wal::open(dir.path(), options()).expect("open");
    wal.checkpoint(lsn).expect("checkpoint");
    wal.close().expect("close");
    dir
}

/// [`make_log`] with its segment number `index` (0 = the first) removed;
/// and the segment files as they were before.
fn make_log_without(index: usize) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = make_log();
    let files = segments(dir.path());
    fs::remove_file(&files[index]).expect("remove");
    (dir, files)
}

/// Appends one record to a salvaged log and closes it: the new record's
/// LSN, which is past every LSN the log ever held (none is reused, even of
/// the records moved aside).
fn append_and_close(wal: Wal, payload: &[u8]) -> u64 {
    let lsn = wal.submit(payload).expect("submit").wait().expect("written");
    assert!(lsn > RECORDS, "{lsn}");
    wal.close().expect("close");
    lsn
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    paths.sort();
    paths
}

/// Start offsets of the records in a segment file.
fn record_offsets(path: &Path) -> Vec<u64> {
    let bytes = fs::read(path).expect("read");
    let mut offsets = Vec::new();
    let mut at = 0;
    while at + 16 <= bytes.len() {
        offsets.push(at as u64);
        at += 16 + u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
    }
    offsets
}

fn flip_bit(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).expect("read");
    bytes[offset as usize] ^= 0x10;
    fs::write(path, bytes).expect("write");
}

fn open_and_read(dir: &Path, options: WalOptions) -> (Wal, jotter_wal::Recovery, Vec<u64>) {
    let (wal, recovery) = Wal::open(dir, options).expect("open");
    let (recovery, lsns) = {
        let mut recovery = recovery;
        let lsns: Vec<u64> = recovery.by_ref().map(|r| r.expect("record").0).collect();
        (recovery, lsns)
    };
    (wal, recovery, lsns)
}

/// Bytes of log data in the directory: segments plus everything in
/// salvage folders.
fn dir_size(dir: &Path) -> u64 {
    fn all_files(dir: &Path) -> u64 {
        fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").metadata().expect("stat").len())
            .sum()
    }
    fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .map(|p| match p.extension() {
            _ if p.is_dir() => all_files(&p),
            Some(e) if e == "log" => fs::metadata(&p).expect("stat").len(),
            _ => 0,
        })
        .sum()
}

#[test]
fn torn_tail_is_cut_reported_and_appends_continue() {
    let dir = make_log();
    let last = segments(dir.path()).pop().expect("a segment");
    let len = fs::metadata(&last).expect("stat").len();
    let last_record = *record_offsets(&last).last().expect("records");
    // A crash in the middle of writing the last record.
    OpenOptions::new().write(true).open(&last).expect("open").set_len(len - 5).expect("cut");

    let (wal, recovery, lsns) = open_and_read(dir.path(), options());
    let tail = recovery.truncated_tail().expect("torn tail reported");
    assert_eq!(
        (tail.path.as_path(), tail.offset, tail.bytes),
        (last.as_path(), last_record, len - 5 - last_record)
    );
    assert_eq!(fs::metadata(&last).expect("stat").len(), last_record, "file cut back");
    assert!(lsns.iter().copied().eq(1..RECORDS));

    assert_eq!(wal.submit(b"again").expect("submit").wait().expect("written"), RECORDS);
    wal.close().expect("close");
    let (_wal, recovery) = Wal::open(dir.path(), options()).expect("reopen");
    assert!(recovery.truncated_tail().is_none());
    let records: Vec<_> = recovery.map(|r| r.expect("record")).collect();
    assert_eq!(records.len() as u64, RECORDS);
    assert_eq!(records.last().map(|r| (r.0, &r.1[..])), Some((RECORDS, &b"again"[..])));
}

#[test]
fn garbage_or_zeros_after_the_last_record_are_a_torn_tail() {
    for tail in [vec![0_u8; 4096], b"\x0a\x00\x00\x00garbage-not-a-record".to_vec()] {
        let dir = make_log();
        let last = segments(dir.path()).pop().expect("a segment");
        let len = fs::metadata(&last).expect("stat").len();
        OpenOptions::new()
            .append(true)
            .open(&last)
            .expect("open")
            .write_all(&tail)
            .expect("append");

        let (_wal, recovery, lsns) = open_and_read(dir.path(), options());
        let torn = recovery.truncated_tail().expect("torn tail reported");
        assert_eq!((torn.offset, torn.bytes), (len, tail.len() as u64));
        assert!(lsns.iter().copied().eq(1..=RECORDS));
    }
}

#[test]
fn flipped_bit_in_a_middle_segment_stops_open_naming_file_and_offset() {
    let dir = make_log();
    let files = segments(dir.path());
    assert!(files.len() >= 5, "{files:?}");
    let victim = &files[2];
    let offset = record_offsets(victim)[3];
    flip_bit(victim, offset + 20);
    let bytes_before = dir_size(dir.path());

    let error = Wal::open(dir.path(), options()).expect_err("damaged log must not open");
    match &error {
        WalError::Corrupt { path, offset: at, .. } => assert_eq!((path, *at), (victim, offset)),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let message = error.to_string();
    let name = victim.file_name().expect("name").to_string_lossy().into_owned();
    assert!(message.contains(&name), "{message}");
    assert!(message.contains(&format!("offset {offset}")), "{message}");
    assert!(message.contains("salvage"), "{message}");
    assert_eq!(dir_size(dir.path()), bytes_before, "a refused open changes nothing");
}

#[test]
fn bad_record_in_the_last_segment_followed_by_valid_ones_is_damage_not_a_tail() {
    let dir = make_log();
    let last = segments(dir.path()).pop().expect("a segment");
    let offsets = record_offsets(&last);
    assert!(offsets.len() >= 3);
    flip_bit(&last, offsets[1] + 18);
    let len = fs::metadata(&last).expect("stat").len();

    let error = Wal::open(dir.path(), options()).expect_err("damage");
    assert!(
        matches!(&error, WalError::Corrupt { path, offset, .. } if *path == last && *offset == offsets[1]),
        "{error:?}"
    );
    assert_eq!(fs::metadata(&last).expect("stat").len(), len, "nothing cut");
}

#[test]
fn missing_middle_segment_stops_open() {
    let (dir, files) = make_log_without(3);
    let error = Wal::open(dir.path(), options()).expect_err("gap");
    match &error {
        WalError::Gap { path, .. } => assert_eq!(path, &files[4]),
        other => panic!("expected Gap, got {other:?}"),
    }
    assert!(error.to_string().contains("missing"), "{error}");
}

#[test]
fn missing_first_segment_stops_open() {
    let (dir, _) = make_log_without(0);
    let error = Wal::open(dir.path(), options()).expect_err("gap");
    assert!(matches!(error, WalError::Gap { expected: 1, .. }), "{error:?}");
}

#[test]
fn salvage_keeps_what_precedes_damage_and_moves_the_rest_aside() {
    let dir = make_log();
    let files = segments(dir.path());
    let victim = files[2].clone();
    let offset = record_offsets(&victim)[3];
    flip_bit(&victim, offset + 20);
    let bytes_before = dir_size(dir.path());
    let kept_lsns = {
        let first: u64 =
            victim.file_name().expect("name").to_string_lossy()[..20].parse().expect("number");
        first + 3 - 1 // three whole records of the victim survive
    };

    let (wal, recovery, lsns) = open_and_read(dir.path(), options().with_salvage(true));
    let report = recovery.salvaged().expect("salvage reported").clone();
    assert!(matches!(&report.cause, WalError::Corrupt { path, .. } if *path == victim));
    assert!(report.folder.starts_with(dir.path()));
    assert!(report.folder.file_name().expect("name").to_string_lossy().starts_with("salvaged-"));
    assert!(lsns.iter().copied().eq(1..=kept_lsns), "kept {:?}..{:?}", lsns.first(), lsns.last());
    // The damaged remainder plus every later segment, nothing deleted.
    assert_eq!(report.moved.len(), 1 + files.len() - 3);
    assert!(report.moved.iter().all(|p| p.exists()));
    assert_eq!(
        report.moved[0].file_name().expect("name").to_string_lossy(),
        format!("{}.from-{offset}", victim.file_name().expect("name").to_string_lossy())
    );
    assert_eq!(dir_size(dir.path()), bytes_before, "every byte is still somewhere");
    assert_eq!(fs::metadata(&victim).expect("stat").len(), offset);

    // New records never reuse the LSNs that were moved aside.
    let lsn = append_and_close(wal, b"after salvage");
    let (_wal, recovery, lsns) = open_and_read(dir.path(), options());
    assert!(recovery.salvaged().is_none());
    assert_eq!(lsns.len() as u64, kept_lsns + 1);
    assert_eq!(lsns.last(), Some(&lsn));
}

#[test]
fn salvage_after_a_missing_segment_moves_the_later_ones() {
    let (dir, files) = make_log_without(3);
    let (wal, recovery, lsns) = open_and_read(dir.path(), options().with_salvage(true));
    let report = recovery.salvaged().expect("salvage reported");
    assert!(matches!(report.cause, WalError::Gap { .. }));
    assert_eq!(report.moved.len(), files.len() - 4);
    assert_eq!(segments(dir.path()), files[..3].to_vec());
    let kept_last: u64 =
        files[3].file_name().expect("name").to_string_lossy()[..20].parse().expect("number");
    assert!(lsns.iter().copied().eq(1..kept_last));
    append_and_close(wal, b"x");
    Wal::open(dir.path(), options()).expect("clean after salvage");
}

#[test]
fn salvage_of_a_wholly_missing_start_keeps_nothing_and_reopens_cleanly() {
    let (dir, files) = make_log_without(0);
    let (wal, recovery, lsns) = open_and_read(dir.path(), options().with_salvage(true));
    assert!(lsns.is_empty());
    assert_eq!(recovery.salvaged().expect("report").moved.len(), files.len() - 1);
    let lsn = append_and_close(wal, b"x");
    let (_wal, _, lsns) = open_and_read(dir.path(), options());
    assert_eq!(lsns, vec![lsn]);
}

#[test]
fn damaged_checkpoint_stops_open_and_salvage_replays_everything_left() {
    let dir = make_log_with_checkpoint(150);
    flip_bit(&dir.path().join("CHECKPOINT"), 5);

    let error = Wal::open(dir.path(), options()).expect_err("damaged checkpoint");
    assert!(
        matches!(&error, WalError::Corrupt { path, .. } if path.ends_with("CHECKPOINT")),
        "{error:?}"
    );
    let (_wal, recovery, lsns) = open_and_read(dir.path(), options().with_salvage(true));
    let first = *lsns.first().expect("records");
    assert!(first <= 150 && first > 100, "{first}");
    assert_eq!(lsns.last(), Some(&RECORDS));
    assert_eq!(recovery.checkpoint(), first);
}

#[test]
fn checkpoint_without_any_segment_left_stops_open() {
    let dir = make_log_with_checkpoint(100);
    for segment in segments(dir.path()) {
        fs::remove_file(segment).expect("remove");
    }
    let error = Wal::open(dir.path(), options()).expect_err("every segment gone");
    assert!(error.to_string().contains("no segment file is left"), "{error}");
    let (wal, recovery, lsns) = open_and_read(dir.path(), options().with_salvage(true));
    assert!(lsns.is_empty());
    assert_eq!(recovery.next_lsn(), 100);
    assert_eq!(wal.submit(b"x").expect("submit").wait().expect("written"), 100);
}

#[test]
fn bad_checksum_on_the_final_record_is_a_torn_tail() {
    let dir = make_log();
    let last = segments(dir.path()).pop().expect("a segment");
    let final_record = *record_offsets(&last).last().expect("records");
    flip_bit(&last, final_record + 17);
    let (_wal, recovery, lsns) = open_and_read(dir.path(), options());
    assert_eq!(recovery.truncated_tail().map(|t| t.offset), Some(final_record));
    assert!(lsns.iter().copied().eq(1..RECORDS));
}
