//! The cluster's dead letters as a front end serves them
//! (`JOTTER.DEADLETTERS`): the stream [`DEAD_LETTERS`] that workers append
//! to (`worker/streams.rs`), counted, listed a page at a time, replayed
//! (`jotter_replay`: the key queued for the store again) and purged
//! (`jotter_purge`), each change one atomic function call in `front.lua`.
//!
//! # Ids
//!
//! A single node names a letter by its write's version; in a cluster one
//! write of many keys (MSET) has one version and may leave many letters,
//! so a letter is named by its own entry in the stream instead: entry
//! `MS-SEQ` is id `MS * 1000000 + SEQ` (the milliseconds it was
//! dead-lettered, readable in the number, then its sequence). Ids
//! therefore grow in the order letters were dead-lettered, and a `LIST`
//! cursor is the last id listed, as on a single node. An entry with a sequence of a million
//! or more (a million letters in one millisecond) has no id: it is counted
//! but not listed, and only `ALL` replays or purges it.

use std::collections::HashMap;

use jotter::Selection;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamRangeReply};

use crate::layout::DEAD_LETTERS;
use crate::worker::records;

/// Sequences per millisecond an id can tell apart.
const PER_MS: u64 = 1_000_000;

/// One dead letter as the stream holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamLetter {
    /// Its id (see the module's documentation).
    pub id: u64,
    /// Its fields as the worker wrote them: `id` (the write's version),
    /// `key`, `op`, `value_size`, `value_prefix`, `error_kind`, `error`,
    /// `attempts`, `first_failure_ms`, `last_failure_ms`, `stream`,
    /// `entry`.
    pub fields: HashMap<String, Vec<u8>>,
}

impl StreamLetter {
    /// The bytes of field `name`; empty if it has none.
    #[must_use]
    pub fn bytes(&self, name: &str) -> &[u8] {
        self.fields.get(name).map_or(&[], Vec::as_slice)
    }

    /// Field `name` as text (lossy).
    #[must_use]
    pub fn text(&self, name: &str) -> String {
        String::from_utf8_lossy(self.bytes(name)).into_owned()
    }

    /// Field `name` as a number; 0 if it is not one.
    #[must_use]
    pub fn number(&self, name: &str) -> u64 {
        std::str::from_utf8(self.bytes(name)).ok().and_then(|t| t.parse().ok()).unwrap_or(0)
    }

    fn of(entry: StreamId) -> Option<Self> {
        let id = letter_id(&entry.id)?;
        let fields = entry
            .map
            .into_iter()
            .filter_map(|(name, value)| Some((name, records::bytes(&value)?)))
            .collect();
        Some(StreamLetter { id, fields })
    }
}

/// The id of stream entry `entry` (`MS-SEQ`), if it has one.
#[must_use]
pub fn letter_id(entry: &str) -> Option<u64> {
    let (ms, seq) = entry.split_once('-')?;
    let seq: u64 = seq.parse().ok().filter(|&s| s < PER_MS)?;
    ms.parse::<u64>().ok()?.checked_mul(PER_MS)?.checked_add(seq)
}

/// The stream entry id `id` names.
#[must_use]
pub fn entry_of(id: u64) -> String {
    format!("{}-{}", id / PER_MS, id % PER_MS)
}

/// How many dead letters there are.
///
/// # Errors
///
/// Redis's, or a broken connection.
pub async fn dead_letter_count(connection: &mut MultiplexedConnection) -> redis::RedisResult<u64> {
    connection.xlen(DEAD_LETTERS).await
}

/// Up to `count` letters with ids above `after` (0: from the first), in
/// id order, and the next page's cursor: the last id listed if more
/// follow, `None` when this page ends the queue (a single node's paging).
///
/// # Errors
///
/// Redis's, or a broken connection.
pub async fn dead_letters_page(
    connection: &mut MultiplexedConnection,
    after: u64,
    count: usize,
) -> redis::RedisResult<(Vec<StreamLetter>, Option<u64>)> {
    let start = if after == 0 { "-".to_owned() } else { format!("({}", entry_of(after)) };
    let reply: StreamRangeReply =
        connection.xrange_count(DEAD_LETTERS, start, "+", count.saturating_add(1)).await?;
    let mut letters: Vec<StreamLetter> =
        reply.ids.into_iter().filter_map(StreamLetter::of).collect();
    let more = letters.len() > count;
    letters.truncate(count);
    let next = if more { letters.last().map(|l| l.id) } else { None };
    Ok((letters, next))
}

/// Queues the selected letters' keys for the store again and removes the
/// letters (`jotter_replay`); returns how many left the queue.
///
/// # Errors
///
/// Redis's, or a broken connection.
pub async fn replay_dead_letters(
    connection: &mut MultiplexedConnection,
    selection: &Selection,
) -> redis::RedisResult<u64> {
    selected("jotter_replay", selection).query_async(connection).await
}

/// Removes the selected letters (`jotter_purge`); returns their keys.
///
/// # Errors
///
/// Redis's, or a broken connection.
pub async fn purge_dead_letters(
    connection: &mut MultiplexedConnection,
    selection: &Selection,
) -> redis::RedisResult<Vec<Vec<u8>>> {
    selected("jotter_purge", selection).query_async(connection).await
}

/// `FCALL function 0 ALL` or `FCALL function 0 entry...`.
fn selected(function: &str, selection: &Selection) -> redis::Cmd {
    let mut call = redis::cmd("FCALL");
    call.arg(function).arg(0);
    match selection {
        Selection::All => {
            call.arg("ALL");
        }
        Selection::Ids(ids) => {
            for id in ids {
                call.arg(entry_of(*id));
            }
        }
    }
    call
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_entries_name_each_other() {
        assert_eq!(letter_id("1765130000123-7"), Some(1_765_130_000_123_000_007));
        assert_eq!(entry_of(1_765_130_000_123_000_007), "1765130000123-7");
        assert_eq!(letter_id("1-999999"), Some(1_999_999));
        assert_eq!(letter_id("1-1000000"), None);
        assert_eq!(letter_id("x-1"), None);
        assert_eq!(letter_id("99999999999999-0"), None);
    }
}
