//! Jotter: a write-behind cache.
#![forbid(unsafe_code)]

mod store;
mod value;

pub use store::{Change, FieldChange, Faults, MemoryStore, Store, StoreError, Write};
#[cfg(feature = "sqlite")]
pub use store::{SqliteOptions, SqliteStore, Synchronous};
pub use value::{FieldValue, MapKind, Value};
