//! What a mapping is, as configured: keys matching a prefix pattern, the
//! user's table they go to, and the shape of their values ([`Shape`], with
//! each column's declared [`ColumnType`]). [`Mapping::new`] refuses a
//! mapping that could not be used whatever the database holds; what only
//! the database can tell is checked at start (see the `checked` module).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jotter::StoreError;

/// A column type a mapping may declare; the start-up check accepts a
/// database column whose type can hold it (see [`ColumnType::accepts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnType {
    /// `text`, `varchar`, `char`.
    Text,
    /// `integer` (or a wider integer or `numeric` column).
    Integer,
    /// `bigint` (or `numeric`).
    Bigint,
    /// `double precision` (or `real`, `numeric`).
    Double,
    /// `boolean`.
    Boolean,
    /// `timestamp`, with or without time zone, or `date`.
    Timestamp,
    /// `jsonb` or `json`.
    Jsonb,
    /// `bytea`: the value's bytes as they are.
    Bytea,
}

impl ColumnType {
    /// Every type, in the order the documentation lists them.
    pub const ALL: [ColumnType; 8] = [
        ColumnType::Text,
        ColumnType::Integer,
        ColumnType::Bigint,
        ColumnType::Double,
        ColumnType::Boolean,
        ColumnType::Timestamp,
        ColumnType::Jsonb,
        ColumnType::Bytea,
    ];

    /// The name a configuration uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Integer => "integer",
            ColumnType::Bigint => "bigint",
            ColumnType::Double => "double",
            ColumnType::Boolean => "boolean",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Jsonb => "jsonb",
            ColumnType::Bytea => "bytea",
        }
    }

    /// Whether a database column of type `actual` (as PostgreSQL's
    /// `format_type` names it, e.g. `character varying(20)`) can hold
    /// values of this type.
    #[must_use]
    pub fn accepts(self, actual: &str) -> bool {
        let base = actual.split('(').next().unwrap_or(actual).trim();
        match self {
            ColumnType::Text => matches!(base, "text" | "character varying" | "character"),
            ColumnType::Integer => matches!(base, "smallint" | "integer" | "bigint" | "numeric"),
            ColumnType::Bigint => matches!(base, "bigint" | "numeric"),
            ColumnType::Double => matches!(base, "double precision" | "real" | "numeric"),
            ColumnType::Boolean => base == "boolean",
            ColumnType::Timestamp => base.starts_with("timestamp") || base == "date",
            ColumnType::Jsonb => matches!(base, "jsonb" | "json"),
            ColumnType::Bytea => base == "bytea",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ColumnType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        ColumnType::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| {
            let names: Vec<_> = ColumnType::ALL.iter().map(|t| t.name()).collect();
            format!("unknown column type {s:?}; expected one of {}", names.join(", "))
        })
    }
}

/// What a mapped key holds and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Hash keys: each field into the column of the same name; a field
    /// without a column is refused.
    Hash(BTreeMap<String, ColumnType>),
    /// String keys: the value into one column.
    String {
        /// The value's column.
        column: String,
        /// Its declared type.
        ty: ColumnType,
    },
    /// Stream keys: each entry one row, appended. Each entry field goes
    /// into the column of the same name (a field without a column is
    /// refused), the entry id into `id_column` as text (`1700000000000-0`),
    /// which a unique constraint must cover so that a replayed entry is
    /// skipped; and, if given, the id's milliseconds into `time_column`
    /// (a timestamp, or a number of milliseconds).
    Stream {
        /// Entry field → column, with its declared type.
        columns: BTreeMap<String, ColumnType>,
        /// The entry id's column.
        id_column: String,
        /// The column of the id's time, if any.
        time_column: Option<String>,
    },
    /// Geo sets (sorted sets whose scores are geohashes, as GEOADD writes
    /// them): each member one row, the member into `member_column` (text
    /// or bytea) and its position, decoded from its score as GEOPOS gives
    /// it, into `longitude_column` and `latitude_column` (`double
    /// precision` or `numeric`). A unique constraint over the key and
    /// member columns must exist: a member written again updates its row.
    /// A score that is not a geohash is refused (see the `geo` module).
    Geo {
        /// The member's column.
        member_column: String,
        /// The longitude's column.
        longitude_column: String,
        /// The latitude's column.
        latitude_column: String,
    },
}

/// Keys matching a prefix pattern, written into a table of the user's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub(super) pattern: String,
    pub(super) table: String,
    pub(super) key_column: String,
    pub(super) shape: Shape,
}

impl Mapping {
    /// Keys matching `pattern` (a literal prefix then `*`, as `user:*`)
    /// into `table`, the key's suffix into `key_column`.
    ///
    /// # Errors
    ///
    /// A pattern that is not a prefix and `*`, an empty name, or a shape
    /// without columns.
    pub fn new(
        pattern: impl Into<String>,
        table: impl Into<String>,
        key_column: impl Into<String>,
        shape: Shape,
    ) -> Result<Mapping, MappingError> {
        let m = Mapping {
            pattern: pattern.into(),
            table: table.into(),
            key_column: key_column.into(),
            shape,
        };
        let invalid =
            |message: String| MappingError::Invalid { pattern: m.pattern.clone(), message };
        match m.pattern.strip_suffix('*') {
            Some(prefix) if !prefix.contains(['*', '?', '[']) => {}
            _ => {
                return Err(invalid(
                    "keys must be a literal prefix followed by *, as in \"user:*\"".into(),
                ));
            }
        }
        if m.table.is_empty() || m.table.split('.').count() > 2 {
            return Err(invalid("table must be a name, or schema.name".into()));
        }
        if m.key_column.is_empty() {
            return Err(invalid("key-column must not be empty".into()));
        }
        match &m.shape {
            Shape::Hash(columns) if columns.is_empty() => {
                return Err(invalid("a hash mapping needs at least one column".into()));
            }
            Shape::Hash(columns) if columns.contains_key(&m.key_column) => {
                return Err(invalid(format!(
                    "column {:?} is the key column; a hash field cannot write it",
                    m.key_column
                )));
            }
            Shape::String { column, .. } if column.is_empty() || *column == m.key_column => {
                return Err(invalid(
                    "a string mapping needs a value column other than the key column".into(),
                ));
            }
            Shape::Stream { columns, id_column, time_column } => {
                let mut own = vec![m.key_column.as_str(), id_column.as_str()];
                own.extend(time_column.as_deref());
                if own.iter().any(|c| c.is_empty()) {
                    return Err(invalid("id-column and time-column must not be empty".into()));
                }
                for (i, c) in own.iter().enumerate() {
                    if own[..i].contains(c) || columns.contains_key(*c) {
                        return Err(invalid(format!(
                            "column {c:?} is named twice: the key, the id, the time and the \
                             entry fields each need their own column"
                        )));
                    }
                }
                if columns.is_empty() {
                    return Err(invalid("a stream mapping needs at least one column".into()));
                }
            }
            Shape::Geo { member_column, longitude_column, latitude_column } => {
                let own = [
                    m.key_column.as_str(),
                    member_column.as_str(),
                    longitude_column.as_str(),
                    latitude_column.as_str(),
                ];
                if own.iter().any(|c| c.is_empty()) {
                    return Err(invalid(
                        "member-column, longitude-column and latitude-column must not be empty"
                            .into(),
                    ));
                }
                for (i, c) in own.iter().enumerate() {
                    if own[..i].contains(c) {
                        return Err(invalid(format!(
                            "column {c:?} is named twice: the key, the member, the longitude \
                             and the latitude each need their own column"
                        )));
                    }
                }
            }
            _ => {}
        }
        Ok(m)
    }

    /// The key pattern, as given.
    #[must_use]
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The literal prefix of the pattern.
    #[must_use]
    pub fn prefix(&self) -> &str {
        self.pattern.strip_suffix('*').unwrap_or(&self.pattern)
    }

    /// The table.
    #[must_use]
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whether it maps streams (whose keys the wrapped store keeps too).
    #[must_use]
    pub fn is_stream(&self) -> bool {
        matches!(self.shape, Shape::Stream { .. })
    }

    /// Whether it maps geo sets (one row per member).
    #[must_use]
    pub fn is_geo(&self) -> bool {
        matches!(self.shape, Shape::Geo { .. })
    }
}

/// A mapping that does not fit the database, or cannot be used at all.
/// Each message says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// The mapping itself is unusable.
    #[error("mapping {pattern:?}: {message}")]
    Invalid {
        /// The mapping's key pattern.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// Two mappings would both take some keys.
    #[error(
        "mappings {first:?} and {second:?} overlap: a key could match both; make their prefixes \
         distinct"
    )]
    Overlap {
        /// One pattern.
        first: String,
        /// The other.
        second: String,
    },
    /// The table does not exist (in the store's search path).
    #[error(
        "mapping {pattern:?}: table {table} does not exist in the database; create it, or fix \
         the mapping's table"
    )]
    TableMissing {
        /// The mapping's key pattern.
        pattern: String,
        /// The table.
        table: String,
    },
    /// A column the mapping names is not in the table.
    #[error(
        "mapping {pattern:?}: table {table} has no column {column}; add it to the table, or fix \
         the mapping"
    )]
    ColumnMissing {
        /// The mapping's key pattern.
        pattern: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A column's type cannot hold what the mapping declares.
    #[error(
        "mapping {pattern:?}: column {table}.{column} is {actual} in the database but the \
         mapping declares {declared}; change the declared type or the column's type"
    )]
    TypeMismatch {
        /// The mapping's key pattern.
        pattern: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The type the mapping declares.
        declared: ColumnType,
        /// The column's type in the database.
        actual: String,
    },
}

impl From<MappingError> for StoreError {
    fn from(e: MappingError) -> Self {
        StoreError::permanent(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_parse_and_accept_their_columns() {
        for t in ColumnType::ALL {
            assert_eq!(t.name().parse::<ColumnType>(), Ok(t));
        }
        assert!("int".parse::<ColumnType>().unwrap_err().contains("integer"));
        assert!(ColumnType::Text.accepts("character varying(20)"));
        assert!(ColumnType::Integer.accepts("bigint"));
        assert!(ColumnType::Timestamp.accepts("timestamp(3) with time zone"));
        assert!(!ColumnType::Integer.accepts("text"));
        assert!(!ColumnType::Bigint.accepts("integer"));
    }

    #[test]
    fn patterns_are_a_prefix_and_a_star() {
        let cols = || Shape::Hash(BTreeMap::from([("name".to_owned(), ColumnType::Text)]));
        assert_eq!(Mapping::new("user:*", "users", "id", cols()).unwrap().prefix(), "user:");
        for bad in ["user:", "us*er:*", "user:?*"] {
            assert!(Mapping::new(bad, "users", "id", cols()).is_err(), "{bad}");
        }
        assert!(Mapping::new("user:*", "users", "name", cols()).is_err());
    }
}
