//! The protocol limits a request must respect, with Redis 7.0's defaults.
//!
//! They bound what one client can make the server hold before a command even runs. Redis
//! checks them while parsing; so does [`RequestDecoder`](crate::RequestDecoder), with the same
//! errors.

/// Writes, for each limit, its getter and its `with_*` setter (both `const`, so a limit can be
/// built in a `const`), each with the doc given before it.
macro_rules! limits {
    ($($(#[doc = $get:literal])* $field:ident: $ty:ty; $(#[doc = $set:literal])* $setter:ident($arg:ident);)*) => {$(
        $(#[doc = $get])* #[must_use] pub const fn $field(&self) -> $ty { self.$field }
        $(#[doc = $set])* #[must_use] pub const fn $setter(mut self, $arg: $ty) -> Self { self.$field = $arg; self }
    )*};
}

/// Protocol limits for decoding requests.
///
/// `Limits::default()` (or [`Limits::new`]) gives Redis 7.0's values:
///
/// | limit | default | Redis |
/// |---|---|---|
/// | [`max_bulk_len`](Self::max_bulk_len) | 512 MB | `proto-max-bulk-len` |
/// | [`max_multibulk_len`](Self::max_multibulk_len) | 2³¹ − 1 arguments | `INT_MAX` (1024 × 1024 before 7.0) |
/// | [`max_inline_len`](Self::max_inline_len) | 64 KB | `PROTO_INLINE_MAX_SIZE` |
/// | [`unauthenticated_max_multibulk_len`](Self::unauthenticated_max_multibulk_len) | 10 arguments | since 6.2.6 (CVE-2021-32675) |
/// | [`unauthenticated_max_bulk_len`](Self::unauthenticated_max_bulk_len) | 16 KB | since 6.2.6 |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_bulk_len: u64,
    max_multibulk_len: u64,
    max_inline_len: usize,
    unauthenticated_max_multibulk_len: u64,
    unauthenticated_max_bulk_len: u64,
}

impl Limits {
    /// Redis's defaults (see the table on [`Limits`]).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as u64,
            max_inline_len: 64 * 1024,
            unauthenticated_max_multibulk_len: 10,
            unauthenticated_max_bulk_len: 16 * 1024,
        }
    }

    limits! {
        /// The longest argument, in bytes.
        max_bulk_len: u64;
        /// The longest argument, in bytes (`proto-max-bulk-len`). Longer: `invalid bulk length`.
        with_max_bulk_len(bytes);

        /// The most arguments in one request.
        max_multibulk_len: u64;
        /// The most arguments in one request. More: `invalid multibulk length`.
        with_max_multibulk_len(arguments);

        /// The most bytes buffered for one line without its end.
        max_inline_len: usize;
        /// How many bytes an inline command line, or a `*`/`$` header line, may buffer without its
        /// line end before it is refused (`too big inline request`, `too big mbulk count string`,
        /// `too big bulk count string`).
        with_max_inline_len(bytes);

        /// The most arguments in one request before authentication.
        unauthenticated_max_multibulk_len: u64;
        /// The most arguments a client that has not authenticated may send in one request.
        with_unauthenticated_max_multibulk_len(arguments);

        /// The longest argument before authentication.
        unauthenticated_max_bulk_len: u64;
        /// The longest argument a client that has not authenticated may send.
        with_unauthenticated_max_bulk_len(bytes);
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
