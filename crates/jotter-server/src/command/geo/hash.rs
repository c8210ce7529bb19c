//! The parts of Redis's geohash (`geohash.c`) only the geo commands use:
//! a cell's neighbours and the standard 11-character geohash. The encoding
//! itself is the engine's (`jotter::geohash`), the one implementation the
//! commands and the stores share.

pub(super) use jotter::geohash::{
    Cell, LAT_RANGE, LON_RANGE, Range, STEP_MAX, align52, decode, encode, position, score_of, valid,
};

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
    fn standard_geohashes_match_redis() {
        // Checked against Redis 7.0.15: GEOADD g 13.361389 38.115556 Palermo.
        assert_eq!(&standard_geohash(3_479_099_956_230_698.0), b"sqc8b49rny0");
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
