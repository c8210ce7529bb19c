//! Glob matching for `KEYS`, `SCAN ... MATCH`, `PSUBSCRIBE` and friends.
//!
//! Owns [`glob_match`], a byte-for-byte reimplementation of Redis 7.0's
//! `stringmatchlen()` (src/util.c), quirks included:
//!
//! * `*` any run of bytes, `?` exactly one byte, `\x` a literal `x`;
//! * `[abc]`, `[^abc]`, `[a-z]`; a reversed range `[z-a]` is swapped; `\x`
//!   inside brackets is a literal; `[]` matches nothing and `[^]` any byte;
//! * an unterminated `[` runs to the end of the pattern, and a trailing `\`
//!   (outside or inside brackets) is a literal backslash;
//! * with `nocase`, ASCII-only case folding (Redis never sets `LC_CTYPE`), but
//!   an escaped byte inside brackets is still compared case-sensitively;
//! * range ends are compared as C `char`, which is *signed* on x86-64 (the
//!   platform Redis ships for), so `[a-\xff]` means `\xff..=a`, not `a..=\xff`;
//! * an empty subject matches only the empty pattern: `*` does NOT match `""`
//!   because Redis's main loop never runs when the subject is empty.
//!
//! Guarantees: binary safe, no recursion, and O(pattern × subject) worst case
//! (iterative backtracking to the last `*`, which gives the same answers as
//! Redis's recursive search pruned by `skipLongerMatches`).

/// Returns whether `subject` matches the glob `pattern` with Redis semantics.
pub(crate) fn glob_match(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
    // Redis's `while (patternLen && stringLen)` loop is skipped entirely for an
    // empty subject, so only an empty pattern succeeds (even `*` fails).
    if subject.is_empty() {
        return pattern.is_empty();
    }

    let mut p = 0; // next pattern byte
    let mut s = 0; // next subject byte
    // Where to resume after the most recent `*`: pattern index just past it
    // and the subject index that star currently ends at. Only the latest star
    // matters: every non-star token consumes exactly one byte, so letting an
    // earlier star absorb more can never help once a later star is in play.
    let mut backtrack: Option<(usize, usize)> = None;

    while s < subject.len() {
        if pattern.get(p) == Some(&b'*') {
            while pattern.get(p) == Some(&b'*') {
                p += 1;
            }
            backtrack = Some((p, s));
            continue;
        }
        if p < pattern.len() {
            let (matched, next) = match_token(pattern, p, subject[s], nocase);
            if matched {
                p = next;
                s += 1;
                continue;
            }
        }
        // Mismatch (or pattern exhausted with subject left): let the last star
        // swallow one more byte and retry; without a star we have failed.
        match backtrack {
            Some((star_p, star_s)) => {
                backtrack = Some((star_p, star_s + 1));
                p = star_p;
                s = star_s + 1;
            }
            None => return false,
        }
    }

    // Subject consumed: only trailing stars may remain.
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Matches the single non-`*` token starting at `pattern[p]` against the
/// subject byte `c`. Returns (matched, index of the next token). The token's
/// extent never depends on `c`, which is what makes backtracking sound.
fn match_token(pattern: &[u8], p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let eq = |a: u8, b: u8| {
        if nocase { a.eq_ignore_ascii_case(&b) } else { a == b }
    };
    match pattern[p] {
        b'?' => (true, p + 1),
        b'[' => match_class(pattern, p + 1, c, nocase),
        // A trailing backslash has nothing to escape and is a literal `\`.
        b'\\' if p + 1 < pattern.len() => (eq(pattern[p + 1], c), p + 2),
        lit => (eq(lit, c), p + 1),
    }
}

/// Matches a bracket class whose body starts at `pattern[p]` (just past `[`).
/// Mirrors the `case '['` loop of `stringmatchlen`, including its reading of
/// `[a-]` as a range from `a` to `]` (hence unterminated).
fn match_class(pattern: &[u8], mut p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let len = pattern.len();
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut matched = false;
    loop {
        if p >= len {
            // Unterminated class: it simply ends with the pattern.
            break;
        }
        let b = pattern[p];
        if b == b'\\' && len - p >= 2 {
            // Escaped byte: compared exactly, even with nocase (as in Redis).
            p += 1;
            if pattern[p] == c {
                matched = true;
            }
        } else if b == b']' {
            p += 1; // step over the closing bracket
            break;
        } else if len - p >= 3 && pattern[p + 1] == b'-' {
            if in_range(b, pattern[p + 2], c, nocase) {
                matched = true;
            }
            p += 2;
        } else if if nocase { b.eq_ignore_ascii_case(&c) } else { b == c } {
            matched = true;
        }
        p += 1;
    }
    (matched != negate, p)
}

/// Redis's range test: ends are swapped if reversed *before* case folding, and
/// everything is compared as signed `char` (x86-64), so bytes >= 0x80 sort
/// below ASCII.
fn in_range(start: u8, end: u8, c: u8, nocase: bool) -> bool {
    let (mut lo, mut hi, mut c) = (start as i8, end as i8, c as i8);
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    if nocase {
        // `tolower` in the C locale only touches ASCII; negative chars pass
        // through unchanged, same as i8::to_ascii_lowercase via u8.
        let fold = |x: i8| (x as u8).to_ascii_lowercase() as i8;
        lo = fold(lo);
        hi = fold(hi);
        c = fold(c);
    }
    lo <= c && c <= hi
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }
    fn mi(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn literals() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hell"));
        assert!(!m("hell", "hello"));
        assert!(!m("hello", "Hello"));
    }

    #[test]
    fn empty_pattern_and_subject() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("a", ""));
        // Redis quirk: the main loop never runs for an empty subject, so even
        // `*` fails (KEYS/SCAN special-case a lone `*` before calling it).
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?", ""));
    }

    #[test]
    fn star() {
        assert!(m("*", "anything"));
        assert!(m("h*o", "hello"));
        assert!(m("h*o", "ho")); // star matching the empty run
        assert!(m("h*", "h"));
        assert!(m("*o", "o"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("a**b", "ab")); // consecutive stars collapse
        assert!(m("a***", "a"));
        assert!(m("*a*", "bab"));
        assert!(!m("*a*", "bbb"));
        assert!(m("*ab", "aab")); // needs backtracking
        assert!(m("*aab", "aaab"));
        assert!(!m("h*o", "hellx"));
    }

    #[test]
    fn question_mark() {
        assert!(m("h?llo", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("???", "abc"));
        assert!(!m("???", "ab"));
        assert!(m("*?", "a"));
        assert!(!m("?*?", "a"));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("[a-cx-z]", "y"));
        assert!(!m("[^a-c]", "b"));
        assert!(m("[^a-c]", "d"));
        // Redis swaps reversed ranges.
        assert!(m("[z-a]", "m"));
        assert!(!m("[z-a]", "A"));
        // `]` right after `[` closes an empty class; `[^]` matches any byte.
        assert!(!m("[]", "a"));
        assert!(!m("[]a]", "a"));
        assert!(m("[^]", "x"));
        // `-` at either end of the class is literal (unless it forms a range).
        assert!(m("[-a]", "-"));
        // ...but `[ab-]` is `a` plus the range `]`..=`b` (unterminated), so no.
        assert!(!m("[ab-]", "-"));
    }

    #[test]
    fn class_dash_before_close_is_a_range_to_bracket() {
        // Redis reads `[a-]` as the range `]`..=`a` (0x5d..=0x61), which eats
        // the `]` and leaves the class unterminated.
        assert!(m("[a-]", "^")); // 0x5e
        assert!(m("[a-]", "a"));
        assert!(!m("[a-]", "-"));
        assert!(!m("[a-]x", "ax")); // `x` is inside the (unterminated) class
        assert!(m("[a-]x", "x"));
    }

    #[test]
    fn unterminated_class() {
        // `[` runs to end of pattern; `[` alone matches nothing.
        assert!(!m("[", "a"));
        assert!(!m("[", "["));
        assert!(m("[^", "a"));
        assert!(m("a[bc", "ab"));
        assert!(m("a[bc", "ac"));
        assert!(!m("a[bc", "abc"));
        assert!(m("[a-c", "b"));
        assert!(m("[\\", "\\")); // trailing backslash inside class is literal
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "a"));
        assert!(m("\\[a]", "[a]"));
        assert!(m("a\\\\b", "a\\b"));
        assert!(m("\\a", "a")); // escaping an ordinary byte is harmless
        // Inside brackets.
        assert!(m("[\\]]", "]"));
        assert!(m("[\\^a]", "^"));
        assert!(m("[\\-a]", "-"));
        assert!(!m("[\\-z]", "m")); // escaped `-` does not start a range
        assert!(m("[a\\]b]", "b"));
    }

    #[test]
    fn trailing_backslash_is_literal() {
        assert!(m("abc\\", "abc\\"));
        assert!(!m("abc\\", "abc"));
        assert!(m("\\", "\\"));
        assert!(m("*\\", "x\\"));
    }

    #[test]
    fn nocase() {
        assert!(mi("HeLLo", "hello"));
        assert!(mi("h*O", "HELLO"));
        assert!(mi("[A-C]", "b"));
        assert!(mi("[a-c]", "B"));
        assert!(mi("[^x]", "a"));
        assert!(!mi("[^x]", "X"));
        assert!(mi("\\H", "h")); // escape outside brackets still folds
        // Escaped byte inside brackets is compared exactly, as in Redis.
        assert!(!mi("[\\H]", "h"));
        assert!(mi("[\\h]", "h"));
        assert!(!m("HeLLo", "hello"));
        // Only ASCII folds.
        assert!(!glob_match(b"\xc9", b"\xe9", true));
    }

    #[test]
    fn binary_safe() {
        assert!(glob_match(b"a\0*", b"a\0b\0c", false));
        assert!(glob_match(b"?\0", b"\xff\0", false));
        assert!(!glob_match(b"a\0b", b"a\0c", false));
        assert!(glob_match(b"[\0-\x02]", b"\x01", false));
        assert!(glob_match(b"*\xfe", b"\x80\xfe", false));
    }

    #[test]
    fn ranges_compare_as_signed_char() {
        // x86-64 Redis: start=a(97), end=\xff(-1) -> swapped to -1..=97.
        assert!(glob_match(b"[a-\xff]", b"\xff", false));
        assert!(glob_match(b"[a-\xff]", b"0", false));
        assert!(!glob_match(b"[a-\xff]", b"z", false));
        assert!(!glob_match(b"[a-\xff]", b"\x80", false));
        // Ranges entirely within the high half behave as expected.
        assert!(glob_match(b"[\x80-\xff]", b"\xc3", false));
        assert!(!glob_match(b"[\x80-\xff]", b"a", false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let subject = vec![b'a'; 100_000];
        let pattern = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let start = std::time::Instant::now();
        assert!(!glob_match(pattern, &subject, false));
        let mut hit = subject.clone();
        hit.push(b'b');
        assert!(glob_match(pattern, &hit, false));
        let many_stars = [b'*'; 10_000];
        assert!(glob_match(&many_stars, &subject, false));
        // Generous bound: exponential behaviour would take far longer.
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    /// Literal transliteration of Redis 7.0 `stringmatchlen_impl` (pointer
    /// arithmetic as indices; reads past the end see the NUL terminator), used
    /// as an oracle for the iterative implementation.
    fn redis_oracle(pat: &[u8], string: &[u8], nocase: bool) -> bool {
        fn at(b: &[u8], i: usize) -> u8 {
            b.get(i).copied().unwrap_or(0)
        }
        fn lower(c: i32) -> i32 {
            if (b'A' as i32..=b'Z' as i32).contains(&c) { c + 32 } else { c }
        }
        fn imp(
            pat: &[u8],
            mut p: usize,
            s: &[u8],
            mut si: usize,
            nocase: bool,
            skip: &mut bool,
        ) -> bool {
            let mut plen = pat.len() - p;
            let mut slen = s.len() - si;
            while plen > 0 && slen > 0 {
                match pat[p] {
                    b'*' => {
                        while plen > 0 && at(pat, p + 1) == b'*' {
                            p += 1;
                            plen -= 1;
                        }
                        if plen == 1 {
                            return true;
                        }
                        while slen > 0 {
                            if imp(pat, p + 1, s, si, nocase, skip) {
                                return true;
                            }
                            if *skip {
                                return false;
                            }
                            si += 1;
                            slen -= 1;
                        }
                        *skip = true;
                        return false;
                    }
                    b'?' => {
                        si += 1;
                        slen -= 1;
                    }
                    b'[' => {
                        p += 1;
                        plen -= 1;
                        let not = at(pat, p) == b'^';
                        if not {
                            p += 1;
                            plen -= 1;
                        }
                        let mut matched = false;
                        loop {
                            if at(pat, p) == b'\\' && plen >= 2 {
                                p += 1;
                                plen -= 1;
                                if pat[p] == s[si] {
                                    matched = true;
                                }
                            } else if at(pat, p) == b']' {
                                break;
                            } else if plen == 0 {
                                p -= 1;
                                plen += 1;
                                break;
                            } else if plen >= 3 && pat[p + 1] == b'-' {
                                let mut start = pat[p] as i8 as i32;
                                let mut end = pat[p + 2] as i8 as i32;
                                let mut c = s[si] as i8 as i32;
                                if start > end {
                                    std::mem::swap(&mut start, &mut end);
                                }
                                if nocase {
                                    start = lower(start);
                                    end = lower(end);
                                    c = lower(c);
                                }
                                p += 2;
                                plen -= 2;
                                if c >= start && c <= end {
                                    matched = true;
                                }
                            } else if (!nocase && pat[p] == s[si])
                                || (nocase && lower(pat[p] as i32) == lower(s[si] as i32))
                            {
                                matched = true;
                            }
                            p += 1;
                            plen -= 1;
                        }
                        if not {
                            matched = !matched;
                        }
                        if !matched {
                            return false;
                        }
                        si += 1;
                        slen -= 1;
                    }
                    c => {
                        let mut c = c;
                        if c == b'\\' && plen >= 2 {
                            p += 1;
                            plen -= 1;
                            c = pat[p];
                        }
                        if (!nocase && c != s[si])
                            || (nocase && lower(c as i32) != lower(s[si] as i32))
                        {
                            return false;
                        }
                        si += 1;
                        slen -= 1;
                    }
                }
                p += 1;
                plen -= 1;
                if slen == 0 {
                    while at(pat, p) == b'*' {
                        p += 1;
                        plen -= 1;
                    }
                    break;
                }
            }
            plen == 0 && slen == 0
        }
        imp(pat, 0, string, 0, nocase, &mut false)
    }

    #[test]
    fn agrees_with_redis_oracle_on_random_inputs() {
        // Small alphabets so the quirky paths (escapes, ranges, unterminated
        // classes, high bytes) collide often. Deterministic xorshift PRNG.
        const PAT: &[u8] = b"*?[]^-\\aAbz\x80\xff";
        const SUB: &[u8] = b"aAbz-]^\\\x80\xff*";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            let pl = (next() % 8) as usize;
            let sl = (next() % 7) as usize;
            let pat: Vec<u8> = (0..pl).map(|_| PAT[(next() % PAT.len() as u64) as usize]).collect();
            let sub: Vec<u8> = (0..sl).map(|_| SUB[(next() % SUB.len() as u64) as usize]).collect();
            let nocase = next() % 2 == 0;
            assert_eq!(
                glob_match(&pat, &sub, nocase),
                redis_oracle(&pat, &sub, nocase),
                "pattern {pat:?} subject {sub:?} nocase {nocase}"
            );
        }
    }
}
