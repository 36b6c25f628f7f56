//! The school profile (`school`, one row): its fields, stamp and signature.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Db;
use crate::error::AppResult;
use crate::{bind_values, db_run};

#[derive(Debug, Clone, Default, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct School {
    pub name: String,
    /// The legal entity the school belongs to, e.g. Institut Mines-Télécom.
    pub legal_entity: String,
    pub address: String,
    pub phone: String,
    /// Where absence notices and digests for the school office go.
    pub office_email: String,
    /// The DREETS told of terminations (Articles 6 and 7); empty until set.
    pub dreets_email: String,
    pub siret: String,
    pub ape_code: String,
    /// Numéro de déclaration d'activité.
    pub activity_number: String,
    pub datadock_id: String,
    pub signatory_name: String,
    /// For example « directrice ».
    pub signatory_title: String,
    /// Place of issue of certificates.
    pub city: String,
    /// A presence counts only with the trainee's own signature of the half-day: unsigned
    /// presences hold the certificates back and are listed by the audit report.
    #[serde(default)]
    pub presence_needs_signature: bool,
    /// The most minutes of training one school day holds (8 h by default): the planned
    /// hours of a contract may count on it for school days without a session yet.
    #[serde(default = "default_day_minutes")]
    pub school_day_max_minutes: i64,
    /// Weeks without any follow-up entry after which the office's home lists a current
    /// contract (issue 19; 8 by default).
    #[serde(default = "default_follow_up_weeks")]
    pub follow_up_weeks: i64,
}

pub const DEFAULT_FOLLOW_UP_WEEKS: i64 = 8;

pub(crate) fn default_follow_up_weeks() -> i64 {
    DEFAULT_FOLLOW_UP_WEEKS
}

pub const DEFAULT_SCHOOL_DAY_MINUTES: i64 = 8 * 60;

pub(crate) fn default_day_minutes() -> i64 {
    DEFAULT_SCHOOL_DAY_MINUTES
}

const COLUMNS: [&str; 16] = [
    "name",
    "legal_entity",
    "address",
    "phone",
    "office_email",
    "dreets_email",
    "siret",
    "ape_code",
    "activity_number",
    "datadock_id",
    "signatory_name",
    "signatory_title",
    "city",
    "presence_needs_signature",
    "school_day_max_minutes",
    "follow_up_weeks",
];

/// The profile, if filled in.
pub async fn load(db: &Db) -> AppResult<Option<School>> {
    let sql = format!("SELECT {} FROM school WHERE id = 1", COLUMNS.join(", "));
    Ok(db_run!(db, |pool| sqlx::query_as(&sql)
        .fetch_optional(pool)
        .await)?)
}

/// Creates or replaces the profile, stamped `now`.
pub async fn save(db: &Db, s: &School, now: DateTime<Utc>) -> AppResult<()> {
    let marks: Vec<String> = (2..=COLUMNS.len() + 2).map(|i| format!("${i}")).collect();
    let updates: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO school (id, {}, updated_at) VALUES ($1, {}) ON CONFLICT (id) DO UPDATE SET {}, updated_at = excluded.updated_at",
        COLUMNS.join(", "),
        marks.join(", "),
        updates.join(", ")
    );
    let values: Vec<crate::db::Value> = [
        &s.name,
        &s.legal_entity,
        &s.address,
        &s.phone,
        &s.office_email,
        &s.dreets_email,
        &s.siret,
        &s.ape_code,
        &s.activity_number,
        &s.datadock_id,
        &s.signatory_name,
        &s.signatory_title,
        &s.city,
    ]
    .into_iter()
    .map(|v| v.as_str().into())
    .chain([
        s.presence_needs_signature.into(),
        s.school_day_max_minutes.into(),
        s.follow_up_weeks.into(),
        now.into(),
    ])
    .collect();
    db_run!(db, |pool| bind_values!(
        sqlx::query(&sql).bind(1i64),
        &values
    )
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Sets (`Some`) or clears (`None`) one picture column (`stamp_png` or `signature_png`);
/// answers the rows changed: 0 when the profile does not exist.
pub async fn set_picture(
    db: &Db,
    column: &str,
    png: Option<Vec<u8>>,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let sql = format!("UPDATE school SET {column} = $1, updated_at = $2 WHERE id = 1");
    db_run!(db, |pool| sqlx::query(&sql)
        .bind(&png)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
}

/// Whether the school has each picture: (stamp, signature).
pub async fn pictures_present(db: &Db) -> AppResult<(bool, bool)> {
    let row: Option<(bool, bool)> = db_run!(db, |pool| sqlx::query_as(
        "SELECT stamp_png IS NOT NULL, signature_png IS NOT NULL FROM school WHERE id = 1"
    )
    .fetch_optional(pool)
    .await)?;
    Ok(row.unwrap_or_default())
}
