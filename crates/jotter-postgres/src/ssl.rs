//! The TLS settings of a database URL that the driver does not read:
//! libpq's `sslmode=verify-ca` and `sslmode=verify-full`, and `sslrootcert`.
//!
//! They are taken out of the URL (the driver is handed `sslmode=require`
//! instead, and no `sslrootcert`), and the store verifies the server's
//! certificate itself (`tls.rs`):
//!
//! - `verify-full`: the certificate chains to a trusted root and names the
//!   host of the URL (libpq's meaning).
//! - `verify-ca`: it chains to a trusted root; the name is not checked.
//! - `sslrootcert=PATH`: the trusted roots are the PEM certificates in
//!   PATH; with `sslmode=require` it makes the mode `verify-ca`, as in
//!   libpq. `sslrootcert=system`, or no `sslrootcert`, trusts the system's
//!   roots (unlike libpq, which reads `~/.postgresql/root.crt` by default).
//!
//! Both the URL form (`postgres://…?sslmode=verify-full&sslrootcert=…`) and
//! the `key=value` form are read.

use std::path::PathBuf;

use crate::error::PgError;

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// It chains to a trusted root.
    Ca,
    /// It chains to a trusted root and names the host.
    Full,
}

/// Where the trusted roots come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Roots {
    /// The system's bundle (see `tls::system_roots`).
    System,
    /// PEM certificates in a file.
    File(PathBuf),
}

/// A verified TLS connection, as the URL asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verify {
    pub check: Check,
    pub roots: Roots,
}

/// The URL for the driver, and the verification it asked for, if any.
pub(crate) fn split_url(url: &str) -> Result<(String, Option<Verify>), PgError> {
    let (rest, params, separator) = match url.split_once('?') {
        Some((base, query)) if is_url(url) => (format!("{base}?"), query.to_owned(), '&'),
        None if is_url(url) => return Ok((url.to_owned(), None)),
        _ => (String::new(), url.to_owned(), ' '),
    };
    let mut mode: Option<String> = None;
    let mut root: Option<String> = None;
    let mut kept = Vec::new();
    for param in tokens(&params, separator) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let value = if separator == '&' { percent_decode(value) } else { unquote(value) };
        match key.trim() {
            "sslrootcert" => root = Some(value),
            "sslmode" => {
                mode = Some(value);
                kept.push(param.to_owned());
            }
            _ => kept.push(param.to_owned()),
        }
    }
    let check = match (mode.as_deref(), &root) {
        (Some("verify-full"), _) => Some(Check::Full),
        (Some("verify-ca"), _) => Some(Check::Ca),
        (Some("require"), Some(r)) if r != "system" => Some(Check::Ca),
        _ => None,
    };
    let join = |kept: Vec<String>| format!("{rest}{}", kept.join(&separator.to_string()));
    let Some(check) = check else {
        // Nothing to verify: the URL as given, less a root the driver would
        // refuse to read.
        return Ok((if root.is_some() { join(kept) } else { url.to_owned() }, None));
    };
    if !cfg!(feature = "tls") {
        return Err(PgError::Config(
            "the URL asks to verify the server's certificate (sslmode=verify-ca/verify-full), \
             and this build has no TLS: build with the `tls` feature (jotter-server: \
             --features tls)"
                .into(),
        ));
    }
    for param in &mut kept {
        if param.split_once('=').is_some_and(|(k, _)| k.trim() == "sslmode") {
            *param = "sslmode=require".to_owned();
        }
    }
    let roots = match root.as_deref() {
        None | Some("system") => Roots::System,
        Some("") => return Err(PgError::Config("sslrootcert is empty: give a PEM file".into())),
        Some(path) => Roots::File(PathBuf::from(path)),
    };
    Ok((join(kept), Some(Verify { check, roots })))
}

fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// The parameters of a query (`&`) or of a `key=value` string (spaces,
/// with `'…'` quoting), empty ones left out.
fn tokens(s: &str, separator: char) -> Vec<&str> {
    if separator == '&' {
        return s.split('&').filter(|p| !p.is_empty()).collect();
    }
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (None, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\'' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if let Some(st) = start.take() {
                    out.push(&s[st..i]);
                }
                continue;
            }
            _ => {}
        }
        start.get_or_insert(i);
    }
    out.extend(start.map(|st| &s[st..]));
    out
}

fn unquote(value: &str) -> String {
    let inner = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(value);
    inner.replace("\\'", "'").replace("\\\\", "\\")
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).and_then(|&b| hex(b)),
            bytes.get(i + 2).and_then(|&b| hex(b)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[cfg(feature = "tls")]
mod tests {
    use super::*;

    fn verify(check: Check, roots: Roots) -> Option<Verify> {
        Some(Verify { check, roots })
    }

    #[test]
    fn verify_modes_become_require_with_a_verification() {
        let (url, v) = split_url("postgres://u@db/app?sslmode=verify-full").unwrap();
        assert_eq!(url, "postgres://u@db/app?sslmode=require");
        assert_eq!(v, verify(Check::Full, Roots::System));
        let (url, v) = split_url(
            "postgresql://u@db/app?application_name=x&sslmode=verify-ca&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(url, "postgresql://u@db/app?application_name=x&sslmode=require");
        assert_eq!(v, verify(Check::Ca, Roots::File("/etc/ca.pem".into())));
        let (_, v) = split_url("postgres://db/app?sslmode=verify-full&sslrootcert=system").unwrap();
        assert_eq!(v, verify(Check::Full, Roots::System));
    }

    #[test]
    fn require_with_a_root_file_verifies_the_chain_as_libpq() {
        let (url, v) = split_url("postgres://db/app?sslrootcert=/ca.pem&sslmode=require").unwrap();
        assert_eq!(url, "postgres://db/app?sslmode=require");
        assert_eq!(v, verify(Check::Ca, Roots::File("/ca.pem".into())));
        // Without TLS asked for, the root is only taken out of the URL.
        let (url, v) = split_url("postgres://db/app?sslrootcert=/ca.pem&sslmode=prefer").unwrap();
        assert_eq!((url.as_str(), v), ("postgres://db/app?sslmode=prefer", None));
    }

    #[test]
    fn other_urls_pass_unchanged() {
        for url in [
            "postgres://u:p@db/app",
            "postgres://u:p@db/app?sslmode=require",
            "postgres://u:p@db/app?sslmode=disable&connect_timeout=3",
            "host=db user=u sslmode=prefer",
        ] {
            assert_eq!(split_url(url).unwrap(), (url.to_owned(), None), "{url}");
        }
    }

    #[test]
    fn the_key_value_form_is_read_with_its_quotes() {
        let (url, v) = split_url(
            "host=db password='a b\\'c' sslmode=verify-full sslrootcert='/my certs/ca.pem'",
        )
        .unwrap();
        assert_eq!(url, "host=db password='a b\\'c' sslmode=require");
        assert_eq!(v, verify(Check::Full, Roots::File("/my certs/ca.pem".into())));
    }

    #[test]
    fn an_empty_root_file_name_is_refused() {
        let err = split_url("postgres://db/app?sslmode=verify-full&sslrootcert=").unwrap_err();
        assert!(err.to_string().contains("sslrootcert"), "{err}");
    }
}
