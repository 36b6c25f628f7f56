//! The school office's console: a list page (search, filters, sort, pages) and a form for
//! every admin resource of the API, written once over the API's own [`Resource`] rules, so
//! that a form refuses exactly what the API refuses, with the same French messages, next to
//! the field they name.

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use minijinja::context;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::{Db, Value};
use crate::domain::roles::Role;
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult, FieldError};
use crate::http::crud::{self, Filter, Resource};
use crate::http::extract::parse_json;
use crate::http::{contracts, parties, programmes, sessions, years};
use crate::i18n::Lang;
use crate::web::pages::{PageResult, page_err, show};
use crate::web::{Viewer, WebError};
use crate::{bind_values, db_run};

/// Rows per list page.
const PAGE_SIZE: i64 = 25;
/// Choices offered in one drop-down list.
const MAX_OPTIONS: i64 = 5000;

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

const PERSON: &str = "last_name || ' ' || first_name";
const YEAR: Kind = Kind::Ref("academic_years", "name");
const PROGRAMME: Kind = Kind::Ref(
    "programmes",
    "department || ' ' || department_name || CASE WHEN option_name <> '' THEN ' — ' || option_name ELSE '' END",
);

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

impl Console for years::Years {
    const TITLE: &'static str = "c_years";
    const FIELDS: &'static [Field] = &[
        req("name", Kind::Text),
        req("starts_on", Kind::Date),
        req("ends_on", Kind::Date),
    ];
    const LIST: &'static [&'static str] = &["name", "starts_on", "ends_on"];
    const SEARCH: &'static [&'static str] = &["name"];
    const SORTS: &'static [&'static str] = &["name", "starts_on"];
}

impl Console for years::Calendars {
    const TITLE: &'static str = "c_calendars";
    const FIELDS: &'static [Field] = &[req("academic_year_id", YEAR), req("name", Kind::Text)];
    const LIST: &'static [&'static str] = &["name", "academic_year_id"];
    const SEARCH: &'static [&'static str] = &["name"];
    const SORTS: &'static [&'static str] = &["name"];
    const LINKS: &'static [(&'static str, &'static str)] =
        &[("c_calendar_picture", "/console/calendars/{id}/picture")];
}

impl Console for programmes::Programmes {
    const TITLE: &'static str = "c_programmes";
    const FIELDS: &'static [Field] = &[
        req("department", Kind::Text),
        req("department_name", Kind::Text),
        opt("option_name", Kind::Text),
        req("qualification", Kind::Text),
        req("rncp", Kind::Text),
    ];
    const LIST: &'static [&'static str] = &["department", "department_name", "option_name", "rncp"];
    const SEARCH: &'static [&'static str] = &["department", "department_name", "option_name"];
    const SORTS: &'static [&'static str] = &["department", "department_name"];
}

impl Console for programmes::Modules {
    const TITLE: &'static str = "c_modules";
    const FIELDS: &'static [Field] = &[opt("programme_id", PROGRAMME), req("name", Kind::Text)];
    const LIST: &'static [&'static str] = &["name", "programme_id"];
    const SEARCH: &'static [&'static str] = &["name"];
    const SORTS: &'static [&'static str] = &["name"];
}

impl Console for programmes::Groups {
    const TITLE: &'static str = "c_groups";
    const FIELDS: &'static [Field] = &[
        req("name", Kind::Text),
        req("academic_year_id", YEAR),
        req("calendar_id", Kind::Ref("calendars", "name")),
        opt("programme_id", PROGRAMME),
    ];
    const LIST: &'static [&'static str] = &["name", "academic_year_id", "calendar_id"];
    const SEARCH: &'static [&'static str] = &["name"];
    const SORTS: &'static [&'static str] = &["name"];
    const LINKS: &'static [(&'static str, &'static str)] =
        &[("c_timetable", "/console/groups/{id}/timetable")];
}

impl Console for parties::Companies {
    const TITLE: &'static str = "c_companies";
    const FIELDS: &'static [Field] = &[
        req("legal_name", Kind::Text),
        req("siret", Kind::Text),
        req("address", Kind::LongText),
        opt("phone", Kind::Text),
        opt("representative_name", Kind::Text),
        opt("representative_role", Kind::Text),
    ];
    const LIST: &'static [&'static str] = &["legal_name", "siret", "phone"];
    const SEARCH: &'static [&'static str] = &["legal_name", "siret"];
    const SORTS: &'static [&'static str] = &["legal_name", "siret"];
}

impl Console for parties::Tutors {
    const TITLE: &'static str = "c_tutors";
    const FIELDS: &'static [Field] = &[
        req("company_id", Kind::Ref("companies", "legal_name")),
        req("last_name", Kind::Text),
        req("first_name", Kind::Text),
        opt("function", Kind::Text),
        req("email", Kind::Email),
        opt("phone", Kind::Text),
        opt("lang", Kind::Lang),
    ];
    const LIST: &'static [&'static str] = &["last_name", "first_name", "company_id", "email"];
    const SEARCH: &'static [&'static str] = &["last_name", "first_name", "email"];
    const SORTS: &'static [&'static str] = &["last_name", "email"];
}

impl Console for parties::Students {
    const TITLE: &'static str = "c_students";
    const FIELDS: &'static [Field] = &[
        req("last_name", Kind::Text),
        req("first_name", Kind::Text),
        req("email", Kind::Email),
        opt("address", Kind::LongText),
        req("birth_date", Kind::Date),
        opt("birth_place", Kind::Text),
        opt("lang", Kind::Lang),
    ];
    const LIST: &'static [&'static str] = &["last_name", "first_name", "email", "birth_date"];
    const SEARCH: &'static [&'static str] = &["last_name", "first_name", "email"];
    const SORTS: &'static [&'static str] = &["last_name", "email", "birth_date"];
    const LINKS: &'static [(&'static str, &'static str)] = &[("c_record", "/students/{id}")];
}

impl Console for parties::Teachers {
    const TITLE: &'static str = "c_teachers";
    const FIELDS: &'static [Field] = &[
        req("last_name", Kind::Text),
        req("first_name", Kind::Text),
        req("email", Kind::Email),
        opt("lang", Kind::Lang),
    ];
    const LIST: &'static [&'static str] = &["last_name", "first_name", "email"];
    const SEARCH: &'static [&'static str] = &["last_name", "first_name", "email"];
    const SORTS: &'static [&'static str] = &["last_name", "email"];
}

impl Console for contracts::Contracts {
    const TITLE: &'static str = "c_contracts";
    const FIELDS: &'static [Field] = &[
        req("student_id", Kind::Ref("students", PERSON)),
        req("company_id", Kind::Ref("companies", "legal_name")),
        req("tutor_id", Kind::Ref("tutors", PERSON)),
        req("programme_id", PROGRAMME),
        req("academic_year_id", YEAR),
        opt("group_id", Kind::Ref("student_groups", "name")),
        opt("kind", Kind::Text),
        req("start_date", Kind::Date),
        req("end_date", Kind::Date),
        opt("defence_date", Kind::Date),
        req("place", Kind::Text),
        req("planned_hours_s9", Kind::Hours),
        req("planned_hours_s10", Kind::Hours),
        req("price_s9_cents", Kind::Euros),
        req("price_s10_cents", Kind::Euros),
        opt("opco_name", Kind::Text),
        opt("opco_email", Kind::Email),
        opt("subrogation", Kind::Bool),
        opt("subrogation_received_on", Kind::Date),
        opt("opco_agreement_on", Kind::Date),
        opt("opco_hourly_cents", Kind::Euros),
        opt("termination_date", Kind::Date),
        opt("termination_reason", Kind::Text),
    ];
    const LIST: &'static [&'static str] = &[
        "student_id",
        "company_id",
        "group_id",
        "start_date",
        "end_date",
    ];
    const SEARCH: &'static [&'static str] = &[
        "(SELECT last_name || ' ' || first_name FROM students s WHERE s.id = contracts.student_id)",
        "(SELECT legal_name FROM companies e WHERE e.id = contracts.company_id)",
    ];
    const SORTS: &'static [&'static str] = &["start_date", "end_date"];
    const LINKS: &'static [(&'static str, &'static str)] = &[
        ("c_contract_page", "/console/contracts/{id}/overview"),
        ("c_billing", "/contracts/{id}/billing"),
    ];
}

impl Console for sessions::Sessions {
    const TITLE: &'static str = "c_sessions";
    const FIELDS: &'static [Field] = &[
        req("group_id", Kind::Ref("student_groups", "name")),
        req("module_id", Kind::Ref("modules", "name")),
        req("teacher_id", Kind::Ref("teachers", PERSON)),
        req("day", Kind::Date),
        req("starts_at", Kind::Time),
        req("ends_at", Kind::Time),
        opt("room", Kind::Text),
    ];
    const LIST: &'static [&'static str] = &[
        "day",
        "starts_at",
        "ends_at",
        "group_id",
        "module_id",
        "teacher_id",
        "room",
    ];
    const SEARCH: &'static [&'static str] = &["room"];
    const SORTS: &'static [&'static str] = &["day"];
    const LINKS: &'static [(&'static str, &'static str)] = &[("c_roll_call", "/sessions/{id}")];
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
        .merge(routes::<years::Calendars>())
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

/// The console is the admins'; anyone else gets the forbidden page.
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
    let id = raw_id
        .parse()
        .map_err(|_| WebError::new(AppError::NotFound, viewer.lang))?;
    Ok((viewer.require()?.clone(), id))
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

async fn index(State(ctx): State<ApiContext>, viewer: Viewer) -> PageResult {
    admin(&viewer)?;
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
            let sql = format!(
                "SELECT id, {label} AS label FROM {table} ORDER BY 2, 1 LIMIT {MAX_OPTIONS}"
            );
            let rows: Vec<(i64, String)> =
                db_run!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
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

/// A value as the list shows it, in French conventions.
fn shown(
    kind: Kind,
    v: &Json,
    choices: &HashMap<&str, Vec<Choice>>,
    name: &str,
    lang: Lang,
) -> String {
    match (kind, v) {
        (_, Json::Null) => String::new(),
        (Kind::Date, Json::String(s)) => s.parse().map_or_else(|_| s.clone(), date_fr),
        (Kind::Time, Json::String(s)) => s.get(..5).unwrap_or(s).to_owned(),
        (Kind::Bool, Json::Bool(b)) => lang.text(if *b { "yes" } else { "no" }).to_owned(),
        (Kind::Euros, Json::Number(n)) => n
            .as_i64()
            .map(|c| format!("{} €", crate::domain::text::euros_fr(c)))
            .unwrap_or_default(),
        (Kind::Hours, Json::Number(n)) => n.as_f64().map(hours_fr).unwrap_or_default(),
        (Kind::Ref(..), Json::Number(n)) => {
            let id = n.to_string();
            choices
                .get(name)
                .and_then(|c| c.iter().find(|c| c.value == id))
                .map_or(id, |c| c.label.clone())
        }
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

fn hours_fr(h: f64) -> String {
    let text = format!("{h}");
    text.replace('.', ",")
}

/// A value as the form's input holds it.
fn in_input(kind: Kind, v: &Json) -> String {
    match (kind, v) {
        (_, Json::Null) => String::new(),
        (Kind::Time, Json::String(s)) => s.get(..5).unwrap_or(s).to_owned(),
        (Kind::Euros, Json::Number(n)) => n
            .as_i64()
            .map(|c| format!("{},{:02}", c / 100, (c % 100).abs()))
            .unwrap_or_default(),
        (Kind::Hours, Json::Number(n)) => n.as_f64().map(hours_fr).unwrap_or_default(),
        (Kind::Bool, Json::Bool(b)) => if *b { "on" } else { "" }.to_owned(),
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// "4 500,50", "4500.5", "4500 €" → cents.
fn parse_euros(raw: &str) -> Option<i64> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (units, cents) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if units.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) || cents.len() > 2 {
        return None;
    }
    if !cents.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(cents)
}

/// Turns the posted form into the API's JSON body; what cannot even be read is a field error.
fn form_to_json(fields: &[Field], form: &[(String, String)]) -> Result<Json, Vec<FieldError>> {
    let mut body = Map::new();
    let mut problems = Vec::new();
    for f in fields {
        let raw = form_value(form, f.name);
        if let Kind::Bool = f.kind {
            body.insert(f.name.to_owned(), Json::Bool(!raw.is_empty()));
            continue;
        }
        if raw.is_empty() {
            match f.kind {
                // The API says what an empty text lacks, with its other findings.
                Kind::Text | Kind::LongText | Kind::Email if f.required => {
                    body.insert(f.name.to_owned(), Json::String(String::new()));
                }
                _ if f.required => {
                    problems.push(FieldError::new(f.name, "ce champ est obligatoire"))
                }
                _ => {}
            }
            continue;
        }
        let value = match f.kind {
            Kind::Ref(..) => raw
                .parse::<i64>()
                .map(Json::from)
                .map_err(|_| "choix invalide"),
            Kind::Hours => raw
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(|h| serde_json::Number::from_f64(h).map(Json::Number))
                .ok_or("nombre d'heures attendu (par exemple 270 ou 262,5)"),
            Kind::Euros => parse_euros(raw)
                .map(Json::from)
                .ok_or("montant en euros attendu (par exemple 4 500,00)"),
            Kind::Integer => raw
                .trim()
                .parse::<i64>()
                .map(Json::from)
                .map_err(|_| "nombre entier attendu"),
            _ => Ok(Json::String(raw.to_owned())),
        };
        match value {
            Ok(v) => {
                body.insert(f.name.to_owned(), v);
            }
            Err(message) => problems.push(FieldError::new(f.name, message)),
        }
    }
    if problems.is_empty() {
        Ok(Json::Object(body))
    } else {
        Err(problems)
    }
}

/// The API's verdict on a body: the validated columns, or the problems by field.
async fn check<R: Console>(
    db: &Db,
    form: &[(String, String)],
    id: Option<i64>,
) -> AppResult<Result<crud::Columns, Vec<FieldError>>> {
    let input = match form_input::<R::Input>(R::FIELDS, form)? {
        Ok(input) => input,
        Err(problems) => return Ok(Err(problems)),
    };
    match crud::validate::<R>(db, &input, id).await {
        Ok(columns) => Ok(Ok(columns)),
        Err(AppError::Validation(problems)) => Ok(Err(problems)),
        Err(AppError::Conflict(m)) => Ok(Err(vec![FieldError::new("body", m)])),
        Err(e) => Err(e),
    }
}

/// The API's input read from the posted form (as its JSON body would be), or the problems
/// by field.
fn form_input<T: serde::de::DeserializeOwned>(
    fields: &[Field],
    form: &[(String, String)],
) -> AppResult<Result<T, Vec<FieldError>>> {
    let body = match form_to_json(fields, form) {
        Ok(body) => body,
        Err(problems) => return Ok(Err(problems)),
    };
    let bytes = serde_json::to_vec(&body).map_err(|e| AppError::Internal(e.into()))?;
    match parse_json::<T>(&bytes) {
        Ok(input) => Ok(Ok(input)),
        Err(AppError::Validation(problems)) => Ok(Err(problems)),
        Err(AppError::BadRequest(m)) => Ok(Err(vec![FieldError::new("body", m)])),
        Err(e) => Err(e),
    }
}

/// A stored record's values as its form's inputs hold them.
fn stored_values<T: Serialize>(fields: &[Field], record: &T) -> AppResult<HashMap<String, String>> {
    let row = serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))?;
    Ok(fields
        .iter()
        .map(|f| (f.name.to_owned(), in_input(f.kind, &row[f.name])))
        .collect())
}

/// The form's fields for the template, each with its value and problems, and the problems
/// that name no field.
fn form_fields(
    fields: &[Field],
    choices: &HashMap<&'static str, Vec<Choice>>,
    values: &HashMap<String, String>,
    problems: &[FieldError],
    lang: Lang,
) -> (Vec<minijinja::Value>, Vec<String>) {
    let error_of = |name: &str| {
        problems
            .iter()
            .filter(|p| p.field == name || p.field.starts_with(&format!("{name}.")))
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    let shown: Vec<_> = fields
        .iter()
        .map(|f| {
            let value = values.get(f.name).cloned().unwrap_or_default();
            let (input, options) = match f.kind {
                Kind::Ref(..) => ("select", choices.get(f.name).map(|c| {
                    c.iter()
                        .map(|c| context! { value => c.value.clone(), label => c.label.clone(), selected => c.value == value })
                        .collect::<Vec<_>>()
                })),
                Kind::Lang => ("select", Some(
                    [("fr", "Français"), ("en", "English")]
                        .iter()
                        .map(|(v, l)| context! { value => *v, label => *l, selected => *v == value || (value.is_empty() && *v == "fr") })
                        .collect(),
                )),
                Kind::LongText => ("textarea", None),
                Kind::Bool => ("checkbox", None),
                Kind::Date => ("date", None),
                Kind::Time => ("time", None),
                Kind::Email => ("email", None),
                Kind::Hours | Kind::Euros => ("decimal", None),
                Kind::Integer => ("number", None),
                Kind::Text => ("text", None),
            };
            let checked = !value.is_empty();
            context! {
                name => f.name,
                label => lang.text(&format!("f_{}", f.name)),
                input,
                options,
                value,
                checked,
                required => f.required,
                error => error_of(f.name),
                hint => match f.kind {
                    Kind::Euros => lang.text("hint_euros"),
                    Kind::Hours => lang.text("hint_hours"),
                    _ => "",
                },
            }
        })
        .collect();
    let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
    let general: Vec<String> = problems
        .iter()
        .filter(|p| {
            !known
                .iter()
                .any(|k| p.field == *k || p.field.starts_with(&format!("{k}.")))
        })
        .map(|p| p.message.clone())
        .collect();
    (shown, general)
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
    let lang = viewer.lang;
    let choices = choices::<R>(&ctx.db).await.map_err(page_err(lang))?;
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
        },
    )
    .await
}

/// The empty form; the query string may fill fields in (the timetable's free half-days).
async fn new_form<R: Console>(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> PageResult {
    admin(&viewer)?;
    let prefilled: HashMap<String, String> =
        form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .filter(|(k, _)| R::FIELDS.iter().any(|f| f.name == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    form_page::<R>(&ctx, &viewer, None, prefilled, Vec::new(), StatusCode::OK).await
}

async fn edit_form<R: Console>(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let (_, id) = admin_record(&viewer, &id)?;
    let lang = viewer.lang;
    let row = crud::fetch::<R>(&ctx.db, id)
        .await
        .map_err(page_err(lang))?;
    let values = stored_values(R::FIELDS, &row).map_err(page_err(lang))?;
    form_page::<R>(&ctx, &viewer, Some(id), values, Vec::new(), StatusCode::OK).await
}

fn form_values(form: &[(String, String)]) -> HashMap<String, String> {
    form.iter().cloned().collect()
}

pub(super) fn csrf_of(form: &[(String, String)]) -> Option<&str> {
    form.iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
}

async fn create<R: Console>(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    admin(&viewer)?;
    viewer.check_csrf(csrf_of(&form))?;
    let lang = viewer.lang;
    match check::<R>(&ctx.db, &form, None)
        .await
        .map_err(page_err(lang))?
    {
        // The database's unique keys speak last: a duplicate is shown next to its field.
        Ok(columns) => match crud::insert::<R>(&ctx.db, &columns).await {
            Ok(id) => {
                Ok(Redirect::to(&format!("/console/{}/{id}?saved=1", R::PATH)).into_response())
            }
            Err(AppError::Validation(problems)) => {
                form_page::<R>(
                    &ctx,
                    &viewer,
                    None,
                    form_values(&form),
                    problems,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => Err(page_err(lang)(e)),
        },
        Err(problems) => {
            form_page::<R>(
                &ctx,
                &viewer,
                None,
                form_values(&form),
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn update<R: Console>(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let (_, id) = admin_record(&viewer, &id)?;
    viewer.check_csrf(csrf_of(&form))?;
    let lang = viewer.lang;
    crud::fetch::<R>(&ctx.db, id)
        .await
        .map_err(page_err(lang))?;
    match check::<R>(&ctx.db, &form, Some(id))
        .await
        .map_err(page_err(lang))?
    {
        Ok(columns) => match crud::store_update::<R>(&ctx.db, id, &columns).await {
            Ok(()) => {
                Ok(Redirect::to(&format!("/console/{}/{id}?saved=1", R::PATH)).into_response())
            }
            Err(AppError::Validation(problems)) => {
                form_page::<R>(
                    &ctx,
                    &viewer,
                    Some(id),
                    form_values(&form),
                    problems,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => Err(page_err(lang)(e)),
        },
        Err(problems) => {
            form_page::<R>(
                &ctx,
                &viewer,
                Some(id),
                form_values(&form),
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The list: `q` searches, the resource's filters narrow, `sort` (`-` first for descending)
/// orders, `page` pages.
async fn list<R: Console>(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> PageResult {
    admin(&viewer)?;
    let lang = viewer.lang;
    let err = page_err(lang);
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
            .map_err(|e| err(AppError::BadRequest(e.to_string())))?;
    // Empty filters are the form's "all".
    let filters: HashMap<String, String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (mut clauses, mut values) =
        crud::filter_clauses::<R>(&filters, &["q", "sort", "page", "lang", "saved"])
            .map_err(&err)?;
    let q = params
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .unwrap_or_default();
    if !q.is_empty() && !R::SEARCH.is_empty() {
        let n = values.len() + 1;
        let any: Vec<String> = R::SEARCH
            .iter()
            .map(|c| format!("LOWER({c}) LIKE ${n}"))
            .collect();
        clauses.push(format!("({})", any.join(" OR ")));
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
    let page = crate::web::page_number(asked, 1).map_err(page_err(lang))?;
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) FROM {}{filter}", R::TABLE);
    let page_sql = format!(
        "SELECT {} FROM {}{filter} ORDER BY {order} LIMIT {PAGE_SIZE} OFFSET {}",
        R::COLUMNS,
        R::TABLE,
        (page - 1) * PAGE_SIZE
    );
    let found: Result<(i64, Vec<R::Row>), sqlx::Error> = async {
        db_run!(&ctx.db, |pool| {
            let total = bind_values!(sqlx::query_scalar(&count_sql), &values)
                .fetch_one(pool)
                .await?;
            let rows = bind_values!(sqlx::query_as(&page_sql), &values)
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((total, rows))
        })
    }
    .await;
    let (total, rows) = found.map_err(|e| err(e.into()))?;
    let choices = choices::<R>(&ctx.db).await.map_err(&err)?;
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

/// The school profile (one record, `PUT /school` in the API).
const SCHOOL_FIELDS: &[Field] = &[
    req("name", Kind::Text),
    opt("legal_entity", Kind::Text),
    req("address", Kind::LongText),
    opt("phone", Kind::Text),
    req("office_email", Kind::Email),
    opt("dreets_email", Kind::Email),
    req("siret", Kind::Text),
    req("ape_code", Kind::Text),
    req("activity_number", Kind::Text),
    opt("datadock_id", Kind::Text),
    req("signatory_name", Kind::Text),
    req("signatory_title", Kind::Text),
    req("city", Kind::Text),
    opt("presence_needs_signature", Kind::Bool),
    opt("school_day_max_minutes", Kind::Integer),
];

async fn school_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    values: HashMap<String, String>,
    problems: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let lang = viewer.lang;
    let (fields, general) = form_fields(SCHOOL_FIELDS, &HashMap::new(), &values, &problems, lang);
    let (has_stamp, has_signature) = crate::http::school::pictures_present(&ctx.db)
        .await
        .map_err(page_err(lang))?;
    show(
        ctx,
        viewer,
        status,
        "pages/console_form.html",
        context! {
            title => lang.text("c_school"),
            heading => lang.text("c_school"),
            list_url => "/console",
            action => "/console/school",
            fields,
            general,
            problem_count => problems.len(),
            saved => problems.is_empty() && viewer.here.contains("saved=1"),
            pictures => context! {
                stamp => has_stamp,
                signature => has_signature,
                saved => problems.is_empty() && viewer.here.contains("pictures=1"),
                max_kib => crate::http::school::PICTURE_BODY_LIMIT / 1024,
            },
        },
    )
    .await
}

/// The stamp and signature form (multipart): a file replaces a picture, a ticked box
/// removes it; a refused file changes nothing.
async fn save_pictures(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    use crate::http::school::{PICTURE_BODY_LIMIT, SealPicture, check_picture, set_picture};
    admin(&viewer)?;
    let lang = viewer.lang;
    let too_large = |which: SealPicture| AppError::BadFile {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        field: FieldError::new(
            which.field(),
            format!("{} Kio au plus", PICTURE_BODY_LIMIT / 1024),
        ),
    };
    let unreadable = |e: String| AppError::BadRequest(format!("formulaire illisible : {e}"));
    let mut form = form.map_err(|e| WebError::new(unreadable(e.to_string()), lang))?;
    let mut csrf = None;
    let mut files: Vec<(SealPicture, Vec<u8>)> = Vec::new();
    let mut removed = Vec::new();
    let mut refused = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                refused = Some(too_large(SealPicture::Stamp));
                break;
            }
            Err(e) => return Err(WebError::new(unreadable(e.to_string()), lang)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let which = match name.as_str() {
            "stamp" | "remove_stamp" => SealPicture::Stamp,
            "signature" | "remove_signature" => SealPicture::Signature,
            "csrf" => {
                csrf = field.text().await.ok();
                continue;
            }
            _ => continue,
        };
        if name.starts_with("remove_") {
            removed.push(which);
            continue;
        }
        match field.bytes().await {
            Ok(bytes) if bytes.is_empty() => {}
            Ok(bytes) if bytes.len() > PICTURE_BODY_LIMIT => {
                refused.get_or_insert(too_large(which));
            }
            Ok(bytes) => files.push((which, bytes.to_vec())),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                refused.get_or_insert(too_large(which));
            }
            Err(e) => return Err(WebError::new(unreadable(e.to_string()), lang)),
        }
    }
    viewer.check_csrf(csrf.as_deref())?;
    // Every file is checked before anything is written.
    let refused = refused.or_else(|| {
        files
            .iter()
            .find_map(|(which, png)| check_picture(*which, png).err())
    });
    if let Some(e) = refused {
        let status = e.status();
        let problem = match e {
            AppError::BadFile { field, .. } => field,
            other => FieldError::new("file", other.public_message()),
        };
        let school = crate::http::school::load(&ctx.db)
            .await
            .map_err(page_err(lang))?;
        let values = stored_values(SCHOOL_FIELDS, &school).map_err(page_err(lang))?;
        return school_page(&ctx, &viewer, values, vec![problem], status).await;
    }
    for which in removed {
        set_picture(&ctx.db, which, None)
            .await
            .map_err(page_err(lang))?;
    }
    for (which, png) in files {
        set_picture(&ctx.db, which, Some(&png))
            .await
            .map_err(page_err(lang))?;
    }
    Ok(Redirect::to("/console/school?pictures=1").into_response())
}

async fn school_form(State(ctx): State<ApiContext>, viewer: Viewer) -> PageResult {
    admin(&viewer)?;
    let lang = viewer.lang;
    let school = crate::http::school::load(&ctx.db)
        .await
        .map_err(page_err(lang))?;
    let values = stored_values(SCHOOL_FIELDS, &school).map_err(page_err(lang))?;
    school_page(&ctx, &viewer, values, Vec::new(), StatusCode::OK).await
}

async fn save_school(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    admin(&viewer)?;
    viewer.check_csrf(csrf_of(&form))?;
    let lang = viewer.lang;
    let checked = form_input::<crate::http::school::SchoolInput>(SCHOOL_FIELDS, &form)
        .map_err(page_err(lang))?
        .map(|input| input.validate());
    let problems = match checked {
        Err(problems) | Ok(Err(AppError::Validation(problems))) => problems,
        Ok(Ok(school)) => {
            crate::http::school::save(&ctx.db, &school)
                .await
                .map_err(page_err(lang))?;
            return Ok(Redirect::to("/console/school?saved=1").into_response());
        }
        Ok(Err(e)) => return Err(page_err(lang)(e)),
    };
    school_page(
        &ctx,
        &viewer,
        form_values(&form),
        problems,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_are_read_the_french_way() {
        assert_eq!(parse_euros("4 500,50"), Some(450_050));
        assert_eq!(parse_euros("4500.5"), Some(450_050));
        assert_eq!(parse_euros("4\u{a0}500 €"), Some(450_000));
        assert_eq!(parse_euros("0,05"), Some(5));
        for bad in ["", "4,505", "-3", "abc", "1,2,3", ",50"] {
            assert_eq!(parse_euros(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_form_becomes_the_api_body_and_unreadable_values_name_their_field() {
        let fields = [
            req("name", Kind::Text),
            opt("room", Kind::Text),
            req("hours", Kind::Hours),
            opt("price", Kind::Euros),
            opt("done", Kind::Bool),
            req("group_id", Kind::Ref("t", "name")),
        ];
        let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let body = form_to_json(
            &fields,
            &form(&[
                ("name", " A "),
                ("room", ""),
                ("hours", "262,5"),
                ("price", "12,30"),
                ("group_id", "4"),
            ]),
        )
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "A", "hours": 262.5, "price": 1230, "done": false, "group_id": 4})
        );
        let problems =
            form_to_json(&fields, &form(&[("hours", "beaucoup"), ("group_id", "x")])).unwrap_err();
        let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        // An empty required text goes to the API, which says what it lacks with the rest.
        assert_eq!(named, ["hours", "group_id"]);
        let problems = form_to_json(&fields, &form(&[("name", "A"), ("hours", "3")])).unwrap_err();
        assert_eq!(problems[0].field, "group_id");
        assert_eq!(problems[0].message, "ce champ est obligatoire");
    }
}
