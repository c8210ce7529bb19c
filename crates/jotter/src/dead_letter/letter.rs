//! One dead letter: the refused write with what the store said, how often
//! and when, and the words an operator reads it by (its id, its operation,
//! its value's size and first bytes).

use std::time::SystemTime;

use bytes::Bytes;

use crate::store::{Change, StoreErrorKind, Write};
use crate::value::FieldValue;

/// One write the store refused for good.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The write, with its original version.
    pub write: Write,
    /// The store's last error for it, in the store's own words.
    pub error: String,
    /// Whether that last error was transient or permanent.
    pub error_kind: ErrorClass,
    /// How many times it was tried.
    pub attempts: u32,
    /// When it was first moved here (to the millisecond).
    pub first_failure: SystemTime,
    /// When it last failed: moved here, or refused again by a replay (to the
    /// millisecond).
    pub last_failure: SystemTime,
    /// The first version folded into the write: a ticket for any version
    /// from here to `write.version` ended in this letter.
    pub(crate) first_version: u64,
}

impl DeadLetter {
    /// A letter for `write`, refused for good after `attempts` tries with
    /// `error`, first at `first_failure` and last now: how a process that
    /// flushes writes outside the engine (a scale-out worker) describes
    /// one in the engine's words.
    #[must_use]
    pub fn refused(
        write: Write,
        error: String,
        attempts: u32,
        first_failure: SystemTime,
    ) -> DeadLetter {
        let first_version = write.version;
        DeadLetter {
            write,
            error,
            error_kind: ErrorClass::Permanent,
            attempts,
            first_failure,
            last_failure: SystemTime::now(),
            first_version,
        }
    }

    /// The letter's id: its write's version, unique and stable across
    /// restarts.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.write.version
    }

    /// The change as one lowercase word: `set` (a whole value), `delete`,
    /// `set-fields` (fields of a map), `reset-fields` (fields of a map that
    /// replaces whatever the key held).
    #[must_use]
    pub fn op(&self) -> &'static str {
        match &self.write.change {
            Change::Put(_) => "set",
            Change::Delete => "delete",
            Change::Patch { reset: None, .. } => "set-fields",
            Change::Patch { reset: Some(_), .. } => "reset-fields",
        }
    }

    /// The bytes of the value the write carries: a whole value's length, or
    /// for fields the sum of each field's name and value; 0 for a delete.
    #[must_use]
    pub fn value_size(&self) -> u64 {
        match &self.write.change {
            Change::Put(value) => value.len() as u64,
            Change::Delete => 0,
            Change::Patch { fields, .. } => fields
                .iter()
                .map(|f| (f.field.len() + f.value.as_ref().map_or(0, field_len)) as u64)
                .sum(),
        }
    }

    /// The first `max` bytes of the value: a whole value's own bytes, or for
    /// fields `name=value` pairs separated by spaces (a removed field, or a
    /// set's member, is `name` alone); empty for a delete.
    #[must_use]
    pub fn value_prefix(&self, max: usize) -> Bytes {
        match &self.write.change {
            Change::Put(value) => value.slice(..value.len().min(max)),
            Change::Delete => Bytes::new(),
            Change::Patch { fields, .. } => {
                let mut out = Vec::new();
                for f in fields {
                    if out.len() >= max {
                        break;
                    }
                    if !out.is_empty() {
                        out.push(b' ');
                    }
                    out.extend_from_slice(&f.field);
                    match &f.value {
                        Some(
                            FieldValue::Bytes(v) | FieldValue::Stream(v) | FieldValue::Element(v),
                        ) => {
                            out.push(b'=');
                            out.extend_from_slice(v);
                        }
                        Some(FieldValue::Score(s)) => {
                            out.push(b'=');
                            out.extend_from_slice(s.to_string().as_bytes());
                        }
                        Some(FieldValue::Member) | None => {}
                    }
                }
                out.truncate(max);
                Bytes::from(out)
            }
        }
    }
}

fn field_len(value: &FieldValue) -> usize {
    match value {
        FieldValue::Bytes(v) | FieldValue::Stream(v) | FieldValue::Element(v) => v.len(),
        FieldValue::Score(s) => s.to_string().len(),
        FieldValue::Member => 0,
    }
}

/// Whether a dead letter's last error may pass by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The store refused the data (a constraint, a type): it stays refused
    /// until the data or the schema changes.
    Permanent,
    /// The store failed or could not be reached at the last attempt (a
    /// replay during an outage); a later replay may succeed as it is.
    Transient,
}

impl ErrorClass {
    /// `permanent` or `transient`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Permanent => "permanent",
            ErrorClass::Transient => "transient",
        }
    }
}

impl From<StoreErrorKind> for ErrorClass {
    fn from(kind: StoreErrorKind) -> Self {
        match kind {
            StoreErrorKind::Permanent => ErrorClass::Permanent,
            _ => ErrorClass::Transient,
        }
    }
}
