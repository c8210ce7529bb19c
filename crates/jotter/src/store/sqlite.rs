//! The embedded SQLite store (being written).
#![allow(missing_docs, dead_code)]
pub struct SqliteStore;
pub struct SqliteOptions;
pub enum Synchronous {}
