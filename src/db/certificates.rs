//! Certificates (`certificates`) and what issuing them reads: the contract's printed facts,
//! the school's seal pictures, the unsigned roll calls and presences that hold them back,
//! and the contracts a bulk issue goes through.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{Db, Tx};
use crate::db::contracts::ContractFrame;
use crate::domain::semester::Semester;
use crate::{db_run, tx_run};

/// The facts of one contract that its certificates print, in one row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContractFacts {
    /// The dates and names a summary also reads.
    #[sqlx(flatten)]
    pub frame: ContractFrame,
    pub place: String,
    pub birth_date: NaiveDate,
    pub birth_place: String,
    pub student_email: String,
    pub student_lang: String,
    pub company_name: String,
    pub company_siret: String,
    pub tutor_first_name: String,
    pub tutor_last_name: String,
    pub tutor_email: String,
    pub tutor_lang: String,
    pub qualification: String,
    pub rncp: String,
    pub department_name: String,
    pub option_name: String,
    pub school_name: Option<String>,
    pub legal_entity: Option<String>,
    pub school_address: Option<String>,
    pub school_siret: Option<String>,
    pub activity_number: Option<String>,
    pub city: Option<String>,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    /// The school counts a presence only with the trainee's signature (NULL without a profile).
    pub presence_needs_signature: Option<bool>,
}

const FACTS_SELECT: &str = "SELECT c.id, c.student_id, c.tutor_id, c.group_id, \
    c.kind AS contract_kind, c.place, c.start_date, c.end_date, c.defence_date, c.termination_date, \
    c.planned_minutes_s9, c.planned_minutes_s10, y.name AS academic_year, \
    y.starts_on AS academic_year_start, st.first_name AS student_first_name, \
    st.last_name AS student_last_name, st.birth_date, st.birth_place, st.email AS student_email, \
    st.lang AS student_lang, co.legal_name AS company_name, co.siret AS company_siret, \
    t.first_name AS tutor_first_name, t.last_name AS tutor_last_name, t.email AS tutor_email, \
    t.lang AS tutor_lang, p.qualification, p.rncp, p.department_name, p.option_name, \
    sc.name AS school_name, sc.legal_entity, sc.address AS school_address, \
    sc.siret AS school_siret, sc.activity_number, sc.city, sc.signatory_name, sc.signatory_title, \
    sc.presence_needs_signature \
    FROM contracts c JOIN academic_years y ON y.id = c.academic_year_id \
    JOIN students st ON st.id = c.student_id JOIN companies co ON co.id = c.company_id \
    JOIN tutors t ON t.id = c.tutor_id JOIN programmes p ON p.id = c.programme_id \
    LEFT JOIN school sc ON sc.id = 1 WHERE c.id = $1";

pub async fn contract_facts(db: &Db, contract_id: i64) -> Result<ContractFacts, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(FACTS_SELECT)
        .bind(contract_id)
        .fetch_one(pool)
        .await)
}

/// The school's stamp and signature, as stored.
pub async fn seal_pictures(
    db: &Db,
) -> Result<Option<(Option<Vec<u8>>, Option<Vec<u8>>)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as("SELECT stamp_png, signature_png FROM school WHERE id = 1")
            .fetch_optional(pool)
            .await
    })
}

/// The current certificates of a contract's semester: (kind, number).
pub async fn current_of_semester(
    db: &Db,
    contract_id: i64,
    semester: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT kind, number FROM certificates WHERE contract_id = $1 AND semester = $2 \
         AND superseded_at IS NULL"
    )
    .bind(contract_id)
    .bind(semester)
    .fetch_all(pool)
    .await)
}

/// The group's unsigned roll calls between two days: how many, and the first one's day.
pub async fn unsigned_roll_calls(
    db: &Db,
    group: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(i64, Option<NaiveDate>), sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT COUNT(*), MIN(day) FROM training_sessions WHERE group_id = $1 \
             AND day >= $2 AND day <= $3 AND signed_at IS NULL",
        )
        .bind(group)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
    })
}

/// The student's presences between two days without their own signature: how many, and
/// the first one's day.
pub async fn unsigned_presences(
    db: &Db,
    student: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(i64, Option<NaiveDate>), sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT COUNT(*), MIN(s.day) FROM attendance_marks m \
             JOIN training_sessions s ON s.id = m.session_id \
             LEFT JOIN self_signins si ON si.session_id = m.session_id AND si.student_id = m.student_id \
             WHERE m.student_id = $1 AND s.day >= $2 AND s.day <= $3 \
             AND m.status IN ('present', 'late', 'left_early') AND si.session_id IS NULL",
        )
        .bind(student)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
    })
}

/// Marks a current certificate superseded (by `new`, for `reason`); answers the rows
/// changed: 0 when another request superseded it first.
pub async fn supersede(
    tx: &mut Tx,
    old: &str,
    now: DateTime<Utc>,
    new: Option<&str>,
    reason: Option<&str>,
) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE certificates SET superseded_at = $2, superseded_by = $3, supersede_reason = $4 \
             WHERE number = $1 AND superseded_at IS NULL",
        )
        .bind(old)
        .bind(now)
        .bind(new)
        .bind(reason)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })
}

/// A certificate to insert.
pub struct NewCertificate<'a> {
    pub number: &'a str,
    pub kind: &'a str,
    pub semester: &'a str,
    pub student_id: i64,
    pub contract_id: i64,
    /// The snapshot, JSON.
    pub snapshot: &'a str,
    pub pdf: &'a [u8],
    pub sha256: &'a str,
    pub issued_at: DateTime<Utc>,
    pub issued_by: Option<i64>,
    pub forced_reason: Option<&'a str>,
}

/// Inserts a certificate unless the contract's semester already has a current one of its
/// kind (the unique index keeps one); answers the rows inserted.
pub async fn insert(tx: &mut Tx, c: &NewCertificate<'_>) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO certificates (number, kind, semester, student_id, contract_id, snapshot, \
             pdf, sha256, issued_at, issued_by, forced_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        )
        .bind(c.number)
        .bind(c.kind)
        .bind(c.semester)
        .bind(c.student_id)
        .bind(c.contract_id)
        .bind(c.snapshot)
        .bind(c.pdf)
        .bind(c.sha256)
        .bind(c.issued_at)
        .bind(c.issued_by)
        .bind(c.forced_reason)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })
}

/// The contracts a bulk issue goes through.
#[derive(Debug, Clone)]
pub enum Pick<'a> {
    /// Every contract of an academic year, by name.
    Year(&'a str),
    /// Every contract with fewer than `kinds` current certificates of a semester that may
    /// have ended by `today`.
    Missing {
        semester: Semester,
        kinds: usize,
        today: NaiveDate,
    },
}

/// The contracts of a selection as `SELECT {what} … WHERE c.id > $2 LIMIT $3`, and the
/// value of `$1`.
fn selection_sql(pick: &Pick<'_>, what: &str) -> (String, String) {
    match pick {
        Pick::Year(year) => (
            format!(
                "SELECT {what} FROM (SELECT c.id FROM contracts c \
                 JOIN academic_years y ON y.id = c.academic_year_id \
                 WHERE y.name = $1 AND c.id > $2 ORDER BY c.id LIMIT $3) AS picked"
            ),
            (*year).to_owned(),
        ),
        Pick::Missing {
            semester,
            kinds,
            today,
        } => {
            // A cheap filter that keeps every contract whose semester may have ended
            // (`prepare` decides exactly): the contract ended before today, or, for S9, the
            // academic year began in an earlier calendar year. Dates are inlined: they come
            // from a `NaiveDate`, never from input.
            let ended = "c.end_date < '{today}' OR c.defence_date < '{today}' \
                 OR c.termination_date < '{today}'"
                .replace("{today}", &today.to_string());
            let ended = match semester {
                Semester::S9 => format!("{ended} OR y.starts_on < '{}-01-01'", today.year()),
                Semester::S10 => ended,
            };
            (
                format!(
                    "SELECT {what} FROM (SELECT c.id FROM contracts c \
                     JOIN academic_years y ON y.id = c.academic_year_id WHERE c.id > $2 \
                     AND ({ended}) AND (SELECT COUNT(*) FROM certificates ce \
                     WHERE ce.contract_id = c.id AND ce.semester = $1 \
                     AND ce.superseded_at IS NULL) < {kinds} ORDER BY c.id LIMIT $3) AS picked"
                ),
                semester.as_str().to_owned(),
            )
        }
    }
}

/// How many contracts a pick holds.
pub async fn count_picked(db: &Db, pick: &Pick<'_>) -> Result<i64, sqlx::Error> {
    let (sql, arg) = selection_sql(pick, "COUNT(*)");
    db_run!(db, |pool| sqlx::query_scalar(&sql)
        .bind(&arg)
        .bind(0_i64)
        .bind(i64::MAX)
        .fetch_one(pool)
        .await)
}

/// The next `limit` contracts of a pick after contract id `after`, in id order.
pub async fn picked_ids(
    db: &Db,
    pick: &Pick<'_>,
    after: i64,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let (sql, arg) = selection_sql(pick, "id");
    db_run!(db, |pool| sqlx::query_scalar(&sql)
        .bind(&arg)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await)
}

/// The school's name and office address, if its profile exists.
pub async fn school_office(tx: &mut Tx) -> Result<Option<(String, String)>, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query_as(
        "SELECT name, office_email FROM school WHERE id = 1"
    )
    .fetch_optional(&mut *conn)
    .await)
}

/// The student's id if the student exists.
pub async fn student_id(db: &Db, student_id: i64) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM students WHERE id = $1"
    )
    .bind(student_id)
    .fetch_optional(pool)
    .await)
}

/// A student's contracts, the latest first.
pub async fn student_contract_ids(db: &Db, student_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM contracts WHERE student_id = $1 ORDER BY start_date DESC, id DESC"
    )
    .bind(student_id)
    .fetch_all(pool)
    .await)
}

/// One contract of the student followed by the tutor, if any.
pub async fn tutor_contract_of(
    db: &Db,
    student_id: i64,
    tutor: i64,
) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM contracts WHERE student_id = $1 AND tutor_id = $2 LIMIT 1"
    )
    .bind(student_id)
    .bind(tutor)
    .fetch_optional(pool)
    .await)
}

/// A certificate in a student's list, as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct CertificateRow {
    pub number: String,
    pub contract_id: i64,
    /// The snapshot, JSON.
    pub snapshot: String,
    pub sha256: String,
    pub issued_at: DateTime<Utc>,
    pub forced_reason: Option<String>,
    pub superseded_at: Option<DateTime<Utc>>,
    pub superseded_by: Option<String>,
    pub supersede_reason: Option<String>,
}

/// A student's certificates, newest first; with `tutor` other than 0, only those of the
/// contracts that tutor follows.
pub async fn of_student(
    db: &Db,
    student_id: i64,
    tutor: i64,
    company: i64,
) -> Result<Vec<CertificateRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT ce.number, ce.contract_id, ce.snapshot, ce.sha256, ce.issued_at, ce.forced_reason, \
         ce.superseded_at, ce.superseded_by, ce.supersede_reason FROM certificates ce \
         JOIN contracts c ON c.id = ce.contract_id \
         WHERE ce.student_id = $1 AND ($2 = 0 OR c.tutor_id = $2) AND ($3 = 0 OR c.company_id = $3) \
         ORDER BY ce.issued_at DESC, ce.id DESC"
    )
    .bind(student_id)
    .bind(tutor)
    .bind(company)
    .fetch_all(pool)
    .await
    })
}

/// A certificate's file and who may read it.
#[derive(Debug, sqlx::FromRow)]
pub struct PdfRow {
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub kind: String,
    pub semester: String,
    pub student_id: i64,
    pub tutor_id: i64,
    pub company_id: i64,
}

/// A certificate's file and who may read it.
pub async fn pdf_of(db: &Db, number: &str) -> Result<Option<PdfRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT ce.pdf, ce.sha256, ce.kind, ce.semester, ce.student_id, c.tutor_id, c.company_id \
             FROM certificates ce JOIN contracts c ON c.id = ce.contract_id WHERE ce.number = $1",
        )
        .bind(number)
        .fetch_optional(pool)
        .await
    })
}

/// What a verification reads of a certificate.
#[derive(Debug, sqlx::FromRow)]
pub struct VerifyRow {
    pub number: String,
    pub snapshot: String,
    pub sha256: String,
    pub superseded_at: Option<DateTime<Utc>>,
    pub pdf: Vec<u8>,
}

const VERIFY_SELECT: &str = "SELECT number, snapshot, sha256, superseded_at, pdf FROM certificates";

pub async fn verify_by_number(db: &Db, number: &str) -> Result<Option<VerifyRow>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "{VERIFY_SELECT} WHERE number = $1"
    ))
    .bind(number)
    .fetch_optional(pool)
    .await)
}

/// The latest certificate whose file has this SHA-256.
pub async fn verify_by_sha256(db: &Db, sha256: &str) -> Result<Option<VerifyRow>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "{VERIFY_SELECT} WHERE sha256 = $1 ORDER BY id DESC LIMIT 1"
    ))
    .bind(sha256)
    .fetch_optional(pool)
    .await)
}

/// The students of a tutor's contracts, by id.
pub async fn students_of_tutor(db: &Db, tutor: i64) -> Result<Vec<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT DISTINCT st.id FROM contracts c JOIN students st ON st.id = c.student_id \
         WHERE c.tutor_id = $1 ORDER BY st.id"
    )
    .bind(tutor)
    .fetch_all(pool)
    .await)
}

/// The 50 latest certificates: (number, student id, first name, last name, semester).
pub async fn latest_issued(
    db: &Db,
) -> Result<Vec<(String, i64, String, String, String)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT ce.number, st.id, st.first_name, st.last_name, ce.semester FROM certificates ce \
             JOIN students st ON st.id = ce.student_id ORDER BY ce.id DESC LIMIT 50",
        )
        .fetch_all(pool)
        .await
    })
}

/// A student's (first name, last name).
pub async fn student_names(db: &Db, id: i64) -> Result<(String, String), sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT first_name, last_name FROM students WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
}
