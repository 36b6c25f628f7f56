//! Administering the school's records: years, calendars, programmes, modules, groups,
//! companies, tutors, students, teachers, contracts and sessions.
//!
//! A resource names its table, its row and input types, how an input becomes columns
//! (validation that needs no database), which references must exist, and any rule that
//! needs the database. Reading, listing, validating and writing follow, written once here
//! and used by the JSON API (`http/crud.rs`), the console, the import, the demo and the CLI;
//! the SQL is in `db/records.rs`.

pub mod calendars;
pub mod contracts;
pub mod parties;
pub mod programmes;
pub mod sessions;
pub mod years;

use std::collections::HashMap;
use std::future::Future;

use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::{self, Db, Value};
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult, FieldError};

/// A list filter accepted in the query string.
#[derive(Debug, Clone, Copy)]
pub enum Filter {
    /// `?param=ID`: the column equals this id.
    Id(&'static str, &'static str),
    /// `?param=YYYY-MM-DD`: the date column is on or after.
    From(&'static str, &'static str),
    /// `?param=YYYY-MM-DD`: the date column is on or before.
    To(&'static str, &'static str),
}

impl Filter {
    fn param(self) -> &'static str {
        match self {
            Filter::Id(p, _) | Filter::From(p, _) | Filter::To(p, _) => p,
        }
    }
}

/// A record that must exist for the input to make sense.
pub struct Reference {
    pub field: &'static str,
    pub table: &'static str,
    pub id: Option<i64>,
}

impl Reference {
    pub fn new(field: &'static str, table: &'static str, id: impl Into<Option<i64>>) -> Self {
        Reference {
            field,
            table,
            id: id.into(),
        }
    }
}

pub type Columns = Vec<(&'static str, Value)>;

/// A record just created, with what its creator should know about it
/// ([`Resource::warnings`]).
#[derive(Debug, Serialize)]
pub struct Created<T: Serialize> {
    #[serde(flatten)]
    pub record: T,
    /// Said in French; empty most of the time.
    pub warnings: Vec<String>,
}

pub trait Resource: Send + Sync + 'static {
    /// Path segment under `/api/v1`, also the OpenAPI tag.
    const PATH: &'static str;
    const TABLE: &'static str;
    /// The select list that fills `Row`.
    const COLUMNS: &'static str;
    /// The default sort.
    const ORDER_BY: &'static str = "id";
    const FILTERS: &'static [Filter] = &[];
    /// What the resource is, in French, for the documentation.
    const DESCRIPTION: &'static str;

    type Row: db::records::Row + Serialize + ToSchema;
    type Input: DeserializeOwned + ToSchema + Send + Sync + 'static;

    /// Checks the input on its own and turns it into the columns to write.
    fn columns(input: &Self::Input) -> AppResult<Columns>;

    /// Records the input refers to.
    fn references(_input: &Self::Input) -> Vec<Reference> {
        Vec::new()
    }

    /// Who may list and read, for the documentation (writing is always admin-only).
    const READ_ROLES: &'static str = "admin";

    /// The rows a caller may list and read: `None` for all of them, or an SQL condition on
    /// the table whose `{}` is the placeholder of the given id. Only admins by default.
    fn scope(caller: &Caller) -> AppResult<Option<Scope>> {
        match caller.role {
            Role::Admin => Ok(None),
            _ => Err(AppError::Forbidden),
        }
    }

    /// The table's unique keys, with the field and message an admin sees when a record
    /// already has the key: the database's constraint decides, so that two concurrent
    /// duplicates end in one record and one clear refusal.
    const UNIQUE: &'static [UniqueKey] = &[];

    /// What an admin should know before creating this record, in French (a session in the
    /// past). The API creates it all the same and answers them in `warnings`; the console
    /// asks to confirm first.
    fn warnings(_input: &Self::Input, _now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
        Vec::new()
    }

    /// Rules that need the database. `id` is the record being updated, if any.
    fn check(
        _db: &Db,
        _input: &Self::Input,
        _id: Option<i64>,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }
}

/// A unique key of a table (see [`Resource::UNIQUE`]).
#[derive(Debug, Clone, Copy)]
pub struct UniqueKey {
    pub columns: &'static [&'static str],
    /// The input field named in the refusal.
    pub field: &'static str,
    /// « une entreprise a déjà ce SIRET »; the other record's number is added.
    pub message: &'static str,
}

/// A condition restricting the rows a caller sees, `{}` standing for its one parameter.
#[derive(Debug, Clone)]
pub struct Scope {
    pub condition: String,
    pub id: i64,
}

impl Scope {
    fn sql(&self, placeholder: usize) -> String {
        self.condition.replace("{}", &format!("${placeholder}"))
    }
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many records match, all pages together.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// The record `id`, or not found.
pub async fn fetch<R: Resource>(db: &Db, id: i64) -> AppResult<R::Row> {
    let row: Option<R::Row> = db::records::by_id(db, R::COLUMNS, R::TABLE, id).await?;
    row.ok_or(AppError::NotFound)
}

/// The record `id` as `caller` may read it: someone else's record is simply not found.
pub async fn read<R: Resource>(db: &Db, caller: &Caller, id: i64) -> AppResult<R::Row> {
    let Some(scope) = R::scope(caller)? else {
        return fetch::<R>(db, id).await;
    };
    let row: Option<R::Row> =
        db::records::by_id_where(db, R::COLUMNS, R::TABLE, id, &scope.sql(2), scope.id).await?;
    row.ok_or(AppError::NotFound)
}

/// The page of records `caller` may see that the query string `params` asks for
/// (`limit`, `offset` and the resource's filters).
pub async fn list<R: Resource>(
    db: &Db,
    caller: &Caller,
    params: &HashMap<String, String>,
) -> AppResult<Page<R::Row>> {
    let scope = R::scope(caller)?;
    let (limit, offset) = paging(params)?;
    let (mut clauses, mut values) = filter_clauses::<R>(params, &["limit", "offset"])?;
    if let Some(scope) = scope {
        clauses.push(scope.sql(values.len() + 1));
        values.push(Value::from(scope.id));
    }
    let (total, items) = db::records::page(
        db,
        R::COLUMNS,
        R::TABLE,
        &clauses,
        &values,
        R::ORDER_BY,
        limit,
        offset,
    )
    .await?;
    Ok(Page {
        items,
        total,
        limit,
        offset,
    })
}

/// The SQL conditions (numbered from `$1`) and values of the resource's filters found in
/// `params`; `skip` names the other parameters the caller understands. Unknown names and
/// bad values are a 422 naming them.
pub fn filter_clauses<R: Resource>(
    params: &HashMap<String, String>,
    skip: &[&str],
) -> AppResult<(Vec<String>, Vec<Value>)> {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    let mut problems = Vec::new();
    for (name, raw) in params {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let Some(filter) = R::FILTERS.iter().find(|f| f.param() == name) else {
            let known: Vec<_> = R::FILTERS.iter().map(|f| f.param()).collect();
            problems.push(FieldError::new(
                name,
                format!(
                    "filtre inconnu (filtres possibles : {}{})",
                    skip.join(", "),
                    known.iter().map(|k| format!(", {k}")).collect::<String>()
                ),
            ));
            continue;
        };
        let n = values.len() + 1;
        match *filter {
            Filter::Id(_, column) => match raw.parse::<i64>() {
                Ok(id) => {
                    clauses.push(format!("{column} = ${n}"));
                    values.push(Value::from(id));
                }
                Err(_) => problems.push(FieldError::new(name, "identifiant entier attendu")),
            },
            Filter::From(_, column) | Filter::To(_, column) => {
                match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                    Ok(d) => {
                        let op = if matches!(filter, Filter::From(..)) {
                            ">="
                        } else {
                            "<="
                        };
                        clauses.push(format!("{column} {op} ${n}"));
                        values.push(Value::from(d));
                    }
                    Err(_) => problems.push(FieldError::new(name, "date AAAA-MM-JJ attendue")),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok((clauses, values))
    } else {
        Err(AppError::Validation(problems))
    }
}

pub const MAX_PAGE: i64 = 500;

fn paging(params: &HashMap<String, String>) -> AppResult<(i64, i64)> {
    let number = |name: &str, default: i64, max: i64| -> AppResult<i64> {
        match params.get(name) {
            None => Ok(default),
            Some(raw) => match raw.parse::<i64>() {
                Ok(v) if (0..=max).contains(&v) => Ok(v),
                _ => Err(AppError::field(
                    name,
                    format!("entier de 0 à {max} attendu"),
                )),
            },
        }
    };
    Ok((
        number("limit", 100, MAX_PAGE)?,
        number("offset", 0, i64::MAX)?,
    ))
}

async fn check_references(db: &Db, refs: Vec<Reference>) -> AppResult<()> {
    let mut problems = Vec::new();
    for r in refs {
        let Some(id) = r.id else { continue };
        if !db::records::exists(db, r.table, id).await? {
            problems.push(FieldError::new(
                r.field,
                format!("aucun enregistrement n° {id}"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(problems))
    }
}

/// Validates the input completely, references and database rules included.
pub async fn validate<R: Resource>(
    db: &Db,
    input: &R::Input,
    id: Option<i64>,
) -> AppResult<Columns> {
    let columns = R::columns(input)?;
    check_references(db, R::references(input)).await?;
    R::check(db, input, id).await?;
    Ok(columns)
}

/// Inserts a validated record and answers its id.
pub async fn insert<R: Resource>(db: &Db, columns: &Columns) -> AppResult<i64> {
    match db::records::insert(db, R::TABLE, columns).await {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(unique_refusal::<R>(db, columns, None).await)
        }
        other => Ok(other?),
    }
}

/// Validates and inserts a record: what creating one through the API does.
pub async fn create<R: Resource>(db: &Db, input: &R::Input) -> AppResult<i64> {
    let columns = validate::<R>(db, input, None).await?;
    insert::<R>(db, &columns).await
}

/// Validates and writes an update of the existing record `id`.
pub async fn update<R: Resource>(db: &Db, id: i64, input: &R::Input) -> AppResult<()> {
    fetch::<R>(db, id).await?;
    let columns = validate::<R>(db, input, Some(id)).await?;
    store_update::<R>(db, id, &columns).await
}

/// The refusal of a write that broke one of `R`'s unique keys: the key another record
/// holds, named by its field, with that record's number.
async fn unique_refusal<R: Resource>(db: &Db, columns: &Columns, id: Option<i64>) -> AppError {
    for key in R::UNIQUE {
        let values: Option<Vec<Value>> = key
            .columns
            .iter()
            .map(|c| columns.iter().find(|(n, _)| n == c).map(|(_, v)| v.clone()))
            .collect();
        let Some(values) = values else { continue };
        match db::records::key_holder(db, R::TABLE, key.columns, values, id).await {
            Ok(Some(other)) => {
                return AppError::field(key.field, format!("{} (n° {other})", key.message));
            }
            Ok(None) => {}
            Err(e) => return e.into(),
        }
    }
    AppError::Conflict("un autre enregistrement porte déjà cette valeur unique".to_owned())
}

/// Writes validated columns over a record.
pub async fn store_update<R: Resource>(db: &Db, id: i64, columns: &Columns) -> AppResult<()> {
    match db::records::update(db, R::TABLE, id, columns).await {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(unique_refusal::<R>(db, columns, Some(id)).await)
        }
        other => other.map(|_| ()).map_err(AppError::from),
    }
}
