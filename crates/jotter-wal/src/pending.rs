//! The caller's handle on submitted records: wait on it, or await it.
//!
//! A handle holds LSNs and the log, nothing per record: waiting reads the
//! log's resolved mark, and under [`Fsync::EverySec`](crate::Fsync::EverySec)
//! and [`Fsync::No`](crate::Fsync::No) a waiter whose record is not written
//! yet writes the queue itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::WalError;
use crate::shared::Shared;

/// Records that have their LSNs and their place in the log, but are not yet
/// known to be durable: one record from [`Wal::submit`](crate::Wal::submit),
/// or several after [`Pending::absorb`].
///
/// Resolves to `Ok(lsn)` (the highest LSN it covers) once its records are
/// durable as the [`Fsync`](crate::Fsync) policy defines it, or to an error
/// if one could not be written (then it is not in the log). Wait with
/// [`Pending::wait`] from a thread, or `.await` it from async code.
#[derive(Debug)]
#[must_use = "a record is not known durable until its Pending resolves"]
pub struct Pending {
    first: u64,
    last: u64,
    log: Arc<Shared>,
}

impl Pending {
    pub(crate) fn new(lsn: u64, log: Arc<Shared>) -> Self {
        Pending { first: lsn, last: lsn, log }
    }

    /// The record's LSN, known at once (the highest, if this handle covers
    /// several). LSNs are never handed out twice by one open log, even when
    /// a record fails to be written.
    pub fn lsn(&self) -> u64 {
        self.last
    }

    /// Makes this handle wait for `other`'s records too, so that a batch of
    /// records is waited for once, for its highest LSN.
    ///
    /// The handle then covers every LSN between its lowest and highest,
    /// including other callers' records submitted in between: if any of
    /// those is refused, so is this handle (never acknowledging a failed
    /// record is what matters; not acknowledging a written one is safe).
    ///
    /// # Panics
    ///
    /// If `other` comes from another log.
    pub fn absorb(&mut self, other: Pending) {
        assert!(Arc::ptr_eq(&self.log, &other.log), "Pending::absorb: records of two logs");
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }

    /// Blocks the thread until the records are durable (or failed).
    ///
    /// Do not call it on an async runtime's thread (it would block that
    /// thread): `.await` the `Pending` there.
    pub fn wait(self) -> Result<u64, WalError> {
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        loop {
            if let Some(outcome) = self.log.resolve(self.first, self.last, &waker) {
                return outcome;
            }
            // A wake before this park leaves the token: park returns at once.
            thread::park();
        }
    }
}

impl Future for Pending {
    type Output = Result<u64, WalError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.log.resolve(self.first, self.last, cx.waker()) {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }
}

/// Wakes a thread blocked in [`Pending::wait`].
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
