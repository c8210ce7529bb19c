//! How an INFO line is written: `name:value` ending in CRLF (`writeln!`
//! would end it in LF alone).

/// Appends one line, formatted, and its CRLF.
macro_rules! line {
    ($out:expr, $($arg:tt)*) => {{
        let _ = std::fmt::Write::write_fmt($out, format_args!($($arg)*));
        $out.push_str("\r\n");
    }};
}
pub(super) use line;
