//! The tables and their versioned migrations.
//!
//! This module owns the tables' definitions and the rule for changing them:
//! [`MIGRATIONS`] is an append-only list of SQL steps, each taking the schema
//! from one version to the next. [`migrate`] runs the missing steps in one
//! transaction under an advisory lock, so several instances starting at once
//! upgrade the schema once; a database whose `schema_version` is newer than
//! the last step is refused, never downgraded.
//!
//! The tables mean what they mean in the SQLite store (keys, fields, members
//! and values are `bytea`, versions `bigint`, expiries Unix milliseconds in
//! `bigint`, `NULL` for never), with one difference: a put does not write a
//! row into `jotter_key_resets`, because the string row's own `version` is
//! the key's reset version. The key's reset version is therefore the greater
//! of its `jotter_key_resets.version` and its `jotter_strings.version`; that
//! saves one index write per put, the most common write by far.

use tokio_postgres::{Client, Transaction};

use crate::error::PgError;

/// The newest schema version this code knows: the length of [`MIGRATIONS`].
pub const SCHEMA_VERSION: u32 = 6;

/// The steps, in order: step `i` takes the schema from version `i` to
/// `i + 1`. Append only; never edit a step that has shipped.
pub const MIGRATIONS: &[&str] = &[
    // 1: the tables of the first release.
    "
    CREATE TABLE jotter_strings (
        key        bytea PRIMARY KEY,
        value      bytea NOT NULL,
        version    bigint NOT NULL,
        expires_at bigint
    );
    CREATE INDEX jotter_strings_expiry ON jotter_strings (expires_at)
        WHERE expires_at IS NOT NULL;
    CREATE TABLE jotter_hashes (
        key     bytea,
        field   bytea,
        value   bytea NOT NULL,
        version bigint NOT NULL,
        PRIMARY KEY (key, field)
    );
    CREATE TABLE jotter_zsets (
        key     bytea,
        member  bytea,
        score   double precision NOT NULL,
        version bigint NOT NULL,
        PRIMARY KEY (key, member)
    );
    CREATE TABLE jotter_key_resets (
        key     bytea PRIMARY KEY,
        version bigint NOT NULL
    );
    CREATE TABLE jotter_field_tombstones (
        key     bytea,
        field   bytea,
        version bigint NOT NULL,
        PRIMARY KEY (key, field)
    );
    CREATE TABLE jotter_expiry (
        key        bytea PRIMARY KEY,
        expires_at bigint,
        version    bigint NOT NULL
    );
    CREATE INDEX jotter_expiry_at ON jotter_expiry (expires_at)
        WHERE expires_at IS NOT NULL;
    ",
    // 2: the versions of keys written into the user's own tables (see the
    // mapping module): per mapped table and key, the reset version under
    // field '' and each column's version under its name.
    "
    CREATE TABLE jotter_mapped_versions (
        tbl     text,
        key     bytea,
        field   text,
        version bigint NOT NULL,
        PRIMARY KEY (tbl, key, field)
    );
    ",
    // 3: keys, fields and members of any length (see the key_index module):
    // each primary key over raw bytes, whose btree rows cannot exceed about
    // 2.7 KB, becomes a unique index over the first 512 bytes and, beyond
    // them, a SHA-256. The columns and their rows stay as they were.
    "
    ALTER TABLE jotter_strings DROP CONSTRAINT jotter_strings_pkey;
    ALTER TABLE jotter_strings ALTER COLUMN key SET NOT NULL;
    CREATE UNIQUE INDEX jotter_strings_key ON jotter_strings
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END));
    ALTER TABLE jotter_hashes DROP CONSTRAINT jotter_hashes_pkey;
    ALTER TABLE jotter_hashes ALTER COLUMN key SET NOT NULL, ALTER COLUMN field SET NOT NULL;
    CREATE UNIQUE INDEX jotter_hashes_key ON jotter_hashes
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END),
         (substr(field, 1, 512)), (CASE WHEN length(field) > 512 THEN sha256(field) ELSE ''::bytea END));
    ALTER TABLE jotter_zsets DROP CONSTRAINT jotter_zsets_pkey;
    ALTER TABLE jotter_zsets ALTER COLUMN key SET NOT NULL, ALTER COLUMN member SET NOT NULL;
    CREATE UNIQUE INDEX jotter_zsets_key ON jotter_zsets
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END),
         (substr(member, 1, 512)), (CASE WHEN length(member) > 512 THEN sha256(member) ELSE ''::bytea END));
    ALTER TABLE jotter_key_resets DROP CONSTRAINT jotter_key_resets_pkey;
    ALTER TABLE jotter_key_resets ALTER COLUMN key SET NOT NULL;
    CREATE UNIQUE INDEX jotter_key_resets_key ON jotter_key_resets
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END));
    ALTER TABLE jotter_field_tombstones DROP CONSTRAINT jotter_field_tombstones_pkey;
    ALTER TABLE jotter_field_tombstones
        ALTER COLUMN key SET NOT NULL, ALTER COLUMN field SET NOT NULL;
    CREATE UNIQUE INDEX jotter_field_tombstones_key ON jotter_field_tombstones
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END),
         (substr(field, 1, 512)), (CASE WHEN length(field) > 512 THEN sha256(field) ELSE ''::bytea END));
    ALTER TABLE jotter_expiry DROP CONSTRAINT jotter_expiry_pkey;
    ALTER TABLE jotter_expiry ALTER COLUMN key SET NOT NULL;
    CREATE UNIQUE INDEX jotter_expiry_key ON jotter_expiry
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END));
    ALTER TABLE jotter_mapped_versions DROP CONSTRAINT jotter_mapped_versions_pkey;
    ALTER TABLE jotter_mapped_versions
        ALTER COLUMN tbl SET NOT NULL, ALTER COLUMN key SET NOT NULL,
        ALTER COLUMN field SET NOT NULL;
    CREATE UNIQUE INDEX jotter_mapped_versions_key ON jotter_mapped_versions
        (tbl, (substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END), field);
    ",
    // 4: streams. One row per entry in jotter_streams: its id as 16
    // big-endian bytes (so bytea order is id order), its pairs, and the id's
    // two parts as plain columns for SQL to read and order by; the stream's
    // metadata, groups, consumers and pending entries a row each in
    // jotter_stream_state. Both indexed as the other map tables are.
    "
    CREATE TABLE jotter_streams (
        key     bytea NOT NULL,
        id      bytea NOT NULL,
        fields  bytea NOT NULL,
        version bigint NOT NULL,
        ms      bigint GENERATED ALWAYS AS (CASE WHEN length(id) = 16
                    THEN ('x' || encode(substr(id, 1, 8), 'hex'))::bit(64)::bigint END) STORED,
        seq     bigint GENERATED ALWAYS AS (CASE WHEN length(id) = 16
                    THEN ('x' || encode(substr(id, 9, 8), 'hex'))::bit(64)::bigint END) STORED
    );
    CREATE UNIQUE INDEX jotter_streams_key ON jotter_streams
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END),
         (substr(id, 1, 512)), (CASE WHEN length(id) > 512 THEN sha256(id) ELSE ''::bytea END));
    CREATE TABLE jotter_stream_state (
        key     bytea NOT NULL,
        item    bytea NOT NULL,
        state   bytea NOT NULL,
        version bigint NOT NULL
    );
    CREATE UNIQUE INDEX jotter_stream_state_key ON jotter_stream_state
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END),
         (substr(item, 1, 512)), (CASE WHEN length(item) > 512 THEN sha256(item) ELSE ''::bytea END));
    ",
    // 5: sets, one row per member and no value, indexed as the other map
    // tables since step 3.
    "
    CREATE TABLE jotter_sets (
        key     bytea NOT NULL,
        member  bytea NOT NULL,
        version bigint NOT NULL
    );
    CREATE UNIQUE INDEX jotter_sets_key ON jotter_sets
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END),
         (substr(member, 1, 512)), (CASE WHEN length(member) > 512 THEN sha256(member) ELSE ''::bytea END));
    ",
    // 6: lists, one row per element under its order key `pos` (eight
    // bytes, big-endian: `ORDER BY pos` is the list's order), indexed as
    // step 3 indexes the other map tables.
    "
    CREATE TABLE jotter_lists (
        key     bytea NOT NULL,
        pos     bytea NOT NULL,
        value   bytea NOT NULL,
        version bigint NOT NULL
    );
    CREATE UNIQUE INDEX jotter_lists_key ON jotter_lists
        ((substr(key, 1, 512)), (CASE WHEN length(key) > 512 THEN sha256(key) ELSE ''::bytea END),
         (substr(pos, 1, 512)), (CASE WHEN length(pos) > 512 THEN sha256(pos) ELSE ''::bytea END));
    ",
];

const META_TABLE: &str = "CREATE TABLE IF NOT EXISTS jotter_meta (
    name  text PRIMARY KEY,
    value text NOT NULL
)";

/// Any constant will do, as long as every jotter uses the same one: it
/// serializes concurrent migrations of one database.
const MIGRATION_LOCK: i64 = 0x6a6f_7474_6572; // "jotter"

/// What a migration did (see [`crate::migrate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migrated {
    /// The schema version found (0 for an empty database).
    pub from: u32,
    /// The schema version now.
    pub to: u32,
}

/// Brings the schema in the connection's `search_path` (creating `schema`
/// first if given) up to [`SCHEMA_VERSION`].
pub(crate) async fn migrate(
    client: &mut Client,
    schema: Option<&str>,
) -> Result<Migrated, PgError> {
    let context = "migrating the postgres schema";
    let tx = client.transaction().await.map_err(PgError::db(context))?;
    match steps(&tx, schema).await {
        Ok(done) => {
            tx.commit().await.map_err(PgError::db(context))?;
            if done.from < done.to {
                tracing::info!(from = done.from, to = done.to, "postgres store schema migrated");
            }
            Ok(done)
        }
        Err(e) => {
            // Roll back now, not when the transaction is dropped: until then
            // the connection would keep the lock and the half-made schema.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// The body of [`migrate`], inside its transaction.
async fn steps(tx: &Transaction<'_>, schema: Option<&str>) -> Result<Migrated, PgError> {
    let context = "migrating the postgres schema";
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(PgError::db(context))?;
    if let Some(schema) = schema {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .await
            .map_err(PgError::db(context))?;
    }
    tx.batch_execute(META_TABLE).await.map_err(PgError::db(context))?;
    let found = tx
        .query_opt("SELECT value FROM jotter_meta WHERE name = 'schema_version'", &[])
        .await
        .map_err(PgError::db(context))?;
    let from = match found {
        None => 0,
        Some(row) => {
            let text: String = row.get(0);
            text.trim().parse::<u32>().map_err(|_| PgError::Refused {
                context: context.into(),
                message: format!("jotter_meta holds an unreadable schema_version {text:?}"),
            })?
        }
    };
    if from > SCHEMA_VERSION {
        return Err(PgError::SchemaTooNew { found: from, known: SCHEMA_VERSION });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        tx.batch_execute(step)
            .await
            .map_err(PgError::db(format!("migrating the postgres schema to version {}", i + 1)))?;
    }
    if from < SCHEMA_VERSION {
        tx.execute(
            "INSERT INTO jotter_meta (name, value) VALUES ('schema_version', $1)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&SCHEMA_VERSION.to_string()],
        )
        .await
        .map_err(PgError::db(context))?;
    }
    Ok(Migrated { from, to: SCHEMA_VERSION })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_number_of_steps() {
        assert_eq!(SCHEMA_VERSION as usize, MIGRATIONS.len());
    }
}
