//! What of a key or a store's message may go into a log line.
//!
//! A key can be 512 MB and a value holds the user's data; a store's message
//! may quote either. Every log line and every message of the crates that
//! names a key goes through [`LogKey`]: at most [`SHOWN`] bytes, escaped,
//! then the full length. A message that may quote data (a store's error
//! text) goes through [`LogText`], which cuts it at [`MESSAGE_MAX`] bytes.

use std::fmt;

/// The bytes of a key shown in a log line or message.
pub(crate) const SHOWN: usize = 64;

/// The bytes of a store's message shown in a log line.
pub(crate) const MESSAGE_MAX: usize = 512;

/// A key as a log line shows it: `"user:42"`, or for a key longer than
/// 64 bytes its first 64 bytes and its length,
/// `"aaaa..." (3000 bytes)`. Non-printable bytes are escaped (`\xff`).
#[derive(Clone, Copy)]
pub struct LogKey<'a>(pub &'a [u8]);

impl fmt::Display for LogKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.0;
        let head = key[..key.len().min(SHOWN)].escape_ascii();
        if key.len() > SHOWN {
            write!(f, "\"{head}...\" ({} bytes)", key.len())
        } else {
            write!(f, "\"{head}\"")
        }
    }
}

impl fmt::Debug for LogKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A message that may quote data, cut at 512 bytes (on a
/// character boundary), with the length it had.
#[derive(Clone, Copy)]
pub struct LogText<'a>(pub &'a str);

impl fmt::Display for LogText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if text.len() <= MESSAGE_MAX {
            return f.write_str(text);
        }
        let mut end = MESSAGE_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        write!(f, "{}... ({} bytes in all)", &text[..end], text.len())
    }
}

impl fmt::Debug for LogText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_key_is_shown_whole_and_escaped() {
        assert_eq!(LogKey(b"user:42").to_string(), "\"user:42\"");
        assert_eq!(LogKey(b"a\xff\n").to_string(), "\"a\\xff\\n\"");
        assert_eq!(LogKey(&[b'k'; SHOWN]).to_string().len(), SHOWN + 2);
    }

    #[test]
    fn a_long_key_is_cut_to_64_bytes_with_its_length() {
        let key = vec![b'k'; 3 << 20];
        let shown = LogKey(&key).to_string();
        assert_eq!(shown, format!("\"{}...\" ({} bytes)", "k".repeat(SHOWN), 3 << 20));
    }

    #[test]
    fn a_long_message_is_cut_on_a_character_boundary() {
        let short = "store refused: constraint x";
        assert_eq!(LogText(short).to_string(), short);
        let long = "é".repeat(MESSAGE_MAX);
        let shown = LogText(&long).to_string();
        assert!(shown.len() < MESSAGE_MAX + 40, "{}", shown.len());
        assert!(shown.ends_with(&format!("... ({} bytes in all)", long.len())), "{shown}");
    }
}
