//! `CONFIG REWRITE`: the settings file the server was started with, its
//! run-time settings written back. The file is edited line by line, so its
//! comments, its order and every other key stay as they were: a key's
//! line at the top level (before the first `[section]`) gets the current
//! value; a key the file does not name is added there only if `CONFIG SET`
//! changed it during this run. The result must parse as a settings file
//! before it replaces the old one (written beside it, then renamed).

use std::path::Path;

use crate::config::Config;

/// One setting to write: its key, its value as `CONFIG GET` shows it, and
/// whether `CONFIG SET` changed it during this run.
pub(super) struct Entry<'a> {
    pub key: &'a str,
    pub value: String,
    pub changed: bool,
}

/// Rewrites the file at `path` with `entries`.
pub(super) fn rewrite_file(path: &Path, entries: &[Entry<'_>]) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let new = rewritten(&text, entries);
    if new == text {
        return Ok(());
    }
    Config::from_toml(&new).map_err(|e| format!("the result would not parse: {e}"))?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".rewrite");
    std::fs::write(&temporary, &new).map_err(|e| e.to_string())?;
    // The file may hold passwords: the new one keeps the old one's mode.
    let permissions = std::fs::metadata(path).map_err(|e| e.to_string())?.permissions();
    std::fs::set_permissions(&temporary, permissions).map_err(|e| e.to_string())?;
    std::fs::rename(&temporary, path).map_err(|e| e.to_string())
}

/// The file's text with `entries` written in.
pub(super) fn rewritten(text: &str, entries: &[Entry<'_>]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // The top level ends at the first table header.
    let top = lines.iter().position(|l| l.trim_start().starts_with('[')).unwrap_or(lines.len());
    let mut added = Vec::new();
    for entry in entries {
        let line = format!("{} = {}", entry.key, literal(&entry.value));
        match lines[..top].iter().position(|l| names(l, entry.key)) {
            Some(at) if !same_value(&lines[at], &line) => lines[at] = line,
            Some(_) => {}
            None if entry.changed => added.push(line),
            None => {}
        }
    }
    if !added.is_empty() {
        let mut block = vec!["# Written by CONFIG REWRITE.".to_owned()];
        block.extend(added);
        // Before the first header, after the top level's last line.
        let mut at = top;
        while at > 0 && lines[at - 1].trim().is_empty() {
            at -= 1;
        }
        let mut insert = Vec::new();
        if at > 0 {
            insert.push(String::new());
        }
        insert.extend(block);
        // A header right after: a blank line between (blank lines already
        // there stay after the block).
        if at == top && at < lines.len() {
            insert.push(String::new());
        }
        lines.splice(at..at, insert);
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') || text.is_empty() {
        out.push('\n');
    }
    out
}

/// Whether `line` sets `key` (not a comment).
fn names(line: &str, key: &str) -> bool {
    let line = line.trim_start();
    line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// Whether `old` already says what `new` does (comments aside), so a line
/// that needs no change keeps its form and its comment.
fn same_value(old: &str, new: &str) -> bool {
    let value = |l: &str| -> Option<String> {
        let (_, v) = l.split_once('=')?;
        let v = v.split('#').next().unwrap_or_default().trim();
        Some(v.trim_matches('"').to_owned())
    };
    value(old).is_some() && value(old) == value(new)
}

/// A value as TOML writes it: an integer bare, anything else quoted.
fn literal(value: &str) -> String {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return value.to_owned();
    }
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &'static str, value: &str, changed: bool) -> Entry<'static> {
        Entry { key, value: value.to_owned(), changed }
    }

    #[test]
    fn lines_are_replaced_in_place_and_comments_kept() {
        let text = "# the port\nport = 7000\nmaxclients = 10 # few\n\n[tls]\nport = 1\n";
        let out = rewritten(text, &[entry("maxclients", "20", true), entry("port", "7000", false)]);
        assert_eq!(out, "# the port\nport = 7000\nmaxclients = 20\n\n[tls]\nport = 1\n");
    }

    #[test]
    fn a_changed_key_the_file_lacks_is_added_at_the_top_level() {
        let text = "port = 7000\n\n[tls]\nport = 1\n";
        let out = rewritten(
            text,
            &[entry("timeout", "30", true), entry("slowlog-max-len", "128", false)],
        );
        assert_eq!(
            out,
            "port = 7000\n\n# Written by CONFIG REWRITE.\ntimeout = 30\n\n[tls]\nport = 1\n"
        );
        let out = rewritten("", &[entry("x", "a\"b", true)]);
        assert_eq!(out, "# Written by CONFIG REWRITE.\nx = \"a\\\"b\"\n");
    }

    #[test]
    fn a_commented_key_is_not_taken_for_the_key() {
        let out = rewritten("# timeout = 5\n", &[entry("timeout", "30", true)]);
        assert_eq!(out, "# timeout = 5\n\n# Written by CONFIG REWRITE.\ntimeout = 30\n");
    }
}
