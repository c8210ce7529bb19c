//! [`Write::replace`]: a whole value as one store write, built as the
//! engine builds the write of a value replaced whole (RESTORE, SET over a
//! map), for a process that flushes whole values it read elsewhere (a
//! scale-out worker) and must write the same rows a single node would.

use bytes::Bytes;

use crate::op::Op;
use crate::store::Write;
use crate::txn::whole_op;
use crate::value::Entry;

impl Write {
    /// The write that replaces the key whole at `version` with `entry`: a
    /// blob is a put, a map a patch that resets the key at `version` and
    /// sets every field at it, and no entry (or a map with no fields) a
    /// delete.
    #[must_use]
    pub fn replace(key: impl Into<Bytes>, version: u64, entry: Option<Entry>) -> Self {
        let mut op = match entry {
            Some(entry) => whole_op(entry.value, entry.expires_at),
            None => Op::Delete,
        };
        op.stamp(version);
        Write { key: key.into(), version, change: op.to_change(), expires_at: op.expires_at() }
    }
}
