//! Academic years: a name and the dates every session, group and contract of the year fall in.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Columns, Resource, UniqueKey};
use crate::db::{self, Db};
use crate::domain::text;
use crate::error::{AppError, AppResult, Problems};

pub use crate::db::years::AcademicYear;

pub struct Years;

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
        let outside = db::years::sessions_outside(db, id, i.starts_on, i.ends_on).await?;
        if outside > 0 {
            return Err(AppError::field(
                "starts_on",
                format!("{outside} séance(s) de cette année tomberaient hors de ces dates"),
            ));
        }
        Ok(())
    }
}
