//! The log's state that whoever writes changes: the queue, the resolved
//! mark, the refusals, the list of segments and the counters.

use std::sync::atomic::AtomicU64;

use parking_lot::Mutex;

use crate::Fsync;
use crate::dir::LogDir;
use crate::queue::Queue;
use crate::refusals::Refusals;
use crate::stats::Counters;

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) dir: LogDir,
    pub(crate) fsync: Fsync,
    /// Records submitted and not yet taken by a writer.
    pub(crate) queue: Mutex<Queue>,
    /// Every record with a lower LSN is resolved: durable as the policy
    /// says, or refused (then it is in `refusals`). Moved only under the
    /// write lock, so batches resolve in LSN order.
    pub(crate) resolved: AtomicU64,
    pub(crate) refusals: Refusals,
    /// Segment names in order; the last is the one being written. A writer
    /// appends on roll, `checkpoint` removes from the front.
    pub(crate) segments: Mutex<Vec<u64>>,
    pub(crate) counters: Counters,
}
