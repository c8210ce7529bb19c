//! The HyperLogLog family (Redis 7.0's `hyperloglog` group,
//! `hyperloglog.c`): PFADD, PFCOUNT (of one key or the union of several)
//! and PFMERGE. A HyperLogLog is a string in Redis's own format, so it is
//! written behind as the string it is, and TYPE says `string`.
//!
//! - `registers.rs`: the registers and their bytes (Redis's dense and
//!   sparse encodings read, dense written: 12304 bytes per key);
//! - `estimate.rs`: Redis's hash and cardinality estimator, so counts
//!   equal Redis's exactly (standard error 0.81%);
//! - `commands.rs`: the three commands.
//!
//! PFDEBUG and PFSELFTEST, Redis's testing commands, are not served.

mod commands;
mod estimate;
mod registers;

use self::commands::{pfadd, pfcount, pfmerge};
use super::spec::{Spec, data, flag};

const GROUP: &str = "hyperloglog";

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "pfadd",
        -2,
        flag::WRITE | flag::DENYOOM | flag::FAST,
        GROUP,
        "Adds the specified elements to the specified HyperLogLog.",
        "2.8.9",
        data(pfadd),
    )
    .keys(1, 1, 1),
    Spec::new(
        "pfcount",
        -2,
        flag::READONLY,
        GROUP,
        "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        "2.8.9",
        data(pfcount),
    )
    .keys(1, -1, 1),
    Spec::new(
        "pfmerge",
        -2,
        flag::WRITE | flag::DENYOOM,
        GROUP,
        "Merge N different HyperLogLogs into a single one.",
        "2.8.9",
        data(pfmerge),
    )
    .keys(1, -1, 1),
];
