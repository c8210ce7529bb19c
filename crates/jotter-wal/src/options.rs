//! How a log is opened: segment size, fsync policy, salvage.

use crate::WalError;

/// When an acknowledged record is safe, with the same words and meanings as
/// Redis's `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Fsync {
    /// A record is reported durable only after an fsync (`fdatasync`) that
    /// covers it has returned. One fsync serves every record queued at that
    /// moment (group commit). Survives `kill -9` and power loss.
    #[default]
    Always,
    /// A record is reported durable once it has been written to the
    /// operating system; a background fsync runs once a second. Survives
    /// `kill -9`; a power loss may cost about the last second.
    EverySec,
    /// A record is reported durable once written to the operating system,
    /// which decides when it reaches the disk. Survives `kill -9`; a power
    /// loss may cost whatever the OS had not yet written (often ~30 s).
    No,
}

/// Options for [`Wal::open`](crate::Wal::open).
///
/// Defaults: segments of 64 MiB, [`Fsync::Always`], no salvage.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WalOptions {
    /// A segment is closed and a new one started once it holds this many
    /// bytes; it exceeds it by at most one record (a record is never split).
    /// Default: 64 MiB.
    pub segment_size: u64,
    /// When records count as durable. Default: [`Fsync::Always`].
    pub fsync: Fsync,
    /// Open a damaged log by keeping every record before the damage and
    /// moving the rest aside into `salvaged-<unix-seconds>/` (never deleting
    /// anything). Default: `false` (a damaged log refuses to open).
    pub salvage: bool,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions { segment_size: 64 << 20, fsync: Fsync::Always, salvage: false }
    }
}

/// Writes builder setters: each sets its field and returns the options, so
/// that callers outside the crate (which `#[non_exhaustive]` keeps from
/// writing the struct) chain them from `default()`.
macro_rules! setters {
    ($($(#[doc = $doc:literal])* fn $setter:ident($field:ident: $ty:ty);)*) => {
        $($(#[doc = $doc])* #[must_use] pub fn $setter(mut self, $field: $ty) -> Self { self.$field = $field; self })*
    };
}

impl WalOptions {
    setters! {
        /// Sets the size at which segments roll (at least 1 byte; a segment
        /// always holds at least one record, so it may exceed this).
        fn with_segment_size(segment_size: u64);
        /// Sets the fsync policy.
        fn with_fsync(fsync: Fsync);
        /// Allows opening a damaged log by moving the damaged part aside.
        fn with_salvage(salvage: bool);
    }

    pub(crate) fn validate(&self) -> Result<(), WalError> {
        if self.segment_size == 0 {
            return Err(WalError::InvalidOptions("segment_size must be at least 1 byte"));
        }
        Ok(())
    }
}
