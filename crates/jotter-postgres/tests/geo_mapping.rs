//! Geo sets mapped into the user's table of places ([`Shape::Geo`])
//! against the real PostgreSQL: each member one row with its position as
//! GEOPOS gives it, a replayed batch changing nothing, late writes never
//! bringing back an older position or a removed member, a reset keeping
//! members written after it, the load giving back the exact scores, a
//! score that is no position refused, and the start-up check.

mod common;

use bytes::Bytes;
use jotter::geohash::{position, score_of};
use jotter::{Change, FieldChange, FieldValue, MapKind, Store, Value, Write};
use jotter_postgres::{MappedStore, Mapping, Shape};

const PLACES: &str = "CREATE TABLE places (
    city text NOT NULL, name text NOT NULL, lon double precision, lat double precision,
    UNIQUE (city, name)
)";

fn places_mapping() -> Mapping {
    let shape = Shape::Geo {
        member_column: "name".to_owned(),
        longitude_column: "lon".to_owned(),
        latitude_column: "lat".to_owned(),
    };
    Mapping::new("shops:*", "places", "city", shape).expect("mapping")
}

async fn mapped(test: &str) -> Option<(MappedStore, common::Schema, tokio_postgres::Client)> {
    let (store, schema) = common::store(test).await?;
    let c = common::client_after(&schema, PLACES).await;
    let store = MappedStore::new(store, vec![places_mapping()]).await.expect("mapped store");
    Some((store, schema, c))
}

/// The score GEOADD gives a position.
fn at(lon: f64, lat: f64) -> f64 {
    score_of(lon, lat).expect("a position") as f64
}

fn member(name: &str, version: u64, score: Option<f64>) -> FieldChange {
    FieldChange {
        field: Bytes::copy_from_slice(name.as_bytes()),
        version,
        value: score.map(FieldValue::Score),
    }
}

fn patch(version: u64, reset: Option<u64>, fields: Vec<FieldChange>) -> Write {
    Write::new(
        Bytes::from_static(b"shops:rome"),
        version,
        Change::Patch { kind: MapKind::Scores, reset, fields },
    )
}

/// The rows of `rome` as `name lon lat`, by name.
async fn rows(c: &tokio_postgres::Client) -> Vec<String> {
    c.query("SELECT name, lon, lat FROM places WHERE city = 'rome' ORDER BY name", &[])
        .await
        .expect("select")
        .iter()
        .map(|r| format!("{} {} {}", r.get::<_, String>(0), r.get::<_, f64>(1), r.get::<_, f64>(2)))
        .collect()
}

fn row(name: &str, score: f64) -> String {
    let (lon, lat) = position(score);
    format!("{name} {lon} {lat}")
}

#[tokio::test]
async fn members_are_rows_and_replays_and_late_writes_change_nothing() {
    let Some((store, _schema, c)) = mapped("geo_versions").await else { return };
    let (gelato, pizza, espresso) =
        (at(12.4964, 41.9028), at(12.4823, 41.8986), at(12.4731, 41.8992));
    let first = patch(
        10,
        Some(10),
        vec![member("gelato", 10, Some(gelato)), member("pizza", 10, Some(pizza))],
    );
    store.write(std::slice::from_ref(&first)).await.expect("first");
    assert_eq!(rows(&c).await, [row("gelato", gelato), row("pizza", pizza)]);
    // The row holds GEOPOS's position: within half a cell (0.6 m) of the
    // one given.
    let lon: f64 =
        c.query_one("SELECT lon FROM places WHERE name = 'gelato'", &[]).await.unwrap().get(0);
    assert!((lon - 12.4964).abs() < 360.0 / f64::from(1 << 26), "{lon}");

    // A member moved, one removed, one added.
    let second = patch(
        12,
        None,
        vec![
            member("gelato", 12, Some(espresso)),
            member("pizza", 12, None),
            member("espresso", 12, Some(espresso)),
        ],
    );
    store.write(std::slice::from_ref(&second)).await.expect("second");
    let after = [row("espresso", espresso), row("gelato", espresso)];
    assert_eq!(rows(&c).await, after);

    // Replays of both, and a late write of each member, change nothing: the
    // removed member stays removed.
    store.write(&[first.clone(), second.clone()]).await.expect("replay");
    let late =
        patch(11, None, vec![member("pizza", 11, Some(pizza)), member("gelato", 11, Some(gelato))]);
    store.write(&[late]).await.expect("late");
    assert_eq!(rows(&c).await, after);
    let loaded = store.load(&Bytes::from_static(b"shops:rome")).await.expect("load");
    let Some(Value::Scores(map)) = loaded.map(|e| e.value) else { panic!("not a sorted set") };
    let members: Vec<(Bytes, f64)> = map.iter().map(|(m, s)| (m.clone(), s)).collect();
    assert_eq!(
        members,
        [(Bytes::from("espresso"), espresso), (Bytes::from("gelato"), espresso)],
        "the scores come back exactly"
    );

    // A reset (the key deleted and made again) at 20 leaves a member
    // written at 21, whatever the order they arrive in.
    store.write(&[patch(21, None, vec![member("late", 21, Some(pizza))])]).await.unwrap();
    store.write(&[patch(20, Some(20), vec![member("new", 20, Some(gelato))])]).await.unwrap();
    assert_eq!(rows(&c).await, [row("late", pizza), row("new", gelato)]);
    // A delete at 15 is older than the reset: nothing changes.
    let delete = |v| Write::new(Bytes::from_static(b"shops:rome"), v, Change::Delete);
    store.write(&[delete(15)]).await.unwrap();
    assert_eq!(rows(&c).await.len(), 2);
    store.write(&[delete(30)]).await.unwrap();
    assert!(rows(&c).await.is_empty());
    assert_eq!(store.load(&Bytes::from_static(b"shops:rome")).await.unwrap(), None);
    store.write(&[first]).await.expect("a replay after the delete");
    assert!(rows(&c).await.is_empty());
}

#[tokio::test]
async fn rows_written_by_sql_read_back_and_listing_names_each_key_once() {
    let Some((store, _schema, c)) = mapped("geo_sql_rows").await else { return };
    c.batch_execute(
        "INSERT INTO places VALUES ('milan', 'duomo', 9.1916, 45.4642),
             ('milan', 'navigli', 9.1727, 45.4507), ('milan', 'nowhere', NULL, 45.0),
             ('milan', 'pole', 0.0, 89.0), ('paris', 'nowhere', NULL, NULL)",
    )
    .await
    .unwrap();
    let loaded = store.load(&Bytes::from_static(b"shops:milan")).await.unwrap().unwrap();
    let Value::Scores(map) = loaded.value else { panic!("not a sorted set") };
    let members: Vec<(Bytes, f64)> = map.iter().map(|(m, s)| (m.clone(), s)).collect();
    let want = vec![
        (Bytes::from("duomo"), at(9.1916, 45.4642)),
        (Bytes::from("navigli"), at(9.1727, 45.4507)),
    ];
    assert_eq!(members, want, "rows without a position are left out");
    assert_eq!(store.load(&Bytes::from_static(b"shops:paris")).await.unwrap(), None);
    let page = jotter::Page { after: None, limit: 10, listing: jotter::Listing::Live, now: 0 };
    let keys = store.list(page).await.unwrap();
    assert_eq!(keys, [Bytes::from("shops:milan"), Bytes::from("shops:paris")]);
}

#[tokio::test]
async fn a_score_that_is_no_position_and_a_wrong_shape_are_refused() {
    let Some((store, _schema, _c)) = mapped("geo_refused").await else { return };
    let bad = patch(5, None, vec![member("x", 5, Some(1.5))]);
    let err = store.check(&bad).unwrap_err().to_string();
    assert!(err.contains("score 1.5, which is not a geohash") && err.contains("places"), "{err}");
    assert!(store.write(&[bad]).await.is_err(), "the flush refuses it too");
    let set = Write::new(
        Bytes::from_static(b"shops:rome"),
        6,
        Change::Patch { kind: MapKind::Set, reset: None, fields: vec![] },
    );
    let err = store.check(&set).unwrap_err().to_string();
    assert!(err.contains("takes geo set keys; a set cannot"), "{err}");
    let not_utf8 = patch(
        7,
        None,
        vec![FieldChange {
            field: Bytes::from_static(b"\xff"),
            version: 7,
            value: Some(FieldValue::Score(at(1.0, 1.0))),
        }],
    );
    let err = store.check(&not_utf8).unwrap_err().to_string();
    assert!(err.contains("member column places.name") && err.contains("UTF-8"), "{err}");
    store.check(&patch(8, None, vec![member("y", 8, Some(at(1.0, 1.0)))])).expect("a position");
}

#[tokio::test]
async fn the_start_checks_the_unique_constraint_and_the_position_types() {
    let Some((store, schema)) = common::store("geo_check").await else { return };
    let refused = |create: &'static str| {
        let store = store.clone();
        let schema = &schema;
        async move {
            let c = common::client_after(schema, create).await;
            let err = MappedStore::new(store, vec![places_mapping()]).await.unwrap_err();
            c.batch_execute("DROP TABLE places").await.unwrap();
            err.to_string()
        }
    };
    let err = refused(
        "CREATE TABLE places (city text, name text, lon double precision, lat double precision)",
    )
    .await;
    assert!(err.contains("needs a unique constraint over (city, name)"), "{err}");
    let err = refused(
        "CREATE TABLE places (city text, name text, lon double precision, \
         lat double precision, UNIQUE (name))",
    )
    .await;
    assert!(err.contains("needs a unique constraint over (city, name)"), "{err}");
    let err = refused(
        "CREATE TABLE places (city text, name text, lon real, lat real, UNIQUE (city, name))",
    )
    .await;
    assert!(err.contains("places.lon is real") && err.contains("double"), "{err}");
    let err = refused(
        "CREATE TABLE places (city text, name integer, lon float8, lat float8, \
         UNIQUE (city, name))",
    )
    .await;
    assert!(err.contains("places.name is integer"), "{err}");
    let c = common::client_after(
        &schema,
        "CREATE TABLE places (city text, name varchar(40), lon numeric, lat float8, \
         PRIMARY KEY (name, city))",
    )
    .await;
    MappedStore::new(store, vec![places_mapping()]).await.expect("a table that fits");
    drop(c);
}
