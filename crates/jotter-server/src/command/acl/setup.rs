//! The users a server starts with, from its settings: the ACL file
//! (`aclfile`), or `requirepass` and the `[[user]]` entries. A bad rule
//! stops the start, naming the user and the rule.
//!
//! `default` is Redis's: open to anyone (`on nopass ~* &* +@all`) when no
//! password is configured; with `requirepass`, that password's; with
//! `[[user]]`s but no `requirepass`, off (configuring users means wanting
//! authentication). A `[[user]]` without `rules` is `on >password ~* &*`
//! and its `commands` (`+@all` when left out); with `rules`, it starts as
//! a new Redis user (off, nothing allowed) and takes `rules`, then
//! `password` and `commands` when given too.

use std::collections::BTreeMap;

use super::super::spec::Table;
use super::file;
use super::registry::{OPEN_DEFAULT, Users};
use super::user::{RuleRefused, User};
use crate::config::{Config, ConfigError, User as UserSetting, YesNo};

/// Every user of `config`, or why one cannot be used.
pub(crate) fn users(config: &Config, table: &'static Table) -> Result<Users, ConfigError> {
    if let Some(path) = &config.aclfile {
        if !config.user.is_empty() || config.requirepass.is_some() {
            return Err(ConfigError::invalid(
                "aclfile",
                "the ACL file holds every user, the default one included: leave out \
                 requirepass and [[user]] when aclfile is set",
            ));
        }
        let users =
            file::read(path, table).map_err(|e| ConfigError::invalid("aclfile", e.to_string()))?;
        let users = Users::new(table, users, Some(path.clone()));
        // Protected mode, which the settings alone cannot decide here: the
        // file says whether the default user needs a password.
        if config.protected_mode == YesNo::Yes && !config.bind.is_loopback() && users.default_open()
        {
            return Err(ConfigError::invalid(
                "aclfile",
                format!(
                    "protected mode refuses to listen on {} while the ACL file's default user \
                     needs no password: give it one, bind a loopback address, or set \
                     protected-mode = \"no\"",
                    config.bind
                ),
            ));
        }
        return Ok(users);
    }
    let mut users = BTreeMap::new();
    let rules = if config.user.is_empty() { OPEN_DEFAULT } else { "off nopass ~* &* +@all" };
    let mut default = User::of_rules(rules, table).expect("valid rules");
    if let Some(password) = &config.requirepass {
        default.apply(b"on", table).expect("a valid rule");
        default.apply(&password_rule(password), table).expect("a password is a valid rule");
    }
    users.insert("default".to_owned(), default);
    for setting in &config.user {
        users.insert(setting.name.clone(), user(setting, table)?);
    }
    Ok(Users::new(table, users, None))
}

/// One `[[user]]`.
fn user(setting: &UserSetting, table: &Table) -> Result<User, ConfigError> {
    let refused = |key: &'static str| {
        move |(rule, e): (String, RuleRefused)| {
            let message = format!("user {:?}: rule '{rule}': {}", setting.name, e.detail());
            ConfigError::invalid(key, message)
        }
    };
    let mut user = User::new(table);
    match &setting.rules {
        Some(rules) => user.apply_all(rules, table).map_err(refused("user.rules"))?,
        None => user.apply_all("on ~* &*", table).expect("valid rules"),
    }
    if let Some(password) = &setting.password {
        user.apply(&password_rule(password), table).expect("a password is a valid rule");
    }
    let commands = setting.commands.as_deref().or(setting.rules.is_none().then_some("+@all"));
    if let Some(commands) = commands {
        user.apply_all(commands, table).map_err(refused("user.commands"))?;
    }
    Ok(user)
}

/// `>password`: the password's rule, whatever bytes it holds.
fn password_rule(password: &str) -> Vec<u8> {
    let mut rule = b">".to_vec();
    rule.extend_from_slice(password.as_bytes());
    rule
}
