//! Training calendars (Annex 1): every day of a year is school, company or holiday; a
//! calendar is written and read as a CSV file (see the README for the format).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Columns, Filter, Reference, Resource, UniqueKey};
use crate::db::{Db, calendars};
use crate::domain::calendar::{self, CalendarDay};
use crate::domain::text;
use crate::error::{AppError, AppResult, FieldError};

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
            let year = calendars::year_of(db, id).await?;
            if year != i.academic_year_id {
                return Err(AppError::field(
                    "academic_year_id",
                    "un calendrier ne change pas d’année : créez-en un nouveau",
                ));
            }
        }
        Ok(())
    }
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

/// The calendar as its editable CSV file.
pub async fn export(db: &Db, calendar_id: i64) -> AppResult<String> {
    let cal = calendars::info(db, calendar_id).await?;
    let days = calendars::days(db, calendar_id, cal.starts_on, cal.ends_on).await?;
    Ok(calendar::format_calendar_file(
        &format!("{} — année {}", cal.name, cal.year_name),
        &days,
    ))
}
