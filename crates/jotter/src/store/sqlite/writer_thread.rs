//! The SQLite store's writer threads: batches and bookkeeping collections
//! run on threads of the store's own instead of Tokio's blocking pool, so
//! that they can run at a lower CPU priority than the threads that answer
//! clients ([`WriterPriority::Background`]).
//!
//! Why: the SQLite store's flush runs in this process, on the same cores as
//! the requests (a PostgreSQL store's runs in the database's processes).
//! In the background, a job is taken by a thread of Linux's idle class
//! (`SCHED_IDLE`), which runs only on a core no other thread wants: a
//! client's request never waits behind a batch, and under a load that
//! keeps the cores busy, writes wait longer in the buffer and more of them
//! coalesce. The idle class alone could starve the flush on a machine that
//! something else keeps busy, so a second thread, ten steps of `nice` below
//! the process, takes any job that has waited [`CATCH_UP_AFTER`] without
//! being started: the flush then still gets a tenth of a busy core, and the
//! bound on pending writes (which makes writers wait, leaving the CPU to
//! the flush) keeps memory in check.
//!
//! Jobs run one at a time, in the order they were queued, whichever thread
//! takes them: SQLite takes one writer at a time anyway. So a job the
//! idle-class thread has started and is then given no CPU for holds up
//! every job behind it; when that is seen (or a job waited its time), the
//! idle-class thread is kept out for a while, longer each time in a row,
//! and the catch-up thread takes every job meanwhile.
//!
//! A job that panics fails its own batch (a transient error, retried like
//! any other) and leaves the thread serving the next one, as a blocking
//! task's panic would.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::options::{WriterPriority, lower_this_thread};
use crate::store::StoreError;

type Job = Box<dyn FnOnce() + Send>;

/// How long a queued job waits for the idle-class thread before the
/// catch-up thread takes it: a batch takes milliseconds, so a job that has
/// not started in this long is one the idle class is not being given the
/// CPU for.
const CATCH_UP_AFTER: Duration = Duration::from_millis(200);

/// The handle of the writer threads; they end when it is dropped.
#[derive(Debug)]
pub(super) struct WriterThread {
    queue: Arc<Queue>,
}

/// How long the idle-class thread is first kept from taking jobs once it
/// was found starved; each time it is found starved again right after, the
/// time doubles, up to [`RETIRE_MOST`]. A starved idle-class thread holds up
/// the whole flush for as long as its job crawls (jobs run one at a time),
/// so on a machine that stays busy it should seldom try.
const RETIRE_FIRST: Duration = Duration::from_secs(5);
const RETIRE_MOST: Duration = Duration::from_secs(120);

/// The jobs waiting, and whether one is running.
#[derive(Default)]
struct Jobs {
    waiting: VecDeque<(Instant, Job)>,
    running: bool,
    closed: bool,
    /// Until when the idle-class thread leaves every job to the catch-up
    /// thread, and for how long it was last kept out.
    retired_until: Option<Instant>,
    retired_for: Duration,
}

impl Jobs {
    fn retired(&self) -> bool {
        self.retired_until.is_some_and(|until| Instant::now() < until)
    }

    /// The idle-class thread was not given the CPU: keep it out for a
    /// while, longer each time in a row.
    fn retire(&mut self) {
        self.retired_for = (self.retired_for * 2).clamp(RETIRE_FIRST, RETIRE_MOST);
        self.retired_until = Some(Instant::now() + self.retired_for);
    }
}

#[derive(Default)]
struct Queue {
    jobs: Mutex<Jobs>,
    changed: Condvar,
    /// A catch-up thread serves the queue too (see [`Role::CatchUp`]).
    catch_up: bool,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").finish_non_exhaustive()
    }
}

/// Which jobs a thread takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Any job, as soon as none is running, unless a catch-up thread
    /// serves the queue and this thread was found starved: a job that
    /// waited [`CATCH_UP_AFTER`] for it, or a job of its that ran that much
    /// longer than its CPU time.
    First,
    /// A job that has waited [`CATCH_UP_AFTER`]; any job while the first
    /// thread is kept out.
    CatchUp,
}

impl Role {
    /// How long this thread waits before it takes the front job: zero to
    /// take it now, `None` to wait until the queue changes.
    fn wait(self, jobs: &Jobs, catch_up: bool) -> Option<Duration> {
        let (since, _) = jobs.waiting.front().filter(|_| !jobs.running)?;
        let waited = since.elapsed();
        match self {
            Role::First if catch_up && (jobs.retired() || waited >= CATCH_UP_AFTER) => None,
            Role::First => Some(Duration::ZERO),
            Role::CatchUp if jobs.retired() => Some(Duration::ZERO),
            Role::CatchUp => Some(CATCH_UP_AFTER.saturating_sub(waited)),
        }
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, Jobs> {
        // A job runs outside the lock, so a poisoned lock held only the
        // queue, which is whole.
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next job `role` may run, waiting for one; `None` once the
    /// queue is closed and empty.
    fn take(&self, role: Role) -> Option<Job> {
        let mut jobs = self.lock();
        loop {
            if jobs.closed && jobs.waiting.is_empty() {
                return None;
            }
            jobs = match role.wait(&jobs, self.catch_up) {
                Some(Duration::ZERO) => {
                    if role == Role::CatchUp && !jobs.retired() {
                        // The job waited its time: the first thread is
                        // not being given the CPU.
                        jobs.retire();
                    }
                    jobs.running = true;
                    return jobs.waiting.pop_front().map(|(_, job)| job);
                }
                Some(left) => {
                    let waited = self.changed.wait_timeout(jobs, left);
                    waited.unwrap_or_else(PoisonError::into_inner).0
                }
                None => self.changed.wait(jobs).unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    /// The running job is over; `starved`: it was the first thread's, a
    /// catch-up thread serves the queue, and the job ran [`CATCH_UP_AFTER`]
    /// longer than its CPU time.
    fn done(&self, role: Role, starved: bool) {
        {
            let mut jobs = self.lock();
            jobs.running = false;
            if starved {
                jobs.retire();
            } else if role == Role::First {
                jobs.retired_for = Duration::ZERO;
            }
        }
        self.changed.notify_all();
    }

    fn serve(&self, role: Role) {
        // Only the first thread, with a catch-up thread beside it, can be
        // found starved: only it reads the clocks around a job.
        let watched = role == Role::First && self.catch_up;
        while let Some(job) = self.take(role) {
            let started = watched.then(thread_cpu_time).flatten().map(|cpu| (Instant::now(), cpu));
            // The job's result travels in its channel; a panic drops the
            // sender, which its caller sees as a failed batch.
            let _ = catch_unwind(AssertUnwindSafe(job));
            let starved = started.is_some_and(|(wall, before)| {
                thread_cpu_time().is_some_and(|after| {
                    wall.elapsed().saturating_sub(after.saturating_sub(before)) >= CATCH_UP_AFTER
                })
            });
            self.done(role, starved);
        }
    }
}

/// The CPU time the calling thread has used, from the scheduler's own
/// account of it (`/proc/thread-self/schedstat`, nanoseconds on a CPU);
/// `None` where that file cannot be read, and then a job is never judged
/// starved by its CPU time.
///
/// Read from procfs rather than through `clock_gettime`: rustix's
/// vDSO lookup crashes under valgrind, which the profiles in
/// docs/BENCHMARKS.md run the server under. Only the idle-class thread
/// reads it, twice a batch.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_ascii_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

impl WriterThread {
    /// Starts the thread (and, in the background, the catch-up thread) at
    /// `priority`.
    pub(super) fn start(priority: WriterPriority) -> Result<Self, StoreError> {
        // Only Linux has the idle class a first thread could starve in.
        let catch_up = priority == WriterPriority::Background && cfg!(target_os = "linux");
        let queue = Arc::new(Queue { catch_up, ..Queue::default() });
        // The thread's priority is its role's: the catch-up thread is
        // always ten steps of `nice` down.
        let spawn = |name: &str, role: Role| {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    match role {
                        Role::First => priority.apply_to_this_thread(),
                        Role::CatchUp => lower_this_thread(),
                    }
                    queue.serve(role);
                })
                .map(drop)
                .map_err(|e| StoreError::transient(format!("cannot start the {name} thread: {e}")))
        };
        spawn("jotter-sqlite-writer", Role::First)?;
        if catch_up {
            spawn("jotter-sqlite-catchup", Role::CatchUp)?;
        }
        Ok(WriterThread { queue })
    }

    /// Runs `f` on a writer thread, after the jobs before it.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, result) = tokio::sync::oneshot::channel();
        {
            let mut jobs = self.queue.lock();
            if jobs.closed {
                return Err(StoreError::transient("the sqlite writer thread has stopped"));
            }
            let job: Job = Box::new(move || {
                let _ = done.send(f());
            });
            jobs.waiting.push_back((Instant::now(), job));
        }
        self.queue.changed.notify_all();
        result
            .await
            .map_err(|_| StoreError::transient("the sqlite writer thread failed during a batch"))?
    }
}

impl Drop for WriterThread {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.changed.notify_all();
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

    fn queued(ages: &[Duration], running: bool) -> Jobs {
        let now = Instant::now();
        let waiting = ages.iter().map(|age| (now - *age, Box::new(|| {}) as Job)).collect();
        Jobs { waiting, running, ..Jobs::default() }
    }

    #[test]
    fn a_job_that_waited_long_is_left_to_the_catch_up_thread() {
        let fresh = queued(&[Duration::ZERO], false);
        assert_eq!(Role::First.wait(&fresh, true), Some(Duration::ZERO));
        let left = Role::CatchUp.wait(&fresh, true).unwrap();
        assert!(left > Duration::ZERO && left <= CATCH_UP_AFTER, "{left:?}");

        let starved = queued(&[CATCH_UP_AFTER * 2], false);
        assert_eq!(Role::CatchUp.wait(&starved, true), Some(Duration::ZERO));
        assert_eq!(Role::First.wait(&starved, true), None, "left to the catch-up thread");
        assert_eq!(Role::First.wait(&starved, false), Some(Duration::ZERO), "no catch-up thread");
    }

    #[test]
    fn a_starved_first_thread_is_kept_out_longer_each_time() {
        let mut jobs = queued(&[Duration::ZERO], false);
        jobs.retire();
        assert_eq!(Role::First.wait(&jobs, true), None);
        assert_eq!(Role::CatchUp.wait(&jobs, true), Some(Duration::ZERO), "at once, while out");
        assert_eq!(jobs.retired_for, RETIRE_FIRST);
        jobs.retire();
        assert_eq!(jobs.retired_for, RETIRE_FIRST * 2);
        for _ in 0..10 {
            jobs.retire();
        }
        assert_eq!(jobs.retired_for, RETIRE_MOST);
        jobs.retired_until = Some(Instant::now());
        assert_eq!(Role::First.wait(&jobs, true), Some(Duration::ZERO), "back once the time is up");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_scheduler_accounts_the_threads_cpu_time() {
        let start = thread_cpu_time().expect("schedstat is readable");
        let deadline = Instant::now() + Duration::from_secs(10);
        while thread_cpu_time().unwrap() < start + Duration::from_millis(20) {
            assert!(Instant::now() < deadline, "20 ms of spinning never showed");
        }
    }

    /// A job that waits without using the CPU is what the idle-class thread
    /// looks like when it is not given a core: it is kept out afterwards.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_job_that_ran_long_without_the_cpu_retires_the_idle_thread() {
        let thread = WriterThread::start(WriterPriority::Background).unwrap();
        let idle = || {
            std::thread::sleep(CATCH_UP_AFTER + Duration::from_millis(50));
            Ok(())
        };
        thread.run(idle).await.unwrap();
        // The next job starts only after the first one's verdict.
        thread.run(|| Ok(())).await.unwrap();
        assert_eq!(thread.queue.lock().retired_for, RETIRE_FIRST);
    }

    #[test]
    fn no_job_starts_while_one_runs() {
        let busy = queued(&[CATCH_UP_AFTER * 2], true);
        assert_eq!(Role::First.wait(&busy, true), None);
        assert_eq!(Role::CatchUp.wait(&busy, true), None);
        assert_eq!(Role::First.wait(&queued(&[], false), true), None);
    }

    /// A queue that keeps jobs waiting longer than [`CATCH_UP_AFTER`] has
    /// the catch-up thread take the old ones; either way, one job runs at
    /// a time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_threads_take_jobs_and_never_two_at_once() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let thread = Arc::new(WriterThread::start(WriterPriority::Background).unwrap());
        let inside = Arc::new(AtomicBool::new(false));
        let mut runs = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let (thread, inside) = (thread.clone(), inside.clone());
            runs.spawn(async move {
                thread
                    .run(move || {
                        assert!(!inside.swap(true, Ordering::SeqCst), "two jobs at once");
                        std::thread::sleep(Duration::from_millis(10));
                        inside.store(false, Ordering::SeqCst);
                        Ok(std::thread::current().name().unwrap_or_default().to_owned())
                    })
                    .await
            });
        }
        let mut names = std::collections::BTreeSet::new();
        while let Some(ran) = runs.join_next().await {
            names.insert(ran.unwrap().unwrap());
        }
        let expected = ["jotter-sqlite-catchup", "jotter-sqlite-writer"].map(String::from);
        assert_eq!(names, expected.into(), "400 ms of jobs queued at once");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn background_runs_a_job_in_the_idle_class_and_normal_at_the_callers_priority() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let policy = || Ok(thread_priority::thread_schedule_policy().unwrap());
        let background = WriterThread::start(WriterPriority::Background).unwrap();
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        assert_eq!(background.run(policy).await.unwrap(), idle);
        let normal = WriterThread::start(WriterPriority::Normal).unwrap();
        assert_eq!(
            normal.run(policy).await.unwrap(),
            thread_priority::thread_schedule_policy().unwrap()
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_catch_up_thread_runs_ten_steps_of_nice_below_the_caller() {
        let nice = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let ours = nice();
        let theirs = std::thread::spawn(move || {
            lower_this_thread();
            nice()
        });
        assert_eq!(theirs.join().unwrap(), (ours + 10).min(19));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn nice_runs_every_job_ten_steps_of_nice_below_the_caller() {
        let nice = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let ours = nice();
        let thread = WriterThread::start(WriterPriority::Nice).unwrap();
        assert_eq!(thread.run(move || Ok(nice())).await.unwrap(), (ours + 10).min(19));
        assert!(!thread.queue.catch_up, "one thread, which no CPU-starved thread can hold up");
    }
}
