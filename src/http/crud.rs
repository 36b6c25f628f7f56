//! Create, read, update and list for the admin resources, written once.
//!
//! A resource names its table, its row and input types, how an input becomes columns
//! (validation that needs no database), which references must exist, and any rule that
//! needs the database. The handlers, the SQL and the OpenAPI description follow.

use std::collections::HashMap;
use std::future::Future;

use axum::Json;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::{Db, Value};
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::http::extract::{Admin, ApiJson};
use crate::{bind_values, db_run};

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

    type Row: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Serialize
        + ToSchema
        + Send
        + Unpin
        + 'static;
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

/// A record id from the path; anything that is not one is simply not found.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        raw.parse().map(Id).map_err(|_| AppError::NotFound)
    }
}

/// The routes of one resource: `GET/POST /{path}`, `GET/PUT /{path}/{id}`.
pub fn routes<R: Resource>() -> axum::Router<ApiContext> {
    axum::Router::new()
        .route(&format!("/{}", R::PATH), get(list::<R>).post(create::<R>))
        .route(
            &format!("/{}/{{id}}", R::PATH),
            get(read::<R>).put(update::<R>),
        )
}

pub async fn fetch<R: Resource>(db: &Db, id: i64) -> AppResult<R::Row> {
    let sql = format!("SELECT {} FROM {} WHERE id = $1", R::COLUMNS, R::TABLE);
    let row: Option<R::Row> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    row.ok_or(AppError::NotFound)
}

async fn read<R: Resource>(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<R::Row>> {
    let Some(scope) = R::scope(&caller)? else {
        return Ok(Json(fetch::<R>(&ctx.db, id).await?));
    };
    // Someone else's record is simply not found.
    let sql = format!(
        "SELECT {} FROM {} WHERE id = $1 AND {}",
        R::COLUMNS,
        R::TABLE,
        scope.sql(2)
    );
    let row: Option<R::Row> = db_run!(&ctx.db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .bind(scope.id)
        .fetch_optional(pool)
        .await)?;
    row.map(Json).ok_or(AppError::NotFound)
}

async fn list<R: Resource>(
    caller: Caller,
    State(ctx): State<ApiContext>,
    RawQuery(query): RawQuery,
) -> AppResult<Json<Page<R::Row>>> {
    let scope = R::scope(&caller)?;
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
            .map_err(|e| AppError::BadRequest(format!("paramètres de requête illisibles : {e}")))?;
    let (limit, offset) = paging(&params)?;
    let (mut clauses, mut values) = filter_clauses::<R>(&params, &["limit", "offset"])?;
    if let Some(scope) = scope {
        clauses.push(scope.sql(values.len() + 1));
        values.push(Value::from(scope.id));
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) FROM {}{filter}", R::TABLE);
    let n = values.len();
    let page_sql = format!(
        "SELECT {} FROM {}{filter} ORDER BY {} LIMIT ${} OFFSET ${}",
        R::COLUMNS,
        R::TABLE,
        R::ORDER_BY,
        n + 1,
        n + 2
    );
    let (total, items): (i64, Vec<R::Row>) = db_run!(&ctx.db, |pool| {
        let total = bind_values!(sqlx::query_scalar(&count_sql), &values)
            .fetch_one(pool)
            .await?;
        let items = bind_values!(sqlx::query_as(&page_sql), &values)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
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
        let sql = format!("SELECT id FROM {} WHERE id = $1", r.table);
        let found: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        if found.is_none() {
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
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({}) RETURNING id",
        R::TABLE,
        names.join(", "),
        marks.join(", ")
    );
    let values = columns.iter().map(|(_, v)| v);
    let inserted: Result<i64, sqlx::Error> = db_run!(db, |pool| bind_values!(
        sqlx::query_scalar(&sql),
        values.clone()
    )
    .fetch_one(pool)
    .await);
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(unique_refusal::<R>(db, columns, None).await)
        }
        other => Ok(other?),
    }
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
        let conditions: Vec<String> = key
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        let sql = format!(
            "SELECT id FROM {} WHERE {} AND id <> ${}",
            R::TABLE,
            conditions.join(" AND "),
            values.len() + 1
        );
        let values: Vec<Value> = values
            .into_iter()
            .chain([Value::from(id.unwrap_or(-1))])
            .collect();
        let other: Result<Option<i64>, sqlx::Error> =
            db_run!(db, |pool| bind_values!(sqlx::query_scalar(&sql), &values)
                .fetch_optional(pool)
                .await);
        match other {
            Ok(Some(other)) => {
                return AppError::field(key.field, format!("{} (n° {other})", key.message));
            }
            Ok(None) => {}
            Err(e) => return e.into(),
        }
    }
    AppError::Conflict("un autre enregistrement porte déjà cette valeur unique".to_owned())
}

async fn create<R: Resource>(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiJson(input): ApiJson<R::Input>,
) -> AppResult<(StatusCode, [(header::HeaderName, String); 1], Json<R::Row>)> {
    let columns = validate::<R>(&ctx.db, &input, None).await?;
    let id = insert::<R>(&ctx.db, &columns).await?;
    let location = format!("/api/v1/{}/{id}", R::PATH);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(fetch::<R>(&ctx.db, id).await?),
    ))
}

async fn update<R: Resource>(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<R::Input>,
) -> AppResult<Json<R::Row>> {
    fetch::<R>(&ctx.db, id).await?;
    let columns = validate::<R>(&ctx.db, &input, Some(id)).await?;
    store_update::<R>(&ctx.db, id, &columns).await?;
    Ok(Json(fetch::<R>(&ctx.db, id).await?))
}

/// Writes validated columns over a record.
pub async fn store_update<R: Resource>(db: &Db, id: i64, columns: &Columns) -> AppResult<()> {
    let sets: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ${}",
        R::TABLE,
        sets.join(", "),
        columns.len() + 1
    );
    let values = columns.iter().map(|(_, v)| v);
    let updated: Result<u64, sqlx::Error> =
        db_run!(db, |pool| bind_values!(sqlx::query(&sql), values.clone())
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()));
    match updated {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(unique_refusal::<R>(db, columns, Some(id)).await)
        }
        other => other.map(|_| ()).map_err(AppError::from),
    }
}
