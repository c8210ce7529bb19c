//! The group write of [`Fsync::EverySec`] and [`Fsync::No`]: callers that
//! wait write the queue themselves. Many writers at once, and failures
//! injected into their batches: every acknowledged record is recovered in
//! LSN order, and every refused one is gone.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use std::thread;

use crate::{Fsync, Wal, WalError, WalOptions};

fn open(dir: &Path, options: WalOptions) -> (Wal, Vec<(u64, Vec<u8>)>) {
    let (wal, recovery) = Wal::open(dir, options).expect("open");
    let records = recovery
        .map(|r| {
            let (lsn, payload) = r.expect("record");
            (lsn, payload.to_vec())
        })
        .collect();
    (wal, records)
}

/// `threads` threads each submit and wait for `per_thread` records at once
/// (failures injected by `inject` on the way, by thread 0); returns what was
/// acknowledged and what refused, by LSN.
fn write_concurrently(
    wal: &Arc<Wal>,
    threads: u64,
    per_thread: u64,
    inject: fn(&Wal, u64),
) -> (Vec<(u64, Vec<u8>)>, BTreeSet<u64>) {
    let start = Arc::new(Barrier::new(threads as usize));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (wal, start) = (Arc::clone(wal), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                let (mut acked, mut refused) = (Vec::new(), Vec::new());
                for i in 0..per_thread {
                    if t == 0 {
                        inject(&wal, i);
                    }
                    let payload = format!("thread {t} record {i}").into_bytes();
                    let pending = wal.submit(&payload).expect("submit");
                    let lsn = pending.lsn();
                    match pending.wait() {
                        Ok(got) => {
                            assert_eq!(got, lsn);
                            acked.push((lsn, payload));
                        }
                        Err(WalError::Write { .. } | WalError::Sync { .. }) => refused.push(lsn),
                        Err(other) => panic!("unexpected {other:?}"),
                    }
                }
                (acked, refused)
            })
        })
        .collect();
    let (mut acked, mut refused) = (Vec::new(), BTreeSet::new());
    for worker in workers {
        let (a, r) = worker.join().expect("worker");
        acked.extend(a);
        refused.extend(r);
    }
    acked.sort();
    (acked, refused)
}

fn no_faults(_: &Wal, _: u64) {}

/// Closes the log (every caller has finished with it) and returns what a
/// reopen recovers.
fn reopened(wal: Arc<Wal>, dir: &Path, options: WalOptions) -> Vec<(u64, Vec<u8>)> {
    Arc::into_inner(wal).expect("sole owner").close().expect("close");
    open(dir, options).1
}

#[test]
fn many_threads_waiting_at_once_lose_nothing_and_keep_lsn_order() {
    for fsync in [Fsync::EverySec, Fsync::No] {
        let dir = tempfile::tempdir().expect("tempdir");
        // Small segments: batches are split and segments rolled by whichever
        // caller happens to write.
        let options = WalOptions::default().with_fsync(fsync).with_segment_size(4096);
        let wal = Arc::new(open(dir.path(), options.clone()).0);
        let (acked, refused) = write_concurrently(&wal, 8, 500, no_faults);
        assert!(refused.is_empty());
        assert!(acked.iter().map(|(lsn, _)| *lsn).eq(1..=4000), "{fsync:?}");
        let stats = wal.stats();
        assert_eq!(stats.records, 4000);
        assert!(stats.rolls > 10, "{stats:?}");
        let recovered = reopened(wal, dir.path(), options);
        assert_eq!(recovered, acked, "{fsync:?}: every acknowledged record, in LSN order");
    }
}

#[test]
fn failed_writes_under_load_refuse_exactly_the_records_they_held() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = WalOptions::default().with_fsync(Fsync::EverySec).with_segment_size(2048);
    let wal = Arc::new(open(dir.path(), options.clone()).0);
    let inject = |wal: &Wal, i: u64| {
        if i % 50 == 10 {
            wal.faults().fail_writes.store(1, Ordering::SeqCst);
        }
    };
    let (acked, refused) = write_concurrently(&wal, 8, 400, inject);
    let stats = wal.stats();
    assert_eq!(stats.write_failures, 8, "{stats:?}");
    assert!(!refused.is_empty());
    assert_eq!(acked.len() + refused.len(), 3200, "every record answered once");
    assert_eq!(stats.records, acked.len() as u64, "only acknowledged records were written");
    let recovered = reopened(wal, dir.path(), options);
    assert_eq!(recovered, acked, "acknowledged ones all there, refused ones all gone");
}

#[test]
fn a_failed_write_refuses_the_whole_queued_batch_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = WalOptions::default().with_fsync(Fsync::No);
    let (wal, _) = open(dir.path(), options.clone());
    assert_eq!(wal.submit(b"before").expect("submit").wait().expect("written"), 1);
    // Queued together, written by the first of them to wait: one batch.
    let batch: Vec<_> = (0..5_u8).map(|i| wal.submit(&[i]).expect("submit")).collect();
    wal.faults().fail_writes.store(1, Ordering::SeqCst);
    for pending in batch.into_iter().rev() {
        let error = pending.wait().expect_err("the batch's write failed");
        assert!(matches!(error, WalError::Write { .. }), "{error:?}");
    }
    assert_eq!(wal.stats().write_failures, 1, "one write for the five");
    assert_eq!(wal.submit(b"after").expect("submit").wait().expect("written"), 7);
    wal.close().expect("close");
    let (_wal, recovered) = open(dir.path(), options);
    assert_eq!(recovered, vec![(1, b"before".to_vec()), (7, b"after".to_vec())]);
}

#[test]
fn an_absorbed_handle_is_refused_if_any_record_in_its_range_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = open(dir.path(), WalOptions::default().with_fsync(Fsync::EverySec));
    let mut pipeline = wal.submit(b"one").expect("submit");
    pipeline.absorb(wal.submit(b"two").expect("submit"));
    let mut written = wal.submit(b"three").expect("submit");
    written.absorb(wal.submit(b"four").expect("submit"));
    assert_eq!((pipeline.lsn(), written.lsn()), (2, 4));
    assert_eq!(pipeline.wait().expect("written"), 2);

    let mut spanning = wal.submit(b"five").expect("submit");
    wal.faults().fail_writes.store(1, Ordering::SeqCst);
    assert!(wal.submit(b"six").expect("submit").wait().is_err(), "five and six refused");
    spanning.absorb(wal.submit(b"seven").expect("submit"));
    assert!(spanning.wait().is_err(), "five was refused: so is the whole handle");
    assert_eq!(written.wait().expect("written"), 4, "older records unaffected");
}

#[test]
fn close_writes_what_nobody_waited_for() {
    for fsync in [Fsync::Always, Fsync::EverySec, Fsync::No] {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = WalOptions::default().with_fsync(fsync);
        let (wal, _) = open(dir.path(), options.clone());
        let pending: Vec<_> = (0..10_u8).map(|i| wal.submit(&[i]).expect("submit")).collect();
        wal.close().expect("close");
        for (lsn, p) in (1..).zip(pending) {
            assert_eq!(p.wait().expect("written at close"), lsn, "{fsync:?}");
        }
        let (_wal, recovered) = open(dir.path(), options);
        assert_eq!(recovered.len(), 10, "{fsync:?}");
    }
}
