//! The S9/S10 certificates over HTTP: issue (admin), list and download (the student, their
//! tutor, admins), and the public verification by number or by the PDF's own bytes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::certificates::{
    self, BatchReport, Existing, IssueOptions, IssuedCertificate, Issuer, Selection,
};
use crate::db::Db;
use crate::db_run;
use crate::domain::certificate::{CertificateData, CertificateKind, is_well_formed_number};
use crate::domain::roles::Role;
use crate::domain::semester::Semester;
use crate::error::{AppError, AppResult, Problems};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiJson};

/// Largest PDF accepted for a verification by upload.
pub const VERIFY_BODY_LIMIT: usize = 10 * 1024 * 1024;

impl From<&ApiContext> for Issuer {
    fn from(ctx: &ApiContext) -> Self {
        Issuer {
            db: ctx.db.clone(),
            mail: ctx.mail.clone(),
            public_url: ctx.public_url.clone(),
            signing: ctx.signing.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// `S9` or `S10`.
    pub semester: String,
    /// `attestation` (by default) or `certificat_realisation`.
    pub kind: Option<String>,
    /// One of the student's contracts; the latest by default.
    pub contract_id: Option<i64>,
    /// Issue before the semester has ended or with roll calls unsigned (needs `reason`).
    #[serde(default)]
    pub force: bool,
    /// Replace the current certificate after a correction (needs `reason`): it gets a new
    /// number and the old one is marked superseded.
    #[serde(default)]
    pub replace: bool,
    pub reason: Option<String>,
}

fn parse_semester(v: &mut Problems, s: &str) -> Option<Semester> {
    v.check("semester", s.parse::<Semester>())
}

fn reason_of(v: &mut Problems, needed: bool, reason: Option<&str>) -> Option<String> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        Some(r) if r.chars().count() > 500 => {
            v.add("reason", "500 caractères au plus");
            None
        }
        None if needed => {
            v.add(
                "reason",
                "un motif est obligatoire pour forcer une émission ou remplacer un certificat",
            );
            None
        }
        r => r.map(str::to_owned),
    }
}

/// Issues the S9 or S10 certificate of a student (one document: the attestation de
/// présence by default, or the certificat de réalisation). The student and the tutor are
/// told by mail.
///
/// Refused while the semester runs or while a roll call of it is unsigned, unless `force`
/// with a `reason`; refused when it was already issued, unless `replace` with the
/// correction's `reason`.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/students/{id}/certificates", tag = "certificates",
    params(("id" = i64, Path)), request_body = IssueRequest,
    responses((status = 201, body = IssuedCertificate), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_certificate(
    Admin(admin): Admin,
    State(ctx): State<ApiContext>,
    Id(student_id): Id,
    ApiJson(body): ApiJson<IssueRequest>,
) -> AppResult<(StatusCode, Json<IssuedCertificate>)> {
    let issued = issue(&ctx, &admin, student_id, body).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Checks an issue request and issues the one document it asks for.
pub async fn issue(
    ctx: &ApiContext,
    admin: &Caller,
    student_id: i64,
    body: IssueRequest,
) -> AppResult<IssuedCertificate> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let mut v = Problems::new();
    let semester = parse_semester(&mut v, &body.semester);
    let kind = match &body.kind {
        None => Some(CertificateKind::Attestation),
        Some(k) => v.check("kind", k.parse::<CertificateKind>()),
    };
    let reason = reason_of(&mut v, body.force || body.replace, body.reason.as_deref());
    v.into_result()?;
    let (Some(semester), Some(kind)) = (semester, kind) else {
        return Err(AppError::BadRequest("requête invalide".to_owned()));
    };
    let contract_id = student_contract(&ctx.db, student_id, body.contract_id).await?;
    let options = IssueOptions {
        kinds: vec![kind],
        existing: if body.replace {
            Existing::Replace(reason.clone().unwrap_or_default())
        } else {
            Existing::Refuse
        },
        force_reason: if body.force { reason } else { None },
        issued_by: Some(admin.id),
    };
    let issuer = Issuer::from(ctx);
    let mut issued =
        certificates::issue_one(&issuer, contract_id, semester, &options, ctx.clock.now()).await?;
    let first = issued
        .pop()
        .ok_or_else(|| AppError::Conflict("rien à émettre".to_owned()))?;
    tracing::info!(number = %first.number, student_id, "certificate issued");
    Ok(first)
}

/// The contract to issue for: the one named (it must be the student's), else the latest.
async fn student_contract(db: &Db, student_id: i64, wanted: Option<i64>) -> AppResult<i64> {
    let exists: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM students WHERE id = $1"
    )
    .bind(student_id)
    .fetch_optional(pool)
    .await)?;
    if exists.is_none() {
        return Err(AppError::NotFound);
    }
    let contracts: Vec<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM contracts WHERE student_id = $1 ORDER BY start_date DESC, id DESC"
    )
    .bind(student_id)
    .fetch_all(pool)
    .await)?;
    match (wanted, contracts.first()) {
        (_, None) => Err(AppError::field(
            "student_id",
            "l'alternant·e n'a aucun contrat : il n'y a pas d'attestation à émettre",
        )),
        (None, Some(latest)) => Ok(*latest),
        (Some(id), Some(_)) if contracts.contains(&id) => Ok(id),
        (Some(id), Some(_)) => Err(AppError::field(
            "contract_id",
            format!("le contrat n° {id} n'est pas un contrat de cet·te alternant·e"),
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// `S9` or `S10`.
    pub semester: String,
    /// The academic year, e.g. `2025-2026`.
    pub year: String,
    /// `attestation`, `certificat_realisation` or `all` (both, by default).
    pub kind: Option<String>,
}

/// The kinds named by `attestation`, `certificat_realisation` or `all`.
pub fn parse_kinds(s: Option<&str>) -> Result<Vec<CertificateKind>, String> {
    match s.map(str::trim) {
        None | Some("all") => Ok(CertificateKind::ALL.to_vec()),
        Some(k) => Ok(vec![
            k.parse::<CertificateKind>()
                .map_err(|e| format!("{e} ; ou « all » pour les deux"))?,
        ]),
    }
}

/// Issues a semester's certificates for every contract of an academic year; documents
/// already issued are kept, students whose roll calls are unsigned are listed.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/certificates/issue", tag = "certificates",
    request_body = BatchRequest,
    responses((status = 200, body = BatchReport), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_issue_batch(
    Admin(admin): Admin,
    State(ctx): State<ApiContext>,
    ApiJson(body): ApiJson<BatchRequest>,
) -> AppResult<Json<BatchReport>> {
    Ok(Json(issue_year(&ctx, &admin, body).await?))
}

/// Checks a request for a whole year and issues it (the API's and the page's).
pub async fn issue_year(
    ctx: &ApiContext,
    admin: &Caller,
    body: BatchRequest,
) -> AppResult<BatchReport> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let mut v = Problems::new();
    let semester = parse_semester(&mut v, &body.semester);
    let kinds = v.check("kind", parse_kinds(body.kind.as_deref()));
    let year = body.year.trim().to_owned();
    let known: Option<i64> = db_run!(&ctx.db, |pool| sqlx::query_scalar(
        "SELECT id FROM academic_years WHERE name = $1"
    )
    .bind(&year)
    .fetch_optional(pool)
    .await)?;
    if known.is_none() {
        v.add("year", format!("année universitaire inconnue « {year} »"));
    }
    v.into_result()?;
    let (Some(semester), Some(kinds)) = (semester, kinds) else {
        return Err(AppError::BadRequest("requête invalide".to_owned()));
    };
    let options = IssueOptions {
        kinds,
        existing: Existing::Skip,
        force_reason: None,
        issued_by: Some(admin.id),
    };
    let clock = ctx.clock.clone();
    Ok(certificates::issue_many(
        &Issuer::from(ctx),
        &Selection::Year { year, semester },
        &options,
        || clock.now(),
        |_| {},
    )
    .await?)
}

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

#[derive(Debug, sqlx::FromRow)]
struct CertificateRow {
    number: String,
    contract_id: i64,
    snapshot: String,
    sha256: String,
    issued_at: DateTime<Utc>,
    forced_reason: Option<String>,
    superseded_at: Option<DateTime<Utc>>,
    superseded_by: Option<String>,
    supersede_reason: Option<String>,
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
            let found: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
                "SELECT id FROM students WHERE id = $1"
            )
            .bind(student_id)
            .fetch_optional(pool)
            .await)?;
            found.is_some()
        }
        Role::Student => caller.student_id == Some(student_id),
        Role::Tutor => {
            let tutor = caller.tutor_id.unwrap_or(-1);
            let found: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
                "SELECT id FROM contracts WHERE student_id = $1 AND tutor_id = $2 LIMIT 1"
            )
            .bind(student_id)
            .bind(tutor)
            .fetch_optional(pool)
            .await)?;
            found.is_some()
        }
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
    let tutor = match caller.role {
        Role::Tutor => caller.tutor_id.unwrap_or(-1),
        _ => 0,
    };
    // A tutor sees the certificates of the contracts they follow, not of a former employer.
    let rows: Vec<CertificateRow> = db_run!(&ctx.db, |pool| {
        sqlx::query_as(
        "SELECT ce.number, ce.contract_id, ce.snapshot, ce.sha256, ce.issued_at, ce.forced_reason, \
         ce.superseded_at, ce.superseded_by, ce.supersede_reason FROM certificates ce \
         JOIN contracts c ON c.id = ce.contract_id \
         WHERE ce.student_id = $1 AND ($2 = 0 OR c.tutor_id = $2) \
         ORDER BY ce.issued_at DESC, ce.id DESC"
    )
    .bind(student_id)
    .bind(tutor)
    .fetch_all(pool)
    .await
    })?;
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

/// A student's certificates (S9, S10; attestations and certificats de réalisation), the
/// superseded ones included.
///
/// Rôle : student (soi-même), tutor (ses alternant·es), admin ; 404 pour les autres.
#[utoipa::path(get, path = "/students/{id}/certificates", tag = "certificates",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CertificateEntry>), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_certificates(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(student_id): Id,
) -> AppResult<Json<Vec<CertificateEntry>>> {
    Ok(Json(student_certificates(&ctx, &caller, student_id).await?))
}

/// The number in `{number}.pdf`, if well formed.
fn number_of_file(file: &str) -> Option<&str> {
    file.strip_suffix(".pdf")
        .filter(|n| is_well_formed_number(n))
}

/// A certificate's PDF as issued, for someone allowed to see it.
pub async fn certificate_pdf(
    ctx: &ApiContext,
    caller: &Caller,
    number: &str,
) -> AppResult<Response> {
    let row: Option<(Vec<u8>, String, String, String, i64, i64)> = db_run!(&ctx.db, |pool| {
        sqlx::query_as(
            "SELECT ce.pdf, ce.sha256, ce.kind, ce.semester, ce.student_id, c.tutor_id \
             FROM certificates ce JOIN contracts c ON c.id = ce.contract_id WHERE ce.number = $1",
        )
        .bind(number)
        .fetch_optional(pool)
        .await
    })?;
    let Some((pdf, sha256, kind, semester, student_id, tutor_id)) = row else {
        return Err(AppError::NotFound);
    };
    let allowed = match caller.role {
        Role::Admin => true,
        Role::Student => caller.student_id == Some(student_id),
        Role::Tutor => caller.tutor_id == Some(tutor_id),
        Role::Teacher => false,
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{kind}-{semester}-{number}.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, no-cache".to_owned()),
            (header::ETAG, format!("\"{sha256}\"")),
        ],
        pdf,
    )
        .into_response())
}

/// Downloads a certificate's PDF (`/certificates/{number}.pdf`), byte for byte as issued
/// (its SHA-256 is the ETag).
///
/// Rôle : student (soi-même), tutor (ses alternant·es), admin ; 404 pour les autres.
#[utoipa::path(get, path = "/certificates/{file}", tag = "certificates",
    params(("file" = String, Path, description = "the certificate number followed by `.pdf`",
        example = "AP-2025-S9-7K3QM2XD9F.pdf")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_pdf(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let number = number_of_file(&file).ok_or(AppError::NotFound)?;
    certificate_pdf(&ctx, &caller, number).await
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

#[derive(Debug, sqlx::FromRow)]
struct VerifyRow {
    number: String,
    snapshot: String,
    sha256: String,
    superseded_at: Option<DateTime<Utc>>,
    pdf: Vec<u8>,
}

const VERIFY_SELECT: &str = "SELECT number, snapshot, sha256, superseded_at, pdf FROM certificates";

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
    let row: Option<VerifyRow> = db_run!(db, |pool| sqlx::query_as(&format!(
        "{VERIFY_SELECT} WHERE number = $1"
    ))
    .bind(number)
    .fetch_optional(pool)
    .await)?;
    verification(db, row.ok_or(AppError::NotFound)?).await
}

/// Looks a certificate up by the SHA-256 of a file.
pub async fn verify_bytes(db: &Db, bytes: &[u8]) -> AppResult<(String, Option<Verification>)> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let row: Option<VerifyRow> = db_run!(db, |pool| sqlx::query_as(&format!(
        "{VERIFY_SELECT} WHERE sha256 = $1 ORDER BY id DESC LIMIT 1"
    ))
    .bind(&sha256)
    .fetch_optional(pool)
    .await)?;
    let found = match row {
        Some(row) => Some(verification(db, row).await?),
        None => None,
    };
    Ok((sha256, found))
}

/// Whether a certificate is valid or superseded, for whom and which semester, and the
/// SHA-256 of the issued file: what a verifier needs, nothing more (no hours, no employer).
///
/// Rôle : public (sans connexion).
#[utoipa::path(get, path = "/verify/{number}", tag = "certificates",
    params(("number" = String, Path, example = "AP-2025-S9-7K3QM2XD9F")),
    responses((status = 200, body = Verification), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_verify(
    State(ctx): State<ApiContext>,
    Path(number): Path<String>,
) -> AppResult<Json<Verification>> {
    Ok(Json(verify_number(&ctx.db, &number).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileVerification {
    /// True when the file is, byte for byte, a certificate issued here.
    pub matches: bool,
    /// SHA-256 of the file received.
    pub sha256: String,
    pub certificate: Option<Verification>,
}

/// Checks a PDF file (the request body, `application/pdf`) against the certificates
/// issued: its SHA-256 must be one of theirs.
///
/// Rôle : public (sans connexion).
#[utoipa::path(post, path = "/verify", tag = "certificates",
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = FileVerification), (status = 400, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody)))]
pub async fn post_verify(
    State(ctx): State<ApiContext>,
    body: Bytes,
) -> AppResult<Json<FileVerification>> {
    if body.is_empty() {
        return Err(AppError::BadRequest(
            "envoyez le fichier PDF comme corps de la requête".to_owned(),
        ));
    }
    let (sha256, certificate) = verify_bytes(&ctx.db, &body).await?;
    Ok(Json(FileVerification {
        matches: certificate.is_some(),
        sha256,
        certificate,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_pdf_names_are_numbers() {
        assert_eq!(
            number_of_file("AP-2025-S9-7K3QM2XD9F.pdf"),
            Some("AP-2025-S9-7K3QM2XD9F")
        );
        assert_eq!(number_of_file("AP-2025-S9-7K3QM2XD9F"), None);
        assert_eq!(number_of_file("AP-2025-S9-7K3QM2XD9F.PDF"), None);
        assert_eq!(number_of_file("x.pdf"), None);
    }

    #[test]
    fn kinds_default_to_both() {
        assert_eq!(parse_kinds(None).unwrap().len(), 2);
        assert_eq!(parse_kinds(Some("all")).unwrap().len(), 2);
        assert_eq!(
            parse_kinds(Some("certificat_realisation")).unwrap(),
            vec![CertificateKind::CertificatRealisation]
        );
        assert!(parse_kinds(Some("tout")).is_err());
    }
}
