//! The school's records as `crate::records` reads and writes them: one generic statement per
//! operation, over the table and select list a resource names. The table and column names
//! come from the resources' constants, never from a request.

use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

pub mod seed;

use super::{Db, Tx, Value};
use crate::{bind_values, db_run, tx_run};

/// A row both engines can read.
pub trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

impl<T> Row for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// The record `id` of `table`, read with the select list `columns`.
pub async fn by_id<T: Row>(
    db: &Db,
    columns: &str,
    table: &str,
    id: i64,
) -> Result<Option<T>, sqlx::Error> {
    let sql = format!("SELECT {columns} FROM {table} WHERE id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// The record `id` of `table` if it also meets `condition` (whose `$2` is `scope_id`).
pub async fn by_id_where<T: Row>(
    db: &Db,
    columns: &str,
    table: &str,
    id: i64,
    condition: &str,
    scope_id: i64,
) -> Result<Option<T>, sqlx::Error> {
    let sql = format!("SELECT {columns} FROM {table} WHERE id = $1 AND {condition}");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .bind(scope_id)
        .fetch_optional(pool)
        .await)
}

/// The record `id` of `table`, read in a transaction.
pub async fn by_id_in<T: Row>(
    tx: &mut Tx,
    columns: &str,
    table: &str,
    id: i64,
) -> Result<T, sqlx::Error> {
    let sql = format!("SELECT {columns} FROM {table} WHERE id = $1");
    tx_run!(tx, |conn| sqlx::query_as::<_, T>(&sql)
        .bind(id)
        .fetch_one(&mut *conn)
        .await)
}

/// The `WHERE` of a list: the conditions joined, or nothing.
pub fn where_clause(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    }
}

/// A condition that any of `columns` contains the text bound at `$n`, case aside.
pub fn search_clause(columns: &[&str], n: usize) -> String {
    let any: Vec<String> = columns
        .iter()
        .map(|c| format!("LOWER({c}) LIKE ${n}"))
        .collect();
    format!("({})", any.join(" OR "))
}

/// How many records of `table` meet the conditions (`$1`… bound to `values`), and the page
/// of them from `offset`, in the order `order_by`.
#[allow(clippy::too_many_arguments)]
pub async fn page<T: Row>(
    db: &Db,
    columns: &str,
    table: &str,
    clauses: &[String],
    values: &[Value],
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<T>), sqlx::Error> {
    let filter = where_clause(clauses);
    let count_sql = format!("SELECT COUNT(*) FROM {table}{filter}");
    let n = values.len();
    let page_sql = format!(
        "SELECT {columns} FROM {table}{filter} ORDER BY {order_by} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    db_run!(db, |pool| {
        let total = bind_values!(sqlx::query_scalar(&count_sql), values)
            .fetch_one(pool)
            .await?;
        let items = bind_values!(sqlx::query_as(&page_sql), values)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        Ok::<_, sqlx::Error>((total, items))
    })
}

/// Whether `table` has the record `id`.
pub async fn exists(db: &Db, table: &str, id: i64) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT id FROM {table} WHERE id = $1");
    let found: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    Ok(found.is_some())
}

/// The id and `label` of the first `limit` records of `table`, by label: a form's choices.
pub async fn choices(
    db: &Db,
    table: &str,
    label: &str,
    limit: usize,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let sql = format!("SELECT id, {label} AS label FROM {table} ORDER BY 2, 1 LIMIT {limit}");
    db_run!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)
}

fn insert_sql(table: &str, columns: &[(&'static str, Value)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) RETURNING id",
        names.join(", "),
        marks.join(", ")
    )
}

/// Inserts a record and answers its id.
pub async fn insert(
    db: &Db,
    table: &str,
    columns: &[(&'static str, Value)],
) -> Result<i64, sqlx::Error> {
    let sql = insert_sql(table, columns);
    let values = columns.iter().map(|(_, v)| v);
    db_run!(db, |pool| bind_values!(
        sqlx::query_scalar(&sql),
        values.clone()
    )
    .fetch_one(pool)
    .await)
}

/// Inserts a record in a transaction and answers its id.
pub async fn insert_in(
    tx: &mut Tx,
    table: &str,
    columns: &[(&'static str, Value)],
) -> Result<i64, sqlx::Error> {
    let sql = insert_sql(table, columns);
    let values = columns.iter().map(|(_, v)| v);
    tx_run!(tx, |conn| bind_values!(sqlx::query_scalar(&sql), values)
        .fetch_one(&mut *conn)
        .await)
}

fn update_sql(table: &str, columns: &[(&'static str, Value)]) -> String {
    let sets: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE {table} SET {} WHERE id = ${}",
        sets.join(", "),
        columns.len() + 1
    )
}

/// Writes `columns` over the record `id`; answers how many rows changed.
pub async fn update(
    db: &Db,
    table: &str,
    id: i64,
    columns: &[(&'static str, Value)],
) -> Result<u64, sqlx::Error> {
    let sql = update_sql(table, columns);
    let values = columns.iter().map(|(_, v)| v);
    db_run!(db, |pool| bind_values!(sqlx::query(&sql), values.clone())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}

/// Writes `columns` over the record `id` in a transaction.
pub async fn update_in(
    tx: &mut Tx,
    table: &str,
    id: i64,
    columns: &[(&'static str, Value)],
) -> Result<u64, sqlx::Error> {
    let sql = update_sql(table, columns);
    let values = columns.iter().map(|(_, v)| v);
    tx_run!(tx, |conn| bind_values!(sqlx::query(&sql), values)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))
}

/// Another record of `table` than `id` whose `key` columns hold `values`: the holder of a
/// unique key a write broke.
pub async fn key_holder(
    db: &Db,
    table: &str,
    key: &[&str],
    values: Vec<Value>,
    id: Option<i64>,
) -> Result<Option<i64>, sqlx::Error> {
    let conditions: Vec<String> = key
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let sql = format!(
        "SELECT id FROM {table} WHERE {} AND id <> ${}",
        conditions.join(" AND "),
        values.len() + 1
    );
    let values: Vec<Value> = values
        .into_iter()
        .chain([Value::from(id.unwrap_or(-1))])
        .collect();
    db_run!(db, |pool| bind_values!(sqlx::query_scalar(&sql), &values)
        .fetch_optional(pool)
        .await)
}

// Contracts as the records' rules read them. They belong with `db/contracts.rs`, kept here
// while that module changes hands.

/// Another contract of `student` than `except` that starts by `until` and lasts to `from`.
pub async fn contract_overlapping(
    db: &Db,
    student: i64,
    except: Option<i64>,
    until: chrono::NaiveDate,
    from: chrono::NaiveDate,
) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM contracts WHERE student_id = $1 AND id <> $2 \
         AND start_date <= $3 AND COALESCE(termination_date, end_date) >= $4"
    )
    .bind(student)
    .bind(except.unwrap_or(-1))
    .bind(until)
    .bind(from)
    .fetch_optional(pool)
    .await)
}

/// The contracts of a year, by id.
pub async fn contract_ids_of_year(db: &Db, year: i64) -> Result<Vec<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM contracts WHERE academic_year_id = $1 ORDER BY id"
    )
    .bind(year)
    .fetch_all(pool)
    .await)
}

/// The earliest start, latest end and latest defence of a year's running contracts.
pub async fn contract_span_of_year(
    db: &Db,
    year: i64,
) -> Result<
    (
        Option<chrono::NaiveDate>,
        Option<chrono::NaiveDate>,
        Option<chrono::NaiveDate>,
    ),
    sqlx::Error,
> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT MIN(start_date), MAX(end_date), MAX(defence_date) FROM contracts \
             WHERE academic_year_id = $1 AND termination_date IS NULL",
        )
        .bind(year)
        .fetch_one(pool)
        .await
    })
}

/// The school profile's most minutes of one school day, if the profile exists. It belongs
/// with the school's queries (`db/school.rs`).
pub async fn school_day_max_minutes(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT school_day_max_minutes FROM school WHERE id = 1"
    )
    .fetch_optional(pool)
    .await)
}

// The import's reads and writes, in its one transaction.

/// Every record of `table`, read with the select list `columns`.
pub async fn all_in<T: Row>(
    tx: &mut Tx,
    columns: &str,
    table: &str,
) -> Result<Vec<T>, sqlx::Error> {
    let sql = format!("SELECT {columns} FROM {table}");
    tx_run!(tx, |conn| sqlx::query_as::<_, T>(&sql)
        .fetch_all(&mut *conn)
        .await)
}

/// `INSERT INTO table (names) VALUES (…), (…)` for `rows` rows of `names`.
fn insert_rows_sql(table: &str, names: &[&str], rows: usize) -> String {
    let tuples: Vec<String> = (0..rows)
        .map(|row| {
            let marks: Vec<String> = (1..=names.len())
                .map(|col| format!("${}", row * names.len() + col))
                .collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        names.join(", "),
        tuples.join(", ")
    )
}

/// Inserts `values.len() / names.len()` rows in one statement.
pub async fn insert_rows_in(
    tx: &mut Tx,
    table: &str,
    names: &[&str],
    values: &[&Value],
) -> Result<u64, sqlx::Error> {
    let sql = insert_rows_sql(table, names, values.len() / names.len().max(1));
    tx_run!(&mut *tx, |conn| bind_values!(
        sqlx::query(&sql),
        values.iter().copied()
    )
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}

/// Inserts rows as [`insert_rows_in`] and answers each new id with its `key` column, in no
/// promised order.
pub async fn insert_rows_returning_in(
    tx: &mut Tx,
    table: &str,
    names: &[&str],
    values: &[&Value],
    key: &str,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut sql = insert_rows_sql(table, names, values.len() / names.len().max(1));
    sql.push_str(&format!(" RETURNING id, {key}"));
    tx_run!(&mut *tx, |conn| bind_values!(
        sqlx::query_as(&sql),
        values.iter().copied()
    )
    .fetch_all(&mut *conn)
    .await)
}

/// Writes the import log's line.
pub async fn log_import(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    source: &str,
    user_id: Option<i64>,
    summary: &str,
) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "INSERT INTO imports (imported_at, source, user_id, summary) VALUES ($1, $2, $3, $4)"
    )
    .bind(now)
    .bind(source)
    .bind(user_id)
    .bind(summary)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}
