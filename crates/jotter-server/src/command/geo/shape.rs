//! Distances and search areas as Redis computes them
//! (`geohash_helper.c`): the haversine distance on a sphere of Redis's
//! earth radius, the units, a search shape (circle or box around a
//! centre), and the cells that cover it — the cell of the centre at a
//! precision chosen from the radius, and those of its eight neighbours
//! that the shape reaches. Searching those cells in Redis's order is what
//! makes an unsorted or COUNT ANY reply come out in Redis's order.

use super::hash::{Cell, LAT_RANGE, LON_RANGE, STEP_MAX, decode, encode, neighbours};
use crate::command::fail::{self, Fail};

/// Redis's earth radius (the WGS-84 quadratic mean), in metres.
const EARTH_RADIUS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

fn rad(deg: f64) -> f64 {
    deg * D_R
}

fn deg(rad: f64) -> f64 {
    rad / D_R
}

/// The metres in a unit (`extractUnitOrReply`).
pub(super) fn unit(arg: &[u8]) -> Result<f64, Fail> {
    match arg.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(fail::error("ERR unsupported unit provided. please use M, KM, FT, MI")),
    }
}

/// The great-circle distance in metres (`geohashGetDistance`).
pub(super) fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lat1r, lon1r, lat2r, lon2r) = (rad(lat1), rad(lon1), rad(lat2), rad(lon2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// A distance as Redis replies it: four decimals.
pub(super) fn distance_text(metres: f64) -> String {
    format!("{metres:.4}")
}

/// What a search looks within.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Extent {
    /// Within a radius (in the unit).
    Radius(f64),
    /// Within a box this wide and high (in the unit), centred.
    Box { width: f64, height: f64 },
}

/// A search shape: its centre, extent and unit (metres per unit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub extent: Extent,
    pub unit: f64,
}

impl Shape {
    /// The distance in metres from the centre to a point inside the
    /// shape, `None` outside it (`geoAppendIfWithinShape`).
    pub(super) fn reach(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(radius) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= radius * self.unit).then_some(d)
            }
            Extent::Box { width, height } => {
                let across = distance(lon, lat, self.lon, lat);
                let up = distance(lon, lat, lon, self.lat);
                if across > width * self.unit / 2.0 || up > height * self.unit / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// Half the extent in metres: (half width, half height).
    fn halves(&self) -> (f64, f64) {
        match self.extent {
            Extent::Radius(r) => (r * self.unit, r * self.unit),
            Extent::Box { width, height } => (width / 2.0 * self.unit, height / 2.0 * self.unit),
        }
    }

    /// The bounding box: (min lon, min lat, max lon, max lat)
    /// (`geohashBoundingBox`).
    fn bounds(&self) -> (f64, f64, f64, f64) {
        let (half_width, half_height) = self.halves();
        let lat_delta = deg(half_height / EARTH_RADIUS);
        let lon_delta_top = deg(half_width / EARTH_RADIUS / rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = deg(half_width / EARTH_RADIUS / rad(self.lat - lat_delta).cos());
        let lon_delta = if self.lat < 0.0 { lon_delta_bottom } else { lon_delta_top };
        (self.lon - lon_delta, self.lat - lat_delta, self.lon + lon_delta, self.lat + lat_delta)
    }

    /// The cells to search, in Redis's order, with those the shape cannot
    /// reach and repeats of the one before left out
    /// (`geohashCalculateAreasByShapeWGS84`, `membersOfAllNeighbors`).
    pub(super) fn cells(&self) -> Vec<Cell> {
        let (min_lon, min_lat, max_lon, max_lat) = self.bounds();
        let radius = match self.extent {
            Extent::Radius(r) => r * self.unit,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt() * self.unit
            }
        };
        let mut step = estimate_step(radius, self.lat);
        let at = |step| {
            encode(LON_RANGE, LAT_RANGE, self.lon, self.lat, step).unwrap_or(Cell { bits: 0, step })
        };
        let mut centre = at(step);
        let mut around = neighbours(centre);
        let [north, south, east, west, ..] = around.map(|c| decode(LON_RANGE, LAT_RANGE, c));
        let too_coarse = north.lat.max < max_lat
            || south.lat.min > min_lat
            || east.lon.max < max_lon
            || west.lon.min > min_lon;
        if step > 1 && too_coarse {
            step -= 1;
            centre = at(step);
            around = neighbours(centre);
        }
        let mut cells: Vec<Option<Cell>> =
            std::iter::once(centre).chain(around).map(Some).collect();
        if step >= 2 {
            let area = decode(LON_RANGE, LAT_RANGE, centre);
            // Indexes into `cells`: 1 N, 2 S, 3 E, 4 W, 5 NE, 6 NW, 7 SE, 8 SW.
            let mut drop = |which: [usize; 3]| which.iter().for_each(|&i| cells[i] = None);
            if area.lat.min < min_lat {
                drop([2, 8, 7]);
            }
            if area.lat.max > max_lat {
                drop([1, 5, 6]);
            }
            if area.lon.min < min_lon {
                drop([4, 8, 6]);
            }
            if area.lon.max > max_lon {
                drop([3, 7, 5]);
            }
        }
        let mut searched: Vec<Cell> = Vec::with_capacity(9);
        for (i, cell) in cells.into_iter().enumerate() {
            let Some(cell) = cell else { continue };
            // Redis compares with the last cell searched, never the centre.
            if i > 0 && searched.len() > 1 && searched.last() == Some(&cell) {
                continue;
            }
            searched.push(cell);
        }
        searched
    }
}

/// The precision of the cells for a search of this radius in metres
/// (`geohashEstimateStepsByRadius`).
fn estimate_step(mut radius: f64, lat: f64) -> u8 {
    if radius == 0.0 {
        return STEP_MAX;
    }
    let mut step: i32 = 1;
    while radius < MERCATOR_MAX {
        radius *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_redis() {
        // GEODIST Sicily Palermo Catania km on Redis 7.0.15: 166.2742.
        let (p, c) = (
            super::super::hash::position(3_479_099_956_230_698.0),
            super::super::hash::position(3_479_447_370_796_909.0),
        );
        assert_eq!(distance_text(distance(p.0, p.1, c.0, c.1) / 1000.0), "166.2742");
    }

    #[test]
    fn steps_follow_the_radius() {
        assert_eq!(estimate_step(0.0, 0.0), 26);
        assert!(estimate_step(1000.0, 0.0) > estimate_step(100_000.0, 0.0));
        assert_eq!(estimate_step(1000.0, 70.0) + 1, estimate_step(1000.0, 0.0));
    }
}
