//! What a user may run: one yes/no per command and per subcommand with a
//! permission of its own, compiled at start from the user's rules
//! (`rules.rs`). The dispatcher asks [`Permissions::check`] after the
//! authentication check and before `MULTI` queuing, as Redis does;
//! commands that run before authentication (AUTH, HELLO, QUIT, RESET) are
//! never refused.

use std::collections::HashMap;
use std::sync::Arc;

use jotter_resp::Request;

/// What one user may run.
#[derive(Debug)]
pub(crate) struct Permissions {
    /// `None` when every command and subcommand is allowed: the check is
    /// then one branch.
    limits: Option<Vec<Command>>,
}

/// One command of the table, in table order.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    /// Its name, lowercase.
    pub name: &'static str,
    /// Whether it may run (a subcommand not listed below runs under this).
    pub allowed: bool,
    /// Its subcommands with a permission of their own, lowercase.
    pub subcommands: Vec<(&'static str, bool)>,
}

impl Permissions {
    /// Every command.
    pub(crate) fn all() -> Permissions {
        Permissions { limits: None }
    }

    /// The permissions of each command of the table, in table order.
    pub(crate) fn of(commands: Vec<Command>) -> Permissions {
        let everything =
            commands.iter().all(|c| c.allowed && c.subcommands.iter().all(|(_, allowed)| *allowed));
        Permissions { limits: (!everything).then_some(commands) }
    }

    /// Whether the user may run `req` (the command at `index` of the
    /// table); if not, the name Redis's refusal shows (`flushall`,
    /// `client|kill`).
    pub(crate) fn check(&self, index: usize, req: &Request) -> Result<(), String> {
        let Some(limits) = &self.limits else { return Ok(()) };
        let command = &limits[index];
        if let Some(arg) = req.arg(1)
            && let Some((sub, allowed)) =
                command.subcommands.iter().find(|(sub, _)| arg.eq_ignore_ascii_case(sub.as_bytes()))
        {
            return if *allowed { Ok(()) } else { Err(format!("{}|{sub}", command.name)) };
        }
        if command.allowed { Ok(()) } else { Err(command.name.to_owned()) }
    }
}

/// Every user's permissions: `default` (the `requirepass` user, or
/// anyone when no password is set) may run every command.
#[derive(Debug)]
pub(crate) struct Users {
    default: Arc<Permissions>,
    named: HashMap<String, Arc<Permissions>>,
}

impl Users {
    /// The named users' permissions; the default user's are all.
    pub(crate) fn new(named: HashMap<String, Arc<Permissions>>) -> Users {
        Users { default: Arc::new(Permissions::all()), named }
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
