//! The school office's console: a list page (search, filters, sort, pages) and a form for
//! every admin resource of the API, written once over the API's own [`Resource`] rules, so
//! that a form refuses exactly what the API refuses, with the same French messages, next to
//! the field they name.

mod forms;
mod resources;
mod school;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use minijinja::context;
use serde::Serialize;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::{self, Db, Value};
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::records::{
    self as crud, Filter, Resource, calendars, contracts, parties, programmes, sessions, years,
};
use crate::web::pages::{PageResult, show};
use crate::web::{AdminViewer, CsrfForm, Viewer, WebError};
use forms::{form_fields, form_input, shown, stored_values};
use school::{save_pictures, save_school, school_form};

/// The form's box confirming a creation the office was warned of.
const CONFIRM: &str = "confirm_warnings";

/// Rows per list page.
const PAGE_SIZE: i64 = 25;
/// Choices offered in one drop-down list.
const MAX_OPTIONS: usize = 5000;

/// How a field is typed in, shown and sent to the API.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    LongText,
    Email,
    Date,
    Time,
    /// Decimal hours, "262,5" or "262.5".
    Hours,
    /// Euros typed with cents, stored in cents.
    Euros,
    /// A whole number.
    Integer,
    Bool,
    /// `fr` or `en`.
    Lang,
    /// Another record: the table and the SQL of its label.
    Ref(&'static str, &'static str),
}

pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

/// What the console adds to an API resource: its fields, columns, search and links.
pub trait Console: Resource {
    /// Interface text key of the page title.
    const TITLE: &'static str;
    const FIELDS: &'static [Field];
    /// Fields shown as columns of the list.
    const LIST: &'static [&'static str];
    /// SQL expressions searched by `?q=`.
    const SEARCH: &'static [&'static str];
    /// Columns one may sort by (field names that are also SQL columns).
    const SORTS: &'static [&'static str];
    /// Pages about one record: interface text key and URL with `{id}`.
    const LINKS: &'static [(&'static str, &'static str)] = &[];
}

/// The console's routes for every resource.
pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console", get(index))
        .route("/console/school", get(school_form).post(save_school))
        .route(
            "/console/school/pictures",
            axum::routing::post(save_pictures).layer(axum::extract::DefaultBodyLimit::max(
                // Both pictures and the form's other fields.
                2 * crate::http::school::PICTURE_BODY_LIMIT + 16 * 1024,
            )),
        )
        .merge(routes::<years::Years>())
        .merge(routes::<calendars::Calendars>())
        .merge(routes::<programmes::Programmes>())
        .merge(routes::<programmes::Modules>())
        .merge(routes::<programmes::Groups>())
        .merge(routes::<parties::Companies>())
        .merge(routes::<parties::Tutors>())
        .merge(routes::<parties::Students>())
        .merge(routes::<parties::Teachers>())
        .merge(routes::<contracts::Contracts>())
        .merge(routes::<sessions::Sessions>())
}

fn routes<R: Console>() -> Router<ApiContext> {
    Router::new()
        .route(&format!("/console/{}", R::PATH), get(list::<R>))
        .route(
            &format!("/console/{}/new", R::PATH),
            get(new_form::<R>).post(create::<R>),
        )
        .route(
            &format!("/console/{}/{{id}}", R::PATH),
            get(edit_form::<R>).post(update::<R>),
        )
}

/// The console is the admins'; anyone else gets the forbidden page. (The console's own pages
/// take an [`AdminViewer`]; kept for the pages that still call it.)
pub(super) fn admin(viewer: &Viewer) -> Result<(), WebError> {
    match viewer.require()?.role {
        Role::Admin => Ok(()),
        _ => Err(WebError::new(AppError::Forbidden, viewer.lang)),
    }
}

/// An admin looking at one record: the caller and the record's id from the path (anything
/// but a number is simply not found).
pub(super) fn admin_record(viewer: &Viewer, raw_id: &str) -> Result<(Caller, i64), WebError> {
    admin(viewer)?;
    let id = record_id(viewer, raw_id)?;
    Ok((viewer.require()?.clone(), id))
}

/// A record's id from the path: anything but a number is simply not found.
pub(super) fn record_id(viewer: &Viewer, raw_id: &str) -> Result<i64, WebError> {
    raw_id
        .parse()
        .map_err(|_| WebError::new(AppError::NotFound, viewer.lang))
}

/// A posted field's trimmed value, empty when absent.
pub(super) fn form_value<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

/// The console's sections, in the order of a year's set-up.
const SECTIONS: &[(&str, &str)] = &[
    ("c_school", "/console/school"),
    ("c_users", "/console/users"),
    ("c_years", "/console/academic-years"),
    ("c_calendars", "/console/calendars"),
    ("c_programmes", "/console/programmes"),
    ("c_modules", "/console/modules"),
    ("c_groups", "/console/groups"),
    ("c_companies", "/console/companies"),
    ("c_tutors", "/console/tutors"),
    ("c_students", "/console/students"),
    ("c_teachers", "/console/teachers"),
    ("c_contracts", "/console/contracts"),
    ("c_sessions", "/console/sessions"),
    ("c_import", "/console/import"),
];

async fn index(State(ctx): State<ApiContext>, viewer: AdminViewer) -> PageResult {
    let lang = viewer.lang;
    let sections: Vec<_> = SECTIONS
        .iter()
        .map(|(key, url)| context! { title => lang.text(key), url => *url })
        .collect();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/console_index.html",
        context! { sections },
    )
    .await
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// Each reference field's choices, by field name.
async fn choices<R: Console>(db: &Db) -> AppResult<HashMap<&'static str, Vec<Choice>>> {
    let mut all = HashMap::new();
    for field in R::FIELDS {
        if let Kind::Ref(table, label) = field.kind {
            let rows = db::records::choices(db, table, label, MAX_OPTIONS).await?;
            all.insert(
                field.name,
                rows.into_iter()
                    .map(|(id, label)| Choice {
                        value: id.to_string(),
                        label,
                    })
                    .collect(),
            );
        }
    }
    Ok(all)
}

/// The API's verdict on a body: the validated columns and, for a new record, what the
/// office should confirm first (a session in the past); or the problems by field.
async fn check<R: Console>(
    ctx: &ApiContext,
    form: &[(String, String)],
    id: Option<i64>,
) -> AppResult<Result<(crud::Columns, Vec<String>), Vec<FieldError>>> {
    let db = &ctx.db;
    let input = match form_input::<R::Input>(R::FIELDS, form)? {
        Ok(input) => input,
        Err(problems) => return Ok(Err(problems)),
    };
    let warnings = match id {
        None => R::warnings(&input, ctx.clock.now()),
        Some(_) => Vec::new(),
    };
    match crud::validate::<R>(db, &input, id).await {
        Ok(columns) => Ok(Ok((columns, warnings))),
        Err(AppError::Validation(problems)) => Ok(Err(problems)),
        Err(AppError::Conflict(m)) => Ok(Err(vec![FieldError::new("body", m)])),
        Err(e) => Err(e),
    }
}

/// Renders the form with the values typed and the problems next to their fields.
async fn form_page<R: Console>(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: Option<i64>,
    values: HashMap<String, String>,
    problems: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    form_page_warned::<R>(ctx, viewer, id, values, problems, Vec::new(), status).await
}

/// [`form_page`] with warnings to confirm before the record is created.
async fn form_page_warned<R: Console>(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: Option<i64>,
    values: HashMap<String, String>,
    problems: Vec<FieldError>,
    warnings: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let lang = viewer.lang;
    let choices = choices::<R>(&ctx.db).await?;
    let (fields, general) = form_fields(R::FIELDS, &choices, &values, &problems, lang);
    let links: Vec<_> = id
        .map(|id| {
            R::LINKS
                .iter()
                .map(|(key, url)| context! { title => lang.text(key), url => url.replace("{id}", &id.to_string()) })
                .collect()
        })
        .unwrap_or_default();
    show(
        ctx,
        viewer,
        status,
        "pages/console_form.html",
        context! {
            title => lang.text(R::TITLE),
            list_url => format!("/console/{}", R::PATH),
            action => match id {
                Some(id) => format!("/console/{}/{id}", R::PATH),
                None => format!("/console/{}/new", R::PATH),
            },
            editing => id.is_some(),
            record_id => id,
            fields,
            general,
            problem_count => problems.len(),
            links,
            saved => problems.is_empty() && viewer.here.contains("saved=1"),
            warnings,
        },
    )
    .await
}

/// The empty form; the query string may fill fields in (the timetable's free half-days).
async fn new_form<R: Console>(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    RawQuery(query): RawQuery,
) -> PageResult {
    let prefilled: HashMap<String, String> =
        form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .filter(|(k, _)| R::FIELDS.iter().any(|f| f.name == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    form_page::<R>(&ctx, &viewer, None, prefilled, Vec::new(), StatusCode::OK).await
}

async fn edit_form<R: Console>(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Path(id): Path<String>,
) -> PageResult {
    let id = record_id(&viewer, &id)?;
    let row = crud::fetch::<R>(&ctx.db, id).await?;
    let values = stored_values(R::FIELDS, &row)?;
    form_page::<R>(&ctx, &viewer, Some(id), values, Vec::new(), StatusCode::OK).await
}

fn form_values(form: &[(String, String)]) -> HashMap<String, String> {
    form.iter().cloned().collect()
}

async fn create<R: Console>(
    State(ctx): State<ApiContext>,
    CsrfForm { viewer, form }: CsrfForm<Vec<(String, String)>, AdminViewer>,
) -> PageResult {
    let problems = match check::<R>(&ctx, &form, None).await? {
        // Nothing is created before the office confirms what it was warned of.
        Ok((_, warnings)) if !warnings.is_empty() && form_value(&form, CONFIRM) != "1" => {
            return form_page_warned::<R>(
                &ctx,
                &viewer,
                None,
                form_values(&form),
                Vec::new(),
                warnings,
                StatusCode::OK,
            )
            .await;
        }
        // The database's unique keys speak last: a duplicate is shown next to its field.
        Ok((columns, _)) => match crud::insert::<R>(&ctx.db, &columns).await {
            Ok(id) => return saved::<R>(id),
            Err(AppError::Validation(problems)) => problems,
            Err(e) => return Err(e.into()),
        },
        Err(problems) => problems,
    };
    refused::<R>(&ctx, &viewer, None, &form, problems).await
}

async fn update<R: Console>(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
    CsrfForm { viewer, form }: CsrfForm<Vec<(String, String)>, AdminViewer>,
) -> PageResult {
    let id = record_id(&viewer, &id)?;
    crud::fetch::<R>(&ctx.db, id).await?;
    let problems = match check::<R>(&ctx, &form, Some(id)).await? {
        Ok((columns, _)) => match crud::store_update::<R>(&ctx.db, id, &columns).await {
            Ok(()) => return saved::<R>(id),
            Err(AppError::Validation(problems)) => problems,
            Err(e) => return Err(e.into()),
        },
        Err(problems) => problems,
    };
    refused::<R>(&ctx, &viewer, Some(id), &form, problems).await
}

/// After a save: the record's page, which says so.
fn saved<R: Console>(id: i64) -> PageResult {
    Ok(Redirect::to(&format!("/console/{}/{id}?saved=1", R::PATH)).into_response())
}

/// A refused create or update: the form again, as sent, with each problem by its field.
async fn refused<R: Console>(
    ctx: &ApiContext,
    viewer: &AdminViewer,
    id: Option<i64>,
    form: &[(String, String)],
    problems: Vec<FieldError>,
) -> PageResult {
    form_page::<R>(
        ctx,
        viewer,
        id,
        form_values(form),
        problems,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The list: `q` searches, the resource's filters narrow, `sort` (`-` first for descending)
/// orders, `page` pages.
async fn list<R: Console>(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    RawQuery(query): RawQuery,
) -> PageResult {
    let lang = viewer.lang;
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
    // Empty filters are the form's "all".
    let filters: HashMap<String, String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (mut clauses, mut values) =
        crud::filter_clauses::<R>(&filters, &["q", "sort", "page", "lang", "saved"])?;
    let q = params
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .unwrap_or_default();
    if !q.is_empty() && !R::SEARCH.is_empty() {
        clauses.push(db::records::search_clause(R::SEARCH, values.len() + 1));
        values.push(Value::from(format!("%{q}%")));
    }
    let sort = params.get("sort").map(String::as_str).unwrap_or("");
    let (sort_column, descending) = match sort.strip_prefix('-') {
        Some(c) => (c, true),
        None => (sort, false),
    };
    let order = if R::SORTS.contains(&sort_column) {
        format!(
            "{sort_column} {}, id",
            if descending { "DESC" } else { "ASC" }
        )
    } else {
        R::ORDER_BY.to_owned()
    };
    let asked = params
        .get("page")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<i64>().unwrap_or(i64::MAX));
    let page = crate::web::page_number(asked, 1)?;
    let found: Result<(i64, Vec<R::Row>), sqlx::Error> = db::records::page(
        &ctx.db,
        R::COLUMNS,
        R::TABLE,
        &clauses,
        &values,
        &order,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await;
    let (total, rows) = found.map_err(AppError::from)?;
    let choices = choices::<R>(&ctx.db).await?;
    let kind_of = |name: &str| {
        R::FIELDS
            .iter()
            .find(|f| f.name == name)
            .map_or(Kind::Text, |f| f.kind)
    };
    let items: Vec<_> = rows
        .iter()
        .filter_map(|row| serde_json::to_value(row).ok())
        .map(|row| {
            let id = row["id"].as_i64().unwrap_or_default();
            let cells: Vec<String> = R::LIST
                .iter()
                .map(|name| shown(kind_of(name), &row[*name], &choices, name, lang))
                .collect();
            let links: Vec<_> = R::LINKS
                .iter()
                .map(|(key, url)| context! { title => lang.text(key), url => url.replace("{id}", &id.to_string()) })
                .collect();
            context! { id, cells, links }
        })
        .collect();
    // Links keep every parameter but the one they change.
    let link_with = |changes: &[(&str, String)]| {
        let mut kept: Vec<(String, String)> = params
            .iter()
            .filter(|(k, v)| !v.is_empty() && *k != "saved" && !changes.iter().any(|(c, _)| c == k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        kept.extend(
            changes
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| ((*k).to_owned(), v.clone())),
        );
        kept.sort();
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        format!("/console/{}?{query}", R::PATH)
    };
    let columns: Vec<_> = R::LIST
        .iter()
        .map(|name| {
            let sortable = R::SORTS.contains(name);
            let state = if sort_column == *name {
                if descending {
                    "descending"
                } else {
                    "ascending"
                }
            } else {
                "none"
            };
            let next = if sort_column == *name && !descending {
                format!("-{name}")
            } else {
                (*name).to_owned()
            };
            context! {
                label => lang.text(&format!("f_{name}")),
                sort_url => sortable.then(|| link_with(&[("sort", next), ("page", String::new())])),
                state,
            }
        })
        .collect();
    let filter_inputs: Vec<_> = R::FILTERS
        .iter()
        .map(|f| {
            let (param, date) = match *f {
                Filter::Id(p, _) => (p, false),
                Filter::From(p, _) | Filter::To(p, _) => (p, true),
            };
            let value = params.get(param).cloned().unwrap_or_default();
            let options = choices.get(param).map(|c| {
                c.iter()
                    .map(|c| context! { value => c.value.clone(), label => c.label.clone(), selected => c.value == value })
                    .collect::<Vec<_>>()
            });
            context! { name => param, label => lang.text(&format!("f_{param}")), date, value, options }
        })
        .collect();
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/console_list.html",
        context! {
            title => lang.text(R::TITLE),
            path => R::PATH,
            q => params.get("q").cloned().unwrap_or_default(),
            searchable => !R::SEARCH.is_empty(),
            sort => sort,
            columns,
            items,
            total,
            page,
            pages => pages.max(1),
            previous_url => (page > 1).then(|| link_with(&[("page", (page - 1).to_string())])),
            next_url => (page < pages).then(|| link_with(&[("page", (page + 1).to_string())])),
            filters => filter_inputs,
        },
    )
    .await
}
