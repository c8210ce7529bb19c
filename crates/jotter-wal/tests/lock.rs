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
