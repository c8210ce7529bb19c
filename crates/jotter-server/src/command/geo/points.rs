//! The geo commands on members: GEOADD (a ZADD whose scores are the
//! positions' geohashes, as Redis runs it), GEOPOS, GEODIST and GEOHASH.

use jotter::{ScoreMap, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::hash::{position, score_of, standard_geohash, valid};
use super::shape::{distance, distance_text, unit};
use crate::command::args::parse_f64;
use crate::command::fail::{self, Fail, Outcome};
use crate::command::zset::{sorted_set, zadd};

/// A longitude and latitude from two arguments (`extractLongLatOrReply`).
pub(super) fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Fail> {
    let lon = parse_f64(lon).ok_or_else(fail::not_float)?;
    let lat = parse_f64(lat).ok_or_else(fail::not_float)?;
    if !valid(lon, lat) {
        return Err(fail::error(format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok((lon, lat))
}

/// A member's position, `None` if it is not in the set.
pub(super) fn member_position(set: &ScoreMap, member: &[u8]) -> Option<(f64, f64)> {
    set.get(member).map(position)
}

/// A coordinate as Redis replies it (`addReplyHumanLongDouble` of a
/// double: `%.17Lf` without trailing zeros).
pub(super) fn write_coordinate(w: &mut ReplyWriter<'_>, value: f64) {
    let mut text = format!("{value:.17}");
    let kept = text.trim_end_matches('0').trim_end_matches('.').len();
    text.truncate(kept);
    if text == "-0" {
        text = "0".to_owned();
    }
    w.double_text(text.as_bytes());
}

/// `GEOADD key [NX|XX] [CH] longitude latitude member [...]`.
pub(super) fn geoadd(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let args: Vec<&[u8]> = req.args().collect();
    let mut at = 2;
    let (mut nx, mut xx) = (false, false);
    while let Some(arg) = args.get(at) {
        match arg.to_ascii_lowercase().as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => {}
            _ => break,
        }
        at += 1;
    }
    if !(args.len() - at).is_multiple_of(3) || (nx && xx) {
        return Err(fail::syntax());
    }
    let mut zadd_args: Vec<Vec<u8>> = vec![b"zadd".to_vec()];
    zadd_args.extend(args[1..at].iter().map(|a| a.to_vec()));
    for triple in args[at..].chunks_exact(3) {
        let (lon, lat) = lon_lat(triple[0], triple[1])?;
        let score = score_of(lon, lat).ok_or_else(fail::not_float)?;
        zadd_args.push(itoa::Buffer::new().format(score).as_bytes().to_vec());
        zadd_args.push(triple[2].to_vec());
    }
    let zadd_req = Request::from_args(&zadd_args).ok_or_else(fail::syntax)?;
    zadd(&zadd_req, txn, w)
}

/// `GEOPOS key [member ...]`.
pub(super) fn geopos(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let set = sorted_set(txn, req.arg(1).unwrap_or_default())?;
    w.array(req.len() - 2);
    for member in req.args().skip(2) {
        match set.and_then(|s| member_position(s, member)) {
            None => w.null_array(),
            Some((lon, lat)) => {
                w.array(2);
                write_coordinate(w, lon);
                write_coordinate(w, lat);
            }
        }
    }
    Ok(())
}

/// `GEODIST key member1 member2 [M|KM|FT|MI]`.
pub(super) fn geodist(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let per_unit = match req.len() {
        4 => 1.0,
        5 => unit(req.arg(4).unwrap_or_default())?,
        _ => return Err(fail::syntax()),
    };
    let Some(set) = sorted_set(txn, req.arg(1).unwrap_or_default())? else {
        w.null();
        return Ok(());
    };
    let a = member_position(set, req.arg(2).unwrap_or_default());
    let b = member_position(set, req.arg(3).unwrap_or_default());
    match a.zip(b) {
        None => w.null(),
        Some((a, b)) => w.bulk(distance_text(distance(a.0, a.1, b.0, b.1) / per_unit).as_bytes()),
    }
    Ok(())
}

/// `GEOHASH key [member ...]`.
pub(super) fn geohash(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let set = sorted_set(txn, req.arg(1).unwrap_or_default())?;
    w.array(req.len() - 2);
    for member in req.args().skip(2) {
        match set.and_then(|s| s.get(member)) {
            None => w.null(),
            Some(score) => w.bulk(&standard_geohash(score)),
        }
    }
    Ok(())
}
