//! `CLIENT REPLY`: whether the connection sends its replies. OFF drops
//! every reply until ON; SKIP drops the next command's reply only. The
//! connection applies the mode after each command ([`ReplyMode::after`]),
//! which drops what the command wrote; while the mode is ON (almost
//! always) that is one comparison.

use bytes::BytesMut;

/// The connection's reply mode, as Redis's `CLIENT_REPLY_*` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReplyMode {
    /// `CLIENT REPLY OFF`.
    off: bool,
    /// The reply of the command running now is dropped.
    skip: bool,
    /// `CLIENT REPLY SKIP` ran: the next command's reply is dropped.
    skip_next: bool,
}

impl ReplyMode {
    /// Every reply is sent: the connection has nothing to do.
    pub(crate) fn is_on(self) -> bool {
        self == ReplyMode::default()
    }

    /// `CLIENT REPLY ON`: its own `OK` is sent.
    pub(crate) fn on(&mut self) {
        *self = ReplyMode::default();
    }

    /// `CLIENT REPLY OFF`.
    pub(crate) fn off(&mut self) {
        self.off = true;
    }

    /// `CLIENT REPLY SKIP`: no effect while OFF, as in Redis.
    pub(crate) fn skip(&mut self) {
        if !self.off {
            self.skip_next = true;
        }
    }

    /// After a command whose reply starts at `mark` of `out`: drops the
    /// reply when the mode says so, and moves SKIP on to the next command.
    pub(crate) fn after(&mut self, out: &mut BytesMut, mark: usize) {
        if self.off || self.skip {
            out.truncate(mark);
        }
        self.skip = std::mem::take(&mut self.skip_next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        mode: &mut ReplyMode,
        out: &mut BytesMut,
        reply: &[u8],
        command: impl FnOnce(&mut ReplyMode),
    ) {
        let mark = out.len();
        command(mode);
        out.extend_from_slice(reply);
        mode.after(out, mark);
    }

    #[test]
    fn skip_drops_one_reply_and_off_drops_all_until_on() {
        let mut mode = ReplyMode::default();
        let mut out = BytesMut::new();
        run(&mut mode, &mut out, b"", ReplyMode::skip);
        run(&mut mode, &mut out, b"a", |_| {});
        run(&mut mode, &mut out, b"b", |_| {});
        assert_eq!(&out[..], b"b");
        run(&mut mode, &mut out, b"", ReplyMode::off);
        run(&mut mode, &mut out, b"", ReplyMode::skip);
        run(&mut mode, &mut out, b"c", |_| {});
        assert_eq!(&out[..], b"b");
        run(&mut mode, &mut out, b"OK", ReplyMode::on);
        run(&mut mode, &mut out, b"d", |_| {});
        assert_eq!(&out[..], b"bOKd");
        assert!(mode.is_on());
    }
}
