//! Contracts as the access rules and the hour counts read them: the contract's frame, its
//! sessions with the student's marks, and the dates of a tutor's contracts.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};

use crate::db::Db;
use crate::db_run;
use crate::domain::attendance::{Mark, SessionMark, SessionTimes, Status};
use crate::domain::semester::ContractDates;
use crate::error::{AppError, AppResult};

/// The last day of contract `c`'s training in SQL: the defence (or the end), cut by a
/// termination — [`ContractDates::last_day`], checked against it by `tests/api/dialect.rs`.
pub const LAST_DAY_SQL: &str = "(CASE WHEN c.termination_date IS NOT NULL \
    AND c.termination_date < COALESCE(c.defence_date, c.end_date) THEN c.termination_date \
    ELSE COALESCE(c.defence_date, c.end_date) END)";

/// Contract `c` covers `day` (an SQL date expression): [`ContractDates::covers`] in SQL. A
/// termination before the start leaves no day, as the rule says.
pub fn covers_day_sql(day: &str) -> String {
    format!("(c.start_date <= {day} AND {day} <= {LAST_DAY_SQL})")
}

#[derive(sqlx::FromRow)]
struct DatesRow {
    student_id: i64,
    academic_year_start: NaiveDate,
    start_date: NaiveDate,
    end_date: NaiveDate,
    defence_date: Option<NaiveDate>,
    termination_date: Option<NaiveDate>,
}

/// Each contract on which `tutor` is the tutor: its student and its dates.
pub async fn tutor_contract_dates(
    db: &Db,
    tutor: i64,
) -> Result<Vec<(i64, ContractDates)>, sqlx::Error> {
    contract_dates_where(db, "tutor_id", tutor).await
}

/// Each contract of `company`: its student and its dates.
pub async fn company_contract_dates(
    db: &Db,
    company: i64,
) -> Result<Vec<(i64, ContractDates)>, sqlx::Error> {
    contract_dates_where(db, "company_id", company).await
}

/// The ids of `company`'s contracts.
pub async fn ids_of_company(db: &Db, company: i64) -> Result<Vec<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM contracts WHERE company_id = $1 ORDER BY id"
    )
    .bind(company)
    .fetch_all(pool)
    .await)
}

/// Each contract whose `column` (tutor_id or company_id) is `id`: its student and dates.
async fn contract_dates_where(
    db: &Db,
    column: &'static str,
    id: i64,
) -> Result<Vec<(i64, ContractDates)>, sqlx::Error> {
    let sql = format!(
        "SELECT c.student_id, y.starts_on AS academic_year_start, c.start_date, c.end_date, \
         c.defence_date, c.termination_date FROM contracts c \
         JOIN academic_years y ON y.id = c.academic_year_id WHERE c.{column} = $1"
    );
    let rows: Vec<DatesRow> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.student_id,
                ContractDates {
                    academic_year_start: r.academic_year_start,
                    start: r.start_date,
                    end: r.end_date,
                    defence: r.defence_date,
                    termination: r.termination_date,
                },
            )
        })
        .collect())
}

/// Selects [`ContractFrame`]s; append a `WHERE` on `c` (contracts).
pub const CONTRACT_FRAME_SELECT: &str = "SELECT c.id, c.student_id, c.tutor_id, c.group_id, \
    y.name AS academic_year, y.starts_on AS academic_year_start, c.start_date, c.end_date, \
    c.defence_date, c.termination_date, c.planned_minutes_s9, c.planned_minutes_s10, c.kind AS contract_kind, \
    st.first_name AS student_first_name, st.last_name AS student_last_name \
    FROM contracts c JOIN academic_years y ON y.id = c.academic_year_id \
    JOIN students st ON st.id = c.student_id";

/// The contract facts a summary needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContractFrame {
    pub id: i64,
    pub student_id: i64,
    pub tutor_id: i64,
    pub group_id: Option<i64>,
    pub academic_year: String,
    pub academic_year_start: NaiveDate,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub defence_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    pub planned_minutes_s9: i64,
    pub planned_minutes_s10: i64,
    /// As stored (« contrat de professionnalisation »…); see [`ContractFrame::kind`].
    pub contract_kind: String,
    pub student_first_name: String,
    pub student_last_name: String,
}

impl ContractFrame {
    pub fn kind(&self) -> crate::domain::contract_kind::ContractKind {
        crate::domain::contract_kind::ContractKind::of_stored(&self.contract_kind)
    }

    pub fn dates(&self) -> ContractDates {
        ContractDates {
            academic_year_start: self.academic_year_start,
            start: self.start_date,
            end: self.end_date,
            defence: self.defence_date,
            termination: self.termination_date,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StudentSession {
    pub id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub status: Option<String>,
    pub minutes_missed: Option<i64>,
    pub excused_minutes: Option<i64>,
    /// Its instants, worked out once: the time zone rules cost more than the counting.
    pub times: SessionTimes,
    /// The mark as the hour rules read it, parsed once.
    mark: Option<Mark>,
}

/// A mark as the database stores it: status, minutes missed, minutes excused.
pub type StoredMark = (String, i64, i64);

impl StudentSession {
    pub fn new(
        id: i64,
        day: NaiveDate,
        (starts_at, ends_at): (NaiveTime, NaiveTime),
        mark: Option<StoredMark>,
    ) -> Self {
        StudentSession {
            id,
            day,
            starts_at,
            ends_at,
            status: None,
            minutes_missed: None,
            excused_minutes: None,
            mark: None,
            times: SessionTimes::new(day, starts_at, ends_at),
        }
        .with_mark(mark)
    }

    /// The same session with another mark (its instants kept).
    pub fn with_mark(&self, mark: Option<StoredMark>) -> Self {
        let parsed = mark.as_ref().and_then(|(status, missed, excused)| {
            Status::parse(status).map(|status| Mark {
                status,
                minutes_missed: *missed,
                excused_minutes: *excused,
            })
        });
        StudentSession {
            mark: parsed,
            status: mark.as_ref().map(|m| m.0.clone()),
            minutes_missed: mark.as_ref().map(|m| m.1),
            excused_minutes: mark.as_ref().map(|m| m.2),
            ..self.clone()
        }
    }

    /// The session as the hour rules see it at `now`: its length, whether it has begun, the mark.
    pub fn mark_at(&self, now: chrono::DateTime<chrono::Utc>) -> SessionMark {
        let times = self.times;
        SessionMark {
            session_minutes: times.minutes(),
            begun: times.has_begun(now),
            mark: self.mark,
        }
    }
}

/// The sessions of the contract's group inside its dates, each with the student's mark.
///
/// They come back as one text row (`string_agg`, in SQLite since 3.44 and PostgreSQL): the
/// SQLite driver hands rows over one by one between threads, and a summary reads hundreds of
/// them, which made it cost several times the query itself.
pub async fn contract_sessions(db: &Db, c: &ContractFrame) -> AppResult<Vec<StudentSession>> {
    let Some(group) = c.group_id else {
        return Ok(Vec::new());
    };
    let dates = c.dates();
    let packed: Option<String> = db_run!(db, |pool| {
        sqlx::query_scalar(
        "SELECT string_agg(CAST(s.id AS TEXT) || ',' || CAST(s.day AS TEXT) || ',' || CAST(s.starts_at AS TEXT) \
         || ',' || CAST(s.ends_at AS TEXT) || ',' || COALESCE(m.status, '') || ',' \
         || COALESCE(CAST(m.minutes_missed AS TEXT), '') || ',' \
         || COALESCE(CAST(m.excused_minutes AS TEXT), ''), ';') FROM training_sessions s \
         LEFT JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = $1 \
         WHERE s.group_id = $2 AND s.day >= $3 AND s.day <= $4"
    )
    .bind(c.student_id)
    .bind(group)
    .bind(dates.start)
    .bind(dates.last_day())
    .fetch_one(pool)
    .await
    })?;
    unpack_sessions(packed.as_deref())
}

/// The rows of a `string_agg` of sessions, in the order of the day.
fn unpack_sessions(packed: Option<&str>) -> AppResult<Vec<StudentSession>> {
    let mut sessions = packed
        .unwrap_or_default()
        .split(';')
        .filter(|r| !r.is_empty())
        .map(unpack_session)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("séance illisible : {e}")))?;
    sessions.sort_by_key(|s| (s.day, s.starts_at, s.id));
    Ok(sessions)
}

/// The sessions of a group between two dates with every student's marks, for work over
/// many contracts (the year's billing): two queries per group instead of one per contract.
pub struct GroupSessions {
    /// Ordered by day and time, without marks.
    pub sessions: Vec<StudentSession>,
    /// Student → session → its mark.
    pub marks: HashMap<i64, HashMap<i64, StoredMark>>,
}

impl GroupSessions {
    pub async fn load(db: &Db, group: i64, from: NaiveDate, to: NaiveDate) -> AppResult<Self> {
        let packed: Option<String> = db_run!(db, |pool| {
            sqlx::query_scalar(
                "SELECT string_agg(CAST(s.id AS TEXT) || ',' || CAST(s.day AS TEXT) || ',' \
                 || CAST(s.starts_at AS TEXT) || ',' || CAST(s.ends_at AS TEXT) || ',,,', ';') \
                 FROM training_sessions s WHERE s.group_id = $1 AND s.day >= $2 AND s.day <= $3",
            )
            .bind(group)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await
        })?;
        let sessions = unpack_sessions(packed.as_deref())?;
        let rows: Vec<(i64, String)> = db_run!(db, |pool| {
            sqlx::query_as(
                "SELECT m.student_id, string_agg(CAST(m.session_id AS TEXT) || ',' || m.status \
                 || ',' || CAST(m.minutes_missed AS TEXT) || ',' || CAST(m.excused_minutes AS TEXT), ';') \
                 FROM attendance_marks m \
                 JOIN training_sessions s ON s.id = m.session_id \
                 WHERE s.group_id = $1 AND s.day >= $2 AND s.day <= $3 GROUP BY m.student_id",
            )
            .bind(group)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })?;
        let mut marks = HashMap::with_capacity(rows.len());
        for (student, packed) in rows {
            let mut of_student = HashMap::new();
            for mark in packed.split(';').filter(|m| !m.is_empty()) {
                let mut f = mark.split(',');
                let parsed = match (f.next(), f.next(), f.next(), f.next()) {
                    (Some(session), Some(status), Some(missed), Some(excused)) => {
                        match (
                            session.parse::<i64>(),
                            missed.parse::<i64>(),
                            excused.parse::<i64>(),
                        ) {
                            (Ok(id), Ok(m), Ok(e)) => Some((id, status, m, e)),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                let Some((session, status, missed, excused)) = parsed else {
                    return Err(AppError::Internal(anyhow::anyhow!(
                        "marque illisible : {mark}"
                    )));
                };
                of_student.insert(session, (status.to_owned(), missed, excused));
            }
            marks.insert(student, of_student);
        }
        Ok(GroupSessions { sessions, marks })
    }

    /// What `contract_sessions` reads for this contract, from the group's rows.
    pub fn of_contract(&self, c: &ContractFrame) -> Vec<StudentSession> {
        let dates = c.dates();
        let (from, to) = (dates.start, dates.last_day());
        let marks = self.marks.get(&c.student_id);
        self.sessions
            .iter()
            .filter(|s| from <= s.day && s.day <= to)
            .map(|s| s.with_mark(marks.and_then(|m| m.get(&s.id)).cloned()))
            .collect()
    }
}

/// `id,day,starts_at,ends_at,status,minutes_missed,excused_minutes` (the last three empty
/// without a mark).
fn unpack_session(row: &str) -> Result<StudentSession, String> {
    let mut f = row.split(',');
    let mut next = |what: &str| {
        f.next()
            .ok_or_else(|| format!("{what} manquant dans « {row} »"))
    };
    let id = next("id")?
        .parse()
        .map_err(|_| format!("id dans « {row} »"))?;
    let day = next("date")?
        .parse()
        .map_err(|_| format!("date dans « {row} »"))?;
    let starts_at = next("début")?
        .parse()
        .map_err(|_| format!("début dans « {row} »"))?;
    let ends_at = next("fin")?
        .parse()
        .map_err(|_| format!("fin dans « {row} »"))?;
    let status = Some(next("statut")?)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let mut minutes = |what: &str| -> Result<i64, String> {
        match next(what)? {
            "" => Ok(0),
            m => m.parse().map_err(|_| format!("{what} dans « {row} »")),
        }
    };
    let missed = minutes("minutes")?;
    let excused = minutes("minutes justifiées")?;
    Ok(StudentSession::new(
        id,
        day,
        (starts_at, ends_at),
        status.map(|s| (s, missed, excused)),
    ))
}

/// The student's contracts, newest first, only `tutor`'s when given.
pub async fn of_student(
    db: &Db,
    student_id: i64,
    tutor: Option<i64>,
) -> Result<Vec<ContractFrame>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "{CONTRACT_FRAME_SELECT} WHERE c.student_id = $1 AND ($2 = 0 OR c.tutor_id = $2) \
             ORDER BY c.start_date DESC, c.id DESC"
        ))
        .bind(student_id)
        .bind(tutor.unwrap_or(0))
        .fetch_all(pool)
        .await
    })
}

/// The contracts with a group whose dates meet the period, by student name (the audit's
/// unscheduled hours).
pub async fn with_group_meeting(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ContractFrame>, sqlx::Error> {
    let sql = format!(
        "{CONTRACT_FRAME_SELECT} WHERE c.group_id IS NOT NULL AND c.start_date <= $2 \
         AND COALESCE(c.termination_date, c.defence_date, c.end_date) >= $1 \
         ORDER BY st.last_name, st.first_name, c.id"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)
}

/// The group of each of the student's contracts (`None` for a contract without one).
pub async fn group_ids_of_student(
    db: &Db,
    student_id: i64,
) -> Result<Vec<Option<i64>>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT group_id FROM contracts WHERE student_id = $1"
    )
    .bind(student_id)
    .fetch_all(pool)
    .await)
}

/// A certificate issued for a contract, as its page lists it.
#[derive(sqlx::FromRow)]
pub struct CertificateRow {
    pub number: String,
    pub kind: String,
    pub semester: String,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub superseded_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The certificates issued for a contract, newest first.
pub async fn certificates_of(
    db: &Db,
    contract_id: i64,
) -> Result<Vec<CertificateRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT number, kind, semester, issued_at, superseded_at FROM certificates WHERE contract_id = $1 ORDER BY issued_at DESC"
    )
    .bind(contract_id)
    .fetch_all(pool)
    .await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_session_row_reads_back_with_or_without_a_mark() {
        let s = unpack_session("12,2025-09-15,08:30:00,12:00:00,late,10,4").unwrap();
        assert_eq!((s.id, s.day.to_string()), (12, "2025-09-15".to_owned()));
        assert_eq!(
            (s.starts_at.to_string(), s.ends_at.to_string()),
            ("08:30:00".to_owned(), "12:00:00".to_owned())
        );
        assert_eq!(
            (s.status.as_deref(), s.minutes_missed, s.excused_minutes),
            (Some("late"), Some(10), Some(4))
        );
        let unmarked = unpack_session("13,2025-09-15,13:30:00,17:00:00,,,").unwrap();
        assert_eq!((unmarked.status, unmarked.minutes_missed), (None, None));
        assert!(unpack_session("13,2025-09-15").is_err());
        assert!(unpack_session("x,2025-09-15,13:30:00,17:00:00,,").is_err());
    }
}
