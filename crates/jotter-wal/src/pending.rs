//! The caller's handle on a submitted record: wait on it, or await it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::WalError;

/// A record that has its LSN and its place in the log, but is not yet known
/// to be durable.
///
/// Resolves to `Ok(lsn)` once the record is durable as the
/// [`Fsync`](crate::Fsync) policy defines it, or to an error if it could not
/// be written (then it is not in the log). Wait with [`Pending::wait`] from
/// a thread, or `.await` it from async code.
#[derive(Debug)]
#[must_use = "a record is not known durable until its Pending resolves"]
pub struct Pending {
    lsn: u64,
    reply: oneshot::Receiver<Result<u64, WalError>>,
}

impl Pending {
    pub(crate) fn new(lsn: u64, reply: oneshot::Receiver<Result<u64, WalError>>) -> Self {
        Pending { lsn, reply }
    }

    /// The record's LSN, known at once. LSNs are never handed out twice by
    /// one open log, even when a record fails to be written.
    pub fn lsn(&self) -> u64 {
        self.lsn
    }

    /// Blocks the thread until the record is durable (or failed).
    ///
    /// Do not call it on an async runtime's thread (it would block that
    /// thread, and tokio panics on it): `.await` the `Pending` there.
    pub fn wait(self) -> Result<u64, WalError> {
        // A dropped sender means the writer stopped without answering.
        self.reply.blocking_recv().unwrap_or(Err(WalError::Closed))
    }
}

impl Future for Pending {
    type Output = Result<u64, WalError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.reply).poll(cx).map(|reply| reply.unwrap_or(Err(WalError::Closed)))
    }
}
