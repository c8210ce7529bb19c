//! The geo searches: GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms,
//! STORE and STOREDIST), GEOSEARCH and GEOSEARCHSTORE, as Redis's
//! `georadiusGeneric` runs them: the key is looked at first, the options
//! parsed in Redis's order with Redis's errors, the covering cells
//! searched in Redis's order (so COUNT ANY and unsorted replies come out
//! as Redis's do), then sorted by distance if asked (COUNT alone sorts
//! nearest first) and replied or stored.

use std::sync::Arc;

use bytes::Bytes;
use jotter::{ScoreMap, Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::hash::{Cell, align52, position};
use super::order::redis_sort;
use super::points::{lon_lat, member_position, write_coordinate};
use super::shape::{Extent, Shape, distance_text, unit};
use crate::command::args::{parse_f64, parse_i64};
use crate::command::fail::{self, Fail, Outcome};
use crate::command::spec::Spec;
use crate::command::zset::sorted_set;

/// Which command runs: where its centre comes from and what it accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS[_RO] key lon lat radius unit ...
    Radius { store: bool },
    /// GEORADIUSBYMEMBER[_RO] key member radius unit ...
    Member { store: bool },
    /// GEOSEARCH key ...
    Search,
    /// GEOSEARCHSTORE dst key ...
    SearchStore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A parsed search.
struct Search {
    shape: Option<Shape>,
    store: Option<Bytes>,
    store_dist: bool,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    count: usize,
    any: bool,
    sort: Sort,
}

/// A member found.
struct Found<'a> {
    member: &'a Bytes,
    score: f64,
    lon: f64,
    lat: f64,
    metres: f64,
}

pub(super) fn georadius(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    run(req, txn, w, Form::Radius { store: true })
}

pub(super) fn georadius_ro(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    run(req, txn, w, Form::Radius { store: false })
}

pub(super) fn georadiusbymember(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    run(req, txn, w, Form::Member { store: true })
}

pub(super) fn georadiusbymember_ro(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    run(req, txn, w, Form::Member { store: false })
}

pub(super) fn geosearch(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    run(req, txn, w, Form::Search)
}

pub(super) fn geosearchstore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    run(req, txn, w, Form::SearchStore)
}

/// GEORADIUS's and GEORADIUSBYMEMBER's keys: the source and any key after
/// STORE or STOREDIST.
pub(super) fn radius_keys(_spec: &Spec, req: &Request) -> Vec<Bytes> {
    let mut keys: Vec<Bytes> = req.arg_bytes(1).into_iter().collect();
    let args: Vec<&[u8]> = req.args().collect();
    for (i, pair) in args.windows(2).enumerate().skip(2) {
        if pair[0].eq_ignore_ascii_case(b"store") || pair[0].eq_ignore_ascii_case(b"storedist") {
            keys.extend(req.arg_bytes(i + 1));
        }
    }
    keys
}

fn run(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, form: Form) -> Outcome {
    let source = if form == Form::SearchStore { 2 } else { 1 };
    let set = sorted_set(txn, req.arg(source).unwrap_or_default())?;
    let search = parse(req, set, form)?;
    let (Some(set), Some(shape)) = (set, search.shape) else {
        // No source: nothing found, and a destination is deleted.
        match &search.store {
            Some(dst) => {
                txn.delete(dst);
                w.integer(0);
            }
            None => w.array(0),
        }
        return Ok(());
    };
    let limit = if search.any { search.count } else { 0 };
    let mut found = find(set, &shape, limit);
    let sort = if search.count > 0 && search.sort == Sort::None && !search.any {
        Sort::Asc
    } else {
        search.sort
    };
    let kept = if search.count > 0 { search.count.min(found.len()) } else { found.len() };
    match sort {
        Sort::None => {}
        Sort::Asc => redis_sort(&mut found, kept, |a, b| by_distance(a.metres, b.metres)),
        Sort::Desc => redis_sort(&mut found, kept, |a, b| by_distance(b.metres, a.metres)),
    }
    found.truncate(kept);
    match search.store {
        Some(dst) => {
            let stored: ScoreMap = found
                .iter()
                .map(|f| {
                    let score = if search.store_dist { f.metres / shape.unit } else { f.score };
                    (f.member.clone(), score)
                })
                .collect();
            let n = stored.len();
            if n == 0 {
                txn.delete(&dst);
            } else {
                txn.put(&dst, Value::Scores(Arc::new(stored)), None);
            }
            w.integer(n as i64);
        }
        None => reply(w, &search, &found, shape.unit),
    }
    Ok(())
}

/// Redis's comparison of distances (`sort_gp_asc`).
fn by_distance(a: f64, b: f64) -> std::cmp::Ordering {
    a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Less)
}

fn reply(w: &mut ReplyWriter<'_>, search: &Search, found: &[Found<'_>], per_unit: f64) {
    let extras = usize::from(search.with_dist)
        + usize::from(search.with_hash)
        + usize::from(search.with_coord);
    w.array(found.len());
    for f in found {
        if extras > 0 {
            w.array(extras + 1);
        }
        w.bulk(f.member);
        if search.with_dist {
            w.bulk(distance_text(f.metres / per_unit).as_bytes());
        }
        if search.with_hash {
            w.integer(f.score as i64);
        }
        if search.with_coord {
            w.array(2);
            write_coordinate(w, f.lon);
            write_coordinate(w, f.lat);
        }
    }
}

/// The members inside `shape`, cell by cell in Redis's order, each cell's
/// members by score; stops at `limit` found (0: no limit).
fn find<'a>(set: &'a ScoreMap, shape: &Shape, limit: usize) -> Vec<Found<'a>> {
    let mut found = Vec::new();
    for cell in shape.cells() {
        if limit > 0 && found.len() >= limit {
            break;
        }
        let min = align52(cell) as f64;
        let max = align52(Cell { bits: cell.bits + 1, step: cell.step }) as f64;
        for (member, score) in set.ranked_from(min, false).take_while(|(_, s)| *s < max) {
            let (lon, lat) = position(score);
            if let Some(metres) = shape.reach(lon, lat) {
                found.push(Found { member, score, lon, lat, metres });
                if limit > 0 && found.len() >= limit {
                    break;
                }
            }
        }
    }
    found
}

fn float(arg: &[u8], error: &'static str) -> Result<f64, Fail> {
    parse_f64(arg).ok_or_else(|| fail::error(error))
}

/// `radius unit` (`extractDistanceOrReply`): the radius and metres per unit.
fn radius(args: &[&[u8]]) -> Result<(f64, f64), Fail> {
    let r = float(args[0], "ERR need numeric radius")?;
    if r < 0.0 {
        return Err(fail::error("ERR radius cannot be negative"));
    }
    Ok((r, unit(args[1])?))
}

/// `width height unit` (`extractBoxOrReply`).
fn bybox(args: &[&[u8]]) -> Result<(Extent, f64), Fail> {
    let width = float(args[0], "ERR need numeric width")?;
    let height = float(args[1], "ERR need numeric height")?;
    if width < 0.0 || height < 0.0 {
        return Err(fail::error("ERR height or width cannot be negative"));
    }
    Ok((Extent::Box { width, height }, unit(args[2])?))
}

fn undecodable() -> Fail {
    fail::error("ERR could not decode requested zset member")
}

/// The options, checked in Redis's order. The shape is `None` when the
/// source key is missing (Redis then skips what needs it).
fn parse(req: &Request, set: Option<&ScoreMap>, form: Form) -> Result<Search, Fail> {
    let args: Vec<&[u8]> = req.args().collect();
    let mut centre: Option<(f64, f64)> = None;
    let mut extent: Option<(Extent, f64)> = None;
    let base = match form {
        Form::Radius { .. } => {
            centre = Some(lon_lat(args[2], args[3])?);
            let (r, per_unit) = radius(&args[4..6])?;
            extent = Some((Extent::Radius(r), per_unit));
            6
        }
        Form::Member { .. } => {
            if let Some(set) = set {
                centre = Some(member_position(set, args[2]).ok_or_else(undecodable)?);
                let (r, per_unit) = radius(&args[3..5])?;
                extent = Some((Extent::Radius(r), per_unit));
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => 3,
    };
    let searching = matches!(form, Form::Search | Form::SearchStore);
    let storing = matches!(form, Form::Radius { store: true } | Form::Member { store: true });
    let mut s = Search {
        shape: None,
        store: (form == Form::SearchStore).then(|| req.arg_bytes(1).unwrap_or_default()),
        store_dist: false,
        with_dist: false,
        with_hash: false,
        with_coord: false,
        count: 0,
        any: false,
        sort: Sort::None,
    };
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let mut i = base;
    while i < args.len() {
        let left = args.len() - i - 1;
        let arg = args[i].to_ascii_lowercase();
        match arg.as_slice() {
            b"withdist" => s.with_dist = true,
            b"withhash" => s.with_hash = true,
            b"withcoord" => s.with_coord = true,
            b"any" => s.any = true,
            b"asc" => s.sort = Sort::Asc,
            b"desc" => s.sort = Sort::Desc,
            b"count" if left >= 1 => {
                let n = parse_i64(args[i + 1]).ok_or_else(fail::not_integer)?;
                if n <= 0 {
                    return Err(fail::error("ERR COUNT must be > 0"));
                }
                s.count = usize::try_from(n).unwrap_or(usize::MAX);
                i += 1;
            }
            b"store" | b"storedist" if left >= 1 && storing => {
                s.store = req.arg_bytes(i + 1);
                s.store_dist = arg == b"storedist";
                i += 1;
            }
            b"storedist" if form == Form::SearchStore => s.store_dist = true,
            b"frommember" if left >= 1 && searching && !from_lonlat => {
                if let Some(set) = set {
                    centre = Some(member_position(set, args[i + 1]).ok_or_else(undecodable)?);
                }
                from_member = true;
                i += 1;
            }
            b"fromlonlat" if left >= 2 && searching && !from_member => {
                centre = Some(lon_lat(args[i + 1], args[i + 2])?);
                from_lonlat = true;
                i += 2;
            }
            b"byradius" if left >= 2 && searching && !by_box => {
                let (r, per_unit) = radius(&args[i + 1..i + 3])?;
                extent = Some((Extent::Radius(r), per_unit));
                by_radius = true;
                i += 2;
            }
            b"bybox" if left >= 3 && searching && !by_radius => {
                extent = Some(bybox(&args[i + 1..i + 4])?);
                by_box = true;
                i += 3;
            }
            _ => return Err(fail::syntax()),
        }
        i += 1;
    }
    if s.store.is_some() && (s.with_dist || s.with_hash || s.with_coord) {
        let who =
            if form == Form::SearchStore { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(fail::error(format!(
            "ERR {who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(args[0]);
    if searching && !(from_member || from_lonlat) {
        return Err(fail::error(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if searching && !(by_radius || by_box) {
        return Err(fail::error(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if s.any && s.count == 0 {
        return Err(fail::error("ERR the ANY argument requires COUNT argument"));
    }
    if let (Some((lon, lat)), Some((extent, unit))) = (centre, extent) {
        s.shape = Some(Shape { lon, lat, extent, unit });
    }
    Ok(s)
}
