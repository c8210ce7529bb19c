//! Redis's geohash (`geohash.c`): a position is its longitude and latitude
//! each cut into 2^26 steps (latitude within Web Mercator's ±85.05112878°)
//! and interleaved, latitude in the even bits, into the 52-bit integer
//! that is the member's score. Decoding gives the centre of the cell,
//! exactly as Redis computes it, so positions print digit for digit.

/// Redis's limits: Web Mercator cannot reach the poles.
pub(super) const LON_MIN: f64 = -180.0;
pub(super) const LON_MAX: f64 = 180.0;
pub(super) const LAT_MIN: f64 = -85.051_128_78;
pub(super) const LAT_MAX: f64 = 85.051_128_78;
/// Bits per coordinate in a score.
pub(super) const STEP_MAX: u8 = 26;

/// A range of one coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Range {
    pub min: f64,
    pub max: f64,
}

/// The coordinate ranges of scores.
pub(super) const LON_RANGE: Range = Range { min: LON_MIN, max: LON_MAX };
pub(super) const LAT_RANGE: Range = Range { min: LAT_MIN, max: LAT_MAX };

/// A cell: `2 × step` interleaved bits. Step 0 is Redis's "no cell".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cell {
    pub bits: u64,
    pub step: u8,
}

/// A cell's bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Whether a longitude and latitude can be stored (`extractLongLatOrReply`).
pub(super) fn valid(lon: f64, lat: f64) -> bool {
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
pub(super) fn encode(
    lon_range: Range,
    lat_range: Range,
    lon: f64,
    lat: f64,
    step: u8,
) -> Option<Cell> {
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
pub(super) fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(LON_RANGE, LAT_RANGE, lon, lat, STEP_MAX).map(align52)
}

/// A cell's bits shifted to the top of a 52-bit score.
pub(super) fn align52(cell: Cell) -> u64 {
    cell.bits << (52 - u32::from(cell.step) * 2)
}

/// A cell's bounds (`geohashDecode`).
pub(super) fn decode(lon_range: Range, lat_range: Range, cell: Cell) -> Area {
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
pub(super) fn position(score: f64) -> (f64, f64) {
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

/// The standard 11-character geohash of a score (GEOHASH): re-encoded
/// with the full ±90° latitude range; the 11th character is always `0`.
pub(super) fn standard_geohash(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = position(score);
    let world = Range { min: -90.0, max: 90.0 };
    let bits = encode(LON_RANGE, world, lon, lat, STEP_MAX).map_or(0, |c| c.bits);
    let mut text = [b'0'; 11];
    for (i, c) in text.iter_mut().take(10).enumerate() {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    text
}

/// The cell moved one step east (`d` = 1) or west (-1).
fn move_x(cell: Cell, d: i8) -> Cell {
    shift(cell, d, 0xaaaa_aaaa_aaaa_aaaa)
}

/// The cell moved one step north (1) or south (-1).
fn move_y(cell: Cell, d: i8) -> Cell {
    shift(cell, d, 0x5555_5555_5555_5555)
}

/// Adds ±1 to the coordinate in the bits of `lane`, carrying through the
/// other coordinate's bits (`geohash_move_x`/`_y`).
fn shift(cell: Cell, d: i8, lane: u64) -> Cell {
    if d == 0 {
        return cell;
    }
    let width = 64 - u32::from(cell.step) * 2;
    let mut moving = cell.bits & lane;
    let still = cell.bits & !lane;
    let fill = !lane >> width;
    if d > 0 {
        moving = moving.wrapping_add(fill + 1);
    } else {
        moving |= fill;
        moving = moving.wrapping_sub(fill + 1);
    }
    moving &= lane >> width;
    Cell { bits: moving | still, step: cell.step }
}

/// The eight neighbours of a cell in Redis's search order: north, south,
/// east, west, north-east, north-west, south-east, south-west.
pub(super) fn neighbours(cell: Cell) -> [Cell; 8] {
    [
        move_y(cell, 1),
        move_y(cell, -1),
        move_x(cell, 1),
        move_x(cell, -1),
        move_y(move_x(cell, 1), 1),
        move_y(move_x(cell, -1), 1),
        move_y(move_x(cell, 1), -1),
        move_y(move_x(cell, -1), -1),
    ]
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
        assert_eq!(&standard_geohash(score as f64), b"sqc8b49rny0");
    }

    #[test]
    fn neighbours_wrap_through_the_other_coordinate() {
        let cell = Cell { bits: 0b0110, step: 2 };
        let [north, south, east, west, ..] = neighbours(cell);
        for n in [north, south, east, west] {
            assert_ne!(n, cell);
            assert_eq!(n.step, 2);
        }
        assert_eq!(move_x(east, -1), cell);
        assert_eq!(move_y(north, -1), cell);
    }
}
