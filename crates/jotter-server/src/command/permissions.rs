//! Command permissions of users: the Redis ACL rules of a `[[user]]`'s
//! `commands` (`+@category`, `-@category`, `+command`, `-command`,
//! `+command|subcommand`, `-command|subcommand`, `allcommands`,
//! `nocommands`), applied left to right as Redis applies them, compiled
//! once at start into one yes/no per command and per subcommand.
//!
//! A command's categories are those `COMMAND INFO` reports
//! (`categories.rs`). The dispatcher asks [`Permissions::check`] after the
//! authentication check and before `MULTI` queuing, as Redis does; commands
//! that run before authentication (AUTH, HELLO, QUIT, RESET) are never
//! refused. A bad rule stops the start, naming the user and the rule.

use std::collections::HashMap;
use std::sync::Arc;

use jotter_resp::Request;

use super::categories::{CATEGORIES, SUBCOMMANDS, categories, subcommands_of};
use super::spec::{Spec, Table};
use crate::config::{Config, ConfigError};

/// Rules of a user who names none: every command.
pub(crate) const ALL: &str = "+@all";

/// What one user may run.
#[derive(Debug)]
pub(crate) struct Permissions {
    /// `None` when every command and subcommand is allowed: the check is
    /// then one branch.
    limits: Option<Limits>,
}

#[derive(Debug)]
struct Limits {
    /// Per command, in table order: allowed, and its rows of
    /// [`SUBCOMMANDS`].
    commands: Vec<(bool, std::ops::Range<usize>)>,
    /// Per row of [`SUBCOMMANDS`].
    subcommands: Vec<bool>,
}

/// Why a rule cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RuleError {
    #[error("unknown command or category name (categories: @all, @{})", CATEGORIES.join(", @"))]
    Unknown,
    #[error("'{0}' has no subcommands with permissions of their own (those are: {1})")]
    NoSubcommands(String, String),
    #[error(
        "not a command rule (use +@category, -@category, +command, -command, \
         +command|subcommand, -command|subcommand, allcommands or nocommands)"
    )]
    Syntax,
}

impl Permissions {
    /// Every command.
    pub(crate) fn all() -> Permissions {
        Permissions { limits: None }
    }

    /// Compiles `rules` (space-separated) against `table`; the error names
    /// the rule at fault.
    pub(crate) fn parse(rules: &str, table: &Table) -> Result<Permissions, (String, RuleError)> {
        let specs = table.specs();
        let mut commands: Vec<(bool, std::ops::Range<usize>)> =
            specs.iter().map(|s| (false, subcommands_of(s.name))).collect();
        let mut subcommands = vec![false; SUBCOMMANDS.len()];
        for rule in rules.split_whitespace() {
            apply(rule, table, &mut commands, &mut subcommands)
                .map_err(|e| (rule.to_owned(), e))?;
        }
        let everything = commands.iter().all(|(allowed, _)| *allowed)
            && commands.iter().all(|(_, subs)| subs.clone().all(|i| subcommands[i]));
        let limits = (!everything).then_some(Limits { commands, subcommands });
        Ok(Permissions { limits })
    }

    /// Whether the user may run `req` (the command at `index` of the
    /// table); if not, the name Redis's refusal shows (`flushall`,
    /// `config|set`).
    pub(crate) fn check(&self, index: usize, spec: &Spec, req: &Request) -> Result<(), String> {
        let Some(limits) = &self.limits else { return Ok(()) };
        let (allowed, subs) = &limits.commands[index];
        if let Some(arg) = req.arg(1) {
            for i in subs.clone() {
                let (_, sub, _) = SUBCOMMANDS[i];
                if arg.eq_ignore_ascii_case(sub.as_bytes()) {
                    return if limits.subcommands[i] {
                        Ok(())
                    } else {
                        Err(format!("{}|{sub}", spec.name))
                    };
                }
            }
        }
        if *allowed { Ok(()) } else { Err(spec.name.to_owned()) }
    }
}

/// Applies one rule to the permissions built so far.
fn apply(
    rule: &str,
    table: &Table,
    commands: &mut [(bool, std::ops::Range<usize>)],
    subcommands: &mut [bool],
) -> Result<(), RuleError> {
    let (allow, target) = match rule.to_ascii_lowercase().as_str() {
        "allcommands" => (true, "@all".to_owned()),
        "nocommands" => (false, "@all".to_owned()),
        lower => match lower.split_at_checked(1) {
            Some(("+", target)) => (true, target.to_owned()),
            Some(("-", target)) => (false, target.to_owned()),
            _ => return Err(RuleError::Syntax),
        },
    };
    let specs = table.specs();
    if let Some(category) = target.strip_prefix('@') {
        if category == "all" {
            commands.iter_mut().for_each(|c| c.0 = allow);
            subcommands.iter_mut().for_each(|s| *s = allow);
            return Ok(());
        }
        if !CATEGORIES.contains(&category) {
            return Err(RuleError::Unknown);
        }
        for (spec, command) in specs.iter().zip(commands.iter_mut()) {
            if categories(spec).iter().any(|c| c[1..] == *category) {
                command.0 = allow;
            }
        }
        for ((_, _, of), sub) in SUBCOMMANDS.iter().zip(subcommands.iter_mut()) {
            if of.iter().any(|c| c[1..] == *category) {
                *sub = allow;
            }
        }
        return Ok(());
    }
    let (name, sub) = match target.split_once('|') {
        Some((name, sub)) => (name, Some(sub)),
        None => (target.as_str(), None),
    };
    let (index, spec) = table.lookup(name.as_bytes()).ok_or(RuleError::Unknown)?;
    let rows = commands[index].1.clone();
    match sub {
        None => {
            commands[index].0 = allow;
            rows.for_each(|i| subcommands[i] = allow);
        }
        Some(sub) => {
            if rows.is_empty() {
                let listed: Vec<String> = SUBCOMMANDS
                    .iter()
                    .map(|(c, _, _)| *c)
                    .filter(|c| table.lookup(c.as_bytes()).is_some())
                    .fold(Vec::new(), |mut seen, c| {
                        if !seen.iter().any(|s: &String| s == c) {
                            seen.push(c.to_owned());
                        }
                        seen
                    });
                return Err(RuleError::NoSubcommands(spec.name.to_owned(), listed.join(", ")));
            }
            let i = rows.clone().find(|&i| SUBCOMMANDS[i].1 == sub).ok_or(RuleError::Unknown)?;
            subcommands[i] = allow;
        }
    }
    Ok(())
}

/// Every user's permissions: `default` (the `requirepass` user, or
/// anyone when no password is set) may run every command.
#[derive(Debug)]
pub(crate) struct Users {
    default: Arc<Permissions>,
    named: HashMap<String, Arc<Permissions>>,
}

impl Users {
    /// Compiles each `[[user]]`'s `commands` (`+@all` when left out).
    pub(crate) fn compile(config: &Config, table: &Table) -> Result<Users, ConfigError> {
        let mut named = HashMap::with_capacity(config.user.len());
        for user in &config.user {
            let rules = user.commands.as_deref().unwrap_or(ALL);
            let permissions = Permissions::parse(rules, table).map_err(|(rule, e)| {
                ConfigError::invalid(
                    "user.commands",
                    format!("user {:?}: rule '{rule}': {e}", user.name),
                )
            })?;
            named.insert(user.name.clone(), Arc::new(permissions));
        }
        Ok(Users { default: Arc::new(Permissions::all()), named })
    }

    /// The default user's.
    pub(crate) fn default_user(&self) -> Arc<Permissions> {
        Arc::clone(&self.default)
    }

    /// The permissions of the user `name` (the default user's for
    /// `default` or a name not configured).
    pub(crate) fn of(&self, name: &str) -> Arc<Permissions> {
        self.named.get(name).map_or_else(|| self.default_user(), Arc::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::super::dispatch::table;
    use super::*;

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    fn check(rules: &str, args: &[&str]) -> Result<(), String> {
        let permissions = Permissions::parse(rules, table()).expect("valid rules");
        let (index, spec) = table().lookup(args[0].as_bytes()).expect("a command");
        permissions.check(index, spec, &req(args))
    }

    #[test]
    fn rules_apply_left_to_right() {
        assert_eq!(check("+@all -@dangerous", &["FLUSHALL"]), Err("flushall".into()));
        assert_eq!(check("+@all -@dangerous", &["flushdb"]), Err("flushdb".into()));
        assert_eq!(check("+@all -@dangerous", &["SET", "k", "v"]), Ok(()));
        assert_eq!(check("+@all -@dangerous +flushdb", &["flushdb"]), Ok(()));
        assert_eq!(check("-@all +get", &["GET", "k"]), Ok(()));
        assert_eq!(check("-@all +get", &["SET", "k", "v"]), Err("set".into()));
        assert_eq!(check("+get -@all", &["GET", "k"]), Err("get".into()));
        assert_eq!(check("nocommands allcommands", &["keys", "*"]), Ok(()));
        assert_eq!(check("allcommands nocommands", &["ping"]), Err("ping".into()));
        assert_eq!(check("+@read", &["GET", "k"]), Ok(()));
        assert_eq!(check("+@read", &["SET", "k", "v"]), Err("set".into()));
    }

    #[test]
    fn subcommands_have_their_own_permission() {
        let kill = ["CLIENT", "KILL", "ID", "1"];
        assert_eq!(check("+@all -@dangerous", &kill), Err("client|kill".into()));
        assert_eq!(check("+@all -@dangerous", &["client", "setname", "a"]), Ok(()));
        assert_eq!(check("+@all -client|kill", &kill), Err("client|kill".into()));
        assert_eq!(check("+@all -client|kill", &["client", "id"]), Ok(()));
        assert_eq!(check("-@all +client|id", &["client", "id"]), Ok(()));
        assert_eq!(check("-@all +client|id", &["client", "list"]), Err("client|list".into()));
        assert_eq!(check("+@all -client", &["client", "id"]), Err("client|id".into()));
        assert_eq!(check("-client +client", &["client", "kill"]), Ok(()));
    }

    #[test]
    fn a_bad_rule_is_named() {
        let err = |rules: &str| Permissions::parse(rules, table()).unwrap_err();
        assert_eq!(err("+@all +@nosuch").0, "+@nosuch");
        assert_eq!(err("+@nosuch").1, RuleError::Unknown);
        assert_eq!(err("+nosuch").1, RuleError::Unknown);
        assert_eq!(err("flushall").1, RuleError::Syntax);
        assert_eq!(err("+client|nosuch").1, RuleError::Unknown);
        assert!(matches!(err("-get|x").1, RuleError::NoSubcommands(..)));
        assert!(err("-get|x").1.to_string().contains("client"));
    }
}
