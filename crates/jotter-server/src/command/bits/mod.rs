//! The bitmap family (Redis 7.0's `bitmap` group, `bitops.c`): SETBIT,
//! GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO. A bitmap is
//! a string, so these are string reads and writes: they keep the key's
//! TTL when they change it in place, are WRONGTYPE on any other type, and
//! are written behind as the string they leave. Offsets stop where Redis's
//! do, at the maximum string length (512 MB, so bit 2³² − 1).
//!
//! - `value.rs`: the key's string as bits, offsets, growing and storing;
//! - `single.rs`: SETBIT, GETBIT;
//! - `count.rs`: BITCOUNT, BITPOS and their BYTE/BIT ranges;
//! - `op.rs`: BITOP;
//! - `integer.rs` and `field.rs`: BITFIELD's integer fields and overflow,
//!   and the command with its operations.
//!
//! A write copies the string (a stored value is immutable and shared), so
//! one SETBIT on a large bitmap costs its length, where Redis's is O(1).

mod count;
mod field;
mod integer;
mod op;
mod single;
mod value;

use self::count::{bitcount, bitpos};
use self::field::{bitfield, bitfield_ro};
use self::op::bitop;
use self::single::{getbit, setbit};
use super::spec::{Spec, data, flag};

const GROUP: &str = "bitmap";

const WD: u16 = flag::WRITE | flag::DENYOOM;
const R: u16 = flag::READONLY;
const RF: u16 = flag::READONLY | flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "setbit",
        4,
        WD,
        GROUP,
        "Sets or clears the bit at offset in the string value stored at key",
        "2.2.0",
        data(setbit),
    )
    .keys(1, 1, 1),
    Spec::new(
        "getbit",
        3,
        RF,
        GROUP,
        "Returns the bit value at offset in the string value stored at key",
        "2.2.0",
        data(getbit),
    )
    .keys(1, 1, 1),
    Spec::new("bitcount", -2, R, GROUP, "Count set bits in a string", "2.6.0", data(bitcount))
        .keys(1, 1, 1),
    Spec::new(
        "bitpos",
        -3,
        R,
        GROUP,
        "Find first bit set or clear in a string",
        "2.8.7",
        data(bitpos),
    )
    .keys(1, 1, 1),
    Spec::new(
        "bitop",
        -4,
        WD,
        GROUP,
        "Perform bitwise operations between strings",
        "2.6.0",
        data(bitop),
    )
    .keys(2, -1, 1),
    Spec::new(
        "bitfield",
        -2,
        WD,
        GROUP,
        "Perform arbitrary bitfield integer operations on strings",
        "3.2.0",
        data(bitfield),
    )
    .keys(1, 1, 1),
    Spec::new(
        "bitfield_ro",
        -2,
        RF,
        GROUP,
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        "6.0.0",
        data(bitfield_ro),
    )
    .keys(1, 1, 1),
];
