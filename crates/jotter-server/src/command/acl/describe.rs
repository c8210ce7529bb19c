//! A user written back as rules, as Redis 7.0 writes it: the line of ACL
//! LIST and the ACL file (`user app on #<hash> ~app:* resetchannels
//! +@all -@dangerous`), and ACL GETUSER's `commands`.
//!
//! The command rules are not the rules as given but Redis's fit of them:
//! start from `+@all` (when the user's last word on all commands was
//! `+@all`) or `-@all`, add (or remove) each category most of whose
//! commands differ from that start, then name each command and subcommand
//! still different, in table order. Applying the description gives the
//! same permissions back, which the tests check.

use super::super::categories::{CATEGORIES, SUBCOMMANDS, categories, subcommands_of};
use super::super::permissions::Command;
use super::super::rules;
use super::super::spec::Table;
use super::registry::Users;
use super::user::User;

/// Every user as a line of ACL LIST and the ACL file, in name order.
pub(crate) fn lines(users: &Users, table: &Table) -> Vec<String> {
    users.all().iter().map(|(name, user)| line(name, user, table)).collect()
}

/// The whole line of ACL LIST and of the ACL file.
pub(crate) fn line(name: &str, user: &User, table: &Table) -> String {
    let mut out = format!("user {name}");
    for flag in user.flags() {
        out.push(' ');
        out.push_str(flag);
    }
    for hash in user.hashes() {
        out.push_str(" #");
        out.push_str(hash);
    }
    let keys = user.keys_text();
    if !keys.is_empty() {
        out.push(' ');
        out.push_str(&keys);
    }
    if !user.all_channels() {
        out.push_str(" resetchannels");
    }
    let channels = user.channels_text();
    if !channels.is_empty() {
        out.push(' ');
        out.push_str(&channels);
    }
    out.push(' ');
    out.push_str(&commands(user, table));
    out
}

/// The command rules, as Redis 7.0 describes them.
pub(crate) fn commands(user: &User, table: &Table) -> String {
    let (real, from_all) = user.commands();
    let start = if from_all { "+@all" } else { "-@all" };
    let mut fake = rules::nothing(table);
    apply(start, table, &mut fake);
    let mut words = vec![start.to_owned()];
    for category in CATEGORIES {
        let (on, off) = count(real, table, category);
        if (from_all && off > on) || (!from_all && on > off) {
            let word = format!("{}@{category}", if from_all { '-' } else { '+' });
            apply(&word, table, &mut fake);
            words.push(word);
        }
    }
    for (i, spec) in table.specs().iter().enumerate() {
        if real[i].allowed != fake[i].allowed {
            let word = format!("{}{}", sign(real[i].allowed), spec.name);
            apply(&word, table, &mut fake);
            words.push(word);
        }
        for (j, (sub, allowed)) in real[i].subcommands.iter().enumerate() {
            if *allowed != fake[i].subcommands[j].1 {
                let word = format!("{}{}|{sub}", sign(*allowed), spec.name);
                apply(&word, table, &mut fake);
                words.push(word);
            }
        }
    }
    words.join(" ")
}

fn sign(allowed: bool) -> char {
    if allowed { '+' } else { '-' }
}

/// Applies a rule this file wrote, which is always valid.
fn apply(word: &str, table: &Table, commands: &mut [Command]) {
    let applied = rules::apply(word, table, commands);
    debug_assert!(applied.is_ok(), "{word}: {applied:?}");
}

/// How many commands and subcommands of `category` the user may and may
/// not run.
fn count(commands: &[Command], table: &Table, category: &str) -> (usize, usize) {
    let (mut on, mut off) = (0, 0);
    let mut tally = |allowed: bool| if allowed { on += 1 } else { off += 1 };
    for (spec, command) in table.specs().iter().zip(commands) {
        if categories(spec).iter().any(|c| c[1..] == *category) {
            tally(command.allowed);
        }
        let rows = &SUBCOMMANDS[subcommands_of(spec.name)];
        for ((_, _, of), (_, allowed)) in rows.iter().zip(&command.subcommands) {
            if of.iter().any(|c| c[1..] == *category) {
                tally(*allowed);
            }
        }
    }
    (on, off)
}

#[cfg(test)]
mod tests {
    use super::super::super::dispatch::table;
    use super::*;

    fn user(rules: &str) -> User {
        User::of_rules(rules, table()).expect("valid rules")
    }

    #[test]
    fn the_simple_cases_read_as_in_redis() {
        assert_eq!(commands(&user("+@all"), table()), "+@all");
        assert_eq!(commands(&user(""), table()), "-@all");
        assert_eq!(commands(&user("-@all +get"), table()), "-@all +get");
        assert_eq!(commands(&user("+@all -get"), table()), "+@all -get");
        assert_eq!(
            line("u", &user("on >pw ~a:* %R~r:* &c +@all"), table()),
            "user u on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 \
             ~a:* %R~r:* resetchannels &c +@all"
        );
        assert_eq!(line("v", &user(""), table()), "user v off resetchannels -@all");
    }

    #[test]
    fn a_description_gives_the_same_permissions_back() {
        for rules in [
            "+@all -@dangerous +flushdb -client|kill",
            "-@all +@hash +set +get -hset",
            "+@read -@string +client|id -@admin",
            "-@all +client -client|kill +jotter.deadletters|count",
        ] {
            let original = user(rules);
            let described = commands(&original, table());
            let again = user(&described);
            assert_eq!(
                format!("{:?}", original.commands().0),
                format!("{:?}", again.commands().0),
                "{rules} -> {described}"
            );
        }
    }
}
