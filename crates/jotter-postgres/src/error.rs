//! Sorting PostgreSQL failures into the engine's kinds: the database
//! cannot be reached (unavailable), one attempt failed (transient), or the
//! data was refused (permanent).
//!
//! This module owns one decision: given what went wrong talking to the
//! database, what may the engine do about it? It answers by SQLSTATE and by
//! the driver's error kind, never by the text of a message, and keeps the
//! database's own words in the message so a dead letter says what the
//! database refused.
//!
//! | What | Sorted as |
//! |---|---|
//! | I/O errors, a refused, reset or closed connection, a connect timeout, class `08` | unavailable |
//! | `57P01`, `57P02`, `57P03` (the server shutting down, crashed, or not yet accepting connections) | unavailable |
//! | a connect or recycle timeout of the pool | unavailable |
//! | a wait for a free pooled connection that timed out | transient |
//! | class `40` (`40001` serialization, `40P01` deadlock), `57014` (statement timeout or cancel), `55P03` (lock not available) | transient |
//! | class `53` (out of disk, memory, connections), class `58` (I/O), `25006` (read-only: a standby after failover) | transient |
//! | any other driver error without a SQLSTATE (an unexpected reply) | transient |
//! | class `22` (data), `23` (constraint), `42` (syntax, access, undefined) and every other code | permanent |
//! | data this store can never hold (a version beyond `bigint`, a field of the wrong kind) | permanent |

use deadpool_postgres::PoolError;
use deadpool_postgres::TimeoutType;
use jotter::{StoreError, StoreErrorKind};
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
    #[error("{context}: no database connection: {}", with_causes(source))]
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

/// `e` and the errors that caused it, as one line: a failed TLS handshake
/// says why (`invalid peer certificate: UnknownIssuer`), not only that it
/// failed. A cause whose words are already in the line is not repeated.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
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

    /// What the engine may do about it (see the module documentation).
    #[must_use]
    pub fn kind(&self) -> StoreErrorKind {
        match self {
            PgError::Database { source, .. } => db_kind(source),
            PgError::Pool { source, .. } => match source {
                PoolError::Timeout(TimeoutType::Wait) => StoreErrorKind::Transient,
                PoolError::Timeout(TimeoutType::Create | TimeoutType::Recycle) => {
                    StoreErrorKind::Unavailable
                }
                PoolError::Backend(e) => db_kind(e),
                PoolError::PostCreateHook(_) => StoreErrorKind::Unavailable,
                // The pool was closed by its owner, or built without a
                // runtime: no retry cures either.
                PoolError::Closed | PoolError::NoRuntimeSpecified => StoreErrorKind::Permanent,
            },
            PgError::Refused { .. } | PgError::Config(_) | PgError::SchemaTooNew { .. } => {
                StoreErrorKind::Permanent
            }
        }
    }

    /// Whether a retry may succeed (the database is unavailable, or one
    /// attempt failed).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.kind() != StoreErrorKind::Permanent
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

/// Sorts a driver error by its SQLSTATE; an error without one happened on
/// the way to the database: an I/O error or a closed connection means it
/// cannot be reached, anything else (an unexpected reply) is worth a retry.
fn db_kind(e: &tokio_postgres::Error) -> StoreErrorKind {
    match e.code() {
        Some(code) => sqlstate_kind(code.code()),
        None if e.is_closed() => StoreErrorKind::Unavailable,
        None if std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()) => {
            StoreErrorKind::Unavailable
        }
        None => StoreErrorKind::Transient,
    }
}

/// The SQLSTATE table of the module documentation.
#[must_use]
pub fn sqlstate_kind(code: &str) -> StoreErrorKind {
    let class = code.get(..2).unwrap_or(code);
    if class == "08" || matches!(code, "57P01" | "57P02" | "57P03") {
        StoreErrorKind::Unavailable
    } else if matches!(class, "40" | "53" | "58") || matches!(code, "57014" | "55P03" | "25006") {
        StoreErrorKind::Transient
    } else {
        StoreErrorKind::Permanent
    }
}

/// Whether a retry may succeed after this SQLSTATE (unavailable or transient).
#[must_use]
pub fn is_transient_sqlstate(code: &str) -> bool {
    sqlstate_kind(code) != StoreErrorKind::Permanent
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        match e.kind() {
            StoreErrorKind::Unavailable => StoreError::unavailable(e.to_string()),
            StoreErrorKind::Transient => StoreError::transient(e.to_string()),
            _ => StoreError::permanent(e.to_string()),
        }
    }
}

/// A key as it can be shown in a message (see [`jotter::LogKey`]).
pub(crate) fn show_key(key: &[u8]) -> String {
    jotter::LogKey(key).to_string()
}

#[cfg(test)]
mod tests {
    use super::{
        StoreErrorKind, is_transient_sqlstate, sqlstate_kind, withhold_values, without_value,
    };

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

    #[test]
    fn connection_class_sqlstates_are_unavailable_and_the_others_transient() {
        for code in ["57P01", "57P02", "57P03", "08006", "08001", "08003"] {
            assert_eq!(sqlstate_kind(code), StoreErrorKind::Unavailable, "{code}");
        }
        for code in ["40001", "40P01", "55P03", "57014", "53300", "25006"] {
            assert_eq!(sqlstate_kind(code), StoreErrorKind::Transient, "{code}");
        }
    }
}
