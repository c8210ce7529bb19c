//! Doubles are spelled as Redis spells them: a table made by C's `%.17g`, and round trips.

use jotter_resp::double::{format, format_human};
use proptest::prelude::*;

/// 763 doubles (random bit patterns, short decimals, integers, powers of 2 and 10, edges) with
/// the text glibc's `printf("%.17g")` gives them.
const G17_TABLE: &str = include_str!("data/g17.txt");

#[test]
fn g17_matches_c_printf_on_the_table() {
    let mut checked = 0;
    for line in G17_TABLE.lines().filter(|line| !line.starts_with('#')) {
        let (bits, expected) = line.split_once(' ').expect("bits and text");
        let value = f64::from_bits(u64::from_str_radix(bits, 16).expect("hex bits"));
        assert_eq!(format(value).as_str(), expected, "bits {bits}");
        checked += 1;
    }
    assert_eq!(checked, 763);
}

proptest! {
    #[test]
    fn g17_reads_back_as_the_same_double(bits in any::<u64>()) {
        let value = f64::from_bits(bits);
        let text = format(value);
        let read: f64 = text.as_str().parse().expect("a number");
        if value.is_nan() {
            prop_assert_eq!(text.as_str(), "nan");
        } else {
            prop_assert_eq!(read.to_bits(), value.to_bits(), "{}", text);
        }
        // At most 17 significant digits, as %.17g.
        let mantissa = text.as_str().split('e').next().unwrap_or_default();
        let digits = mantissa.trim_start_matches('-').trim_start_matches(['0', '.']).replace('.', "");
        prop_assert!(digits.len() <= 17, "{}", text);
    }

    #[test]
    fn human_is_plain_decimal_close_to_the_value(
        value in prop_oneof![-1e300_f64..1e300, -1e6_f64..1e6, -10.0_f64..10.0, -1e-3_f64..1e-3],
    ) {
        let text = format_human(value);
        prop_assert!(text.as_str().bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-'), "{}", text);
        prop_assert!(!text.as_str().ends_with('0') || !text.as_str().contains('.'), "{}", text);
        let decimals = text.as_str().split_once('.').map_or(0, |(_, decimals)| decimals.len());
        prop_assert!(decimals <= 17, "{}", text);
        let read: f64 = text.as_str().parse().expect("a number");
        if value.abs() >= 1.0 {
            // Shortest round-trip text, at most 16 decimals here: reads back exactly.
            prop_assert_eq!(read, value, "{}", text);
        } else {
            // Rounded at the 17th decimal: within 5e-18 of the value, and the double read back
            // is at least as close to the text as the value is.
            prop_assert!((read - value).abs() <= 1e-17, "{} for {:e}", text, value);
        }
    }
}
