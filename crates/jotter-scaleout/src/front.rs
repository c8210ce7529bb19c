//! What a front end keeps in Redis: its function library (`front.lua`,
//! loaded at start: change records, user-key DBSIZE and RANDOMKEY, and the
//! dead-letter and key-status functions of `dead_letters.rs` and
//! `key_status.rs`) and the layout it checks or creates (the meta hash,
//! the consumer group on every shard stream), and the arguments of the
//! calls it makes with each write. The front end's RESP side is in
//! `jotter-server` (`cluster/`); this file is the part of the contract the
//! worker reads.
//!
//! Guarantees: a write and its change records are one MULTI/EXEC (the
//! caller's), with `jotter_record` giving one new version, above the
//! clock and at least the caller's floor, to every key the write may
//! touch; versions are never Lua numbers (see `front.lua`).

use std::time::{SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;

use crate::layout::{CLOCK, DEAD_LETTERS, META, STORED, VERSIONS, shard_of, shard_stream};
use crate::prepare::{LayoutError, prepare_layout};

/// The front end's function library's name.
pub const LIBRARY: &str = "jotter_front";
/// Its code.
const LIBRARY_CODE: &str = include_str!("front.lua");
/// Records a write's keys: `FCALL jotter_record 0 floor key shard ...`.
pub const RECORD: &str = "jotter_record";
/// DBSIZE of user keys: `FCALL_RO jotter_dbsize 0 name...` ([`own_keys`]).
pub const DBSIZE: &str = "jotter_dbsize";
/// RANDOMKEY among user keys: `FCALL_RO jotter_randomkey 0`.
pub const RANDOMKEY: &str = "jotter_randomkey";
/// The prefix of Jotter's function names, which clients may not call.
pub const FUNCTION_PREFIX: &str = "jotter_";

/// Checks or creates the layout (the meta hash, the consumer group on each
/// shard stream) and loads the front end's library; returns the number of
/// shards, the one stored in Redis (which wins over `wanted`).
///
/// # Errors
///
/// [`LayoutError`] when Redis refuses, or holds another format.
pub async fn prepare_front(
    connection: &mut MultiplexedConnection,
    wanted: u32,
) -> Result<u32, LayoutError> {
    prepare_layout(connection, wanted, LIBRARY_CODE).await
}

/// A front end's version floor now: its wall clock in microseconds << 12,
/// the scale of a single node's versions.
#[must_use]
pub fn version_floor() -> u64 {
    let micros = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
    u64::try_from(micros).unwrap_or(u64::MAX >> 12) << 12
}

/// The arguments of `FCALL jotter_record` recording a write of `keys`
/// (the command's name first).
#[must_use]
pub fn record_call<K: AsRef<[u8]>>(keys: &[K], shards: u32, floor: u64) -> Vec<Vec<u8>> {
    let mut args = Vec::with_capacity(4 + 2 * keys.len());
    args.push(b"FCALL".to_vec());
    args.push(RECORD.as_bytes().to_vec());
    args.push(b"0".to_vec());
    args.push(floor.to_string().into_bytes());
    for key in keys {
        args.push(key.as_ref().to_vec());
        args.push(shard_of(key.as_ref(), shards).to_string().into_bytes());
    }
    args
}

/// The names of every Jotter key that may exist with `shards` shards,
/// which listings and DBSIZE leave out.
#[must_use]
pub fn own_keys(shards: u32) -> Vec<String> {
    let mut names: Vec<String> =
        [META, CLOCK, VERSIONS, STORED, DEAD_LETTERS].iter().map(|n| (*n).to_owned()).collect();
    names.extend((0..shards).map(shard_stream));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_names_each_key_with_its_shard() {
        let args = record_call(&[b"a".as_slice(), b"user:1"], 16, 42);
        let shard = |k: &[u8]| shard_of(k, 16).to_string().into_bytes();
        assert_eq!(args[..4], [&b"FCALL"[..], b"jotter_record", b"0", b"42"]);
        assert_eq!(args[4..], [b"a".to_vec(), shard(b"a"), b"user:1".to_vec(), shard(b"user:1")]);
    }

    #[test]
    fn the_floor_is_on_the_single_nodes_scale() {
        // 2020-01-01 in microseconds << 12 is about 6.5e18.
        assert!(version_floor() > 1_577_836_800_000_000u64 << 12);
    }
}
