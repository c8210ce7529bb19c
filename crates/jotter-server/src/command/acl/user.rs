//! One ACL user as Redis 7.0 keeps it: on or off, its passwords (SHA-256
//! hashes, never the passwords), the commands it may run, the keys and
//! channels it may touch. It changes only through [`User::apply`], one
//! Redis ACL rule at a time (ACL SETUSER, a line of the ACL file, a
//! `[[user]]`'s rules), and compiles into the [`Permissions`] sessions
//! check.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::super::permissions::{Command, Permissions};
use super::access::{Access, KeyPattern};

/// The command table as a user's command rules need it (`rules.rs`
/// implements it for the table): named here so that a user, which every
/// connection shares through the server's state, does not depend on the
/// table.
pub(crate) trait CommandRules: Sync {
    /// Every command, refused: where a new user starts.
    fn nothing(&self) -> Vec<Command>;
    /// Applies one command rule (`+@read`, `-flushall`, `allcommands`).
    fn apply(&self, rule: &str, commands: &mut [Command]) -> Result<(), CommandRefused>;
}

/// A refused command rule: Redis's words, and the detail a settings
/// file's author needs (the list of categories, of commands with
/// subcommands).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CommandRefused {
    pub redis: String,
    pub detail: String,
}

/// One user's rules, as applied so far.
#[derive(Debug, Clone)]
pub(crate) struct User {
    enabled: bool,
    nopass: bool,
    /// `sanitize-payload` (true), `skip-sanitize-payload` (false), or
    /// neither said: shown as Redis shows it, with no other effect (Jotter
    /// checks every RESTORE payload).
    sanitize: Option<bool>,
    /// Lowercase hex SHA-256 of each password, in the order added.
    passwords: Vec<String>,
    commands: Vec<Command>,
    /// Set by `+@all`: Redis then describes the rules from `+@all`.
    all_commands: bool,
    keys: Vec<KeyPattern>,
    all_keys: bool,
    channels: Vec<Bytes>,
    all_channels: bool,
}

/// Why a rule was refused, in Redis's words (ACL SETUSER wraps them in
/// `ERR Error in ACL SETUSER modifier '<rule>': ...`).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RuleRefused {
    #[error("Syntax error")]
    Syntax,
    #[error("{}", .0.redis)]
    Command(CommandRefused),
    #[error(
        "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not \
         have any effect. Try 'resetkeys' to start with an empty list of patterns"
    )]
    KeyAfterAll,
    #[error(
        "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does \
         not have any effect. Try 'resetchannels' to start with an empty list of channels"
    )]
    ChannelAfterAll,
    #[error("The password you are trying to remove from the user does not exist")]
    NoSuchPassword,
    #[error(
        "The password hash must be exactly 64 characters and contain only lowercase hexadecimal \
         characters"
    )]
    BadHash,
    #[error("Selectors are not supported by Jotter: a user has one set of permissions")]
    Selectors,
}

impl RuleRefused {
    /// The refusal with the detail a settings file's author needs (the
    /// list of categories, of commands with subcommands).
    pub(crate) fn detail(&self) -> String {
        match self {
            RuleRefused::Command(e) => e.detail.clone(),
            other => other.to_string(),
        }
    }
}

/// The lowercase hex SHA-256 of a password, as Redis stores it.
pub(crate) fn hash(password: &[u8]) -> String {
    let digest = Sha256::digest(password);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell how much of a hash was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl User {
    /// A new user, as Redis creates one: off, no password, no commands,
    /// no keys, no channels.
    pub(crate) fn new(table: &dyn CommandRules) -> User {
        User {
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            commands: table.nothing(),
            all_commands: false,
            keys: Vec::new(),
            all_keys: false,
            channels: Vec::new(),
            all_channels: false,
        }
    }

    /// A new user with `rules` (space-separated) applied.
    pub(crate) fn of_rules(
        rules: &str,
        table: &dyn CommandRules,
    ) -> Result<User, (String, RuleRefused)> {
        let mut user = User::new(table);
        user.apply_all(rules, table)?;
        Ok(user)
    }

    /// Applies each rule of `rules` (space-separated) in turn.
    pub(crate) fn apply_all(
        &mut self,
        rules: &str,
        table: &dyn CommandRules,
    ) -> Result<(), (String, RuleRefused)> {
        for rule in rules.split_whitespace() {
            self.apply(rule.as_bytes(), table).map_err(|e| (rule.to_owned(), e))?;
        }
        Ok(())
    }

    /// Applies one rule, as Redis 7.0's ACL SETUSER does.
    pub(crate) fn apply(
        &mut self,
        rule: &[u8],
        table: &dyn CommandRules,
    ) -> Result<(), RuleRefused> {
        let lower = rule.to_ascii_lowercase();
        match lower.as_slice() {
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"nopass" => (self.nopass, self.passwords) = (true, Vec::new()),
            b"resetpass" => (self.nopass, self.passwords) = (false, Vec::new()),
            b"allkeys" | b"~*" => (self.all_keys, self.keys) = (true, Vec::new()),
            b"resetkeys" => (self.all_keys, self.keys) = (false, Vec::new()),
            b"allchannels" | b"&*" => (self.all_channels, self.channels) = (true, Vec::new()),
            b"resetchannels" => (self.all_channels, self.channels) = (false, Vec::new()),
            b"sanitize-payload" => self.sanitize = Some(true),
            b"skip-sanitize-payload" => self.sanitize = Some(false),
            b"clearselectors" => {}
            b"reset" => {
                for part in ["resetpass", "resetkeys", "resetchannels", "off", "-@all"] {
                    self.apply(part.as_bytes(), table)?;
                }
                self.sanitize = Some(true);
            }
            _ => return self.apply_prefixed(rule, table),
        }
        Ok(())
    }

    /// The rules that start with a sign: passwords, patterns, commands.
    fn apply_prefixed(&mut self, rule: &[u8], table: &dyn CommandRules) -> Result<(), RuleRefused> {
        let Some((&sign, rest)) = rule.split_first() else { return Err(RuleRefused::Syntax) };
        match sign {
            b'>' => self.add_hash(hash(rest)),
            b'<' => self.remove_hash(&hash(rest))?,
            b'#' => self.add_hash(valid_hash(rest)?),
            b'!' => self.remove_hash(&valid_hash(rest)?)?,
            b'~' | b'%' => self.add_key_pattern(rule)?,
            b'&' => {
                if self.all_channels {
                    return Err(RuleRefused::ChannelAfterAll);
                }
                if !self.channels.iter().any(|c| c.as_ref() == rest) {
                    self.channels.push(Bytes::copy_from_slice(rest));
                }
            }
            b'(' => return Err(RuleRefused::Selectors),
            b'+' | b'-' => {
                let text = std::str::from_utf8(rule).map_err(|_| RuleRefused::Syntax)?;
                table.apply(text, &mut self.commands).map_err(RuleRefused::Command)?;
                if rest.eq_ignore_ascii_case(b"@all") {
                    self.all_commands = sign == b'+';
                }
            }
            _ => {
                let words = rule.eq_ignore_ascii_case(b"allcommands")
                    || rule.eq_ignore_ascii_case(b"nocommands");
                if !words {
                    return Err(RuleRefused::Syntax);
                }
                let text = std::str::from_utf8(rule).unwrap_or_default();
                table.apply(text, &mut self.commands).map_err(RuleRefused::Command)?;
                self.all_commands = rule.eq_ignore_ascii_case(b"allcommands");
            }
        }
        Ok(())
    }

    fn add_hash(&mut self, hex: String) {
        self.nopass = false;
        if !self.passwords.contains(&hex) {
            self.passwords.push(hex);
        }
    }

    fn remove_hash(&mut self, hex: &str) -> Result<(), RuleRefused> {
        let at = self.passwords.iter().position(|h| h == hex).ok_or(RuleRefused::NoSuchPassword)?;
        self.passwords.remove(at);
        Ok(())
    }

    /// `~glob`, `%R~glob`, `%W~glob`, `%RW~glob` (`~*` is `allkeys`, taken
    /// before; `%RW~*` is a pattern, as in Redis).
    fn add_key_pattern(&mut self, rule: &[u8]) -> Result<(), RuleRefused> {
        if self.all_keys {
            return Err(RuleRefused::KeyAfterAll);
        }
        let (read, write, glob) = match rule.split_first() {
            Some((b'~', glob)) => (true, true, glob),
            _ => {
                // Redis reads flags up to the `~`, or to the end.
                let tilde = rule.iter().position(|&b| b == b'~').unwrap_or(rule.len());
                let (mut read, mut write) = (false, false);
                for flag in &rule[1..tilde] {
                    match flag.to_ascii_uppercase() {
                        b'R' => read = true,
                        b'W' => write = true,
                        _ => return Err(RuleRefused::Syntax),
                    }
                }
                if !read && !write {
                    return Err(RuleRefused::Syntax);
                }
                (read, write, rule.get(tilde + 1..).unwrap_or_default())
            }
        };
        if let Some(known) = self.keys.iter_mut().find(|p| p.glob.as_ref() == glob) {
            known.read |= read;
            known.write |= write;
        } else {
            self.keys.push(KeyPattern { read, write, glob: Bytes::copy_from_slice(glob) });
        }
        Ok(())
    }

    /// Whether `password` logs this user in.
    pub(crate) fn accepts(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let given = hash(password);
        self.passwords.iter().fold(false, |ok, h| ok | same_secret(h.as_bytes(), given.as_bytes()))
    }

    /// Whether the user is on.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether any password (or none) logs the user in.
    pub(crate) fn nopass(&self) -> bool {
        self.nopass
    }

    /// What a session of this user may run and touch.
    pub(crate) fn permissions(&self) -> Permissions {
        let keys = (!self.all_keys).then(|| self.keys.clone());
        let channels = (!self.all_channels).then(|| self.channels.clone());
        Permissions::of(self.commands.clone()).with_access(Access::new(keys, channels))
    }

    /// Redis's flags, in its order (`on`/`off`, `nopass`, sanitizing).
    pub(crate) fn flags(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize {
            Some(false) => flags.push("skip-sanitize-payload"),
            Some(true) => flags.push("sanitize-payload"),
            None => {}
        }
        flags
    }

    /// The password hashes.
    pub(crate) fn hashes(&self) -> &[String] {
        &self.passwords
    }

    /// The commands it may run, and whether `+@all` was the last word on
    /// all of them.
    pub(crate) fn commands(&self) -> (&[Command], bool) {
        (&self.commands, self.all_commands)
    }

    /// The key patterns as ACL GETUSER shows them: `~*`, or each pattern
    /// (`~app:* %R~r:*`), or nothing.
    pub(crate) fn keys_text(&self) -> String {
        if self.all_keys {
            return "~*".to_owned();
        }
        let mut out = String::new();
        for (i, pattern) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            pattern.describe(&mut out);
        }
        out
    }

    /// The channel patterns as ACL GETUSER shows them: `&*`, or each
    /// pattern (`&news.*`), or nothing.
    pub(crate) fn channels_text(&self) -> String {
        if self.all_channels {
            return "&*".to_owned();
        }
        let patterns: Vec<String> =
            self.channels.iter().map(|c| format!("&{}", String::from_utf8_lossy(c))).collect();
        patterns.join(" ")
    }

    /// Whether it may use every channel.
    pub(crate) fn all_channels(&self) -> bool {
        self.all_channels
    }
}

/// A `#hash` or `!hash`'s hash, which Redis takes only as 64 lowercase hex
/// digits.
fn valid_hash(hex: &[u8]) -> Result<String, RuleRefused> {
    let ok = hex.len() == 64 && hex.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    if ok { Ok(String::from_utf8_lossy(hex).into_owned()) } else { Err(RuleRefused::BadHash) }
}

#[cfg(test)]
mod tests {
    use super::super::super::dispatch::table;
    use super::*;

    fn user(rules: &str) -> User {
        User::of_rules(rules, table()).expect("valid rules")
    }

    #[test]
    fn passwords_are_kept_as_hashes_and_log_in() {
        let u = user("on >pw >pw");
        assert_eq!(u.hashes().len(), 1);
        assert_eq!(
            u.hashes()[0],
            "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"
        );
        assert!(u.accepts(b"pw"));
        assert!(!u.accepts(b"other"));
        assert!(!user("off >pw").accepts(b"pw"));
        assert!(user("on >pw nopass").accepts(b"anything"));
        assert!(!user("on nopass resetpass").accepts(b""));
        let mut u = user("on >pw");
        assert_eq!(u.apply(b"<nope", table()), Err(RuleRefused::NoSuchPassword));
        assert_eq!(u.apply(b"#ABC", table()), Err(RuleRefused::BadHash));
    }

    #[test]
    fn key_patterns_follow_redis() {
        assert_eq!(user("~a:* %R~r:* %W~w:* %RW~b %R~b").keys_text(), "~a:* %R~r:* %W~w:* ~b");
        assert_eq!(user("~a ~*").keys_text(), "~*");
        assert_eq!(user("allkeys").apply(b"~a", table()), Err(RuleRefused::KeyAfterAll));
        assert_eq!(user("").apply(b"%X~a", table()), Err(RuleRefused::Syntax));
        assert_eq!(user("~a resetkeys").keys_text(), "");
        assert_eq!(user("&a &b &a").channels_text(), "&a &b");
        assert_eq!(user("allchannels").apply(b"&a", table()), Err(RuleRefused::ChannelAfterAll));
        assert_eq!(user("").apply(b"(~a +get)", table()), Err(RuleRefused::Selectors));
        assert_eq!(user("").apply(b"bogus", table()), Err(RuleRefused::Syntax));
    }

    #[test]
    fn reset_starts_over() {
        let u = user("on nopass ~* &* +@all reset");
        assert_eq!(u.flags(), ["off", "sanitize-payload"]);
        assert_eq!(u.keys_text(), "");
        assert!(!u.commands().1);
    }
}
