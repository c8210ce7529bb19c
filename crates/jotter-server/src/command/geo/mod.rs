//! The geo family (Redis 7.0's `geo` group, `geo.c`): GEOADD, GEODIST,
//! GEOHASH, GEOPOS, GEORADIUS, GEORADIUSBYMEMBER, their _RO forms,
//! GEOSEARCH and GEOSEARCHSTORE. A geo set is a sorted set whose scores
//! are 52-bit geohashes, as in Redis: TYPE says `zset`, every sorted-set
//! command works on it, and it is written behind as the sorted set it is.
//!
//! - `hash.rs`: Redis's geohash (encoding, decoding, neighbours);
//! - `shape.rs`: distances, units, search shapes and the cells covering
//!   them;
//! - `points.rs`: GEOADD, GEOPOS, GEODIST, GEOHASH;
//! - `search.rs`: the radius and box searches, replied or stored;
//! - `order.rs`: the order Redis sorts their results in.
//!
//! Replies equal Redis's digit for digit: the same geohash, the same
//! haversine distance with Redis's earth radius (6372797.560856 m), the
//! same formats (`%.4f` distances, `%.17Lf` coordinates) and the same
//! search order.

mod hash;
mod order;
mod points;
mod search;
mod shape;

use self::points::{geoadd, geodist, geohash, geopos};
use self::search::{
    georadius, georadius_ro, georadiusbymember, georadiusbymember_ro, geosearch, geosearchstore,
    radius_keys,
};
use super::spec::{Spec, data, flag};

const GROUP: &str = "geo";

const WD: u16 = flag::WRITE | flag::DENYOOM;
const R: u16 = flag::READONLY;

pub(super) const SPECS: &[Spec] = &[
    Spec::new("geoadd", -5, WD, GROUP, "Add one or more geospatial items in the geospatial index represented using a sorted set", "3.2.0", data(geoadd)).keys(1, 1, 1),
    Spec::new("geodist", -4, R, GROUP, "Returns the distance between two members of a geospatial index", "3.2.0", data(geodist)).keys(1, 1, 1),
    Spec::new("geohash", -2, R, GROUP, "Returns members of a geospatial index as standard geohash strings", "3.2.0", data(geohash)).keys(1, 1, 1),
    Spec::new("geopos", -2, R, GROUP, "Returns longitude and latitude of members of a geospatial index", "3.2.0", data(geopos)).keys(1, 1, 1),
    Spec::new("georadius", -6, WD, GROUP, "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", "3.2.0", data(georadius).keys_by(radius_keys)).keys(1, 1, 1),
    Spec::new("georadius_ro", -6, R, GROUP, "A read-only variant for GEORADIUS", "3.2.10", data(georadius_ro)).keys(1, 1, 1),
    Spec::new("georadiusbymember", -5, WD, GROUP, "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", "3.2.0", data(georadiusbymember).keys_by(radius_keys)).keys(1, 1, 1),
    Spec::new("georadiusbymember_ro", -5, R, GROUP, "A read-only variant for GEORADIUSBYMEMBER", "3.2.10", data(georadiusbymember_ro)).keys(1, 1, 1),
    Spec::new("geosearch", -7, R, GROUP, "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", "6.2.0", data(geosearch)).keys(1, 1, 1),
    Spec::new("geosearchstore", -8, WD, GROUP, "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", "6.2.0", data(geosearchstore)).keys(1, 2, 1),
];
