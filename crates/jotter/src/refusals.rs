//! The log lines of one batch's refused writes, bounded.
//!
//! A batch of 10,000 writes that the store refuses one by one must not
//! write 10,000 lines: [`Refusals`] logs the first [`LINES`] dead letters of
//! a batch one line each (the key through [`LogKey`], the store's message
//! through [`LogText`], never a value), and the rest as one summary line
//! when the batch is done. The dead letters themselves are all kept and
//! listed by the dead-letter queue.

use crate::loggable::{LogKey, LogText};

/// Dead letters of one batch logged one line each.
pub(crate) const LINES: usize = 3;

/// The dead letters of one batch, as logged so far.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    count: usize,
    split_logged: bool,
}

impl Refusals {
    /// The store refused a batch of `writes`, which is split to find the
    /// refused writes: logged once per batch.
    pub(crate) fn split(&mut self, writes: usize, error: &str) {
        if !self.split_logged {
            self.split_logged = true;
            tracing::debug!(error = %LogText(error), writes, "store refused a batch; splitting it");
        }
    }

    /// The write of `key` was dead-lettered with `error`.
    pub(crate) fn dead_lettered(&mut self, key: &[u8], error: &str) {
        self.count += 1;
        if self.count <= LINES {
            tracing::error!(key = %LogKey(key), error = %LogText(error), "store refused a write for good; dead-lettered");
        }
    }
}

impl Drop for Refusals {
    fn drop(&mut self) {
        if self.count > LINES {
            tracing::error!(
                more = self.count - LINES,
                dead_lettered = self.count,
                "store refused more writes of the same batch for good; dead-lettered (the dead-letter queue lists them)"
            );
        }
    }
}
