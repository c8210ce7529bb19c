//! One owner per directory.

use jotter_wal::{Wal, WalError, WalOptions};

#[test]
fn second_open_is_refused_with_the_holders_pid_until_the_first_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) = Wal::open(dir.path(), WalOptions::default()).expect("open");
    let error = Wal::open(dir.path(), WalOptions::default()).expect_err("locked");
    let pid = std::process::id();
    assert!(matches!(error, WalError::Locked { pid: Some(p), .. } if p == pid), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("pid {pid}")), "{message}");
    assert!(message.contains(&dir.path().display().to_string()), "{message}");

    wal.close().expect("close");
    Wal::open(dir.path(), WalOptions::default()).expect("open after close");
}

#[test]
fn check_lock_names_the_holder_and_leaves_a_free_directory_free() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No log yet: nothing holds it, and the check creates nothing.
    jotter_wal::check_lock(dir.path()).expect("free");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let (wal, _) = Wal::open(dir.path(), WalOptions::default()).expect("open");
    let error = jotter_wal::check_lock(dir.path()).expect_err("held");
    let pid = std::process::id();
    assert!(matches!(error, WalError::Locked { pid: Some(p), .. } if p == pid), "{error:?}");
    wal.close().expect("close");

    jotter_wal::check_lock(dir.path()).expect("free once closed");
    // The check did not keep the lock.
    Wal::open(dir.path(), WalOptions::default()).expect("open after the check");
}
