//! Academic years and their calendars (Annex 1): every day is school, company or holiday.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::ApiContext;
use crate::db::{Db, calendars};
use crate::db_run;
use crate::domain::calendar::{self, CalendarDay};
use crate::domain::text;
use crate::error::{AppError, AppResult, FieldError, Problems};
use crate::http::crud::{Columns, Filter, Id, Reference, Resource, UniqueKey};
use crate::http::extract::{Admin, ApiQuery};

pub struct Years;

pub use crate::db::years::AcademicYear;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcademicYearInput {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl Resource for Years {
    const UNIQUE: &'static [UniqueKey] = &[UniqueKey {
        columns: &["name"],
        field: "name",
        message: "une année porte déjà ce nom",
    }];
    const PATH: &'static str = "academic-years";
    const TABLE: &'static str = "academic_years";
    const COLUMNS: &'static str = "id, name, starts_on, ends_on";
    const ORDER_BY: &'static str = "starts_on, id";
    const DESCRIPTION: &'static str = "Années de formation";
    type Row = AcademicYear;
    type Input = AcademicYearInput;

    fn columns(i: &AcademicYearInput) -> AppResult<Columns> {
        let mut p = Problems::new();
        let name = p.check("name", text::required(&i.name, 40));
        if i.ends_on <= i.starts_on {
            p.add("ends_on", "la fin doit suivre le début");
        } else if (i.ends_on - i.starts_on).num_days() > 400 {
            p.add("ends_on", "une année de formation dure au plus 400 jours");
        }
        p.into_result()?;
        Ok(vec![
            ("name", name.unwrap_or_default().into()),
            ("starts_on", i.starts_on.into()),
            ("ends_on", i.ends_on.into()),
        ])
    }

    async fn check(db: &Db, i: &AcademicYearInput, id: Option<i64>) -> AppResult<()> {
        let Some(id) = id else { return Ok(()) };
        // Shrinking a year may not strand its sessions.
        let outside: i64 = db_run!(db, |pool| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM training_sessions s JOIN student_groups g ON g.id = s.group_id \
             WHERE g.academic_year_id = $1 AND (s.day < $2 OR s.day > $3)"
        )
        .bind(id)
        .bind(i.starts_on)
        .bind(i.ends_on)
        .fetch_one(pool)
        .await
        })?;
        if outside > 0 {
            return Err(AppError::field(
                "starts_on",
                format!("{outside} séance(s) de cette année tomberaient hors de ces dates"),
            ));
        }
        Ok(())
    }
}

pub struct Calendars;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Calendar {
    pub id: i64,
    pub academic_year_id: i64,
    pub name: String,
    /// How many days the calendar defines (all days of the year once imported).
    pub day_count: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    pub academic_year_id: i64,
    pub name: String,
}

impl Resource for Calendars {
    const UNIQUE: &'static [UniqueKey] = &[UniqueKey {
        columns: &["academic_year_id", "name"],
        field: "name",
        message: "cette année a déjà un calendrier de ce nom",
    }];
    const PATH: &'static str = "calendars";
    const TABLE: &'static str = "calendars";
    const COLUMNS: &'static str = "id, academic_year_id, name, \
        (SELECT COUNT(*) FROM calendar_days d WHERE d.calendar_id = calendars.id) AS day_count";
    const FILTERS: &'static [Filter] = &[Filter::Id("academic_year_id", "academic_year_id")];
    const DESCRIPTION: &'static str =
        "Calendriers de formation (annexe 1) : chaque jour est école, entreprise ou congé";
    type Row = Calendar;
    type Input = CalendarInput;

    fn columns(i: &CalendarInput) -> AppResult<Columns> {
        let name = text::required(&i.name, 200).map_err(|e| AppError::field("name", e))?;
        Ok(vec![
            ("academic_year_id", i.academic_year_id.into()),
            ("name", name.into()),
        ])
    }

    fn references(i: &CalendarInput) -> Vec<Reference> {
        vec![Reference::new(
            "academic_year_id",
            "academic_years",
            i.academic_year_id,
        )]
    }

    async fn check(db: &Db, i: &CalendarInput, id: Option<i64>) -> AppResult<()> {
        if let Some(id) = id {
            let year: i64 = db_run!(db, |pool| sqlx::query_scalar(
                "SELECT academic_year_id FROM calendars WHERE id = $1"
            )
            .bind(id)
            .fetch_one(pool)
            .await)?;
            if year != i.academic_year_id {
                return Err(AppError::field(
                    "academic_year_id",
                    "un calendrier ne change pas d'année : créez-en un nouveau",
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DayRange {
    /// First day (defaults to the start of the year).
    pub from: Option<NaiveDate>,
    /// Last day (defaults to the end of the year).
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDays {
    pub calendar_id: i64,
    pub days: Vec<CalendarDay>,
}

/// The days of a calendar.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/calendars/{id}/days", tag = "calendars",
    params(("id" = i64, Path), DayRange),
    responses((status = 200, body = CalendarDays), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn days(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(range): ApiQuery<DayRange>,
) -> AppResult<Json<CalendarDays>> {
    let cal = calendars::info(&ctx.db, id).await?;
    let days = calendars::days(
        &ctx.db,
        id,
        range.from.unwrap_or(cal.starts_on),
        range.to.unwrap_or(cal.ends_on),
    )
    .await?;
    Ok(Json(CalendarDays {
        calendar_id: id,
        days,
    }))
}

/// The calendar as its editable CSV file (see the README for the format).
///
/// Rôle : admin.
#[utoipa::path(get, path = "/calendars/{id}/file", tag = "calendars",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_file(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<impl IntoResponse> {
    let text = export(&ctx.db, id).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text))
}

/// Replaces every day of the calendar from its CSV file. All or nothing: a bad line is
/// answered with its line number and nothing changes.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/calendars/{id}/file", tag = "calendars",
    params(("id" = i64, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = CalendarDays), (status = 422, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_file(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    body: String,
) -> AppResult<Json<CalendarDays>> {
    let days = import(&ctx.db, id, &body).await?;
    Ok(Json(CalendarDays {
        calendar_id: id,
        days,
    }))
}

/// Parses and stores a calendar file; shared by the API and the CLI.
pub async fn import(db: &Db, calendar_id: i64, text: &str) -> AppResult<Vec<CalendarDay>> {
    let cal = calendars::info(db, calendar_id).await?;
    let days =
        calendar::parse_calendar_file(text, cal.starts_on, cal.ends_on).map_err(|errors| {
            AppError::Validation(
                errors
                    .into_iter()
                    .map(|e| {
                        let field = if e.line == 0 {
                            "file".to_owned()
                        } else {
                            format!("line {}", e.line)
                        };
                        FieldError::new(field, e.to_string())
                    })
                    .collect(),
            )
        })?;
    calendars::replace_days(db, calendar_id, &days).await?;
    Ok(days)
}

pub async fn export(db: &Db, calendar_id: i64) -> AppResult<String> {
    let cal = calendars::info(db, calendar_id).await?;
    let days = calendars::days(db, calendar_id, cal.starts_on, cal.ends_on).await?;
    Ok(calendar::format_calendar_file(
        &format!("{} — année {}", cal.name, cal.year_name),
        &days,
    ))
}
