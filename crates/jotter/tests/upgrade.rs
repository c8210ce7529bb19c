//! A data directory written by an earlier release, in the single-folder
//! layout, opens with this one: it is moved into `log/`, `dead-letters/`
//! and `state/` without losing a dead letter, a pending write or the
//! clock's floor; a move cut short finishes on the next start; a directory
//! holding both layouts is refused; a directory of format 2 is read as it is. The fixture and how it was made are in
//! `tests/fixtures/README.md`.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use jotter::{Cache, FieldValue, Fsync, MemoryStore, Value};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/engine-e75c982");

/// The version the fixture's store held; its clock floor is above it.
const OLD_STORE_VERSION: u64 = 9_000_000_000_000_000_000;

fn copy_fixture(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(FIXTURE).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// A fresh `data` directory: the fixture's files in its folder `files`
/// (`""` for `data` itself), and the folders `empty` made, as a layout to
/// start from. The temporary directory holding it goes with it.
fn data_dir(files: &str, empty: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    copy_fixture(&dir.join(files));
    for folder in empty {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
    (temp, dir)
}

/// Opens `dir`, checks that nothing was lost, and that it now holds the
/// current layout's three folders.
async fn check_moved(dir: &Path) {
    check_nothing_lost(dir).await;
    assert_eq!(names(dir), ["dead-letters", "log", "state"]);
}

async fn open(store: &MemoryStore, dir: &Path) -> jotter::Result<Cache<MemoryStore>> {
    Cache::builder(store.clone()).data_dir(dir, Fsync::Always).build().await
}

/// Opens `dir` with the store unreachable at start, so that only the
/// saved clock keeps new versions above the old store's, and checks
/// that nothing of the fixture was lost.
async fn check_nothing_lost(dir: &Path) {
    let store = MemoryStore::new();
    store.faults().fail_next_loads(u64::MAX);
    store.faults().fail_next_writes(u64::MAX);
    let cache = open(&store, dir).await.unwrap();

    let mut letters: Vec<_> = cache.dead_letters().into_iter().map(|l| l.write.key).collect();
    letters.sort();
    assert_eq!(letters, [Bytes::from("bad1"), Bytes::from("bad2")], "no dead letter lost");
    assert_eq!(cache.get("p1").await.unwrap(), Some(Value::from("v1")));
    assert_eq!(cache.get("p2").await.unwrap(), Some(Value::from("v2")));
    assert_eq!(cache.stats().pending_entries, 4, "p1, p2, h and the delete of stored");
    let new = cache.put("new", "n").await.unwrap().version();
    assert!(new > OLD_STORE_VERSION, "the clock floor survived: {new}");

    store.faults().fail_next_loads(0);
    store.faults().fail_next_writes(0);
    cache.flush().await.unwrap();
    let stored = store.snapshot();
    assert_eq!(stored.get(&Bytes::from("p1")), Some(&Value::from("v1")));
    assert_eq!(
        stored.get(&Bytes::from("h")).and_then(|v| v.field(b"f")),
        Some(FieldValue::Bytes("1".into()))
    );
    assert_eq!(stored.get(&Bytes::from("new")), Some(&Value::from("n")));
    cache.shutdown(std::time::Duration::from_secs(5)).await;
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_directory_of_the_single_folder_layout_is_moved_and_nothing_is_lost() {
    let (_temp, dir) = data_dir("", &[]);
    check_moved(&dir).await;
    assert_eq!(names(&dir.join("dead-letters")), ["queue"]);
    assert_eq!(names(&dir.join("state")), ["CLOCK", "FORMAT"]);
    assert!(names(&dir.join("log")).contains(&"00000000000000000001.log".to_owned()));
    let format = std::fs::read_to_string(dir.join("state/FORMAT")).unwrap();
    assert!(format.starts_with("3\nwritten by jotter "), "{format}");
}

/// The earlier server gave the engine `<data-dir>/log`: the same files,
/// one folder down.
#[tokio::test]
async fn a_log_folder_holding_the_other_files_is_moved_and_nothing_is_lost() {
    let (_temp, dir) = data_dir("log", &[]);
    check_moved(&dir).await;
    assert!(!dir.join("log/CLOCK").exists() && !dir.join("log/FORMAT").exists());
    assert!(!dir.join("log/dead-letters").exists());
}

/// A directory of format 2 (this layout, before a transaction's writes
/// were one log record) is read as it is and marked format 3.
#[tokio::test]
async fn a_directory_of_format_2_is_read_as_it_is() {
    let (_temp, dir) = data_dir("", &[]);
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX);
    let cache = open(&store, &dir).await.unwrap();
    cache.shutdown(std::time::Duration::ZERO).await; // the fixture's writes stay in the log
    drop(cache);
    std::fs::write(dir.join("state/FORMAT"), "2\nwritten by jotter 0.1.0\n").unwrap();
    check_moved(&dir).await;
    let format = std::fs::read_to_string(dir.join("state/FORMAT")).unwrap();
    assert!(format.starts_with("3\nwritten by jotter "), "{format}");
}

/// A crash in the middle of the move: some files moved, the dead letters
/// renamed out of their folder's way, the old marker still there.
#[tokio::test]
async fn a_move_cut_short_is_finished_by_the_next_start() {
    let (_temp, dir) = data_dir("", &["log", "state"]);
    std::fs::rename(dir.join("CLOCK"), dir.join("state/CLOCK")).unwrap();
    std::fs::rename(dir.join("CHECKPOINT"), dir.join("log/CHECKPOINT")).unwrap();
    std::fs::rename(dir.join("dead-letters"), dir.join("dead-letters.moving")).unwrap();
    check_moved(&dir).await;
}

#[tokio::test]
async fn a_directory_holding_both_layouts_is_refused_and_left_as_it_is() {
    let (_temp, dir) = data_dir("", &["state"]);
    std::fs::write(dir.join("state/CLOCK"), 1u64.to_le_bytes()).unwrap();
    let before = names(&dir);
    let err = open(&MemoryStore::new(), &dir).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("both its earlier layout and its current one"), "{message}");
    assert!(message.contains("state/CLOCK"), "{message}");
    assert_eq!(names(&dir), before, "nothing was moved");
}
