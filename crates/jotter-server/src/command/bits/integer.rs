//! The integers BITFIELD reads and writes: a signed or unsigned field of
//! 1 to 64 (unsigned: 63) bits at any bit offset, most significant bit
//! first, and what an overflowing SET or INCRBY does under WRAP, SAT or
//! FAIL (Redis's `checkSignedBitfieldOverflow` and its unsigned twin).

use super::value::bit_at;

/// A field's type: `i<bits>` or `u<bits>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FieldType {
    pub signed: bool,
    pub bits: u32,
}

/// What an overflowing write does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Overflow {
    Wrap,
    Sat,
    Fail,
}

impl FieldType {
    /// `i8`, `u16`...: Redis's `getBitfieldTypeFromArgument`.
    pub(super) fn parse(arg: &[u8]) -> Option<FieldType> {
        let signed = match arg.first()?.to_ascii_lowercase() {
            b'i' => true,
            b'u' => false,
            _ => return None,
        };
        let bits = crate::command::args::parse_i64(&arg[1..])?;
        let max = if signed { 64 } else { 63 };
        (1..=max).contains(&bits).then_some(FieldType { signed, bits: bits as u32 })
    }

    /// The field at `offset` of `bytes` (bits beyond the end read as 0).
    pub(super) fn get(self, bytes: &[u8], offset: u64) -> i64 {
        let raw = (0..u64::from(self.bits))
            .fold(0u64, |v, i| (v << 1) | u64::from(bit_at(bytes, offset + i)));
        if self.signed && self.bits < 64 && raw & (1 << (self.bits - 1)) != 0 {
            (raw | (u64::MAX << self.bits)) as i64
        } else {
            raw as i64
        }
    }

    /// Writes the low `bits` of `value` at `offset`; `bytes` holds them.
    pub(super) fn set(self, bytes: &mut [u8], offset: u64, value: i64) {
        for i in 0..u64::from(self.bits) {
            let bit = (value as u64 >> (u64::from(self.bits) - 1 - i)) & 1;
            let at = offset + i;
            let byte = &mut bytes[(at >> 3) as usize];
            let mask = 1u8 << (7 - (at & 7));
            *byte = if bit == 1 { *byte | mask } else { *byte & !mask };
        }
    }

    /// `value + incr` in this type: `Ok` when it fits, else `Err` with
    /// what WRAP or SAT makes of it (FAIL ignores it).
    pub(super) fn add(self, value: i64, incr: i64, how: Overflow) -> Result<i64, i64> {
        if self.signed {
            self.add_signed(value, incr, how)
        } else {
            self.add_unsigned(value, incr, how)
        }
    }

    fn wrapped(self, value: i64, incr: i64) -> i64 {
        let sum = (value as u64).wrapping_add(incr as u64);
        if self.bits == 64 {
            return sum as i64;
        }
        let mask = u64::MAX << self.bits;
        if self.signed && sum & (1 << (self.bits - 1)) != 0 {
            (sum | mask) as i64
        } else {
            (sum & !mask) as i64
        }
    }

    fn add_signed(self, value: i64, incr: i64, how: Overflow) -> Result<i64, i64> {
        let max = if self.bits == 64 { i64::MAX } else { (1i64 << (self.bits - 1)) - 1 };
        let min = -max - 1;
        let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
        let min_incr = min.wrapping_sub(value);
        let wide = self.bits != 64;
        let limit = if value > max
            || (wide && incr > max_incr)
            || (value >= 0 && incr > 0 && incr > max_incr)
        {
            max
        } else if value < min
            || (wide && incr < min_incr)
            || (value < 0 && incr < 0 && incr < min_incr)
        {
            min
        } else {
            return Ok(value.wrapping_add(incr));
        };
        Err(if how == Overflow::Sat { limit } else { self.wrapped(value, incr) })
    }

    fn add_unsigned(self, value: i64, incr: i64, how: Overflow) -> Result<i64, i64> {
        let value = value as u64;
        let max = (1u64 << self.bits) - 1;
        let max_incr = max.wrapping_sub(value) as i64;
        let min_incr = value.wrapping_neg() as i64;
        let limit = if value > max || (incr > 0 && incr > max_incr) {
            max
        } else if incr < 0 && incr < min_incr {
            0
        } else {
            return Ok(value.wrapping_add(incr as u64) as i64);
        };
        Err(if how == Overflow::Sat { limit as i64 } else { self.wrapped(value as i64, incr) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U8: FieldType = FieldType { signed: false, bits: 8 };
    const I8: FieldType = FieldType { signed: true, bits: 8 };

    #[test]
    fn overflow_follows_redis() {
        assert_eq!(U8.add(250, 10, Overflow::Wrap), Err(4));
        assert_eq!(U8.add(250, 10, Overflow::Sat), Err(255));
        assert_eq!(U8.add(5, -10, Overflow::Sat), Err(0));
        assert_eq!(U8.add(-1, 0, Overflow::Wrap), Err(255));
        assert_eq!(I8.add(120, 10, Overflow::Wrap), Err(-126));
        assert_eq!(I8.add(-120, -10, Overflow::Sat), Err(-128));
        assert_eq!(I8.add(200, 0, Overflow::Wrap), Err(-56));
        assert_eq!(I8.add(100, 27, Overflow::Fail), Ok(127));
        let i64t = FieldType { signed: true, bits: 64 };
        assert_eq!(i64t.add(i64::MAX, 1, Overflow::Wrap), Err(i64::MIN));
    }

    #[test]
    fn fields_cross_bytes() {
        let mut bytes = vec![0u8; 3];
        let t = FieldType { signed: true, bits: 5 };
        t.set(&mut bytes, 6, -3);
        assert_eq!(t.get(&bytes, 6), -3);
        assert_eq!(bytes, [0b0000_0011, 0b1010_0000, 0]);
        assert_eq!(FieldType::parse(b"u64"), None);
        assert_eq!(FieldType::parse(b"I64"), Some(FieldType { signed: true, bits: 64 }));
    }
}
