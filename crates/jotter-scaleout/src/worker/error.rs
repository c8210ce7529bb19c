//! Why a worker stops ([`WorkerError`]), and why one connection's session
//! ends (Redis failed: connect again; or the layout is wrong: stop).

use crate::connect::ConnectError;

/// Why a worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The cluster could not be reached at start.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The layout in Redis is not one this worker can work with.
    #[error("{0}")]
    Layout(String),
    /// `--load-store` could not read the store.
    #[error("{0}")]
    Load(String),
}

/// A failure inside one connection's session.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    /// Redis failed or went away: connect again (maybe to a new primary).
    #[error("{0}")]
    Redis(#[from] redis::RedisError),
    /// The layout is wrong: stop.
    #[error("{0}")]
    Layout(String),
    /// `--load-store` could not read the store: stop.
    #[error("{0}")]
    Load(String),
}
