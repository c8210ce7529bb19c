//! A column of a checked mapping: its name, its quoted SQL, the type its
//! values are converted into, and what it takes ([`Fits`]); with the two
//! pieces of SQL every statement on a user's table is built from (a quoted
//! identifier, a parameter converted to a column's type).

use super::fits::Fits;

/// An identifier quoted for SQL; `schema.name` quotes each part.
pub(super) fn quote(name: &str) -> String {
    name.split('.').map(|p| format!("\"{}\"", p.replace('"', "\"\""))).collect::<Vec<_>>().join(".")
}

/// The SQL that converts parameter `$n` (bytes) into a column of type `ty`
/// (`format_type` without modifier): text converted by PostgreSQL, or the
/// bytes as they are for `bytea`.
pub(super) fn convert(n: usize, ty: &str) -> String {
    cast_bytes(&format!("${n}"), ty)
}

/// The SQL that converts `expr` (bytes) into a column of type `ty`, as
/// [`convert`] does a parameter.
pub(super) fn cast_bytes(expr: &str, ty: &str) -> String {
    if ty == "bytea" {
        format!("{expr}::bytea")
    } else {
        format!("convert_from({expr}::bytea, 'UTF8')::{ty}")
    }
}

/// A column of a checked mapping.
#[derive(Clone, Debug)]
pub(super) struct Column {
    /// As the mapping names it (the hash field).
    pub(super) name: String,
    /// Quoted for SQL.
    pub(super) sql: String,
    /// The type to convert into (`format_type` without modifier).
    pub(super) cast: String,
    /// The column's type as the database shows it.
    pub(super) actual: String,
    /// What it takes, as far as that can be told without the database.
    pub(super) fits: Fits,
}

impl Column {
    /// The column's value as bytes, for a load.
    pub(super) fn read(&self) -> String {
        if self.cast == "bytea" {
            self.sql.clone()
        } else {
            format!("convert_to({}::text, 'UTF8')", self.sql)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("users"), "\"users\"");
        assert_eq!(quote("app.us\"ers"), "\"app\".\"us\"\"ers\"");
    }
}
