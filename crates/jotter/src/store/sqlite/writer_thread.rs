//! The SQLite store's writer thread: batches and bookkeeping collections
//! run on one thread of the store's own instead of Tokio's blocking pool,
//! so that the thread can run at a lower CPU priority than the threads that
//! answer clients ([`WriterPriority::Background`]).
//!
//! Why: the SQLite store's flush runs in this process, on the same cores as
//! the requests (a PostgreSQL store's runs in the database's processes).
//! At a lower priority a flush takes the CPU the front leaves idle; under a
//! load that keeps every core busy, writes wait longer in the buffer, more
//! of them coalesce, and the bound on pending writes (which makes writers
//! wait, leaving the CPU to the flush) keeps memory in check. SQLite takes
//! one writer at a time anyway, so one thread loses no parallelism.
//!
//! A job that panics fails its own batch (a transient error, retried like
//! any other) and leaves the thread serving the next one, as a blocking
//! task's panic would.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use super::options::WriterPriority;
use crate::store::StoreError;

type Job = Box<dyn FnOnce() + Send>;

/// The handle of the writer thread; the thread ends when it is dropped.
#[derive(Debug)]
pub(super) struct WriterThread {
    jobs: mpsc::Sender<Job>,
}

impl WriterThread {
    /// Starts the thread at `priority`.
    pub(super) fn start(priority: WriterPriority) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("jotter-sqlite-writer".into())
            .spawn(move || {
                priority.apply_to_this_thread();
                for job in queue {
                    // The job's result travels in its channel; a panic drops
                    // the sender, which its caller sees as a failed batch.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            })
            .map_err(|e| {
                StoreError::transient(format!("cannot start the sqlite writer thread: {e}"))
            })?;
        Ok(WriterThread { jobs })
    }

    /// Runs `f` on the writer thread, after the jobs before it.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(f());
            }))
            .map_err(|_| StoreError::transient("the sqlite writer thread has stopped"))?;
        result
            .await
            .map_err(|_| StoreError::transient("the sqlite writer thread failed during a batch"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_job_fails_alone() {
        let thread = WriterThread::start(WriterPriority::Normal).unwrap();
        let failed = thread.run(|| -> Result<(), StoreError> { panic!("a bug in a batch") }).await;
        let error = failed.unwrap_err();
        assert!(error.is_transient(), "{error}");
        assert_eq!(thread.run(|| Ok(7)).await.unwrap(), 7, "the thread serves the next job");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn background_runs_ten_steps_of_nice_below_the_caller() {
        let nice = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let ours = nice();
        let background = WriterThread::start(WriterPriority::Background).unwrap();
        assert_eq!(background.run(move || Ok(nice())).await.unwrap(), (ours + 10).min(19));
        let normal = WriterThread::start(WriterPriority::Normal).unwrap();
        assert_eq!(normal.run(move || Ok(nice())).await.unwrap(), ours);
    }
}
