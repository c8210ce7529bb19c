//! Every user, as the server knows it while it runs: the `default` user
//! and the named ones, each with the permissions its sessions check. ACL
//! SETUSER, DELUSER and LOAD change it; each change bumps a generation
//! number that sessions compare before each command (one atomic load),
//! so a changed user's connections run under its new rules from their
//! next command, as in Redis.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

use super::super::permissions::Permissions;
use super::log::AclLog;
use super::user::{CommandRules, RuleRefused, User};

/// The `default` user's rules when nothing says otherwise: anyone, any
/// command, as Redis's.
pub(crate) const OPEN_DEFAULT: &str = "on nopass ~* &* +@all";

/// A user and what its sessions run under.
struct Known {
    user: User,
    permissions: Arc<Permissions>,
}

impl Known {
    fn new(user: User) -> Known {
        let permissions = Arc::new(user.permissions());
        Known { user, permissions }
    }
}

/// Every user.
pub(crate) struct Users {
    table: &'static dyn CommandRules,
    users: RwLock<BTreeMap<String, Known>>,
    /// Bumped by every change; starts at 1 so a new session (at 0) looks
    /// its user up once.
    generation: AtomicU64,
    /// What a session of a user that no longer exists runs under: nothing.
    nobody: Arc<Permissions>,
    log: AclLog,
    /// The ACL file (`aclfile`), when set.
    file: Option<PathBuf>,
}

impl Users {
    /// `users` (each a name and its user); a `default` user is added with
    /// [`OPEN_DEFAULT`] when they have none.
    pub(crate) fn new(
        table: &'static dyn CommandRules,
        users: BTreeMap<String, User>,
        file: Option<PathBuf>,
    ) -> Users {
        let known = Users {
            table,
            users: RwLock::new(BTreeMap::new()),
            generation: AtomicU64::new(1),
            nobody: Arc::new(User::new(table).permissions()),
            log: AclLog::default(),
            file,
        };
        known.replace(users);
        known
    }

    /// The open `default` user: what [`Users::new`] adds.
    pub(crate) fn open_default(table: &dyn CommandRules) -> User {
        User::of_rules(OPEN_DEFAULT, table).expect("valid rules")
    }

    /// Replaces every user (ACL LOAD); returns the names that are gone.
    pub(crate) fn replace(&self, mut users: BTreeMap<String, User>) -> Vec<String> {
        users.entry("default".to_owned()).or_insert_with(|| Users::open_default(self.table));
        let mut known = self.users.write();
        let gone = known.keys().filter(|name| !users.contains_key(*name)).cloned().collect();
        *known = users.into_iter().map(|(name, user)| (name, Known::new(user))).collect();
        drop(known);
        self.changed();
        gone
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The number every change bumps.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Applies `rules` to the user `name` (created when new), all or
    /// nothing: on a refused rule the user is left as it was.
    pub(crate) fn set(&self, name: &str, rules: &[&[u8]]) -> Result<(), (Vec<u8>, RuleRefused)> {
        // Under the lock throughout: two changes of one user at once both
        // apply, one after the other.
        let mut users = self.users.write();
        let mut user = users.get(name).map_or_else(|| User::new(self.table), |k| k.user.clone());
        for rule in rules {
            user.apply(rule, self.table).map_err(|e| (rule.to_vec(), e))?;
        }
        users.insert(name.to_owned(), Known::new(user));
        drop(users);
        self.changed();
        Ok(())
    }

    /// Deletes the user `name`; whether it existed.
    pub(crate) fn delete(&self, name: &str) -> bool {
        let deleted = self.users.write().remove(name).is_some();
        if deleted {
            self.changed();
        }
        deleted
    }

    /// A copy of the user `name`.
    pub(crate) fn get(&self, name: &str) -> Option<User> {
        self.users.read().get(name).map(|known| known.user.clone())
    }

    /// Every user's name, in order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.users.read().keys().cloned().collect()
    }

    /// A copy of every user, in name order.
    pub(crate) fn all(&self) -> Vec<(String, User)> {
        self.users.read().iter().map(|(name, known)| (name.clone(), known.user.clone())).collect()
    }

    /// The permissions of the user `name` if `password` logs it in.
    pub(crate) fn authenticate(&self, name: &str, password: &[u8]) -> Option<Arc<Permissions>> {
        let users = self.users.read();
        let known = users.get(name)?;
        known.user.accepts(password).then(|| Arc::clone(&known.permissions))
    }

    /// What sessions of the user `name` run under; nothing for a user that
    /// does not exist.
    pub(crate) fn of(&self, name: &str) -> Arc<Permissions> {
        let users = self.users.read();
        users.get(name).map_or_else(|| Arc::clone(&self.nobody), |k| Arc::clone(&k.permissions))
    }

    /// What a session runs under before AUTH.
    pub(crate) fn default_user(&self) -> Arc<Permissions> {
        self.of("default")
    }

    /// Whether a new connection is logged in as `default` at once, as in
    /// Redis: `default` is on and needs no password.
    pub(crate) fn default_open(&self) -> bool {
        self.users.read().get("default").is_some_and(|k| k.user.enabled() && k.user.nopass())
    }

    /// Whether `default` needs no password (`AUTH password` is then an
    /// error, as in Redis).
    pub(crate) fn default_nopass(&self) -> bool {
        self.users.read().get("default").is_none_or(|k| k.user.nopass())
    }

    /// The refusals logged.
    pub(crate) fn log(&self) -> &AclLog {
        &self.log
    }

    /// The ACL file, when `aclfile` is set.
    pub(crate) fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}
