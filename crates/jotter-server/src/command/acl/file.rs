//! The ACL file (`aclfile`): Redis's format, one `user <name> <rules>`
//! line per user, `#` comments and blank lines skipped. Reading it is all
//! or nothing: the first bad line is the error, naming the file and the
//! line, and no user changes. Writing goes to a temporary file renamed
//! over the old one, so a crash leaves the old file or the new one.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::spec::Table;
use super::user::User;

/// Why the file cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    #[error("Error loading ACLs, opening file '{path}': {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}:{line}: {message}. ")]
    Line { path: String, line: usize, message: String },
    #[error("writing '{path}': {source}")]
    Write { path: String, source: std::io::Error },
}

/// The users of the file at `path`; a missing file has none.
pub(crate) fn read(path: &Path, table: &Table) -> Result<BTreeMap<String, User>, FileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(FileError::Read { path: path.display().to_string(), source }),
    };
    parse(&text, table).map_err(|(line, message)| FileError::Line {
        path: path.display().to_string(),
        line,
        message,
    })
}

/// The users of an ACL file's text; the error is the line number and why.
pub(crate) fn parse(text: &str, table: &Table) -> Result<BTreeMap<String, User>, (usize, String)> {
    let mut users = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        if words.next() != Some("user") {
            return Err((i + 1, "line should start with user keyword".to_owned()));
        }
        let Some(name) = words.next() else {
            return Err((i + 1, "the user keyword must be followed by a name".to_owned()));
        };
        if users.contains_key(name) {
            return Err((i + 1, format!("Duplicate user '{name}' found")));
        }
        let mut user = User::new(table);
        for rule in words {
            user.apply(rule.as_bytes(), table)
                .map_err(|e| (i + 1, format!("Error in user declaration '{rule}': {e}")))?;
        }
        users.insert(name.to_owned(), user);
    }
    Ok(users)
}

/// Writes `lines` (ACL LIST's) to `path`.
pub(crate) fn write(path: &Path, lines: &[String]) -> Result<(), FileError> {
    let error = |source| FileError::Write { path: path.display().to_string(), source };
    let mut text = lines.join("\n");
    text.push('\n');
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).map_err(error)?;
    std::fs::rename(&temporary, path).map_err(error)
}

#[cfg(test)]
mod tests {
    use super::super::super::dispatch::table;
    use super::super::describe::line;
    use super::*;

    #[test]
    fn lines_written_read_back_the_same() {
        let text = "# users\n\nuser default on nopass ~* &* +@all\n\
                    user app on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 \
                    ~app:* %R~r:* resetchannels &news +@all -@dangerous\n";
        let users = parse(text, table()).expect("a valid file");
        let lines: Vec<String> = users.iter().map(|(n, u)| line(n, u, table())).collect();
        let again = parse(&lines.join("\n"), table()).expect("valid lines");
        let lines_again: Vec<String> = again.iter().map(|(n, u)| line(n, u, table())).collect();
        assert_eq!(lines, lines_again);
        assert!(lines[0].starts_with("user app on #30c9"), "{lines:?}");
    }

    #[test]
    fn a_bad_line_is_named() {
        assert_eq!(parse("user a on\nuser b bogus", table()).unwrap_err().0, 2);
        assert_eq!(parse("nope a", table()).unwrap_err().0, 1);
        assert_eq!(parse("user a\nuser a", table()).unwrap_err().0, 2);
    }
}
