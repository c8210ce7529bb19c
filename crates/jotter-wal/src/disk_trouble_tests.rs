//! Disk trouble, simulated by failure injection in the active segment: a
//! write that stops halfway with "no space left", an fsync that fails.
//! Failed records are refused, never acknowledged; the log cuts back and
//! resumes by itself.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use crate::{Fsync, Wal, WalError, WalOptions};

fn open(dir: &Path, options: WalOptions) -> (Wal, Vec<u64>) {
    let (wal, recovery) = Wal::open(dir, options).expect("open");
    let lsns = recovery.map(|r| r.expect("record").0).collect();
    (wal, lsns)
}

/// The length of the newest segment file.
fn segment_len(wal: &Wal) -> u64 {
    let mut logs: Vec<_> = std::fs::read_dir(wal.dir())
        .expect("list")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    std::fs::metadata(logs.last().expect("a segment")).expect("stat").len()
}

#[test]
fn failed_write_is_refused_cut_back_and_writing_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = open(dir.path(), WalOptions::default());
    for i in 0..3_u8 {
        wal.submit(&[i; 100]).expect("submit").wait().expect("durable");
    }
    let good_len = segment_len(&wal);

    wal.faults().fail_writes.store(1, Ordering::SeqCst);
    let error = wal.submit(&[9; 100]).expect("submit").wait().expect_err("disk full");
    assert!(matches!(error, WalError::Write { .. }), "{error:?}");
    assert!(error.to_string().contains("NOT in the log"), "{error}");
    assert_eq!(segment_len(&wal), good_len, "half-written record cut away");
    assert_eq!(wal.stats().write_failures, 1);

    // Space is back: the next submit goes through; the failed LSN stays unused.
    assert_eq!(wal.submit(&[5; 100]).expect("submit").wait().expect("durable"), 5);
    wal.close().expect("close");
    let (_wal, lsns) = open(dir.path(), WalOptions::default());
    assert_eq!(lsns, vec![1, 2, 3, 5]);
}

#[test]
fn failed_fsync_is_refused_under_always_and_cut_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = open(dir.path(), WalOptions::default());
    wal.submit(b"one").expect("submit").wait().expect("durable");
    let good_len = segment_len(&wal);

    wal.faults().fail_syncs.store(1, Ordering::SeqCst);
    let first = wal.submit(b"two").expect("submit");
    let error = first.wait().expect_err("fsync failed");
    assert!(matches!(error, WalError::Sync { .. }), "{error:?}");
    assert_eq!(segment_len(&wal), good_len);
    assert_eq!(wal.stats().fsync_failures, 1);

    assert_eq!(wal.submit(b"three").expect("submit").wait().expect("durable"), 3);
    wal.close().expect("close");
    let (_wal, lsns) = open(dir.path(), WalOptions::default());
    assert_eq!(lsns, vec![1, 3]);
}

#[test]
fn failures_at_segment_boundaries_leave_a_log_that_reopens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = WalOptions::default().with_segment_size(64);
    let (wal, _) = open(dir.path(), options.clone());
    let mut acknowledged = Vec::new();
    for i in 0..60_u64 {
        match i % 7 {
            3 => wal.faults().fail_writes.store(1, Ordering::SeqCst),
            5 => wal.faults().fail_syncs.store(1, Ordering::SeqCst),
            _ => {}
        }
        match wal.submit(&i.to_le_bytes()).expect("submit").wait() {
            Ok(lsn) => acknowledged.push(lsn),
            Err(WalError::Write { .. } | WalError::Sync { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(wal.stats().rolls > 5);
    let injected = (0..60).filter(|i| i % 7 == 3 || i % 7 == 5).count();
    assert_eq!(acknowledged.len(), 60 - injected, "every injected failure refused one record");
    wal.close().expect("close");
    let (_wal, lsns) = open(dir.path(), options);
    assert_eq!(lsns, acknowledged, "exactly the acknowledged records, no gap error");
}

#[test]
fn everysec_after_a_failed_background_fsync_syncs_each_batch_until_one_succeeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = open(dir.path(), WalOptions::default().with_fsync(Fsync::EverySec));
    wal.submit(b"one").expect("submit").wait().expect("written");
    wal.faults().fail_syncs.store(1, Ordering::SeqCst);
    thread::sleep(Duration::from_millis(1_500));
    assert_eq!(wal.stats().fsync_failures, 1, "background fsync ran and failed");
    assert_eq!(wal.stats().fsyncs, 0);

    // Degraded: this record is acknowledged only after its own fsync.
    wal.submit(b"two").expect("submit").wait().expect("durable");
    assert_eq!(wal.stats().fsyncs, 1);
    // Recovered: back to acknowledging after the write.
    wal.submit(b"three").expect("submit").wait().expect("written");
    assert_eq!(wal.stats().fsyncs, 1);
}
