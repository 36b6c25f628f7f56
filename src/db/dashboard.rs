//! The dashboard's sums (`GROUP BY` in the database): the groups of a year, the sessions'
//! minutes per group and week, the planned hours per group and semester, and the contracts
//! at risk. Each sum is over the group's contracts and, for each contract, over the group's
//! sessions inside its dates, the rows [`contract_sessions`](super::contracts::contract_sessions)
//! reads one contract at a time.

use chrono::{NaiveDate, NaiveTime};

use super::Db;
use crate::db_run;

/// The last day of a contract's training (see [`crate::db::contracts::LAST_DAY_SQL`]).
const LAST_DAY: &str = crate::db::contracts::LAST_DAY_SQL;

/// The pieces of SQL the queries share, some of them written per engine.
///
/// Parameters common to every query: `$1` the academic year, `$2` the last day of S9.
struct Sql {
    /// A session's length in minutes, from the columns of `s`.
    len: String,
    /// The Monday of the ISO week of `s.day`, as `YYYY-MM-DD` text.
    monday: String,
}

/// The statuses of a student who came, for part of the session at least.
const ATTENDED: &str = "('present', 'late', 'left_early')";

/// `S9` up to 31 December, `S10` after (`semester::semesters`).
const SEMESTER: &str = "CASE WHEN s.day <= $2 THEN 'S9' ELSE 'S10' END";

/// The year's sessions: those of its groups.
const YEAR_SESSIONS: &str =
    "s.group_id IN (SELECT g.id FROM student_groups g WHERE g.academic_year_id = $1)";

/// Contract `c` of the year covers session `s`: same group, inside its dates (as
/// `contract_sessions` reads them).
fn covers() -> String {
    format!(
        "c.group_id = s.group_id AND c.academic_year_id = $1 AND {}",
        crate::db::contracts::covers_day_sql("s.day")
    )
}

impl Sql {
    fn new(db: &Db) -> Sql {
        // Civil times: a session's length is its end minus its start, in whole minutes,
        // as `SessionTimes::minutes` counts it away from the changes of hour.
        let dialect = db.dialect();
        Sql {
            len: dialect.minutes_between("s.starts_at", "s.ends_at"),
            monday: dialect.monday_of("s.day"),
        }
    }
}

/// Minutes of a session of length `len` that mark `m` misses when the student came: the
/// minutes missed, at most the session (`attended_minutes` clamps them). The length is only
/// worked out for the few marks with minutes missed.
fn minutes_missed(len: &str) -> String {
    format!(
        "CASE WHEN m.status IN {ATTENDED} AND m.minutes_missed > 0 THEN \
         CASE WHEN m.minutes_missed >= {len} THEN {len} ELSE m.minutes_missed END ELSE 0 END"
    )
}

/// Each group of the year: (id, name, students with a contract begun in it).
pub async fn groups(db: &Db, year_id: i64) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "SELECT g.id, g.name, CAST((SELECT COUNT(*) FROM contracts c WHERE c.group_id = g.id \
         AND c.academic_year_id = $1 AND c.start_date <= {LAST_DAY}) AS BIGINT) \
         FROM student_groups g WHERE g.academic_year_id = $1 ORDER BY g.name, g.id"
    ))
    .bind(year_id)
    .fetch_all(pool)
    .await)
}

/// A group's week within a semester: (group, Monday as `YYYY-MM-DD`, semester, sessions,
/// then minutes scheduled, recorded, attended, excused and upcoming).
pub type WeekRow = (i64, String, String, i64, i64, i64, i64, i64, i64);

/// One pass over the year's sessions, each with its students' marks summed, then summed per
/// group, week and semester (a week across 1 January has a row for each). A session is
/// upcoming after `today` at `time` (Paris).
///
/// The inner query reads the sessions in the order of their index, so that the database
/// sums each session's marks as they come instead of sorting every (student, session).
pub async fn weekly(
    db: &Db,
    year_id: i64,
    s9_end: NaiveDate,
    today: NaiveDate,
    time: NaiveTime,
) -> Result<Vec<WeekRow>, sqlx::Error> {
    let sql = Sql::new(db);
    let (len, monday) = (&sql.len, &sql.monday);
    let query = format!(
        "SELECT s.group_id, {monday} AS monday, {SEMESTER} AS semester, \
         CAST(COUNT(*) AS BIGINT), \
         CAST(SUM(s.students * {len}) AS BIGINT), \
         CAST(SUM(s.marked * {len}) AS BIGINT), \
         CAST(SUM(s.came * {len} - s.missed) AS BIGINT), \
         CAST(SUM(s.excused * {len}) AS BIGINT), \
         CAST(SUM(CASE WHEN s.day > $3 OR (s.day = $3 AND s.starts_at > $4) \
         THEN (s.students - s.marked) * {len} ELSE 0 END) AS BIGINT) \
         FROM (SELECT s.id, s.group_id, s.day, s.starts_at, s.ends_at, COUNT(*) AS students, \
         COUNT(m.status) AS marked, \
         SUM(CASE WHEN m.status IN {ATTENDED} THEN 1 ELSE 0 END) AS came, \
         SUM({missed}) AS missed, \
         SUM(CASE WHEN m.status = 'excused' THEN 1 ELSE 0 END) AS excused \
         FROM training_sessions s JOIN contracts c ON {covers} \
         LEFT JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
         WHERE {YEAR_SESSIONS} GROUP BY s.group_id, s.day, s.id) s \
         GROUP BY s.group_id, monday, semester",
        missed = minutes_missed(&sql.len),
        covers = covers(),
    );
    db_run!(db, |pool| sqlx::query_as(&query)
        .bind(year_id)
        .bind(s9_end)
        .bind(today)
        .bind(time)
        .fetch_all(pool)
        .await)
}

/// The contracts and planned minutes of each group of the year: (group, S9 contracts, S9
/// planned minutes, S10 contracts, S10 planned minutes).
pub async fn planned(
    db: &Db,
    year_id: i64,
    s9_end: NaiveDate,
    s10_start: NaiveDate,
) -> Result<Vec<(i64, i64, i64, i64, i64)>, sqlx::Error> {
    // `semester::semesters`: S9 when the contract starts by 31 December, S10 when it runs
    // into January; neither after a withdrawal before the start (its last day is earlier).
    // A semester cut short by a termination plans the hours held in it
    // (`semester::planned_for_period`, Article 7).
    let len = Sql::new(db).len;
    let planned_of = |column: &str, range: &str, cut: &str| {
        let held = format!(
            "(SELECT COALESCE(SUM({len}), 0) FROM training_sessions s WHERE s.group_id = c.group_id \
             AND s.day >= c.start_date AND s.day <= {LAST_DAY} AND {range})"
        );
        format!(
            "CASE WHEN c.termination_date IS NOT NULL \
             AND c.termination_date < COALESCE(c.defence_date, c.end_date) AND {cut} \
             THEN CASE WHEN {held} < {column} THEN {held} ELSE {column} END ELSE {column} END"
        )
    };
    let planned_s9 = planned_of(
        "c.planned_minutes_s9",
        "s.day <= $2",
        "c.termination_date <= $2",
    );
    let planned_s10 = planned_of(
        "c.planned_minutes_s10",
        "s.day >= $3",
        "c.termination_date >= $3",
    );
    let query = format!(
        "SELECT c.group_id, \
         CAST(SUM(CASE WHEN c.start_date <= $2 AND c.start_date <= {LAST_DAY} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN c.start_date <= $2 AND c.start_date <= {LAST_DAY} THEN {planned_s9} ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN $3 <= {LAST_DAY} AND c.start_date <= {LAST_DAY} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN $3 <= {LAST_DAY} AND c.start_date <= {LAST_DAY} THEN {planned_s10} ELSE 0 END) AS BIGINT) \
         FROM contracts c WHERE c.academic_year_id = $1 AND c.group_id IS NOT NULL GROUP BY c.group_id"
    );
    db_run!(db, |pool| sqlx::query_as(&query)
        .bind(year_id)
        .bind(s9_end)
        .bind(s10_start)
        .fetch_all(pool)
        .await)
}

/// Who a reason is about.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Who {
    pub contract_id: i64,
    pub student_id: i64,
    pub group_id: i64,
    pub first_name: String,
    pub last_name: String,
}

/// A contract's missed minutes per semester up to `as_of`, and its attendance over the
/// window.
#[derive(Debug, sqlx::FromRow)]
pub struct ContractMissed {
    #[sqlx(flatten)]
    pub who: Who,
    pub planned_s9: i64,
    pub planned_s10: i64,
    pub s9_absence: i64,
    pub s9_excused: i64,
    pub s10_absence: i64,
    pub s10_excused: i64,
    pub window_recorded: i64,
    pub window_attended: i64,
}

/// A session of the window with the student's mark.
#[derive(Debug, sqlx::FromRow)]
pub struct WindowMark {
    #[sqlx(flatten)]
    pub who: Who,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub status: Option<String>,
}

/// Per contract up to `as_of`, those at or above the `lowest` threshold (percent of a
/// semester's planned minutes, 0 for none) in a semester, or attending under
/// `low_rate_tenths` over the window from `window_from`.
pub async fn contract_missed(
    db: &Db,
    year_id: i64,
    s9_end: NaiveDate,
    as_of: NaiveDate,
    window_from: NaiveDate,
    lowest: i64,
    low_rate_tenths: i64,
) -> Result<Vec<ContractMissed>, sqlx::Error> {
    // $3 `as_of`, $4 the first day of the window. A contract that ended early before the
    // window is no longer followed.
    let followed = "AND (c.termination_date IS NULL OR c.termination_date >= $4)";

    let missed_sql = minutes_missed("s.len");
    // A late arrival's or an early leave's excused minutes count as excused, the rest as
    // absence (the same split as `Tally`).
    let absence_sql = format!(
        "CASE WHEN m.status = 'excused' THEN 0 WHEN m.status IN {ATTENDED} THEN \
         ({missed_sql}) - CASE WHEN m.excused_minutes > ({missed_sql}) THEN ({missed_sql}) \
         ELSE m.excused_minutes END ELSE s.len END"
    );
    let excused_sql = format!(
        "CASE WHEN m.status = 'excused' THEN s.len WHEN m.status IN {ATTENDED} THEN \
         CASE WHEN m.excused_minutes > ({missed_sql}) THEN ({missed_sql}) ELSE m.excused_minutes END \
         ELSE 0 END"
    );
    let query = format!(
        "WITH sl AS MATERIALIZED (SELECT s.id, s.group_id, s.day, {len} AS len \
         FROM training_sessions s WHERE {YEAR_SESSIONS} AND s.day <= $3) \
         SELECT c.id AS contract_id, c.student_id, c.group_id, st.first_name, st.last_name, \
         c.planned_minutes_s9 AS planned_s9, c.planned_minutes_s10 AS planned_s10, \
         a.s9_absence, a.s9_excused, a.s10_absence, a.s10_excused, \
         a.window_recorded, a.window_attended \
         FROM (SELECT c.id AS contract_id, \
         CAST(SUM(CASE WHEN s.day <= $2 THEN {absence_sql} ELSE 0 END) AS BIGINT) AS s9_absence, \
         CAST(SUM(CASE WHEN s.day <= $2 THEN {excused_sql} ELSE 0 END) AS BIGINT) AS s9_excused, \
         CAST(SUM(CASE WHEN s.day > $2 THEN {absence_sql} ELSE 0 END) AS BIGINT) AS s10_absence, \
         CAST(SUM(CASE WHEN s.day > $2 THEN {excused_sql} ELSE 0 END) AS BIGINT) AS s10_excused, \
         CAST(SUM(CASE WHEN s.day >= $4 THEN s.len ELSE 0 END) AS BIGINT) AS window_recorded, \
         CAST(SUM(CASE WHEN s.day >= $4 AND m.status IN {ATTENDED} THEN s.len - {missed_sql} ELSE 0 END) \
         AS BIGINT) AS window_attended \
         FROM sl s JOIN contracts c ON {covers} {followed} \
         JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
         GROUP BY c.id) a \
         JOIN contracts c ON c.id = a.contract_id JOIN students st ON st.id = c.student_id \
         WHERE ($5 > 0 AND c.planned_minutes_s9 > 0 \
         AND (a.s9_absence + a.s9_excused) * 100 >= $5 * c.planned_minutes_s9) \
         OR ($5 > 0 AND c.planned_minutes_s10 > 0 \
         AND (a.s10_absence + a.s10_excused) * 100 >= $5 * c.planned_minutes_s10) \
         OR a.window_attended * 10 < a.window_recorded * $6 \
         ORDER BY c.id",
        len = Sql::new(db).len,
        covers = covers(),
    );
    db_run!(db, |pool| sqlx::query_as(&query)
        .bind(year_id)
        .bind(s9_end)
        .bind(as_of)
        .bind(window_from)
        .bind(lowest)
        .bind(low_rate_tenths)
        .fetch_all(pool)
        .await)
}

/// The sessions of the window with each student's mark, for the contracts with at least
/// `streak` absences in it, by contract then time.
pub async fn window_marks(
    db: &Db,
    year_id: i64,
    s9_end: NaiveDate,
    as_of: NaiveDate,
    window_from: NaiveDate,
    streak: i64,
) -> Result<Vec<WindowMark>, sqlx::Error> {
    // Parameters after the common two: $3 `as_of`, $4 the first day of the window, then
    // the query's own. A contract that ended early before the window is no longer followed.
    let followed = "AND (c.termination_date IS NULL OR c.termination_date >= $4)";
    let marks = format!(
        "FROM training_sessions s JOIN contracts c ON {} {followed}",
        covers()
    );

    let in_window = "s.day >= $4 AND s.day <= $3";
    let query = format!(
        "SELECT c.id AS contract_id, c.student_id, c.group_id, st.first_name, st.last_name, \
         s.day, s.starts_at, m.status {marks} JOIN students st ON st.id = c.student_id \
         LEFT JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
         WHERE {YEAR_SESSIONS} AND {in_window} AND c.id IN (SELECT c.id {marks} \
         JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
         AND m.status = 'absent' WHERE {YEAR_SESSIONS} AND {in_window} \
         GROUP BY c.id HAVING COUNT(*) >= $5) \
         ORDER BY c.id, s.day, s.starts_at, s.id"
    );
    db_run!(db, |pool| sqlx::query_as(&query)
        .bind(year_id)
        .bind(s9_end)
        .bind(as_of)
        .bind(window_from)
        .bind(streak)
        .fetch_all(pool)
        .await)
}

/// A mark of the day that is not a presence: an absence, a late arrival or an early leave.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayAbsence {
    pub session_id: i64,
    pub module: String,
    pub group_name: String,
    pub teacher: String,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub student_id: i64,
    pub first_name: String,
    pub last_name: String,
    /// `absent`, `left_early` or `late`.
    pub status: String,
    pub minutes_missed: i64,
    /// A justification covers it (pending or accepted).
    pub justified: bool,
}

/// The absences, late arrivals and early leaves of one day: absences first, then early
/// leaves, then late arrivals, each by the session's start and the student's name.
pub async fn absences_of_day(db: &Db, day: NaiveDate) -> Result<Vec<DayAbsence>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT s.id AS session_id, mo.name AS module, g.name AS group_name, \
         t.first_name || ' ' || t.last_name AS teacher, s.starts_at, s.ends_at, \
         m.student_id, st.first_name, st.last_name, m.status, m.minutes_missed, \
         EXISTS (SELECT 1 FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
           WHERE ja.session_id = s.id AND j.student_id = m.student_id AND j.status <> 'refused') AS justified \
         FROM attendance_marks m JOIN training_sessions s ON s.id = m.session_id \
         JOIN modules mo ON mo.id = s.module_id JOIN student_groups g ON g.id = s.group_id \
         JOIN teachers t ON t.id = s.teacher_id JOIN students st ON st.id = m.student_id \
         WHERE s.day = $1 AND m.status IN ('absent', 'late', 'left_early') \
         ORDER BY CASE m.status WHEN 'absent' THEN 0 WHEN 'left_early' THEN 1 ELSE 2 END, \
         s.starts_at, st.last_name, st.first_name, s.id LIMIT 500"
    )
    .bind(day)
    .fetch_all(pool)
    .await
    })
}

/// A contract's student and group, to name it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContractStudent {
    pub contract_id: i64,
    pub student_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub group_name: Option<String>,
}

/// The student and group of each contract.
pub async fn contract_students(db: &Db, ids: &[i64]) -> Result<Vec<ContractStudent>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT c.id AS contract_id, c.student_id, st.first_name, st.last_name, g.name AS group_name FROM contracts c \
         JOIN students st ON st.id = c.student_id LEFT JOIN student_groups g ON g.id = c.group_id \
         WHERE c.id IN ({})",
        placeholders.join(", ")
    );
    db_run!(db, |pool| {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(pool).await
    })
}
