//! Reading issued certificates: a student's list (for whom may see it), a PDF as issued,
//! the public verification by number or by the file's own bytes, and the certificates
//! page's overview.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::Issuer;
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::certificates::VerifyRow;
use crate::db::{self, Db};
use crate::domain::certificate::{CertificateData, CertificateKind, is_well_formed_number};
use crate::domain::roles::Role;
use crate::domain::semester::Semester;
use crate::error::{AppError, AppResult};

/// A certificate in a student's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateEntry {
    pub number: String,
    #[schema(value_type = String, example = "attestation")]
    pub kind: CertificateKind,
    pub title: String,
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    pub academic_year: String,
    pub contract_id: i64,
    /// `valid` or `superseded`.
    pub status: &'static str,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub planned_hours: f64,
    pub attended_hours: f64,
    pub excused_hours: f64,
    pub unexcused_hours: f64,
    pub sha256: String,
    pub issued_at: DateTime<Utc>,
    /// Why it was issued before the semester was complete, if it was.
    pub forced_reason: Option<String>,
    pub superseded_at: Option<DateTime<Utc>>,
    pub superseded_by: Option<String>,
    pub supersede_reason: Option<String>,
    pub pdf_url: String,
    pub verify_url: String,
}

fn snapshot_of(json: &str) -> AppResult<CertificateData> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("snapshot illisible : {e}")))
}

/// Whether the caller may see the student's certificates; someone else's do not exist
/// for them (404).
pub async fn check_student_visible(db: &Db, caller: &Caller, student_id: i64) -> AppResult<()> {
    let visible = match caller.role {
        Role::Admin => {
            let found = db::certificates::student_id(db, student_id).await?;
            found.is_some()
        }
        Role::Student => caller.student_id == Some(student_id),
        Role::Tutor => {
            let tutor = caller.tutor_id.unwrap_or(-1);
            let found = db::certificates::tutor_contract_of(db, student_id, tutor).await?;
            found.is_some()
        }
        // A company contact sees the students of their company's contracts.
        Role::Company => crate::access::reach(db, caller).await?.knows(student_id),
        Role::Teacher => false,
    };
    if visible {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// A student's certificates, newest first, superseded ones included.
pub async fn student_certificates(
    ctx: &ApiContext,
    caller: &Caller,
    student_id: i64,
) -> AppResult<Vec<CertificateEntry>> {
    check_student_visible(&ctx.db, caller, student_id).await?;
    let (tutor, company) = match caller.role {
        Role::Tutor => (caller.tutor_id.unwrap_or(-1), 0),
        Role::Company => (0, caller.company_id.unwrap_or(-1)),
        _ => (0, 0),
    };
    // A tutor sees the certificates of the contracts they follow, a company contact those
    // of their company's contracts: not of a former or later employer.
    let rows = db::certificates::of_student(&ctx.db, student_id, tutor, company).await?;
    let issuer = Issuer::from(ctx);
    rows.into_iter()
        .map(|r| {
            let d = snapshot_of(&r.snapshot)?;
            Ok(CertificateEntry {
                pdf_url: issuer.pdf_url(&r.number),
                verify_url: d.verify_url.clone(),
                title: d.title_fr(),
                number: r.number,
                kind: d.kind,
                semester: d.semester,
                academic_year: d.training.academic_year.clone(),
                contract_id: r.contract_id,
                status: if r.superseded_at.is_some() {
                    "superseded"
                } else {
                    "valid"
                },
                period_from: d.period_from,
                period_to: d.period_to,
                planned_hours: d.hours.planned.hours(),
                attended_hours: d.hours.attended.hours(),
                excused_hours: d.hours.excused.hours(),
                unexcused_hours: d.hours.unexcused.hours(),
                sha256: r.sha256,
                issued_at: r.issued_at,
                forced_reason: r.forced_reason,
                superseded_at: r.superseded_at,
                superseded_by: r.superseded_by,
                supersede_reason: r.supersede_reason,
            })
        })
        .collect()
}

/// A certificate's file as issued.
pub struct CertificateFile {
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub kind: String,
    pub semester: String,
}

/// A certificate's PDF as issued, for someone allowed to see it.
pub async fn certificate_pdf(db: &Db, caller: &Caller, number: &str) -> AppResult<CertificateFile> {
    let row = db::certificates::pdf_of(db, number).await?;
    let Some(row) = row else {
        return Err(AppError::NotFound);
    };
    let allowed = match caller.role {
        Role::Admin => true,
        Role::Student => caller.student_id == Some(row.student_id),
        Role::Tutor => caller.tutor_id == Some(row.tutor_id),
        // The certificates of their company's contracts (issue 19, point 4).
        Role::Company => caller.company_id == Some(row.company_id),
        Role::Teacher => false,
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    Ok(CertificateFile {
        pdf: row.pdf,
        sha256: row.sha256,
        kind: row.kind,
        semester: row.semester,
    })
}

/// What the public learns of a certificate: what it prints, minus birth date and place.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    pub number: String,
    /// True while it has not been superseded.
    pub valid: bool,
    /// `valid` or `superseded`.
    pub status: &'static str,
    #[schema(value_type = String, example = "attestation")]
    pub kind: CertificateKind,
    pub title: String,
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    pub academic_year: String,
    /// The learner's name as printed.
    pub student: String,
    pub school: String,
    pub issued_on: NaiveDate,
    /// SHA-256 of the issued file: a copy whose hash matches carries exactly these figures.
    pub sha256: String,
    /// When it was replaced (its successor is not named: the holder of an old number is not
    /// told the new one).
    pub superseded_on: Option<NaiveDate>,
    /// Who signed the file (PAdES): the school's own certificate or the installation's
    /// self-signed one. None for a file issued before certificates were signed.
    pub signature: Option<crate::signing::SignatureInfo>,
}

async fn verification(db: &Db, row: VerifyRow) -> AppResult<Verification> {
    let d = snapshot_of(&row.snapshot)?;
    let signature = crate::signing::signature_info(db, &row.pdf).await?;
    Ok(Verification {
        signature,
        valid: row.superseded_at.is_none(),
        status: if row.superseded_at.is_none() {
            "valid"
        } else {
            "superseded"
        },
        title: d.title_fr(),
        kind: d.kind,
        semester: d.semester,
        academic_year: d.training.academic_year.clone(),
        student: d.student.full_name(),
        school: d.school.name.clone(),
        issued_on: d.issued_on,
        sha256: row.sha256,
        superseded_on: row
            .superseded_at
            .map(|t| t.with_timezone(&chrono_tz::Europe::Paris).date_naive()),
        number: row.number,
    })
}

/// Looks a certificate up by number; unknown and malformed numbers are not found.
pub async fn verify_number(db: &Db, number: &str) -> AppResult<Verification> {
    if !is_well_formed_number(number) {
        return Err(AppError::NotFound);
    }
    let row = db::certificates::verify_by_number(db, number).await?;
    verification(db, row.ok_or(AppError::NotFound)?).await
}

/// Looks a certificate up by the SHA-256 of a file.
pub async fn verify_bytes(db: &Db, bytes: &[u8]) -> AppResult<(String, Option<Verification>)> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let row = db::certificates::verify_by_sha256(db, &sha256).await?;
    let found = match row {
        Some(row) => Some(verification(db, row).await?),
        None => None,
    };
    Ok((sha256, found))
}

/// A certificate in the admin's list of the latest issued.
pub struct LatestCertificate {
    pub number: String,
    pub student_id: i64,
    /// « Léa MARTIN ».
    pub student: String,
    pub semester: String,
}

/// What the certificates page lists for a caller.
pub struct Overview {
    /// The students whose certificates are shown: the student, a tutor's students.
    pub students: Vec<i64>,
    /// The latest issued (admins).
    pub latest: Vec<LatestCertificate>,
    /// The academic years, newest first (admins).
    pub years: Vec<String>,
}

/// The certificates page's lists for `caller`; teachers have none (403).
pub async fn overview(db: &Db, caller: &Caller) -> AppResult<Overview> {
    let students: Vec<i64> = match caller.role {
        Role::Student => caller.student_id.into_iter().collect(),
        Role::Tutor => {
            db::certificates::students_of_tutor(db, caller.tutor_id.unwrap_or(-1)).await?
        }
        Role::Company => crate::access::reach(db, caller)
            .await?
            .students()
            .unwrap_or_default(),
        Role::Admin => Vec::new(),
        Role::Teacher => return Err(AppError::Forbidden),
    };
    let latest = if caller.role == Role::Admin {
        db::certificates::latest_issued(db)
            .await?
            .into_iter()
            .map(|(number, id, first, last, semester)| LatestCertificate {
                number,
                student_id: id,
                student: format!("{first} {}", last.to_uppercase()),
                semester,
            })
            .collect()
    } else {
        Vec::new()
    };
    let years = if caller.role == Role::Admin {
        db::years::all(db)
            .await?
            .into_iter()
            .map(|y| y.name)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Overview {
        students,
        latest,
        years,
    })
}

/// « Léa MARTIN ».
pub async fn student_name(db: &Db, id: i64) -> AppResult<String> {
    let (first, last) = db::certificates::student_names(db, id).await?;
    Ok(format!("{first} {}", last.to_uppercase()))
}
