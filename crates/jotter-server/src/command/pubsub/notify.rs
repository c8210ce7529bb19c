//! Keyspace notifications: the `notify-keyspace-events` setting (Redis's
//! flags, plus Jotter's `w`) and publishing an event on
//! `__keyspace@0__:<key>` and `__keyevent@0__:<event>`.
//!
//! The setting is one atomic, read before anything else, so with
//! notifications off (the default, `""`) a write costs one load here.

use std::sync::atomic::{AtomicU32, Ordering};

use bytes::{BufMut, Bytes, BytesMut};

use super::registry::Registry;

pub(crate) const KEYSPACE: u32 = 1 << 0; // K
pub(crate) const KEYEVENT: u32 = 1 << 1; // E
pub(crate) const GENERIC: u32 = 1 << 2; // g
pub(crate) const STRING: u32 = 1 << 3; // $
pub(crate) const LIST: u32 = 1 << 4; // l
pub(crate) const SET: u32 = 1 << 5; // s
pub(crate) const HASH: u32 = 1 << 6; // h
pub(crate) const ZSET: u32 = 1 << 7; // z
pub(crate) const EXPIRED: u32 = 1 << 8; // x
pub(crate) const EVICTED: u32 = 1 << 9; // e
pub(crate) const STREAM: u32 = 1 << 10; // t
pub(crate) const KEY_MISS: u32 = 1 << 11; // m
pub(crate) const MODULE: u32 = 1 << 13; // d
pub(crate) const NEW: u32 = 1 << 14; // n
/// Jotter's own class: `stored`, when a key's write reaches the store.
pub(crate) const STORED: u32 = 1 << 20; // w
/// `A`: Redis's alias for `g$lshzxetd` (not `m`, `n`, nor Jotter's `w`).
pub(crate) const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// The class letters, in the order Redis writes them back.
const LETTERS: &[(u8, u32)] = &[
    (b'g', GENERIC),
    (b'$', STRING),
    (b'l', LIST),
    (b's', SET),
    (b'h', HASH),
    (b'z', ZSET),
    (b'x', EXPIRED),
    (b'e', EVICTED),
    (b't', STREAM),
    (b'd', MODULE),
    (b'n', NEW),
];

/// A `notify-keyspace-events` value with a character that is not a flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")]
pub(crate) struct BadFlags;

/// Parses a setting as Redis does (`keyspaceEventsStringToFlags`), with
/// Jotter's `w`.
pub(crate) fn parse(text: &str) -> Result<u32, BadFlags> {
    let mut flags = 0;
    for c in text.bytes() {
        flags |= match c {
            b'A' => ALL,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b'm' => KEY_MISS,
            b'w' => STORED,
            c => LETTERS.iter().find(|(l, _)| *l == c).map(|(_, f)| *f).ok_or(BadFlags)?,
        };
    }
    Ok(flags)
}

/// The setting as Redis writes it back (`keyspaceEventsFlagsToString`).
pub(crate) fn format(flags: u32) -> String {
    let mut text = String::new();
    if flags & ALL == ALL {
        text.push('A');
    }
    for (letter, flag) in LETTERS {
        let in_all = ALL & flag != 0;
        if flags & flag != 0 && !(in_all && flags & ALL == ALL) {
            text.push(char::from(*letter));
        }
    }
    for (letter, flag) in [('K', KEYSPACE), ('E', KEYEVENT), ('m', KEY_MISS), ('w', STORED)] {
        if flags & flag != 0 {
            text.push(letter);
        }
    }
    text
}

/// The setting, changed at run time by `CONFIG SET notify-keyspace-events`.
#[derive(Default)]
pub(crate) struct Setting(AtomicU32);

impl Setting {
    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, flags: u32) {
        self.0.store(flags, Ordering::Relaxed);
    }

    /// Whether events of `class` are published.
    pub(crate) fn wants(&self, class: u32) -> bool {
        let flags = self.get();
        flags & class != 0 && flags & (KEYSPACE | KEYEVENT) != 0
    }
}

/// Publishes `event` of `class` about `key`, if the setting asks for it
/// (`notifyKeyspaceEvent`).
pub(crate) fn notify(setting: &Setting, registry: &Registry, class: u32, event: &str, key: &[u8]) {
    let flags = setting.get();
    if flags & class == 0 {
        return;
    }
    if flags & KEYSPACE != 0 {
        let channel = channel(b"__keyspace@0__:", key);
        registry.publish(false, &channel, &Bytes::copy_from_slice(event.as_bytes()));
    }
    if flags & KEYEVENT != 0 {
        let channel = channel(b"__keyevent@0__:", event.as_bytes());
        registry.publish(false, &channel, &Bytes::copy_from_slice(key));
    }
}

fn channel(prefix: &[u8], name: &[u8]) -> Bytes {
    let mut channel = BytesMut::with_capacity(prefix.len() + name.len());
    channel.put_slice(prefix);
    channel.put_slice(name);
    channel.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_and_write_back_as_redis_does() {
        assert_eq!(parse(""), Ok(0));
        assert_eq!(format(parse("KEA").unwrap()), "AKE");
        assert_eq!(format(parse("Ex").unwrap()), "xE");
        assert_eq!(format(parse("g$lshzxetdKE").unwrap()), "AKE");
        assert_eq!(format(parse("Kw").unwrap()), "Kw");
        assert_eq!(format(parse("Elm").unwrap()), "lEm");
        assert_eq!(parse("Kq"), Err(BadFlags));
        assert_eq!(parse("A").unwrap() & STORED, 0);
    }
}
