//! Which keys and channels a user may touch: its key patterns (`~pattern`,
//! `%R~pattern`, `%W~pattern`, `allkeys`) and channel patterns
//! (`&pattern`, `allchannels`), matched as Redis 7.0 matches them (its
//! glob, `glob.rs`). `None` means every key or channel, so a user with
//! `allkeys` pays one branch per command.

use bytes::Bytes;

use super::super::glob::glob_match;

/// One key pattern and the access it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyPattern {
    pub read: bool,
    pub write: bool,
    pub glob: Bytes,
}

impl KeyPattern {
    /// Redis's form: `~glob` (read and write), `%R~glob`, `%W~glob`.
    pub(crate) fn describe(&self, out: &mut String) {
        match (self.read, self.write) {
            (true, false) => out.push_str("%R~"),
            (false, true) => out.push_str("%W~"),
            _ => out.push('~'),
        }
        out.push_str(&String::from_utf8_lossy(&self.glob));
    }
}

/// The keys and channels a user may touch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    keys: Option<Vec<KeyPattern>>,
    channels: Option<Vec<Bytes>>,
}

impl Access {
    /// Every key and every channel.
    pub(crate) fn all() -> Access {
        Access { keys: None, channels: None }
    }

    /// `keys` (`None`: all) and `channels` (`None`: all).
    pub(crate) fn new(keys: Option<Vec<KeyPattern>>, channels: Option<Vec<Bytes>>) -> Access {
        Access { keys, channels }
    }

    /// Whether every key may be used, so no key needs looking at.
    pub(crate) fn all_keys(&self) -> bool {
        self.keys.is_none()
    }

    /// Whether every channel may be used.
    pub(crate) fn all_channels(&self) -> bool {
        self.channels.is_none()
    }

    /// Whether `key` may be read (`read`) and written (`write`): one
    /// pattern must grant both, as in Redis.
    pub(crate) fn may_use_key(&self, key: &[u8], read: bool, write: bool) -> bool {
        let Some(patterns) = &self.keys else { return true };
        patterns
            .iter()
            .any(|p| (p.read || !read) && (p.write || !write) && glob_match(&p.glob, key, false))
    }

    /// Whether `channel` may be used: a channel (PUBLISH, SUBSCRIBE) must
    /// match one of the patterns; a pattern (PSUBSCRIBE) must be one of
    /// them, byte for byte, as Redis requires.
    pub(crate) fn may_use_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        let Some(patterns) = &self.channels else { return true };
        patterns
            .iter()
            .any(|p| if is_pattern { p.as_ref() == channel } else { glob_match(p, channel, false) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(read: bool, write: bool, glob: &str) -> KeyPattern {
        KeyPattern { read, write, glob: Bytes::from(glob.to_owned()) }
    }

    #[test]
    fn a_pattern_must_grant_every_access_the_command_needs() {
        let access = Access::new(
            Some(vec![pattern(true, true, "app:*"), pattern(true, false, "r:*")]),
            Some(vec![Bytes::from("news.*")]),
        );
        assert!(access.may_use_key(b"app:1", true, true));
        assert!(access.may_use_key(b"r:1", true, false));
        assert!(!access.may_use_key(b"r:1", false, true));
        assert!(!access.may_use_key(b"other", true, false));
        assert!(access.may_use_channel(b"news.sport", false));
        assert!(!access.may_use_channel(b"news.sport", true));
        assert!(access.may_use_channel(b"news.*", true));
        assert!(!access.may_use_channel(b"weather", false));
        assert!(Access::all().may_use_key(b"x", true, true));
    }
}
