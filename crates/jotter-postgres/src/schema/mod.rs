//! The PostgreSQL store's schema: the tables and their migrations
//! (`migrations`), and the statements that change them, one module per
//! value type as in the SQLite store.
//!
//! - `keys`: what applies to a key whatever its type (resets, a map's
//!   expiry) and the fragments the types' statements share.
//! - `strings`: puts into `jotter_strings`.
//! - `hashes`, `zsets`: field sets and removals, built by `map` from each
//!   map table's name and columns.
//!
//! A new value type adds its tables in a new migration and its module here;
//! the loads and listings that read every table are in the read module.

pub(crate) mod hashes;
pub(crate) mod keys;
mod map;
mod migrations;
pub(crate) mod strings;
pub(crate) mod zsets;

pub(crate) use migrations::migrate;
pub use migrations::{MIGRATIONS, Migrated, SCHEMA_VERSION};
