//! How the SQLite store's failures become [`StoreError`]s: transient if the
//! database or the machine may recover on its own, permanent if it is about
//! the data. Messages carry SQLite's own words and the key they concern.

use rusqlite::ErrorCode;

use crate::store::StoreError;

/// Why a write or a load failed, before it is sorted into a [`StoreError`].
pub(super) enum Fail {
    Sql(rusqlite::Error),
    /// Data this store can never hold, whatever SQLite says.
    Refused(String),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl Fail {
    pub(super) fn into_store_error(self, context: &str) -> StoreError {
        match self {
            Fail::Sql(e) => sql_error(context, &e),
            Fail::Refused(message) => StoreError::permanent(format!("{context}: {message}")),
        }
    }
}

/// Sorts an SQLite failure: transient if the database or the machine may
/// recover from it on its own, permanent if it is about the data.
pub(super) fn sql_error(context: &str, e: &rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(code, _) => {
            let message =
                format!("{context}: {e} ({:?}, extended code {})", code.code, code.extended_code);
            match code.code {
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull
                | ErrorCode::CannotOpen
                | ErrorCode::FileLockingProtocolFailed
                | ErrorCode::OperationInterrupted => StoreError::transient(message),
                _ => StoreError::permanent(message),
            }
        }
        _ => StoreError::permanent(format!("{context}: {e}")),
    }
}

pub(super) fn sql(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| sql_error(context, &e)
}

/// A key as it can be shown in a message (see [`crate::LogKey`]).
pub(super) fn show_key(key: &[u8]) -> String {
    crate::LogKey(key).to_string()
}
