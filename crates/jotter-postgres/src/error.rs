//! Sorting PostgreSQL failures into transient and permanent ones.
//!
//! This module owns one decision: given what went wrong talking to the
//! database, may a retry succeed? It answers by SQLSTATE, never by the text
//! of a message, and keeps the database's own words in the message so a
//! dead letter says what the database refused.
//!
//! | What | Sorted as |
//! |---|---|
//! | connection failures, a closed connection, class `08` | transient |
//! | pool wait or connect timeout | transient |
//! | class `40` (`40001` serialization, `40P01` deadlock) | transient |
//! | `57P01`, `57P02`, `57P03` (shutdown, crash, cannot connect now), `57014` (statement timeout or cancel) | transient |
//! | class `53` (out of disk, memory, connections), class `58` (I/O), `55P03` (lock not available), `25006` (read-only: a standby after failover) | transient |
//! | class `22` (data), `23` (constraint), `42` (syntax, access, undefined) and every other code | permanent |
//! | data this store can never hold (a version beyond `bigint`, a field of the wrong kind) | permanent |

use deadpool_postgres::PoolError;
use jotter::StoreError;
use tokio_postgres::error::SqlState;

/// A failure of the PostgreSQL store, before it is handed to the engine as a
/// [`StoreError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The database (or the connection to it) failed while doing `context`.
    #[error("{context}: {source}{}", describe_db(source))]
    Database {
        /// What the store was doing.
        context: String,
        /// The driver's error, with the database's SQLSTATE and message.
        #[source]
        source: tokio_postgres::Error,
    },
    /// No connection could be had from the pool.
    #[error("{context}: no database connection: {source}")]
    Pool {
        /// What the store was doing.
        context: String,
        /// The pool's error.
        #[source]
        source: PoolError,
    },
    /// Data this store can never hold, whatever the database says.
    #[error("{context}: {message}")]
    Refused {
        /// What the store was doing.
        context: String,
        /// Why.
        message: String,
    },
    /// The store was asked for something it does not do (a bad URL, TLS
    /// without the `tls` feature, a schema name it will not quote).
    #[error("postgres store configuration: {0}")]
    Config(String),
    /// The database holds a schema newer than this code knows.
    #[error(
        "the postgres database has jotter schema version {found}, newer than this code knows \
         ({known}); run a newer jotter"
    )]
    SchemaTooNew {
        /// The version found in `jotter_meta`.
        found: u32,
        /// The newest version this code knows.
        known: u32,
    },
}

/// The SQLSTATE and the database's own detail, when the error carries them.
fn describe_db(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let code = db.code().code();
            let mut s = format!(
                ": {} (SQLSTATE {code}",
                jotter::LogText(without_value(db.message(), code))
            );
            if let Some(c) = db.constraint() {
                s.push_str(&format!(", constraint {c}"));
            }
            if let Some(d) = db.detail() {
                s.push_str(&format!(", detail: {}", withhold_values(d)));
            }
            s.push(')');
            s
        }
        None => String::new(),
    }
}

/// A data error's message (class 22) without the value PostgreSQL quotes
/// after `: "` (`invalid input syntax for type integer: "..."`): the part
/// before says what went wrong.
fn without_value<'a>(message: &'a str, code: &str) -> &'a str {
    match message.split_once(": \"") {
        Some((head, _)) if code.starts_with("22") => head,
        _ => message,
    }
}

/// A DETAIL line without the row values PostgreSQL quotes in it: `Key
/// (key)=(...) already exists.` keeps its columns, `Failing row contains
/// (...)` says only that. Such a line can hold a whole row (megabytes of a
/// value), and messages end up in logs and dead letters.
fn withhold_values(detail: &str) -> String {
    if detail.starts_with("Failing row contains") {
        return "Failing row contains (values withheld)".into();
    }
    if let Some(rest) = detail.strip_prefix("Key (")
        && let Some((columns, tail)) = rest.split_once(")=(")
    {
        let after = tail.rfind(") ").map_or("", |i| &tail[i + 1..]);
        return format!("Key ({columns})=(values withheld){after}");
    }
    jotter::LogText(detail).to_string()
}

impl PgError {
    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> PgError {
        let context = context.into();
        move |source| PgError::Database { context, source }
    }

    pub(crate) fn pool(context: impl Into<String>) -> impl FnOnce(PoolError) -> PgError {
        let context = context.into();
        move |source| PgError::Pool { context, source }
    }

    /// Whether a retry may succeed.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            PgError::Database { source, .. } => is_transient_db(source),
            PgError::Pool { source, .. } => match source {
                PoolError::Timeout(_) => true,
                PoolError::Backend(e) => is_transient_db(e),
                PoolError::PostCreateHook(_) => true,
                // The pool was closed by its owner, or built without a
                // runtime: no retry cures either.
                PoolError::Closed | PoolError::NoRuntimeSpecified => false,
            },
            PgError::Refused { .. } | PgError::Config(_) | PgError::SchemaTooNew { .. } => false,
        }
    }

    /// The SQLSTATE the database answered with, if it answered.
    #[must_use]
    pub fn sqlstate(&self) -> Option<&SqlState> {
        match self {
            PgError::Database { source, .. }
            | PgError::Pool { source: PoolError::Backend(source), .. } => source.code(),
            _ => None,
        }
    }
}

/// Sorts a driver error by its SQLSTATE; an error without one happened on the
/// way to the database (I/O, a closed connection, a timeout), so a retry on a
/// new connection may succeed.
fn is_transient_db(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        None => true,
        Some(code) => is_transient_sqlstate(code.code()),
    }
}

/// The SQLSTATE table of the module documentation.
#[must_use]
pub fn is_transient_sqlstate(code: &str) -> bool {
    let class = code.get(..2).unwrap_or(code);
    matches!(class, "08" | "40" | "53" | "58")
        || matches!(code, "57P01" | "57P02" | "57P03" | "57014" | "55P03" | "25006")
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        if e.is_transient() {
            StoreError::transient(e.to_string())
        } else {
            StoreError::permanent(e.to_string())
        }
    }
}

/// A key as it can be shown in a message (see [`jotter::LogKey`]).
pub(crate) fn show_key(key: &[u8]) -> String {
    jotter::LogKey(key).to_string()
}

#[cfg(test)]
mod tests {
    use super::{is_transient_sqlstate, withhold_values, without_value};

    #[test]
    fn data_errors_keep_no_value() {
        let m = "invalid input syntax for type integer: \"secret\"";
        assert_eq!(without_value(m, "22P02"), "invalid input syntax for type integer");
        let m = "relation \"x\" does not exist: \"kept\"";
        assert_eq!(without_value(m, "42P01"), m, "only data errors quote values");
    }

    #[test]
    fn details_that_quote_rows_keep_no_values() {
        let big = "v".repeat(3 << 20);
        let d = format!("Key (key)=(\\x{big}) already exists.");
        assert_eq!(withhold_values(&d), "Key (key)=(values withheld) already exists.");
        let d = format!("Failing row contains (k, {big}, 5, null).");
        assert_eq!(withhold_values(&d), "Failing row contains (values withheld)");
        assert!(withhold_values(&big).len() < 600);
        assert_eq!(withhold_values("Table has no room."), "Table has no room.");
    }

    #[test]
    fn sqlstates_are_sorted_as_documented() {
        for code in
            ["40001", "40P01", "57P01", "57P02", "57P03", "08006", "08001", "57014", "53100"]
        {
            assert!(is_transient_sqlstate(code), "{code}");
        }
        for code in ["22001", "22P02", "23505", "23514", "42P01", "42501", "P0001", "XX000"] {
            assert!(!is_transient_sqlstate(code), "{code}");
        }
    }
}
