//! Jotter's own keys in Redis and the shape of a change record. Every name
//! starts with [`RESERVED_PREFIX`]; front ends refuse user keys that do, and
//! hide Jotter's keys from every listing, so clients see only their keys.
//!
//! Format 1:
//!
//! - [`META`], a hash: `format` (this format's number, [`FORMAT`]) and
//!   `shards` (the number of shard streams, fixed when the first process
//!   creates the layout; every process refuses to run against another).
//! - [`CLOCK`], a string: the last version handed out (a decimal `u64`).
//! - [`VERSIONS`], a hash: each user key with a pending or stored write, to
//!   the version of its newest write.
//! - [`STORED`], a hash: each user key the workers stored, to the newest
//!   version of it the store committed (raised only, when the records are
//!   acknowledged; `JOTTER.KEY` compares it with [`VERSIONS`]).
//! - `{jotter}:s:<i>` for `i` in `0..shards` ([`shard_stream`]): the change
//!   records, each entry the fields [`FIELD_KEY`] and [`FIELD_VERSION`],
//!   read by the consumer group [`CONSUMER_GROUP`].
//! - [`DEAD_LETTERS`], a stream of records the store refused for good
//!   (`dead_letters.rs` says how a front end names them).

/// The prefix of every key Jotter keeps in Redis (a hash tag, so that a
/// Redis Cluster would keep them in one slot).
pub const RESERVED_PREFIX: &[u8] = b"{jotter}:";
/// The layout's metadata hash.
pub const META: &str = "{jotter}:meta";
/// The version clock.
pub const CLOCK: &str = "{jotter}:clock";
/// User key to the version of its newest write.
pub const VERSIONS: &str = "{jotter}:ver";
/// User key to the newest version of it the store committed.
pub const STORED: &str = "{jotter}:stored";
/// The dead-letter stream.
pub const DEAD_LETTERS: &str = "{jotter}:dead";
/// The consumer group of the flush workers on every shard stream.
pub const CONSUMER_GROUP: &str = "workers";
/// A change record's field holding the user key.
pub const FIELD_KEY: &str = "k";
/// A change record's field holding the write's version (decimal).
pub const FIELD_VERSION: &str = "v";
/// The layout's format number, in [`META`]'s `format` field.
pub const FORMAT: u32 = 1;

/// Whether `key` is one of Jotter's own (starts with [`RESERVED_PREFIX`]).
#[must_use]
pub fn is_reserved(key: &[u8]) -> bool {
    key.starts_with(RESERVED_PREFIX)
}

/// The shard stream a key's change records go to: FNV-1a (64 bits) of the
/// key modulo `shards`. A stable hash, so every front end of every version
/// sends one key's records to one stream, in order.
#[must_use]
pub fn shard_of(key: &[u8], shards: u32) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in key {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    u32::try_from(hash % u64::from(shards.max(1))).expect("below a u32")
}

/// The name of shard stream `shard`.
#[must_use]
pub fn shard_stream(shard: u32) -> String {
    format!("{{jotter}}:s:{shard}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_always_goes_to_the_same_shard() {
        // FNV-1a of "" is the offset basis; these pin the hash so that a
        // change of it (which would reorder a key's records across
        // versions) fails here.
        assert_eq!(shard_of(b"", 1_000_003), (0xcbf2_9ce4_8422_2325u64 % 1_000_003) as u32);
        assert_eq!(
            shard_of(b"a", u32::MAX),
            (0xaf63_dc4c_8601_ec8cu64 % u64::from(u32::MAX)) as u32
        );
        assert_eq!(shard_of(b"user:1", 1), 0);
    }

    #[test]
    fn reserved_keys_are_told_apart() {
        assert!(is_reserved(b"{jotter}:s:0"));
        assert!(!is_reserved(b"jotter:s:0"));
        assert_eq!(shard_stream(3), "{jotter}:s:3");
    }
}
