//! `[[mapping]]` sections: keys written into the user's own PostgreSQL
//! tables, checked and turned into what `jotter_postgres` takes.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::ConfigError;

/// key (see `jotter_postgres::Mapping`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct MappingSetting {
    /// A literal prefix then `*`, as `user:*`.
    pub keys: String,
    /// The user's table (`name` or `schema.name`).
    pub table: String,
    /// The column that receives the key's suffix after the prefix.
    pub key_column: String,
    /// What the keys hold: hash (fields → columns), string (value →
    /// value-column), stream (each entry a row, fields → columns) or geo
    /// (each member a row with its position). Default: hash.
    #[serde(default)]
    pub kind: MappingKind,
    /// For `kind = "string"`: the value's column.
    pub value_column: Option<String>,
    /// For `kind = "stream"`: the entry id's column (text, under a unique
    /// constraint).
    pub id_column: Option<String>,
    /// For `kind = "stream"`: the column of the id's time, if any.
    pub time_column: Option<String>,
    /// For `kind = "geo"`: the member's column.
    pub member_column: Option<String>,
    /// For `kind = "geo"`: the longitude's column.
    pub longitude_column: Option<String>,
    /// For `kind = "geo"`: the latitude's column.
    pub latitude_column: Option<String>,
    /// Column name → type (text, integer, bigint, double, boolean,
    /// timestamp, jsonb, bytea).
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnTypeSetting>,
}

/// `kind` of a `[[mapping]]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum MappingKind {
    #[default]
    Hash,
    String,
    Stream,
    Geo,
}

/// A column type of a `[[mapping]]`, as jotter-postgres names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ColumnTypeSetting(pub jotter_postgres::ColumnType);

impl<'de> Deserialize<'de> for ColumnTypeSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(ColumnTypeSetting).map_err(serde::de::Error::custom)
    }
}

impl MappingSetting {
    /// The mapping jotter-postgres takes, or what is wrong with it.
    pub(crate) fn to_mapping(&self) -> Result<jotter_postgres::Mapping, ConfigError> {
        use jotter_postgres::{ColumnType, Mapping, Shape};
        let invalid = |message: String| self.invalid(message);
        if self.kind != MappingKind::Stream
            && (self.id_column.is_some() || self.time_column.is_some())
        {
            return Err(invalid("id-column and time-column are for kind = \"stream\"".into()));
        }
        if self.kind != MappingKind::Geo
            && [&self.member_column, &self.longitude_column, &self.latitude_column]
                .iter()
                .any(|c| c.is_some())
        {
            return Err(invalid(
                "member-column, longitude-column and latitude-column are for kind = \"geo\"".into(),
            ));
        }
        let shape = match (self.kind, &self.value_column) {
            (MappingKind::Geo, _) => self.geo_shape()?,
            (MappingKind::Hash, None) => {
                Shape::Hash(self.columns.iter().map(|(n, t)| (n.clone(), t.0)).collect())
            }
            (MappingKind::Hash, Some(_)) => {
                return Err(invalid(
                    "value-column is for kind = \"string\"; a hash maps its fields by \
                     [mapping.columns]"
                        .into(),
                ));
            }
            (MappingKind::String, None) => {
                return Err(invalid("kind = \"string\" needs value-column".into()));
            }
            (MappingKind::String, Some(column)) => {
                if let Some(other) = self.columns.keys().find(|n| *n != column) {
                    return Err(invalid(format!(
                        "a string mapping writes only its value-column; remove column {other:?}"
                    )));
                }
                let ty = self.columns.get(column).map_or(ColumnType::Text, |t| t.0);
                Shape::String { column: column.clone(), ty }
            }
            (MappingKind::Stream, Some(_)) => {
                return Err(invalid(
                    "value-column is for kind = \"string\"; a stream maps its entries' fields \
                     by [mapping.columns]"
                        .into(),
                ));
            }
            (MappingKind::Stream, None) => Shape::Stream {
                columns: self.columns.iter().map(|(n, t)| (n.clone(), t.0)).collect(),
                id_column: self
                    .id_column
                    .clone()
                    .ok_or_else(|| invalid("kind = \"stream\" needs id-column".into()))?,
                time_column: self.time_column.clone(),
            },
        };
        Mapping::new(&self.keys, &self.table, &self.key_column, shape)
            .map_err(|e| ConfigError::invalid("mapping", e.to_string()))
    }

    /// The error that this mapping cannot be used, saying why.
    fn invalid(&self, message: String) -> ConfigError {
        ConfigError::invalid("mapping", format!("[[mapping]] keys = {:?}: {message}", self.keys))
    }

    /// The shape of a `kind = "geo"` mapping: its three columns are
    /// required, and it takes neither value-column nor [mapping.columns].
    fn geo_shape(&self) -> Result<jotter_postgres::Shape, ConfigError> {
        if self.value_column.is_some() || !self.columns.is_empty() {
            return Err(self.invalid(
                "a geo mapping writes member-column, longitude-column and latitude-column only; \
                 remove value-column and [mapping.columns]"
                    .into(),
            ));
        }
        let (Some(member), Some(lon), Some(lat)) =
            (&self.member_column, &self.longitude_column, &self.latitude_column)
        else {
            return Err(self.invalid(
                "kind = \"geo\" needs member-column, longitude-column and latitude-column".into(),
            ));
        };
        Ok(jotter_postgres::Shape::Geo {
            member_column: member.clone(),
            longitude_column: lon.clone(),
            latitude_column: lat.clone(),
        })
    }
}
