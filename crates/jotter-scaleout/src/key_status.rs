//! Where one key's newest write stands in a cluster (`JOTTER.KEY` on a
//! front end), from what Redis holds, read in one atomic step
//! (`jotter_key` in `front.lua`): the key's newest version
//! ([`VERSIONS`](crate::VERSIONS)), the newest version the workers
//! committed to the store ([`STORED`](crate::STORED), raised by their
//! acknowledgement, `jotter_stored` in `worker.lua`) and its dead letters.
//!
//! What a front end can truthfully say, and so says:
//!
//! - `absent`: Redis holds no version of the key: no write of it was
//!   recorded (nor loaded from the store), or its newest write's dead
//!   letter was purged (`jotter_purge`). Whether the store has the key,
//!   only the store can say.
//! - `clean`: the store has the newest version.
//! - `dead-lettered`: the newest version is in a dead letter.
//! - `pending`: anything else: the newest write is queued in its shard
//!   stream or being stored by a worker. A front end does not tell a
//!   queued write from one a worker holds (in flight, or retrying after a
//!   store error), nor count the key's queued writes or say since when.

use jotter::KeyState;
use redis::aio::MultiplexedConnection;

use crate::dead_letters::letter_id;

/// A key's write-behind status as a cluster knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterKeyStatus {
    /// Where the newest write stands (absent, clean, pending or
    /// dead-lettered; see the module's documentation).
    pub state: KeyState,
    /// The version of the key's newest write.
    pub cache_version: Option<u64>,
    /// The newest version of the key the workers stored.
    pub stored_version: Option<u64>,
    /// Dead-lettered: the newest letter's error.
    pub last_error: Option<String>,
    /// The ids of the key's dead letters, oldest first (as
    /// `JOTTER.DEADLETTERS` names them).
    pub dead_letter_ids: Vec<u64>,
}

/// The status of `key`.
///
/// # Errors
///
/// Redis's, or a broken connection.
pub async fn key_status(
    connection: &mut MultiplexedConnection,
    key: &[u8],
) -> redis::RedisResult<ClusterKeyStatus> {
    // [newest or nil, stored or nil, [[entry, version, error], ...]]
    type Reply = (Option<String>, Option<String>, Vec<(String, Option<String>, Option<String>)>);
    let (newest, stored, letters): Reply =
        redis::cmd("FCALL").arg("jotter_key").arg(1).arg(key).query_async(connection).await?;
    let number = |v: Option<String>| v.and_then(|t| t.parse::<u64>().ok());
    let cache_version = number(newest);
    let stored_version = number(stored);
    let letters: Vec<(Option<u64>, Option<u64>, Option<String>)> = letters
        .into_iter()
        .map(|(entry, version, error)| (letter_id(&entry), number(version), error))
        .collect();
    let newest_dead = letters.iter().rev().find(|(_, version, _)| *version == cache_version);
    let state = match (cache_version, stored_version) {
        (None, _) => KeyState::Absent,
        (Some(newest), Some(stored)) if stored >= newest => KeyState::Clean,
        _ if newest_dead.is_some() => KeyState::DeadLettered,
        _ => KeyState::Pending,
    };
    Ok(ClusterKeyStatus {
        state,
        cache_version,
        stored_version,
        last_error: newest_dead
            .filter(|_| state == KeyState::DeadLettered)
            .and_then(|(_, _, error)| error.clone()),
        dead_letter_ids: letters.iter().filter_map(|(id, _, _)| *id).collect(),
    })
}
