//! Rolling, checkpoints, reopening.

use std::fs;
use std::path::Path;

use jotter_wal::{Fsync, Wal, WalError, WalOptions};

fn options() -> WalOptions {
    WalOptions::default().with_fsync(Fsync::No).with_segment_size(1024)
}

fn segment_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf8"))
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    names
}

fn payload(i: u64) -> Vec<u8> {
    format!("record number {i:>6} ").into_bytes().repeat((i % 5 + 1) as usize)
}

fn write(wal: &Wal, count: u64) -> Vec<u64> {
    let pendings: Vec<_> = (0..count).map(|i| wal.submit(&payload(i)).expect("submit")).collect();
    pendings.into_iter().map(|p| p.wait().expect("written")).collect()
}

fn recovered(dir: &Path, options: WalOptions) -> (Wal, Vec<(u64, Vec<u8>)>) {
    let (wal, recovery) = Wal::open(dir, options).expect("open");
    let records = recovery.map(|r| r.map(|(lsn, p)| (lsn, p.to_vec())).expect("record")).collect();
    (wal, records)
}

#[test]
fn segments_roll_and_recovery_reads_them_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = Wal::open(dir.path(), options()).expect("open");
    write(&wal, 1_000);
    assert!(wal.stats().rolls > 10);
    wal.close().expect("close");

    let files = segment_files(dir.path());
    assert!(files.len() > 10, "{files:?}");
    assert_eq!(files[0], "00000000000000000001.log");
    // Each file is named after its first LSN.
    for name in &files {
        let first: u64 = name[..20].parse().expect("number");
        let bytes = fs::read(dir.path().join(name)).expect("read");
        let lsn = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
        assert_eq!(lsn, first, "{name}");
        // One batch held all 1,000 records; it was split at record
        // boundaries, so no file overshoots by more than one record.
        let largest_record = 16 + payload(4).len();
        assert!(bytes.len() < 1024 + largest_record, "{name}: {} bytes", bytes.len());
    }

    let (wal, records) = recovered(dir.path(), options());
    assert_eq!(records.len(), 1_000);
    for (i, (lsn, body)) in records.iter().enumerate() {
        assert_eq!(*lsn, i as u64 + 1);
        assert_eq!(body, &payload(i as u64));
    }
    // Appends continue after the last record.
    assert_eq!(wal.submit(b"after").expect("submit").wait().expect("written"), 1_001);
}

#[test]
fn checkpoint_deletes_old_segments_and_recovery_starts_at_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = Wal::open(dir.path(), options()).expect("open");
    write(&wal, 1_000);
    let before = segment_files(dir.path());
    wal.checkpoint(600).expect("checkpoint");
    let after = segment_files(dir.path());
    assert!(after.len() < before.len() / 2, "{} -> {}", before.len(), after.len());
    // The first file left may hold records below the mark, never only those.
    let first: u64 = after[0][..20].parse().expect("number");
    let second: u64 = after[1][..20].parse().expect("number");
    assert!(first <= 600 && second > 600, "{first} {second}");

    // The mark never moves back, nor ahead of the log.
    wal.checkpoint(10).expect("lower mark is ignored");
    assert!(matches!(
        wal.checkpoint(5_000),
        Err(WalError::CheckpointAhead { next_lsn: 1_001, .. })
    ));
    wal.close().expect("close");

    let (wal, records) = recovered(dir.path(), options());
    assert_eq!(records.first().map(|r| r.0), Some(600));
    assert_eq!(records.last().map(|r| r.0), Some(1_000));
    assert_eq!(records.len(), 401);
    assert_eq!(wal.submit(b"x").expect("submit").wait().expect("written"), 1_001);

    // Everything released: only the active segment stays.
    wal.checkpoint(1_002).expect("checkpoint all");
    wal.close().expect("close");
    assert_eq!(segment_files(dir.path()).len(), 1);
    let (_wal, records) = recovered(dir.path(), options());
    assert!(records.is_empty());
}

#[test]
fn open_finishes_a_checkpoint_interrupted_before_deleting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = Wal::open(dir.path(), options()).expect("open");
    write(&wal, 500);
    wal.close().expect("close");
    let all = segment_files(dir.path());

    // A crash after CHECKPOINT was written but before any deletion: copy a
    // CHECKPOINT made in another directory into this one.
    let other = tempfile::tempdir().expect("tempdir");
    let (scratch, _) = Wal::open(other.path(), options()).expect("open");
    write(&scratch, 400);
    scratch.checkpoint(400).expect("checkpoint");
    scratch.close().expect("close");
    fs::copy(other.path().join("CHECKPOINT"), dir.path().join("CHECKPOINT")).expect("copy");

    let (_wal, records) = recovered(dir.path(), options());
    assert_eq!(records.first().map(|r| r.0), Some(400));
    assert!(segment_files(dir.path()).len() < all.len());
}

#[test]
fn reopen_after_close_sees_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    for round in 0..3_u64 {
        let (wal, records) = recovered(dir.path(), options().with_fsync(Fsync::Always));
        assert_eq!(records.len() as u64, round * 50);
        let lsns = write(&wal, 50);
        assert_eq!(lsns.first(), Some(&(round * 50 + 1)));
        wal.close().expect("close");
    }
}

#[test]
fn drop_flushes_what_is_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = Wal::open(dir.path(), options()).expect("open");
    let pendings: Vec<_> = (0..2_000).map(|i| wal.submit(&payload(i)).expect("submit")).collect();
    drop(wal);
    for pending in pendings {
        pending.wait().expect("written before the writer stopped");
    }
    let (_wal, records) = recovered(dir.path(), options());
    assert_eq!(records.len(), 2_000);
}

#[test]
fn empty_and_large_payloads_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = Wal::open(dir.path(), options()).expect("open");
    let large: Vec<u8> = (0..200_000_u32).map(|i| (i % 251) as u8).collect();
    wal.submit(b"").expect("submit").wait().expect("written");
    wal.submit(&large).expect("submit").wait().expect("written");
    wal.submit(b"").expect("submit").wait().expect("written");
    wal.close().expect("close");
    let (_wal, records) = recovered(dir.path(), options());
    assert_eq!(records, vec![(1, vec![]), (2, large), (3, vec![])]);
}
