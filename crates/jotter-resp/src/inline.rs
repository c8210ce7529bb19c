//! Splitting an inline command line (`SET k "a b"`) into arguments, with Redis's rules.
//!
//! Redis splits inline requests with `sdssplitargs`, and people type these lines by hand
//! (telnet, `nc`), so the rules are followed to the letter:
//!
//! - arguments are separated by whitespace (space, tab, CR, LF, VT, FF);
//! - `"..."` allows the escapes `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a`, and `\c` for any other
//!   byte `c`;
//! - `'...'` allows only `\'`;
//! - a quote may open in the middle of an argument (`a"b c"` is `ab c`), but a closing quote
//!   must be followed by whitespace or the end of the line, and an unclosed quote is an error:
//!   both are `unbalanced quotes in request`;
//! - the line ends at its first NUL byte, because `sdssplitargs` reads a C string.
//!
//! A line without quotes is not copied: its arguments are spans of the line. Once a quote
//! appears, the arguments are rebuilt end to end in a new buffer.

use bytes::Bytes;

use crate::ProtocolError;

/// Splits `line` (without its line end) into arguments: appends their spans to `spans` and
/// returns the bytes the spans index into (`line` itself unless quotes had to be unescaped).
pub(crate) fn split_inline(
    line: Bytes,
    spans: &mut Vec<(usize, usize)>,
) -> Result<Bytes, ProtocolError> {
    let end = line.iter().position(|&byte| byte == 0).unwrap_or(line.len());
    let text = &line[..end];
    // The arguments end to end, once a quote has made them differ from the line's bytes.
    let mut built: Option<Vec<u8>> = None;
    let mut at = 0;
    loop {
        while text.get(at).is_some_and(|&byte| is_space(byte)) {
            at += 1;
        }
        if at == text.len() {
            break;
        }
        let start = at;
        // Where this argument starts in `built`, when it is written there.
        let mut built_start = built.as_ref().map(Vec::len);
        let mut quote: Option<u8> = None;
        let argument_end = loop {
            match (quote, text.get(at).copied()) {
                (Some(_), None) => return Err(ProtocolError::UnbalancedQuotes),
                (None, None) => break at,
                (None, Some(b' ' | b'\n' | b'\r' | b'\t')) => {
                    // Only these four end an unquoted argument (not VT or FF), as in Redis.
                    let end = at;
                    at += 1;
                    break end;
                }
                (None, Some(open @ (b'"' | b'\''))) => {
                    let built = built.get_or_insert_with(|| rebase(text, spans));
                    if built_start.is_none() {
                        built_start = Some(built.len());
                        built.extend_from_slice(&text[start..at]);
                    }
                    quote = Some(open);
                    at += 1;
                }
                (None, Some(byte)) => {
                    if let Some(built) = &mut built {
                        built.push(byte);
                    }
                    at += 1;
                }
                (Some(close), Some(byte)) if byte == close => {
                    if text.get(at + 1).is_some_and(|&next| !is_space(next)) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    at += 1;
                    break at;
                }
                (Some(b'"'), Some(b'\\')) => {
                    let (byte, width) = double_quoted_escape(&text[at..]);
                    built.get_or_insert_with(Vec::new).push(byte);
                    at += width;
                }
                (Some(_), Some(b'\\')) if text.get(at + 1) == Some(&b'\'') => {
                    built.get_or_insert_with(Vec::new).push(b'\'');
                    at += 2;
                }
                (Some(_), Some(byte)) => {
                    built.get_or_insert_with(Vec::new).push(byte);
                    at += 1;
                }
            }
        };
        spans.push(match (&built, built_start) {
            (Some(built), Some(built_start)) => (built_start, built.len()),
            _ => (start, argument_end),
        });
    }
    Ok(match built {
        Some(built) => Bytes::from(built),
        None => line,
    })
}

/// Copies the arguments found so far out of `text` into a new buffer, end to end, and points
/// their spans there.
fn rebase(text: &[u8], spans: &mut [(usize, usize)]) -> Vec<u8> {
    let mut built = Vec::with_capacity(text.len());
    for span in spans {
        let start = built.len();
        built.extend_from_slice(&text[span.0..span.1]);
        *span = (start, built.len());
    }
    built
}

/// Reads the escape at the start of `text` (which starts with `\`) inside double quotes:
/// the byte it stands for and how many input bytes it takes.
fn double_quoted_escape(text: &[u8]) -> (u8, usize) {
    match text {
        [_, b'x', high, low, ..] if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
            (hex_value(*high) * 16 + hex_value(*low), 4)
        }
        [_, escaped, ..] => {
            let byte = match escaped {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'b' => 0x08,
                b'a' => 0x07,
                other => *other,
            };
            (byte, 2)
        }
        // A backslash that ends the line stands for itself; the missing closing quote is
        // reported on the next step.
        _ => (b'\\', 1),
    }
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

/// C's `isspace` in the "C" locale, which `sdssplitargs` uses between arguments.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::split_inline;
    use crate::ProtocolError;

    fn split(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let mut spans = Vec::new();
        let data = split_inline(Bytes::copy_from_slice(line), &mut spans)?;
        Ok(spans.into_iter().map(|(start, end)| data[start..end].to_vec()).collect())
    }

    fn ok(line: &[u8], expected: &[&[u8]]) {
        let got = split(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let expected: Vec<Vec<u8>> = expected.iter().map(|arg| arg.to_vec()).collect();
        assert_eq!(got, expected, "line {:?}", String::from_utf8_lossy(line));
    }

    fn unbalanced(line: &[u8]) {
        assert_eq!(split(line), Err(ProtocolError::UnbalancedQuotes), "line {line:?}");
    }

    #[test]
    fn inline_table() {
        ok(b"PING", &[b"PING"]);
        ok(b"", &[]);
        ok(b"   \t ", &[]);
        ok(b"  SET   k  v  ", &[b"SET", b"k", b"v"]);
        ok(b"a\tb", &[b"a", b"b"]);
        ok(b"a\rb", &[b"a", b"b"]);
        // VT and FF separate arguments only where blanks are skipped, not inside one.
        ok(b"\x0ba\x0bb", &[b"a\x0bb"]);
        ok(b"SET k \"hello world\"", &[b"SET", b"k", b"hello world"]);
        ok(b"SET k 'hello world'", &[b"SET", b"k", b"hello world"]);
        ok(b"\"\"", &[b""]);
        ok(b"'' x", &[b"", b"x"]);
        ok(b"\"\\x41\\x7a\\x00\"", &[b"Az\x00"]);
        ok(b"\"\\xZZ\"", &[b"xZZ"]);
        ok(b"\"\\x4\"", &[b"x4"]);
        ok(b"\"a\\n\\r\\t\\b\\a\\\\\\\"z\"", &[b"a\n\r\t\x08\x07\\\"z"]);
        ok(b"\"\\q\"", &[b"q"]);
        ok(b"'it\\'s'", &[b"it's"]);
        ok(b"'a\\nb'", &[b"a\\nb"]);
        ok(b"'a\"b'", &[b"a\"b"]);
        ok(b"\"a'b\"", &[b"a'b"]);
        ok(b"ab\"cd ef\"", &[b"abcd ef"]);
        ok(b"ab'cd' x", &[b"abcd", b"x"]);
        ok(b"\"a\"\tb", &[b"a", b"b"]);
        ok(b"\"a\"\x0bb", &[b"a", b"b"]);
        ok(b"GET a\x00b c", &[b"GET", b"a"]);
        ok(b"\x00GET", &[]);
        ok(b"caf\xc3\xa9 \xff", &["café".as_bytes(), b"\xff"]);
    }

    #[test]
    fn inline_unbalanced_quotes() {
        unbalanced(b"\"");
        unbalanced(b"'");
        unbalanced(b"SET k \"v");
        unbalanced(b"SET k 'v");
        unbalanced(b"\"a\"b");
        unbalanced(b"'a'b");
        unbalanced(b"\"a\\\"");
        unbalanced(b"\"a\\");
        unbalanced(b"'a\\'");
        unbalanced(b"\"a\x00\"");
    }

    #[test]
    fn lines_without_quotes_are_not_copied() {
        let line = Bytes::from_static(b"SET key value");
        let mut spans = Vec::new();
        let data = split_inline(line.clone(), &mut spans);
        assert_eq!(data.map(|data| data.as_ptr()), Ok(line.as_ptr()));
        assert_eq!(spans, [(0, 3), (4, 7), (8, 13)]);
    }

    #[test]
    fn a_quote_rebuilds_the_earlier_arguments_too() {
        let mut spans = Vec::new();
        let data = split_inline(Bytes::from_static(b"SET key v\"a b\" 'c'"), &mut spans);
        assert_eq!(data, Ok(Bytes::from_static(b"SETkeyva bc")));
        assert_eq!(spans, [(0, 3), (3, 6), (6, 10), (10, 11)]);
    }
}
