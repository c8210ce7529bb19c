//! [`Txn`]: the view a [`Cache::transact`](crate::Cache::transact) closure
//! gets of the keys it declared, and the writes it makes to them.
//!
//! The closure runs with the shard locks of every declared key held, so
//! what it reads and writes is one atomic step: no other write of those keys
//! comes between. Each key's writes within one transaction fold into one
//! op with one version, exactly as coalescing folds separate writes, so the
//! store receives the key's state after the transaction, never a step of it.
//!
//! Expiry is applied here: a key whose expiry has passed reads as absent,
//! and a transaction that succeeds deletes it from the store behind (lazy
//! expiry), even if the closure only read it. That delete is best-effort: a
//! read is never refused for it (a full buffer, the cache closing); the
//! active sweep deletes the key later instead.

use bytes::Bytes;

use crate::error::{Error, Result, Shape};
use crate::op::Op;
use crate::owned::own;
use crate::value::{Entry, FieldValue, MapKind, Value};

/// One declared key: what it held when the transaction began, what it holds
/// now, and the op that gets it from one to the other.
#[derive(Debug)]
pub(crate) struct Slot {
    pub key: Bytes,
    pub now: Option<Entry>,
    /// The folded op of this transaction's writes of the key (versions 0
    /// until it is accepted).
    pub op: Option<Op>,
    /// Declared without its value (not loaded): reading it before writing
    /// it is a bug in the caller.
    blind: bool,
    /// The op is only the delete of an expired key that the transaction
    /// read: worth sending, but not worth failing a read for (no room, the
    /// cache closing), so it may be dropped.
    pub lazy: bool,
}

impl Slot {
    /// A key as the buffer and cache see it at `now`; an expired entry is
    /// absent, and gets a delete so the store forgets it too.
    pub(crate) fn new(key: Bytes, entry: Option<Entry>, now: u64) -> Self {
        match entry {
            Some(e) if e.is_expired(now) => {
                Slot { key, now: None, op: Some(Op::Delete), blind: false, lazy: true }
            }
            entry => Slot { key, now: entry, op: None, blind: false, lazy: false },
        }
    }

    /// A key whose value is not known (and not needed: it will be
    /// overwritten whole).
    pub(crate) fn blind(key: Bytes) -> Self {
        Slot { key, now: None, op: None, blind: true, lazy: false }
    }

    fn push(&mut self, op: Op) {
        self.lazy = false;
        match &mut self.op {
            Some(mine) => mine.fold(op, 0),
            None => self.op = Some(op),
        }
    }
}

/// Read and write access to the keys declared to
/// [`Cache::transact`](crate::Cache::transact).
///
/// Reads see the transaction's own writes. Using a key that was not
/// declared is a bug in the caller, and panics.
#[derive(Debug)]
pub struct Txn<'a> {
    slots: &'a mut [Slot],
    now: u64,
}

impl<'a> Txn<'a> {
    pub(crate) fn new(slots: &'a mut [Slot], now: u64) -> Self {
        Txn { slots, now }
    }

    fn slot(&self, key: &[u8]) -> &Slot {
        match self.slots.iter().find(|s| s.key == key) {
            Some(slot) if slot.blind => panic!(
                "key {} was written blind and cannot be read before it is written",
                crate::LogKey(key)
            ),
            Some(slot) => slot,
            None => undeclared(key),
        }
    }

    fn slot_mut(&mut self, key: &[u8]) -> &mut Slot {
        match self.slots.iter_mut().find(|s| s.key == key) {
            Some(slot) => slot,
            None => undeclared(key),
        }
    }

    /// The wall-clock time the transaction runs at, in Unix milliseconds:
    /// the clock expiry is judged by.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The key's value, or `None` if it is absent or expired.
    #[must_use]
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.slot(key).now.as_ref().map(|e| &e.value)
    }

    /// The key's value with its expiry.
    #[must_use]
    pub fn entry(&self, key: &[u8]) -> Option<&Entry> {
        self.slot(key).now.as_ref()
    }

    /// When the key expires (Unix milliseconds); `None` if it never does or
    /// is absent.
    #[must_use]
    pub fn expires_at(&self, key: &[u8]) -> Option<u64> {
        self.slot(key).now.as_ref().and_then(|e| e.expires_at)
    }

    /// Replaces the whole key with `value`, expiring at `expires_at`. An
    /// empty map deletes the key.
    ///
    /// The value's bytes are copied into allocations of their own here, once
    /// (see `owned.rs`): the op and the key's new value share that copy.
    pub fn put(&mut self, key: &[u8], value: Value, expires_at: Option<u64>) {
        self.put_op(key, whole_op(value, expires_at).into_owned());
    }

    /// [`put`](Txn::put) of a blob given as bytes: the one copy the key
    /// keeps is made from them directly (a counter's digits, say).
    pub fn put_blob(&mut self, key: &[u8], value: &[u8], expires_at: Option<u64>) {
        self.put_op(key, Op::Put { value: Bytes::copy_from_slice(value), expires_at });
    }

    /// Replaces the key with what `op` (a whole write holding its own
    /// bytes) makes of it.
    fn put_op(&mut self, key: &[u8], op: Op) {
        let slot = self.slot_mut(key);
        slot.blind = false;
        slot.now = op.apply(None);
        slot.push(op);
    }

    /// Removes the key; returns whether it was there (always false for a
    /// key written blind, whose value is not known).
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let slot = self.slot_mut(key);
        if std::mem::take(&mut slot.blind) {
            slot.push(Op::Delete);
            return false;
        }
        let existed = slot.now.take().is_some();
        if existed {
            slot.push(Op::Delete);
        }
        existed
    }

    /// Sets (`Some`) or removes (`None`) fields of a map of `kind`, creating
    /// the map if the key is absent and removing the key if no field is
    /// left. The key keeps its expiry. A field given more than once takes
    /// its last change.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] if the key holds a blob or the other kind of
    /// map, or a value is of the other kind; nothing is changed then.
    pub fn set_fields(
        &mut self,
        key: &[u8],
        kind: MapKind,
        changes: impl IntoIterator<Item = (Bytes, Option<FieldValue>)>,
    ) -> Result<()> {
        let slot = self.known_slot_mut(key);
        let wrong = Error::WrongType { expected: Shape::Map(kind) };
        if slot.now.as_ref().is_some_and(|e| e.value.map_kind() != Some(kind)) {
            return Err(wrong);
        }
        // Copied here, once: the op and the key's new value share the copy.
        let fields: std::collections::BTreeMap<_, _> = changes
            .into_iter()
            .map(|(f, v)| (own(&f), (0, v.map(FieldValue::into_owned))))
            .collect();
        if fields.values().any(|(_, v)| v.as_ref().is_some_and(|v| v.kind() != kind)) {
            return Err(wrong);
        }
        if fields.is_empty() {
            return Ok(());
        }
        let expires_at = slot.now.as_ref().and_then(|e| e.expires_at);
        let op = Op::Patch { kind, reset: None, fields, expires_at };
        slot.now = op.apply(slot.now.take());
        slot.push(op);
        Ok(())
    }

    /// Sets or clears the key's expiry (Unix milliseconds); returns false,
    /// changing nothing, if the key is absent. An expiry at or before
    /// [`now`](Txn::now) deletes the key, as Redis does.
    pub fn set_expiry(&mut self, key: &[u8], expires_at: Option<u64>) -> bool {
        let now = self.now;
        let slot = self.known_slot_mut(key);
        let Some(entry) = &mut slot.now else { return false };
        if expires_at.is_some_and(|at| at <= now) {
            slot.now = None;
            slot.push(Op::Delete);
            return true;
        }
        entry.expires_at = expires_at;
        let op = match (&entry.value, entry.value.map_kind()) {
            (Value::Blob(b), _) => Op::Put { value: b.clone(), expires_at },
            // A map's expiry is a patch that writes no field.
            (_, kind) => Op::Patch {
                kind: kind.expect("a value that is not a blob is a map"),
                reset: None,
                fields: std::collections::BTreeMap::new(),
                expires_at,
            },
        };
        slot.push(op);
        true
    }
}

impl Txn<'_> {
    /// A slot whose value must be known (a field write builds on it).
    fn known_slot_mut(&mut self, key: &[u8]) -> &mut Slot {
        let slot = self.slot_mut(key);
        assert!(
            !slot.blind,
            "key {} was written blind and cannot be changed field by field",
            crate::LogKey(key)
        );
        slot
    }
}

#[track_caller]
fn undeclared(key: &[u8]) -> ! {
    panic!("key {} was not declared to this transaction", crate::LogKey(key))
}

/// The op that replaces a key with `value`.
pub(crate) fn whole_op(value: Value, expires_at: Option<u64>) -> Op {
    if let Value::Blob(value) = value {
        return Op::Put { value, expires_at };
    }
    match value.to_patch() {
        Some((kind, fields)) if !fields.is_empty() => {
            Op::Patch { kind, reset: Some(0), fields, expires_at }
        }
        // A map with no fields is no key, as in Redis.
        _ => Op::Delete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[test]
    fn an_expired_key_reads_absent_and_is_deleted_behind() {
        let entry = Entry { value: Value::from("v"), expires_at: Some(10) };
        let mut slots = [Slot::new(b("k"), Some(entry), 10)];
        let txn = Txn::new(&mut slots, 10);
        assert_eq!(txn.get(b"k"), None);
        assert_eq!(slots[0].op, Some(Op::Delete));
    }

    #[test]
    fn fields_written_over_an_expired_map_reset_it_first() {
        let old = Value::Hash(std::sync::Arc::new([(b("old"), b("x"))].into()));
        let mut slots = [Slot::new(b("h"), Some(Entry { value: old, expires_at: Some(5) }), 9)];
        let mut txn = Txn::new(&mut slots, 9);
        txn.set_fields(b"h", MapKind::Hash, [(b("new"), Some(FieldValue::Bytes(b("y"))))]).unwrap();
        assert_eq!(txn.get(b"h").unwrap().field(b"old"), None);
        let Some(Op::Patch { reset, .. }) = &slots[0].op else { panic!("{:?}", slots[0].op) };
        assert!(reset.is_some(), "the store's old fields must go");
    }

    #[test]
    fn writes_fold_into_one_op_and_reads_see_them() {
        let mut slots = [Slot::new(b("k"), None, 0)];
        let mut txn = Txn::new(&mut slots, 0);
        txn.put(b"k", Value::from("a"), None);
        assert!(txn.set_expiry(b"k", Some(100)));
        assert_eq!(txn.expires_at(b"k"), Some(100));
        assert_eq!(txn.get(b"k"), Some(&Value::from("a")));
        assert_eq!(slots[0].op, Some(Op::Put { value: b("a"), expires_at: Some(100) }));
    }

    #[test]
    fn a_field_given_twice_takes_its_last_change() {
        let mut slots = [Slot::new(b("h"), None, 0)];
        let mut txn = Txn::new(&mut slots, 0);
        let twice = [("f", "1"), ("g", "x"), ("f", "2")]
            .map(|(f, v)| (b(f), Some(FieldValue::Bytes(b(v)))));
        txn.set_fields(b"h", MapKind::Hash, twice).unwrap();
        assert_eq!(txn.get(b"h").unwrap().field(b"f"), Some(FieldValue::Bytes(b("2"))));
    }

    #[test]
    fn a_wrong_kind_changes_nothing() {
        let mut slots = [Slot::new(b("k"), Some(Entry::new(Value::from("blob"))), 0)];
        let mut txn = Txn::new(&mut slots, 0);
        let err = txn.set_fields(b"k", MapKind::Scores, [(b("m"), Some(FieldValue::Score(1.0)))]);
        assert!(matches!(err, Err(Error::WrongType { .. })));
        assert_eq!(slots[0].op, None);
    }

    #[test]
    fn an_expiry_in_the_past_deletes() {
        let mut slots = [Slot::new(b("k"), Some(Entry::new(Value::from("v"))), 50)];
        let mut txn = Txn::new(&mut slots, 50);
        assert!(txn.set_expiry(b"k", Some(50)));
        assert_eq!(txn.get(b"k"), None);
        assert_eq!(slots[0].op, Some(Op::Delete));
    }

    #[test]
    fn a_blind_key_is_written_without_being_read() {
        let mut slots = [Slot::blind(b("k"))];
        let mut txn = Txn::new(&mut slots, 0);
        txn.put(b"k", Value::from("v"), Some(9));
        assert_eq!(txn.get(b"k"), Some(&Value::from("v")), "readable once written");
        assert_eq!(slots[0].op, Some(Op::Put { value: b("v"), expires_at: Some(9) }));
    }

    #[test]
    #[should_panic(expected = "written blind")]
    fn reading_a_blind_key_first_panics() {
        let mut slots = [Slot::blind(b("k"))];
        let _ = Txn::new(&mut slots, 0).get(b"k");
    }

    #[test]
    #[should_panic(expected = "not declared")]
    fn an_undeclared_key_panics() {
        let mut slots = [Slot::new(b("k"), None, 0)];
        let _ = Txn::new(&mut slots, 0).get(b"other");
    }
}
