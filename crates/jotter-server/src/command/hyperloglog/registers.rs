//! A HyperLogLog's registers and their bytes. The bytes are Redis's own
//! format, so a value copied from Redis reads here and one written here
//! reads in Redis: a 16-byte header ("HYLL", the encoding, three unused
//! bytes, an 8-byte cached cardinality whose top bit marks it stale) then
//! the registers, either dense (16384 registers of 6 bits, least
//! significant bits first: 12288 bytes) or sparse (runs of equal
//! registers). Both are read; what is written is always dense, with the
//! cache marked stale, as Redis leaves a value after PFADD changed it.

use std::fmt;

/// Registers in a HyperLogLog (2¹⁴: 14 bits of the hash pick one).
pub(super) const REGISTERS: usize = 1 << 14;
const HEADER: usize = 16;
const DENSE_BYTES: usize = HEADER + REGISTERS * 6 / 8;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;

/// Why bytes are not a HyperLogLog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Invalid {
    /// Not one at all (Redis's WRONGTYPE).
    NotHll,
    /// Its header says so but its sparse runs are broken (INVALIDOBJ).
    Corrupt,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invalid::NotHll => "WRONGTYPE Key is not a valid HyperLogLog string value.",
            Invalid::Corrupt => "INVALIDOBJ Corrupted HLL object detected",
        })
    }
}

/// The registers, one byte each while in memory.
#[derive(Clone)]
pub(super) struct Registers(Box<[u8; REGISTERS]>);

impl Registers {
    /// All registers zero: an empty HyperLogLog.
    pub(super) fn empty() -> Registers {
        Registers(Box::new([0; REGISTERS]))
    }

    /// Whether `bytes` pass Redis's `isHLLObjectOrReply` (header, known
    /// encoding, exact dense length); the runs are checked by [`Self::read`].
    pub(super) fn check(bytes: &[u8]) -> Result<(), Invalid> {
        match bytes {
            [b'H', b'Y', b'L', b'L', DENSE, ..] if bytes.len() == DENSE_BYTES => Ok(()),
            [b'H', b'Y', b'L', b'L', SPARSE, ..] if bytes.len() >= HEADER => Ok(()),
            _ => Err(Invalid::NotHll),
        }
    }

    /// The registers `bytes` hold, dense or sparse.
    pub(super) fn read(bytes: &[u8]) -> Result<Registers, Invalid> {
        Self::check(bytes)?;
        let mut registers = Registers::empty();
        registers.merge_bytes(bytes)?;
        Ok(registers)
    }

    /// Raises each register to its value in `bytes` if higher (PFMERGE,
    /// PFCOUNT of several keys).
    pub(super) fn merge_bytes(&mut self, bytes: &[u8]) -> Result<(), Invalid> {
        Self::check(bytes)?;
        let body = &bytes[HEADER..];
        if bytes[4] == DENSE {
            for (i, r) in self.0.iter_mut().enumerate() {
                *r = (*r).max(dense_register(body, i));
            }
            return Ok(());
        }
        let mut i = 0usize;
        let mut at = 0usize;
        while at < body.len() {
            let op = body[at];
            let (run, value) = match op >> 6 {
                0 => (usize::from(op & 0x3f) + 1, 0),
                1 => {
                    let low = *body.get(at + 1).ok_or(Invalid::Corrupt)?;
                    at += 1;
                    ((usize::from(op & 0x3f) << 8 | usize::from(low)) + 1, 0)
                }
                _ => (usize::from(op & 0x3) + 1, ((op >> 2) & 0x1f) + 1),
            };
            at += 1;
            let registers = self.0.get_mut(i..i + run).ok_or(Invalid::Corrupt)?;
            for r in registers {
                *r = (*r).max(value);
            }
            i += run;
        }
        if i == REGISTERS { Ok(()) } else { Err(Invalid::Corrupt) }
    }

    /// Raises register `index` to `count`; whether it changed.
    pub(super) fn raise(&mut self, index: usize, count: u8) -> bool {
        let r = &mut self.0[index];
        let changed = count > *r;
        *r = (*r).max(count);
        changed
    }

    /// How many registers hold each value (Redis's `reghisto`).
    pub(super) fn histogram(&self) -> [u32; 64] {
        let mut histogram = [0; 64];
        for &r in self.0.iter() {
            histogram[usize::from(r & 63)] += 1;
        }
        histogram
    }

    /// The dense bytes, with the cached cardinality marked stale.
    pub(super) fn to_dense(&self) -> Vec<u8> {
        let mut bytes = vec![0u8; DENSE_BYTES];
        bytes[..4].copy_from_slice(b"HYLL");
        bytes[4] = DENSE;
        bytes[15] = 0x80;
        let body = &mut bytes[HEADER..];
        for (i, &r) in self.0.iter().enumerate() {
            let bit = i * 6;
            let (byte, shift) = (bit / 8, bit % 8);
            let wide = u16::from(r & 63) << shift;
            body[byte] |= wide as u8;
            if let Some(next) = body.get_mut(byte + 1) {
                *next |= (wide >> 8) as u8;
            }
        }
        bytes
    }
}

/// Register `i` of a dense body.
fn dense_register(body: &[u8], i: usize) -> u8 {
    let bit = i * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let low = u16::from(body[byte]);
    let high = u16::from(body.get(byte + 1).copied().unwrap_or(0));
    (((high << 8 | low) >> shift) & 63) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_bytes_round_trip() {
        let mut r = Registers::empty();
        for (i, v) in [(0, 5), (1, 63), (2, 1), (REGISTERS - 1, 51), (777, 9)] {
            r.raise(i, v);
        }
        let bytes = r.to_dense();
        assert_eq!(bytes.len(), DENSE_BYTES);
        let back = Registers::read(&bytes).unwrap();
        assert_eq!(back.0[..], r.0[..]);
    }

    #[test]
    fn sparse_runs_decode_and_corruption_is_caught() {
        // XZERO of 16383 registers, then VAL 3 once.
        let mut bytes = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        bytes.extend([0x40 | 0x3f, 0xfe, 0x80 | (2 << 2)]);
        let r = Registers::read(&bytes).unwrap();
        assert_eq!(r.0[REGISTERS - 1], 3);
        assert_eq!(r.histogram()[0], REGISTERS as u32 - 1);
        bytes.pop();
        assert_eq!(Registers::read(&bytes).err(), Some(Invalid::Corrupt));
        assert_eq!(Registers::read(b"HYLL").err(), Some(Invalid::NotHll));
    }
}
