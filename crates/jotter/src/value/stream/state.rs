//! What a stream keeps besides its entries, as plain values: its metadata,
//! a group's header, a consumer, a pending entry. The stream owns them
//! (`mod.rs`); `fields.rs` spells them as field values.

use bytes::Bytes;

use super::id::StreamId;

/// What a stream keeps besides its entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamMeta {
    /// The greatest id ever added (or set by XSETID).
    pub last_id: StreamId,
    /// How many entries were ever added.
    pub entries_added: u64,
    /// The greatest id ever deleted.
    pub max_deleted_id: StreamId,
}

/// A consumer group's own state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupHeader {
    /// The last id delivered to the group.
    pub last_id: StreamId,
    /// How many entries the group has read, if known.
    pub entries_read: Option<u64>,
}

/// A group's consumer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// When it last read or claimed (Unix milliseconds).
    pub seen: u64,
}

/// An entry delivered to a group and not yet acknowledged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// The consumer it was last delivered to.
    pub consumer: Bytes,
    /// When it was last delivered (Unix milliseconds).
    pub delivered_at: u64,
    /// How many times it was delivered.
    pub deliveries: u64,
}
