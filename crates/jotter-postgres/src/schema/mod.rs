//! The PostgreSQL store's schema: the tables and their migrations
//! (`migrations`), and the statements that change them, one module per
//! value type as in the SQLite store.
//!
//! - `keys`: what applies to a key whatever its type (resets, a map's
//!   expiry); `reset`: a key's reset version, which every write compares.
//! - `strings`: puts into `jotter_strings`.
//! - `hashes`, `zsets`, `sets`, `lists`, `streams`: each map type's tables
//!   ([`MapTable`]), whose field sets and removals `map` builds.
//!
//! - `value_column`: a map table's value column as an array parameter.
//!
//! A new map type adds its table in a new migration, its module here (its
//! table, and how its field values go into the value column and come back
//! from a load) and its table to [`maps`]; the statements that touch every
//! table (a reset's drops, the loads and listings of the read module), the
//! split of a batch into arrays (`write::Columns`) and the reading of a
//! load's rows (`read::entry_from_rows`) take it from there.

mod hashes;
pub(crate) mod keys;
mod lists;
mod map;
mod migrations;
mod reset;
mod sets;
pub(crate) mod streams;
pub(crate) mod strings;
mod value_column;
mod zsets;

pub(crate) use map::MapTable;
pub(crate) use migrations::migrate;
pub use migrations::{MIGRATIONS, Migrated, SCHEMA_VERSION};
pub(crate) use value_column::ValueColumn;

/// Every map type's table, in the order loads and listings read them (and
/// a load prefers them: the engine never leaves a key with fields in two).
pub(crate) fn maps() -> [&'static MapTable; 6] {
    [&hashes::TABLE, &zsets::TABLE, &sets::TABLE, &lists::TABLE, &streams::ENTRIES, &streams::STATE]
}
