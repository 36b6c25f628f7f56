//! What the OPCO audit bundle reads of one contract: its facts, the group's sessions with
//! the student's marks, the marks' history, the certificates, the justifications with the
//! sessions they cover, and the absence notices sent.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::Db;
use crate::db_run;

/// The mail kinds that tell someone about the student's absences.
const NOTICE_KINDS: &str =
    "'absence_notice', 'absence_correction', 'threshold_warning', 'dropout_alert'";

#[derive(Debug, sqlx::FromRow)]
pub struct ContractRow {
    pub id: i64,
    pub student_id: i64,
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub kind: String,
    pub academic_year: String,
    pub academic_year_start: NaiveDate,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub defence_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    pub place: String,
    pub opco_name: String,
    pub subrogation: bool,
    pub student_last_name: String,
    pub student_first_name: String,
    pub company_name: String,
    pub company_siret: String,
    pub company_address: String,
    pub tutor_name: String,
    pub qualification: String,
    pub rncp: String,
}

/// A session of the contract with the student's line of its sheet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub room: String,
    pub module_name: String,
    pub teacher_name: String,
    pub group_name: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub status: Option<String>,
    pub minutes_missed: Option<i64>,
    pub excused_minutes: Option<i64>,
    pub self_signed_at: Option<DateTime<Utc>>,
    pub with_code: Option<bool>,
}

/// One change of one of the student's marks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub id: i64,
    pub session_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module_name: String,
    pub old_status: Option<String>,
    pub old_minutes_missed: Option<i64>,
    pub old_excused_minutes: Option<i64>,
    pub old_note: Option<String>,
    pub new_status: String,
    pub new_minutes_missed: i64,
    pub new_excused_minutes: i64,
    pub new_note: String,
    pub source: String,
    pub changed_by: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CertificateRow {
    pub number: String,
    pub kind: String,
    pub semester: String,
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub snapshot: String,
    pub superseded_at: Option<DateTime<Utc>>,
    pub superseded_by: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JustificationRow {
    pub id: i64,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: String,
    pub reason: String,
    pub file_type: String,
    pub file_sha256: String,
    pub file_data: Vec<u8>,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CoveredRow {
    pub justification_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module_name: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRow {
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub reason: String,
    pub status: String,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i64,
}

/// The contract's facts the bundle prints, with its group, student, company, tutor and
/// programme.
pub async fn contract(db: &Db, contract_id: i64) -> Result<Option<ContractRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.student_id, c.group_id, g.name AS group_name, c.kind, \
             y.name AS academic_year, y.starts_on AS academic_year_start, c.start_date, c.end_date, \
             c.defence_date, c.termination_date, c.place, c.opco_name, c.subrogation, \
             st.last_name AS student_last_name, st.first_name AS student_first_name, \
             co.legal_name AS company_name, co.siret AS company_siret, co.address AS company_address, \
             t.first_name || ' ' || t.last_name AS tutor_name, p.qualification, p.rncp \
             FROM contracts c JOIN academic_years y ON y.id = c.academic_year_id \
             JOIN students st ON st.id = c.student_id JOIN companies co ON co.id = c.company_id \
             JOIN tutors t ON t.id = c.tutor_id JOIN programmes p ON p.id = c.programme_id \
             LEFT JOIN student_groups g ON g.id = c.group_id WHERE c.id = $1",
        )
        .bind(contract_id)
        .fetch_optional(pool)
        .await
    })
}

/// The group's sessions between two days, each with the student's mark and own signature.
pub async fn sessions(
    db: &Db,
    student_id: i64,
    group: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT s.id, s.day, s.starts_at, s.ends_at, s.room, mo.name AS module_name, \
             t.first_name || ' ' || t.last_name AS teacher_name, g.name AS group_name, s.signed_at, \
             m.status, m.minutes_missed, m.excused_minutes, si.signed_at AS self_signed_at, si.with_code \
             FROM training_sessions s JOIN modules mo ON mo.id = s.module_id \
             JOIN teachers t ON t.id = s.teacher_id JOIN student_groups g ON g.id = s.group_id \
             LEFT JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = $1 \
             LEFT JOIN self_signins si ON si.session_id = s.id AND si.student_id = $1 \
             WHERE s.group_id = $2 AND s.day >= $3 AND s.day <= $4 ORDER BY s.day, s.starts_at, s.id",
        )
        .bind(student_id)
        .bind(group)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })
}

/// The changes of the student's marks on the group's sessions between two days.
pub async fn history(
    db: &Db,
    student_id: i64,
    group: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT h.id, h.session_id, s.day, s.starts_at, s.ends_at, mo.name AS module_name, \
             h.old_status, h.old_minutes_missed, h.old_excused_minutes, h.old_note, h.new_status, \
             h.new_minutes_missed, h.new_excused_minutes, h.new_note, h.source, u.display_name AS changed_by, h.changed_at, h.reason \
             FROM attendance_history h JOIN training_sessions s ON s.id = h.session_id \
             JOIN modules mo ON mo.id = s.module_id LEFT JOIN users u ON u.id = h.changed_by \
             WHERE h.student_id = $1 AND s.group_id = $2 AND s.day >= $3 AND s.day <= $4 \
             ORDER BY s.day, s.starts_at, s.id, h.id",
        )
        .bind(student_id)
        .bind(group)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })
}

/// The contract's certificates, superseded ones included, in the order issued.
pub async fn certificates(db: &Db, contract_id: i64) -> Result<Vec<CertificateRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT number, kind, semester, pdf, sha256, snapshot, superseded_at, superseded_by \
             FROM certificates WHERE contract_id = $1 ORDER BY issued_at, id",
        )
        .bind(contract_id)
        .fetch_all(pool)
        .await
    })
}

/// The student's justifications that cover one of the group's sessions between two days.
pub async fn justifications(
    db: &Db,
    student_id: i64,
    group: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<JustificationRow>, sqlx::Error> {
    // A justification belongs to the contract when it covers one of its sessions.
    let covers = "FROM justification_absences ja JOIN training_sessions s ON s.id = ja.session_id \
                  WHERE ja.justification_id = j.id AND s.group_id = $2 AND s.day >= $3 AND s.day <= $4";
    db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "SELECT j.id, j.submitted_at, u.display_name AS submitted_by, j.reason, j.file_type, \
             j.file_sha256, j.file_data, j.status, d.display_name AS decided_by, j.decided_at, \
             j.decision_comment FROM justifications j JOIN users u ON u.id = j.submitted_by \
             LEFT JOIN users d ON d.id = j.decided_by \
             WHERE j.student_id = $1 AND EXISTS (SELECT 1 {covers}) ORDER BY j.id"
        ))
        .bind(student_id)
        .bind(group)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })
}

/// The sessions each of the student's justifications covers.
pub async fn covered(db: &Db, student_id: i64) -> Result<Vec<CoveredRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT ja.justification_id, s.day, s.starts_at, s.ends_at, mo.name AS module_name \
             FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
             JOIN training_sessions s ON s.id = ja.session_id JOIN modules mo ON mo.id = s.module_id \
             WHERE j.student_id = $1 ORDER BY s.day, s.starts_at, s.id",
        )
        .bind(student_id)
        .fetch_all(pool)
        .await
    })
}

/// The start of the student's next contract, if any.
pub async fn next_start(
    db: &Db,
    student_id: i64,
    after: NaiveDate,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_scalar(
            "SELECT start_date FROM contracts WHERE student_id = $1 AND start_date > $2 \
             ORDER BY start_date LIMIT 1",
        )
        .bind(student_id)
        .bind(after)
        .fetch_optional(pool)
        .await
    })
}

/// The absence notices of the student queued between two instants.
pub async fn notices(
    db: &Db,
    student_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<NoticeRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "SELECT kind, recipient, subject, reason, status, queued_at, sent_at, attempts FROM outbox \
             WHERE student_id = $1 AND kind IN ({NOTICE_KINDS}) AND queued_at >= $2 AND queued_at < $3 \
             ORDER BY queued_at, id"
        ))
        .bind(student_id)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })
}
