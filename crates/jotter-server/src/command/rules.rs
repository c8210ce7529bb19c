//! Users' command rules: the Redis ACL rules of a `[[user]]`'s `commands`
//! (`+@category`, `-@category`, `+command`, `-command`,
//! `+command|subcommand`, `-command|subcommand`, `allcommands`,
//! `nocommands`), applied left to right as Redis applies them to a
//! user's [`Command`] list (`acl/user.rs` holds the rest of a user's
//! rules). A command's categories are those `COMMAND INFO` reports
//! (`categories.rs`).

use super::acl::{CommandRefused, CommandRules};
use super::categories::{CATEGORIES, SUBCOMMANDS, categories, subcommands_of};
use super::permissions::Command;
#[cfg(test)]
use super::permissions::Permissions;
use super::spec::Table;

impl CommandRules for Table {
    fn nothing(&self) -> Vec<Command> {
        nothing(self)
    }

    fn apply(&self, rule: &str, commands: &mut [Command]) -> Result<(), CommandRefused> {
        apply(rule, self, commands).map_err(|e| CommandRefused {
            redis: match e {
                RuleError::Unknown => "Unknown command or category name in ACL".to_owned(),
                RuleError::Syntax => "Syntax error".to_owned(),
                RuleError::NoSubcommands(..) => format!("Jotter does not support this rule: {e}"),
            },
            detail: e.to_string(),
        })
    }
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

/// Compiles `rules` (space-separated) against `table`; the error names the
/// rule at fault. Everything starts refused, as for a new Redis user.
#[cfg(test)]
pub(crate) fn parse(rules: &str, table: &Table) -> Result<Permissions, (String, RuleError)> {
    let mut commands = nothing(table);
    for rule in rules.split_whitespace() {
        apply(rule, table, &mut commands).map_err(|e| (rule.to_owned(), e))?;
    }
    Ok(Permissions::of(commands))
}

/// Every command of `table`, refused: where a new user starts.
pub(crate) fn nothing(table: &Table) -> Vec<Command> {
    table
        .specs()
        .iter()
        .map(|spec| Command {
            name: spec.name,
            allowed: false,
            subcommands: SUBCOMMANDS[subcommands_of(spec.name)]
                .iter()
                .map(|(_, sub, _)| (*sub, false))
                .collect(),
        })
        .collect()
}

/// Applies one rule to the permissions built so far.
pub(crate) fn apply(rule: &str, table: &Table, commands: &mut [Command]) -> Result<(), RuleError> {
    let (allow, target) = match rule.to_ascii_lowercase().as_str() {
        "allcommands" => (true, "@all".to_owned()),
        "nocommands" => (false, "@all".to_owned()),
        lower => match lower.split_at_checked(1) {
            Some(("+", target)) => (true, target.to_owned()),
            Some(("-", target)) => (false, target.to_owned()),
            _ => return Err(RuleError::Syntax),
        },
    };
    if let Some(category) = target.strip_prefix('@') {
        if category != "all" && !CATEGORIES.contains(&category) {
            return Err(RuleError::Unknown);
        }
        let within = |of: &[&str]| category == "all" || of.iter().any(|c| c[1..] == *category);
        for (spec, command) in table.specs().iter().zip(commands.iter_mut()) {
            if within(&categories(spec)) {
                command.allowed = allow;
            }
            let rows = &SUBCOMMANDS[subcommands_of(spec.name)];
            for ((_, _, of), (_, allowed)) in rows.iter().zip(command.subcommands.iter_mut()) {
                if within(of) {
                    *allowed = allow;
                }
            }
        }
        return Ok(());
    }
    let (name, sub) = match target.split_once('|') {
        Some((name, sub)) => (name, Some(sub)),
        None => (target.as_str(), None),
    };
    let (index, _) = table.lookup(name.as_bytes()).ok_or(RuleError::Unknown)?;
    let command = &mut commands[index];
    match sub {
        None => {
            command.allowed = allow;
            command.subcommands.iter_mut().for_each(|(_, allowed)| *allowed = allow);
        }
        Some(_) if command.subcommands.is_empty() => {
            let mut containers: Vec<&str> = SUBCOMMANDS
                .iter()
                .map(|(c, _, _)| *c)
                .filter(|c| table.lookup(c.as_bytes()).is_some())
                .collect();
            containers.dedup();
            return Err(RuleError::NoSubcommands(command.name.to_owned(), containers.join(", ")));
        }
        Some(sub) => {
            let (_, allowed) = command
                .subcommands
                .iter_mut()
                .find(|(known, _)| *known == sub)
                .ok_or(RuleError::Unknown)?;
            *allowed = allow;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use jotter_resp::Request;

    use super::super::dispatch::table;
    use super::*;

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    fn check(rules: &str, args: &[&str]) -> Result<(), String> {
        let permissions = parse(rules, table()).expect("valid rules");
        let (index, _) = table().lookup(args[0].as_bytes()).expect("a command");
        permissions.check(index, &req(args))
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
        let err = |rules: &str| parse(rules, table()).unwrap_err();
        assert_eq!(err("+@all +@nosuch").0, "+@nosuch");
        assert_eq!(err("+@nosuch").1, RuleError::Unknown);
        assert_eq!(err("+nosuch").1, RuleError::Unknown);
        assert_eq!(err("flushall").1, RuleError::Syntax);
        assert_eq!(err("+client|nosuch").1, RuleError::Unknown);
        assert!(matches!(err("-get|x").1, RuleError::NoSubcommands(..)));
        assert!(err("-get|x").1.to_string().contains("client"));
    }
}
