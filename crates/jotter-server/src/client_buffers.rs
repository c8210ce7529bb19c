//! A connection's buffers as other clients see them in `CLIENT LIST`
//! (`qbuf`, `qbuf-free`, `rbs`, `rbp`, `obl`, `tot-mem`): the connection
//! reports them once per read and once per write, never per command, with
//! relaxed stores, so keeping them costs the hot path nothing it notices.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The figures, as last reported.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    qbuf: AtomicUsize,
    qbuf_capacity: AtomicUsize,
    out_pending: AtomicUsize,
    out_capacity: AtomicUsize,
    out_peak: AtomicUsize,
}

/// One reading of [`Buffers`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Figures {
    /// Bytes read and not yet run (`qbuf`), and the input buffer's size.
    pub qbuf: usize,
    pub qbuf_capacity: usize,
    /// Reply bytes not yet sent (`obl`), the output buffer's size (`rbs`)
    /// and the largest batch of replies it has held (`rbp`).
    pub out_pending: usize,
    pub out_capacity: usize,
    pub out_peak: usize,
}

impl Buffers {
    /// After a read: `len` bytes wait in an input buffer of `capacity`.
    pub(crate) fn read_into(&self, len: usize, capacity: usize) {
        self.qbuf.store(len, Ordering::Relaxed);
        self.qbuf_capacity.store(capacity, Ordering::Relaxed);
    }

    /// Before a write of `len` reply bytes from a buffer of `capacity`.
    pub(crate) fn writing(&self, len: usize, capacity: usize) {
        self.out_pending.store(len, Ordering::Relaxed);
        self.out_capacity.store(capacity, Ordering::Relaxed);
        self.out_peak.fetch_max(len, Ordering::Relaxed);
        // The input read before these replies has been run.
        self.qbuf.store(0, Ordering::Relaxed);
    }

    /// After the write: nothing pending; the buffer kept is `capacity`.
    pub(crate) fn written(&self, capacity: usize) {
        self.out_pending.store(0, Ordering::Relaxed);
        self.out_capacity.store(capacity, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> Figures {
        Figures {
            qbuf: self.qbuf.load(Ordering::Relaxed),
            qbuf_capacity: self.qbuf_capacity.load(Ordering::Relaxed),
            out_pending: self.out_pending.load(Ordering::Relaxed),
            out_capacity: self.out_capacity.load(Ordering::Relaxed),
            out_peak: self.out_peak.load(Ordering::Relaxed),
        }
    }
}
