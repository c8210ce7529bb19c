//! Redis's geohash (`geohash.c`): a position is its longitude and latitude
//! each cut into 2^26 steps (latitude within Web Mercator's ±85.05112878°)
//! and interleaved, latitude in the even bits, into the 52-bit integer
//! that is the member's score. Decoding gives the centre of the cell,
//! exactly as Redis computes it, so positions print digit for digit.
//!
//! The one implementation of the encoding: the server's geo commands
//! search with it, and a store that keeps a geo set as longitudes and
//! latitudes turns scores into positions ([`position`]) and back
//! ([`score_of`]). A score GEOADD writes ([`is_score`]) survives that
//! round trip exactly: the centre of a cell encodes to the same cell.

/// The westernmost longitude.
pub const LON_MIN: f64 = -180.0;
/// The easternmost longitude.
pub const LON_MAX: f64 = 180.0;
/// The southernmost latitude: Web Mercator cannot reach the poles.
pub const LAT_MIN: f64 = -85.051_128_78;
/// The northernmost latitude.
pub const LAT_MAX: f64 = 85.051_128_78;
/// Bits per coordinate in a score.
pub const STEP_MAX: u8 = 26;

/// A range of one coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// The lowest value.
    pub min: f64,
    /// The highest value.
    pub max: f64,
}

/// The longitudes of scores.
pub const LON_RANGE: Range = Range { min: LON_MIN, max: LON_MAX };
/// The latitudes of scores.
pub const LAT_RANGE: Range = Range { min: LAT_MIN, max: LAT_MAX };

/// A cell: `2 × step` interleaved bits. Step 0 is Redis's "no cell".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The interleaved bits, latitude in the even ones.
    pub bits: u64,
    /// Bits per coordinate.
    pub step: u8,
}

/// A cell's bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    /// Its longitudes.
    pub lon: Range,
    /// Its latitudes.
    pub lat: Range,
}

/// Whether a longitude and latitude can be stored (`extractLongLatOrReply`).
#[must_use]
pub fn valid(lon: f64, lat: f64) -> bool {
    (LON_MIN..=LON_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

fn squeeze(mut x: u64) -> u32 {
    x &= 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// The cell of `step` bits per coordinate holding a position, within the
/// given ranges; `None` outside them (`geohashEncode`).
#[must_use]
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Cell> {
    if !valid(lon, lat)
        || lat < lat_range.min
        || lat > lat_range.max
        || lon < lon_range.min
        || lon > lon_range.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * scale;
    // C converts the offsets to 32-bit integers by truncation.
    Some(Cell { bits: spread(lat_offset as u32) | (spread(lon_offset as u32) << 1), step })
}

/// A position's score: its cell at full precision, aligned to 52 bits.
#[must_use]
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(LON_RANGE, LAT_RANGE, lon, lat, STEP_MAX).map(align52)
}

/// A cell's bits shifted to the top of a 52-bit score.
#[must_use]
pub fn align52(cell: Cell) -> u64 {
    cell.bits << (52 - u32::from(cell.step) * 2)
}

/// A cell's bounds (`geohashDecode`).
#[must_use]
pub fn decode(lon_range: Range, lat_range: Range, cell: Cell) -> Area {
    let lat_cells = squeeze(cell.bits);
    let lon_cells = squeeze(cell.bits >> 1);
    let scale = (1u64 << cell.step) as f64;
    let bound = |range: Range, i: u32| {
        let width = range.max - range.min;
        Range {
            min: range.min + (f64::from(i) / scale) * width,
            max: range.min + ((f64::from(i) + 1.0) / scale) * width,
        }
    };
    Area { lon: bound(lon_range, lon_cells), lat: bound(lat_range, lat_cells) }
}

/// The position a score stands for: its cell's centre, clamped to the
/// limits (`decodeGeohash`). A score that no GEOADD wrote (ZADD can write
/// any) decodes as Redis's does on x86-64, where C's `(uint64_t)score`
/// wraps a negative score and makes one of 2⁶⁴ or more 0, where Rust's
/// `as` would saturate.
#[must_use]
pub fn position(score: f64) -> (f64, f64) {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let bits = if score >= TWO_63 {
        let high = score - TWO_63;
        let low = if high >= TWO_63 { i64::MIN } else { high as i64 };
        (low as u64) ^ (1 << 63)
    } else {
        score as i64 as u64
    };
    let area = decode(LON_RANGE, LAT_RANGE, Cell { bits, step: STEP_MAX });
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// Whether `score` is one GEOADD can write: an integer from 0 to 2^52 - 1
/// (every such integer is a cell at full precision). ZADD can give a geo
/// set any score; only these stand for a position and come back unchanged
/// from it.
#[must_use]
pub fn is_score(score: f64) -> bool {
    (0.0..4_503_599_627_370_496.0).contains(&score) && score.fract() == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_positions_match_redis() {
        // Checked against Redis 7.0.15: GEOADD g 13.361389 38.115556 Palermo.
        let score = score_of(13.361389, 38.115556).unwrap();
        assert_eq!(score, 3_479_099_956_230_698);
        let (lon, lat) = position(score as f64);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
    }

    #[test]
    fn a_score_comes_back_from_its_position() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut scores = vec![0, (1 << 52) - 1, 3_479_099_956_230_698];
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            scores.push(x >> 12);
        }
        for score in scores {
            assert!(is_score(score as f64), "{score}");
            let (lon, lat) = position(score as f64);
            assert_eq!(score_of(lon, lat), Some(score), "{lon} {lat}");
        }
        for not in [-1.0, 0.5, 4_503_599_627_370_496.0, f64::NAN, f64::INFINITY] {
            assert!(!is_score(not), "{not}");
        }
    }
}
