//! A request encoded once, as redis-benchmark does: each `__rand_int__` in
//! its arguments is a 12-digit field that every send rewrites in place
//! with a random number below the key space, zero-padded. Sending it is a
//! copy and a few digits, with no formatting or encoding a request.

use bytes::BytesMut;

/// The placeholder in an argument; as wide as the digits that replace it.
pub(crate) const RAND: &str = "__rand_int__";

/// One request, encoded, with where its random fields are.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    encoded: Vec<u8>,
    fields: Vec<usize>,
}

impl Template {
    /// Encodes `args` (RESP multibulk), noting each placeholder.
    pub(crate) fn new<A: AsRef<[u8]>>(args: &[A]) -> Template {
        let mut out = BytesMut::new();
        jotter_resp::encode_request(args, &mut out);
        let encoded = out.to_vec();
        let fields = encoded
            .windows(RAND.len())
            .enumerate()
            .filter(|(_, w)| *w == RAND.as_bytes())
            .map(|(i, _)| i)
            .collect();
        Template { encoded, fields }
    }

    /// Appends the request to `out`, each field a new number below `range`.
    pub(crate) fn queue(&self, out: &mut BytesMut, rng: &mut fastrand::Rng, range: u64) {
        let at = out.len();
        out.extend_from_slice(&self.encoded);
        for &field in &self.fields {
            let digits = &mut out[at + field..at + field + RAND.len()];
            let mut n = rng.u64(0..range.max(1));
            for d in digits.iter_mut().rev() {
                *d = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
    }
}

/// The 12-digit form of `n`, as a template writes it.
pub(crate) fn digits(n: u64) -> String {
    format!("{n:012}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_gets_its_own_number_below_the_range() {
        let t = Template::new(&["ZADD", "bench:zset", RAND, "element:__rand_int__"]);
        let mut out = BytesMut::new();
        let mut rng = fastrand::Rng::with_seed(7);
        t.queue(&mut out, &mut rng, 1000);
        let text = String::from_utf8(out.to_vec()).unwrap();
        let parts: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(parts[..4], ["*4", "$4", "ZADD", "$10"], "{text}");
        let (score, member) = (parts[6], parts[8]);
        assert_eq!(score.len(), 12, "{text}");
        assert!(score.parse::<u64>().unwrap() < 1000, "{text}");
        let n = member.strip_prefix("element:").unwrap();
        assert!(n.len() == 12 && n.parse::<u64>().unwrap() < 1000, "{text}");
        assert_eq!(digits(42), "000000000042");
    }
}
