//! A full disk under the write-ahead log: writes are refused with a clear
//! error, never acknowledged and then lost; when space returns, writes
//! resume; and everything acknowledged comes back after a restart.
//!
//! Needs a small filesystem of its own: it mounts a 2 MiB tmpfs, which
//! takes root. Without it the test says so loudly and does nothing.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use jotter::{Cache, Error, Fsync, MemoryStore, Value};

/// A tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?.keep();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .ok()?;
        status.success().then_some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

async fn open(store: &MemoryStore, dir: &Path) -> Result<Cache<MemoryStore>, Error> {
    Cache::builder(store.clone())
        .data_dir(dir.join("log"), Fsync::Always)
        .log_segment_size(256 << 10)
        .build()
        .await
}

#[tokio::test]
async fn a_full_disk_refuses_writes_and_they_resume_when_space_returns() {
    let Some(disk) = SmallDisk::mount("2m") else {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs (needs root); the disk-full path of the log is not exercised"
        );
        return;
    };
    let ballast = disk.0.join("ballast");
    std::fs::write(&ballast, vec![0u8; 1 << 20]).unwrap();

    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX); // nothing leaves the log
    let cache = open(&store, &disk.0).await.unwrap();
    let value = Bytes::from(vec![b'x'; 8 << 10]);
    let mut acked = BTreeMap::new();
    let mut refused = None;
    for i in 0..1000 {
        let key = format!("k{i}");
        match cache.put(key.clone(), value.clone()).await {
            Ok(_) => {
                acked.insert(key, value.clone());
            }
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let err = refused.expect("the 2 MiB disk filled up");
    assert!(matches!(err, Error::Log(_)), "{err}");
    assert!(err.to_string().contains("not acknowledged"), "{err}");
    assert!(!acked.is_empty());

    // Space returns: writes are accepted again.
    std::fs::remove_file(&ballast).unwrap();
    let mut resumed = false;
    for attempt in 0..50 {
        let key = format!("after{attempt}");
        if cache.put(key.clone(), "back").await.is_ok() {
            acked.insert(key, Bytes::from_static(b"back"));
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(resumed, "writes did not resume once space returned");

    // Everything acknowledged survives a restart.
    cache.shutdown(Duration::from_millis(50)).await;
    drop(cache);
    store.faults().fail_next_writes(0);
    let cache = open(&store, &disk.0).await.unwrap();
    cache.flush().await.unwrap();
    let snapshot = store.snapshot();
    for (key, value) in &acked {
        assert_eq!(snapshot.get(key.as_bytes()), Some(&Value::Blob(value.clone())), "{key}");
    }
    cache.shutdown(Duration::from_secs(5)).await;
}
