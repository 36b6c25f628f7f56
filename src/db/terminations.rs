//! Terminations (`terminations`, `termination_letters`) and what recording one reads and
//! changes: the contract's cut, its letters' facts, the certificates it corrects.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Db, Tx};
use crate::{db_run, tx_run};

/// What the letters print beyond the statement's facts.
#[derive(Debug, sqlx::FromRow)]
pub struct LetterFacts {
    pub birth_date: NaiveDate,
    pub qualification: String,
    pub rncp: String,
    pub opco_email: String,
    pub office_email: Option<String>,
    pub office_phone: Option<String>,
    pub dreets_email: Option<String>,
}

pub async fn letter_facts(db: &Db, contract_id: i64) -> Result<Option<LetterFacts>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT st.birth_date, p.qualification, p.rncp, c.opco_email, sc.office_email, \
         sc.phone AS office_phone, sc.dreets_email FROM contracts c \
         JOIN students st ON st.id = c.student_id JOIN programmes p ON p.id = c.programme_id \
         LEFT JOIN school sc ON sc.id = 1 WHERE c.id = $1"
    )
    .bind(contract_id)
    .fetch_optional(pool)
    .await)
}

/// A contract's current certificates: (number, kind, semester, snapshot JSON).
pub async fn current_certificates(
    db: &Db,
    contract_id: i64,
) -> Result<Vec<(String, String, String, String)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT number, kind, semester, snapshot FROM certificates \
             WHERE contract_id = $1 AND superseded_at IS NULL ORDER BY semester, kind",
        )
        .bind(contract_id)
        .fetch_all(pool)
        .await
    })
}

/// Supersedes a current certificate without a replacement; answers the rows changed.
pub async fn withdraw_certificate(
    tx: &mut Tx,
    number: &str,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE certificates SET superseded_at = $2, supersede_reason = $3 \
         WHERE number = $1 AND superseded_at IS NULL"
    )
    .bind(number)
    .bind(now)
    .bind(reason)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}

/// Cuts the contract at `date`.
pub async fn cut_contract(
    tx: &mut Tx,
    contract_id: i64,
    date: NaiveDate,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE contracts SET termination_date = $1, termination_reason = $2 WHERE id = $3"
    )
    .bind(date)
    .bind(reason)
    .bind(contract_id)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}

/// A termination to insert.
pub struct NewTermination<'a> {
    pub contract_id: i64,
    pub reference: &'a str,
    pub date: NaiveDate,
    pub reason: &'a str,
    pub withdrawal: bool,
    pub corrects_date: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<i64>,
    pub statement: &'a str,
    pub statement_pdf: &'a [u8],
}

/// Inserts a termination and answers its id; a second one on the same contract and date
/// is a unique violation.
pub async fn insert(tx: &mut Tx, t: &NewTermination<'_>) -> Result<i64, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO terminations (contract_id, reference, termination_date, reason, withdrawal, \
         corrects_date, recorded_at, recorded_by, statement, statement_pdf) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"
    )
    .bind(t.contract_id)
    .bind(t.reference)
    .bind(t.date)
    .bind(t.reason)
    .bind(t.withdrawal)
    .bind(t.corrects_date)
    .bind(t.recorded_at)
    .bind(t.recorded_by)
    .bind(t.statement)
    .bind(t.statement_pdf)
    .fetch_one(&mut *conn)
    .await
    })
}

pub async fn insert_letter(
    tx: &mut Tx,
    termination_id: i64,
    recipient: &str,
    email: &str,
    pdf: &[u8],
    sha256: &str,
) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "INSERT INTO termination_letters (termination_id, recipient, email, pdf, sha256) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(termination_id)
    .bind(recipient)
    .bind(email)
    .bind(pdf)
    .bind(sha256)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}

/// A recorded termination as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct TerminationRow {
    pub id: i64,
    pub reference: String,
    pub contract_id: i64,
    pub termination_date: NaiveDate,
    pub reason: String,
    pub withdrawal: bool,
    pub corrects_date: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
    /// The final statement, JSON.
    pub statement: String,
}

/// A contract's terminations, latest first.
pub async fn of_contract(db: &Db, contract_id: i64) -> Result<Vec<TerminationRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT id, reference, contract_id, termination_date, reason, withdrawal, corrects_date, \
         recorded_at, statement FROM terminations WHERE contract_id = $1 ORDER BY id DESC"
    )
    .bind(contract_id)
    .fetch_all(pool)
    .await
    })
}

/// A termination's letters: (recipient, email, sha256).
pub async fn letters_of(
    db: &Db,
    termination_id: i64,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT recipient, email, sha256 FROM termination_letters WHERE termination_id = $1 \
             ORDER BY recipient DESC",
        )
        .bind(termination_id)
        .fetch_all(pool)
        .await
    })
}

/// The certificates of a contract superseded for `reason`: (number, superseded_by).
pub async fn corrected_certificates(
    db: &Db,
    contract_id: i64,
    reason: &str,
) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT number, superseded_by FROM certificates WHERE contract_id = $1 \
             AND supersede_reason = $2 ORDER BY number",
        )
        .bind(contract_id)
        .bind(reason)
        .fetch_all(pool)
        .await
    })
}

/// A termination's final statement PDF and its reference.
pub async fn statement_pdf(db: &Db, id: i64) -> Result<Option<(Vec<u8>, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as::<_, (Vec<u8>, String)>(
        "SELECT statement_pdf, reference FROM terminations WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// One of a termination's letters (`opco` or `dreets`) and the termination's reference.
pub async fn letter_pdf(
    db: &Db,
    id: i64,
    recipient: &str,
) -> Result<Option<(Vec<u8>, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as::<_, (Vec<u8>, String)>(
        "SELECT l.pdf, t.reference FROM termination_letters l \
         JOIN terminations t ON t.id = l.termination_id \
         WHERE l.termination_id = $1 AND l.recipient = $2"
    )
    .bind(id)
    .bind(recipient)
    .fetch_optional(pool)
    .await)
}
