//! Every place where SQLite and PostgreSQL differ, in one file: callers ask for the piece of
//! SQL or the setting by what it does, never by engine.

use super::{Db, Tx};

/// The engine behind a pool or a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Db {
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(..) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// How a column goes into a JSON object: booleans are integers in SQLite and must be turned
/// back into JSON booleans there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonField {
    Plain,
    /// A boolean (may be NULL).
    Bool,
}

impl Dialect {
    /// `FOR UPDATE SKIP LOCKED` on PostgreSQL, so that instances sharing the database take
    /// different rows; nothing on SQLite, whose write transaction already excludes the others.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// One text value holding the rows of `from` as a JSON array of objects (`[]` when there
    /// are none): one row to read instead of many, where the SQLite driver hands rows between
    /// threads one at a time. `from` is a `FROM …` clause whose rows carry the fields, named
    /// `alias.field`.
    pub fn json_array(self, alias: &str, fields: &[(&str, JsonField)], from: &str) -> String {
        let pairs = |bool_expr: &dyn Fn(&str) -> String| {
            fields
                .iter()
                .map(|(name, kind)| {
                    let column = format!("{alias}.{name}");
                    let value = match kind {
                        JsonField::Plain => column,
                        JsonField::Bool => bool_expr(&column),
                    };
                    format!("'{name}', {value}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Dialect::Sqlite => format!(
                "SELECT json_group_array(json_object({})) {from}",
                pairs(&|c| format!(
                    "CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN json('true') ELSE json('false') END"
                ))
            ),
            Dialect::Postgres => format!(
                "SELECT COALESCE(json_agg(json_build_object({})), '[]')::text {from}",
                pairs(&|c| c.to_owned())
            ),
        }
    }

    /// Whole minutes from `start` to `end`, two `TIME` columns (civil times, as
    /// `SessionTimes::minutes` counts them).
    pub fn minutes_between(self, start: &str, end: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "((CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER)) / 60)"
            ),
            Dialect::Postgres => {
                format!("(CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS BIGINT) / 60)")
            }
        }
    }

    /// The Monday of the ISO week of `day` (a `DATE` column), as `YYYY-MM-DD` text.
    pub fn monday_of(self, day: &str) -> String {
        match self {
            // Forward to Sunday (the same day if it is one), back to its Monday.
            Dialect::Sqlite => format!("date({day}, 'weekday 0', '-6 days')"),
            Dialect::Postgres => format!(
                "to_char({day} - (CAST(EXTRACT(ISODOW FROM {day}) AS INTEGER) - 1), 'YYYY-MM-DD')"
            ),
        }
    }

    /// A statement that makes concurrent writers of one row wait for each other within
    /// their transactions (`$1` is the id), when the engine needs one: SQLite's write
    /// transaction already holds the database's only write lock.
    pub fn row_lock(self, table: &str) -> Option<String> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(format!("UPDATE {table} SET id = id WHERE id = $1")),
        }
    }

    /// Write statements sent as one round trip, the last one's result answered: SQLite runs
    /// `;`-separated statements in one call; PostgreSQL's extended protocol takes one
    /// statement, so the others become data-modifying CTEs (each must accept `RETURNING 1`).
    pub fn in_one_statement(self, statements: &[String]) -> String {
        let Some((last, first)) = statements.split_last() else {
            return String::new();
        };
        match self {
            Dialect::Sqlite => statements.join("; "),
            Dialect::Postgres if first.is_empty() => last.clone(),
            Dialect::Postgres => {
                let ctes: Vec<String> = first
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("w{i} AS ({s} RETURNING 1)"))
                    .collect();
                format!("WITH {} {last}", ctes.join(", "))
            }
        }
    }

    /// Bound parameters per INSERT. PostgreSQL takes up to 65,535 and each statement is a
    /// round trip; SQLite looks each `$N` up in a list while parsing, so long statements cost
    /// the square of their length there, and short ones cost no round trip.
    pub fn batch_parameters(self) -> usize {
        match self {
            Dialect::Sqlite => 1_000,
            Dialect::Postgres => 30_000,
        }
    }
}

impl Tx {
    /// Abandons the transaction (its writer lock is released with it on SQLite).
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _writer) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}
