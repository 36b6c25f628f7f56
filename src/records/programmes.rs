//! What is taught and to whom: programmes (department + option, Annex 2), their modules, and
//! groups of students who follow the same timetable.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Columns, Filter, Reference, Resource, UniqueKey};
use crate::db::{self, Db};
use crate::domain::text;
use crate::error::{AppError, AppResult, Problems};

pub struct Programmes;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Programme {
    pub id: i64,
    /// Department code, e.g. `2IA`.
    pub department: String,
    pub department_name: String,
    /// Empty when the department has no option.
    pub option_name: String,
    /// The qualification prepared (Article 2).
    pub qualification: String,
    /// RNCP registration, e.g. `RNCP38677` (Annex 3).
    pub rncp: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeInput {
    pub department: String,
    pub department_name: String,
    #[serde(default)]
    pub option_name: String,
    pub qualification: String,
    pub rncp: String,
}

/// `RNCP` followed by digits; a bare number is accepted and prefixed.
fn parse_rncp(raw: &str) -> Result<String, String> {
    let v = raw.trim().to_ascii_uppercase().replace(' ', "");
    let digits = v.strip_prefix("RNCP").unwrap_or(&v);
    if !digits.is_empty() && digits.len() <= 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(format!("RNCP{digits}"))
    } else {
        Err(format!(
            "code RNCP invalide « {} » (attendu : RNCP suivi de chiffres)",
            raw.trim()
        ))
    }
}

impl Resource for Programmes {
    const UNIQUE: &'static [UniqueKey] = &[UniqueKey {
        columns: &["department", "option_name"],
        field: "option_name",
        message: "ce département a déjà cette option : programme",
    }];
    const PATH: &'static str = "programmes";
    const TABLE: &'static str = "programmes";
    const COLUMNS: &'static str =
        "id, department, department_name, option_name, qualification, rncp";
    const ORDER_BY: &'static str = "department, option_name, id";
    const DESCRIPTION: &'static str =
        "Programmes : département et option (annexe 2), qualification et RNCP";
    type Row = Programme;
    type Input = ProgrammeInput;

    fn columns(i: &ProgrammeInput) -> AppResult<Columns> {
        let mut p = Problems::new();
        let department = p.check("department", text::required(&i.department, 20));
        let name = p.check("department_name", text::required(&i.department_name, 200));
        let option = p.check("option_name", text::optional(&i.option_name, 200));
        let qualification = p.check("qualification", text::required(&i.qualification, 300));
        let rncp = p.check("rncp", parse_rncp(&i.rncp));
        p.into_result()?;
        Ok(vec![
            ("department", department.unwrap_or_default().into()),
            ("department_name", name.unwrap_or_default().into()),
            ("option_name", option.unwrap_or_default().into()),
            ("qualification", qualification.unwrap_or_default().into()),
            ("rncp", rncp.unwrap_or_default().into()),
        ])
    }
}

pub struct Modules;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Module {
    pub id: i64,
    pub programme_id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleInput {
    #[serde(default)]
    pub programme_id: Option<i64>,
    pub name: String,
}

impl Resource for Modules {
    const PATH: &'static str = "modules";
    const TABLE: &'static str = "modules";
    const COLUMNS: &'static str = "id, programme_id, name";
    const ORDER_BY: &'static str = "name, id";
    const FILTERS: &'static [Filter] = &[Filter::Id("programme_id", "programme_id")];
    const DESCRIPTION: &'static str = "Modules d’enseignement";
    type Row = Module;
    type Input = ModuleInput;

    fn columns(i: &ModuleInput) -> AppResult<Columns> {
        let name = text::required(&i.name, 200).map_err(|e| AppError::field("name", e))?;
        Ok(vec![
            ("programme_id", i.programme_id.into()),
            ("name", name.into()),
        ])
    }

    fn references(i: &ModuleInput) -> Vec<Reference> {
        vec![Reference::new("programme_id", "programmes", i.programme_id)]
    }
}

pub struct Groups;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub academic_year_id: i64,
    /// The calendar whose school days the group's sessions must fall on.
    pub calendar_id: i64,
    pub programme_id: Option<i64>,
    /// Students whose contract names this group.
    pub student_count: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub name: String,
    pub academic_year_id: i64,
    pub calendar_id: i64,
    #[serde(default)]
    pub programme_id: Option<i64>,
}

impl Resource for Groups {
    const UNIQUE: &'static [UniqueKey] = &[UniqueKey {
        columns: &["academic_year_id", "name"],
        field: "name",
        message: "cette année a déjà un groupe de ce nom",
    }];
    const PATH: &'static str = "groups";
    const TABLE: &'static str = "student_groups";
    const COLUMNS: &'static str = "id, name, academic_year_id, calendar_id, programme_id, \
        (SELECT COUNT(*) FROM contracts c WHERE c.group_id = student_groups.id) AS student_count";
    const ORDER_BY: &'static str = "name, id";
    const FILTERS: &'static [Filter] = &[
        Filter::Id("academic_year_id", "academic_year_id"),
        Filter::Id("programme_id", "programme_id"),
    ];
    const DESCRIPTION: &'static str = "Groupes d’étudiant·es suivant le même emploi du temps (les contrats désignent leur groupe)";
    type Row = Group;
    type Input = GroupInput;

    fn columns(i: &GroupInput) -> AppResult<Columns> {
        let name = text::required(&i.name, 200).map_err(|e| AppError::field("name", e))?;
        Ok(vec![
            ("name", name.into()),
            ("academic_year_id", i.academic_year_id.into()),
            ("calendar_id", i.calendar_id.into()),
            ("programme_id", i.programme_id.into()),
        ])
    }

    fn references(i: &GroupInput) -> Vec<Reference> {
        vec![
            Reference::new("academic_year_id", "academic_years", i.academic_year_id),
            Reference::new("calendar_id", "calendars", i.calendar_id),
            Reference::new("programme_id", "programmes", i.programme_id),
        ]
    }

    async fn check(db: &Db, i: &GroupInput, id: Option<i64>) -> AppResult<()> {
        let year = db::calendars::year_of(db, i.calendar_id).await?;
        if year != i.academic_year_id {
            return Err(AppError::field(
                "calendar_id",
                "ce calendrier appartient à une autre année",
            ));
        }

        if let Some(id) = id {
            let sessions = db::sessions::count_of_group(db, id).await?;
            let current = db::programmes::group_year_and_calendar(db, id).await?;
            if sessions > 0 && current != (i.academic_year_id, i.calendar_id) {
                return Err(AppError::field(
                    "calendar_id",
                    format!(
                        "le groupe a déjà {sessions} séance(s) : son année et son calendrier ne changent plus"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_rncp;

    #[test]
    fn rncp_codes() {
        assert_eq!(parse_rncp("RNCP38677").unwrap(), "RNCP38677");
        assert_eq!(parse_rncp(" 38677 ").unwrap(), "RNCP38677");
        assert!(parse_rncp("RNCP").is_err());
        assert!(parse_rncp("ABC").is_err());
    }
}
