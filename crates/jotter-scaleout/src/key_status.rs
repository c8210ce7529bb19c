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
//!
//! [`write_state`] answers the same from one write's side (a front end's
//! write-through waits on it): stored once the store has that version or
//! a newer one (a worker stores the value Redis holds, so a later write
//! can carry an earlier one into the store), dead-lettered once a letter
//! holds that version or a newer one.

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
    let Facts { cache_version, stored_version, letters } = facts(connection, key).await?;
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

/// Where one write of a key stands: see [`write_state`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteState {
    /// The store has the write's version or a newer one.
    Stored,
    /// A dead letter holds the write's version or a newer one: its error.
    DeadLettered(String),
    /// Neither yet: queued, or being stored.
    Pending,
}

/// Where the write of `key` at `version` stands.
///
/// # Errors
///
/// Redis's, or a broken connection.
pub async fn write_state(
    connection: &mut MultiplexedConnection,
    key: &[u8],
    version: u64,
) -> redis::RedisResult<WriteState> {
    let Facts { stored_version, letters, .. } = facts(connection, key).await?;
    if stored_version.is_some_and(|stored| stored >= version) {
        return Ok(WriteState::Stored);
    }
    let dead =
        letters.into_iter().rev().find(|(_, letter, _)| letter.is_some_and(|l| l >= version));
    Ok(match dead {
        Some((_, _, error)) => WriteState::DeadLettered(error.unwrap_or_default()),
        None => WriteState::Pending,
    })
}

/// What `jotter_key` reads of a key in one step, versions as numbers
/// (decimal `u64` strings in Redis).
struct Facts {
    cache_version: Option<u64>,
    stored_version: Option<u64>,
    /// Its dead letters, oldest first: (id, version, error).
    letters: Vec<(Option<u64>, Option<u64>, Option<String>)>,
}

async fn facts(connection: &mut MultiplexedConnection, key: &[u8]) -> redis::RedisResult<Facts> {
    // [newest or nil, stored or nil, [[entry, version, error], ...]]
    type Reply = (Option<String>, Option<String>, Vec<(String, Option<String>, Option<String>)>);
    let (newest, stored, letters): Reply =
        redis::cmd("FCALL").arg("jotter_key").arg(1).arg(key).query_async(connection).await?;
    let number = |v: Option<String>| v.and_then(|t| t.parse::<u64>().ok());
    Ok(Facts {
        cache_version: number(newest),
        stored_version: number(stored),
        letters: letters
            .into_iter()
            .map(|(entry, version, error)| (letter_id(&entry), number(version), error))
            .collect(),
    })
}
