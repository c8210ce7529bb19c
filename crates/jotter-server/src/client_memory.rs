//! Clients' reply buffers count against `maxmemory` (Redis 7's
//! `maxmemory-clients` idea): the replies a client has not taken yet are
//! memory the process holds as surely as the data is.
//!
//! Each connection reports the size of its output buffer here once it
//! passes [`CHECK_FROM`] (small replies, the common case, never touch the
//! shared counter). A connection whose output would take the data plus
//! every client's pending replies past `maxmemory` is closed: it is the
//! one growing, and closing it frees what it held. `client-output-buffer-
//! limit` bounds each client on its own, with or without `maxmemory`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Output a connection may hold before it is counted and checked.
pub(crate) const CHECK_FROM: usize = 1 << 20;

/// Bytes of replies held by all clients, counted from [`CHECK_FROM`] up.
#[derive(Debug, Default)]
pub(crate) struct ClientMemory {
    total: AtomicU64,
}

/// One connection's part of [`ClientMemory`]; given back when dropped.
pub(crate) struct Held<'a> {
    all: &'a ClientMemory,
    held: u64,
}

impl ClientMemory {
    pub(crate) fn holder(&self) -> Held<'_> {
        Held { all: self, held: 0 }
    }

    /// Bytes of replies all clients hold (those past [`CHECK_FROM`]).
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

impl Held<'_> {
    /// Records that this connection now holds `bytes` of replies (0 once
    /// they are sent); returns the total over all clients.
    pub(crate) fn set(&mut self, bytes: usize) -> u64 {
        let bytes = bytes as u64;
        if bytes == self.held {
            return self.all.total();
        }
        if bytes >= self.held {
            self.all.total.fetch_add(bytes - self.held, Ordering::Relaxed);
        } else {
            self.all.total.fetch_sub(self.held - bytes, Ordering::Relaxed);
        }
        self.held = bytes;
        self.all.total()
    }
}

impl Held<'_> {
    /// Whether a connection holding `output` bytes of replies takes the
    /// process past `maxmemory` (0: no bound), with `data` the bytes the
    /// cache holds (read only for an output past [`CHECK_FROM`]).
    pub(crate) fn over(
        &mut self,
        output: usize,
        maxmemory: u64,
        data: impl FnOnce() -> u64,
    ) -> bool {
        if maxmemory == 0 || (output < CHECK_FROM && self.held == 0) {
            return false;
        }
        let output = if output < CHECK_FROM { 0 } else { output };
        let clients = self.set(output);
        output > 0 && clients + data() > maxmemory
    }
}

impl Held<'_> {
    /// The connection's replies went out: it holds none any more.
    pub(crate) fn sent(&mut self) {
        if self.held > 0 {
            self.set(0);
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_connection_counts_what_it_holds_until_it_lets_go() {
        let all = ClientMemory::default();
        let mut a = all.holder();
        let mut b = all.holder();
        assert_eq!(a.set(3 << 20), 3 << 20);
        assert_eq!(b.set(2 << 20), 5 << 20);
        assert_eq!(a.set(1 << 20), 3 << 20);
        drop(b);
        assert_eq!(all.total(), 1 << 20);
        a.set(0);
        assert_eq!(all.total(), 0);
    }
}
