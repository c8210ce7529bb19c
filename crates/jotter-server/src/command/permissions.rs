//! What a user may run: one yes/no per command and per subcommand with a
//! permission of its own, compiled at start from the user's rules
//! (`rules.rs`). The dispatcher asks [`Permissions::check`] after the
//! authentication check and before `MULTI` queuing, as Redis does;
//! commands that run before authentication (AUTH, HELLO, QUIT, RESET) are
//! never refused. The keys and channels a user may touch are its
//! [`Access`] (`acl/access.rs`), checked right after its commands.

use jotter_resp::Request;

use super::acl::Access;

/// What one user may run.
#[derive(Debug)]
pub(crate) struct Permissions {
    /// `None` when every command and subcommand is allowed: the check is
    /// then one branch.
    limits: Option<Vec<Command>>,
    /// The keys and channels it may touch.
    access: Access,
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
    /// The permissions of each command of the table, in table order.
    pub(crate) fn of(commands: Vec<Command>) -> Permissions {
        let everything =
            commands.iter().all(|c| c.allowed && c.subcommands.iter().all(|(_, allowed)| *allowed));
        Permissions { limits: (!everything).then_some(commands), access: Access::all() }
    }

    /// The same permissions, touching only the keys and channels `access`
    /// allows.
    pub(crate) fn with_access(mut self, access: Access) -> Permissions {
        self.access = access;
        self
    }

    /// The keys and channels it may touch.
    pub(crate) fn access(&self) -> &Access {
        &self.access
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
