//! Training sessions: a dated slot of a module, taught by a teacher to a group. Sessions fall
//! on school days of the group's calendar, inside its year, and never overlap for one group
//! or one teacher.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Columns, Filter, Reference, Resource, Scope};
use crate::auth::Caller;
use crate::db::{self, Db, calendars};
use crate::domain::attendance::SessionTimes;
use crate::domain::calendar::DayKind;
use crate::domain::roles::Role;
use crate::domain::text;
use crate::error::{AppError, AppResult, Problems};
use crate::format;

pub struct Sessions;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Session {
    pub id: i64,
    pub group_id: i64,
    pub module_id: i64,
    pub teacher_id: i64,
    /// The civil date (Europe/Paris).
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: NaiveTime,
    pub room: String,
    /// When the teacher signed the roll call, if they have.
    pub signed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    pub group_id: i64,
    pub module_id: i64,
    pub teacher_id: i64,
    pub day: NaiveDate,
    /// `HH:MM` (Europe/Paris).
    #[schema(value_type = String, example = "08:30")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00")]
    pub ends_at: NaiveTime,
    #[serde(default)]
    pub room: String,
}

impl Resource for Sessions {
    const PATH: &'static str = "sessions";
    const TABLE: &'static str = "training_sessions";
    const COLUMNS: &'static str =
        "id, group_id, module_id, teacher_id, day, starts_at, ends_at, room, signed_at";
    const ORDER_BY: &'static str = "day, starts_at, id";
    const FILTERS: &'static [Filter] = &[
        Filter::Id("group_id", "group_id"),
        Filter::Id("teacher_id", "teacher_id"),
        Filter::Id("module_id", "module_id"),
        Filter::From("from", "day"),
        Filter::To("to", "day"),
    ];
    const DESCRIPTION: &'static str = "Séances de formation (une demi-journée en général). \
        Un·e enseignant·e voit les siennes, un·e alternant·e celles de son groupe pendant son contrat, \
        un·e tuteur·rice celles de ses alternant·es pendant les contrats dont il ou elle est tuteur·rice, \
        un·e admin toutes";
    const READ_ROLES: &'static str = "admin, teacher, student, tutor";
    type Row = Session;
    type Input = SessionInput;

    fn scope(caller: &Caller) -> AppResult<Option<Scope>> {
        let scope = |condition: String, id: Option<i64>| {
            id.map(|id| Some(Scope { condition, id }))
                .ok_or(AppError::Forbidden)
        };
        // A student's and a tutor's: the sessions of their contracts' groups, on the days
        // those contracts cover (a former tutor sees nothing of the next employer's days).
        let of_contracts = |party: &str| {
            format!(
                "EXISTS (SELECT 1 FROM contracts c WHERE c.{party} = {{}} \
                 AND c.group_id = training_sessions.group_id AND {})",
                db::contracts::covers_day_sql("training_sessions.day")
            )
        };
        match caller.role {
            Role::Admin => Ok(None),
            Role::Teacher => scope("teacher_id = {}".to_owned(), caller.teacher_id),
            Role::Student => scope(of_contracts("student_id"), caller.student_id),
            Role::Tutor => scope(of_contracts("tutor_id"), caller.tutor_id),
            Role::Company => scope(of_contracts("company_id"), caller.company_id),
        }
    }

    fn columns(i: &SessionInput) -> AppResult<Columns> {
        let mut p = Problems::new();
        let room = p.check("room", text::optional(&i.room, 100));
        if i.ends_at <= i.starts_at {
            p.add("ends_at", "la fin doit suivre le début");
        } else if (i.ends_at - i.starts_at).num_hours() > 12 {
            p.add("ends_at", "une séance dure au plus 12 heures");
        }
        p.into_result()?;
        Ok(vec![
            ("group_id", i.group_id.into()),
            ("module_id", i.module_id.into()),
            ("teacher_id", i.teacher_id.into()),
            ("day", i.day.into()),
            ("starts_at", i.starts_at.into()),
            ("ends_at", i.ends_at.into()),
            ("room", room.unwrap_or_default().into()),
        ])
    }

    fn references(i: &SessionInput) -> Vec<Reference> {
        vec![
            Reference::new("group_id", "student_groups", i.group_id),
            Reference::new("module_id", "modules", i.module_id),
            Reference::new("teacher_id", "teachers", i.teacher_id),
        ]
    }

    fn warnings(i: &SessionInput, now: DateTime<Utc>) -> Vec<String> {
        past_warning(i.day, i.starts_at, i.ends_at, now)
            .into_iter()
            .collect()
    }

    async fn check(db: &Db, i: &SessionInput, id: Option<i64>) -> AppResult<()> {
        let frame = db::programmes::group_frame(db, i.group_id).await?;
        if i.day < frame.starts_on || i.day > frame.ends_on {
            return Err(AppError::field(
                "day",
                format!(
                    "le {} est hors de l’année {} (du {} au {})",
                    format::date(i.day),
                    frame.year_name,
                    format::date(frame.starts_on),
                    format::date(frame.ends_on)
                ),
            ));
        }
        match calendars::day_kind(db, frame.calendar_id, i.day).await? {
            Some(DayKind::School) => {}
            Some(kind) => {
                return Err(AppError::field(
                    "day",
                    format!(
                        "le {} est un jour « {} » du calendrier : les séances n’ont lieu que les jours d’école",
                        format::date(i.day),
                        kind.label_fr()
                    ),
                ));
            }
            None => {
                return Err(AppError::field(
                    "day",
                    format!(
                        "le calendrier du groupe ne définit pas le {} : importez-le d’abord",
                        format::date(i.day)
                    ),
                ));
            }
        }
        for (column, field, who) in [
            ("group_id", "starts_at", "le groupe"),
            ("teacher_id", "teacher_id", "l’enseignant·e"),
        ] {
            let owner = if column == "group_id" {
                i.group_id
            } else {
                i.teacher_id
            };
            let slots = db::sessions::slots_of_day(db, column, owner, i.day, id).await?;
            if let Some(s) = slots
                .iter()
                .find(|s| s.starts_at < i.ends_at && i.starts_at < s.ends_at)
            {
                return Err(AppError::field(
                    field,
                    format!(
                        "{who} a déjà la séance n° {} de {} à {} ce jour-là",
                        s.id,
                        s.starts_at.format("%H:%M"),
                        s.ends_at.format("%H:%M")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A session created after its start: its roll call will be taken after the fact and its
/// sheet signed late, which a funder's audit questions (Article 3: the school checks the
/// attendance as it happens). Creating it is allowed; the office is told.
pub fn past_warning(
    day: NaiveDate,
    starts_at: NaiveTime,
    ends_at: NaiveTime,
    now: DateTime<Utc>,
) -> Option<String> {
    let times = SessionTimes::new(day, starts_at, ends_at);
    if !times.has_begun(now) {
        return None;
    }
    let today = format::paris_day(now);
    let days = (today - day).num_days();
    let when = match days {
        0 => format!(
            "elle a commencé aujourd’hui à {}",
            starts_at.format("%H:%M")
        ),
        1 => "hier".to_owned(),
        n => format!("il y a {n} jours"),
    };
    Some(format!(
        "cette séance est dans le passé ({when}, le {}) : son appel sera saisi après coup et \
         sa feuille signée en retard, ce que le contrôle des émargements relèvera ; \
         vérifiez la date",
        format::date(day)
    ))
}

#[cfg(test)]
mod tests {
    use super::past_warning;
    use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};

    #[test]
    fn a_session_begun_before_its_creation_is_said_to_be_in_the_past() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let time = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        // Tuesday 14 October 2025, 10:00 in Paris.
        let now = Utc.with_ymd_and_hms(2025, 10, 14, 8, 0, 0).unwrap();
        let twenty = past_warning(day("2025-09-24"), time(8), time(12), now).unwrap();
        assert!(
            twenty
                .starts_with("cette séance est dans le passé (il y a 20 jours, le 24/09/2025) : "),
            "{twenty}"
        );
        assert!(
            past_warning(day("2025-10-13"), time(8), time(12), now)
                .unwrap()
                .contains("(hier, le 13/10/2025)")
        );
        assert!(
            past_warning(day("2025-10-14"), time(8), time(12), now)
                .unwrap()
                .contains("commencé aujourd’hui à 08:00")
        );
        assert_eq!(
            past_warning(day("2025-10-14"), time(14), time(17), now),
            None
        );
        assert_eq!(
            past_warning(day("2025-10-15"), time(8), time(12), now),
            None
        );
    }
}
