//! The S9/S10 certificates over HTTP: issue (admin), list and download (the student, their
//! tutor, admins), and the public verification by number or by the PDF's own bytes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::certificates::{BatchReport, IssuedCertificate};
// These moved to `crate::certificates`; the paths stay for the callers not moved yet.
use crate::certificates::{
    BatchRequest, CertificateEntry, IssueRequest, Verification, issue, issue_year,
    student_certificates, verify_bytes, verify_number,
};
use crate::domain::certificate::is_well_formed_number;
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiJson};

/// Largest PDF accepted for a verification by upload.
pub const VERIFY_BODY_LIMIT: usize = 10 * 1024 * 1024;

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
    let file = crate::certificates::certificate_pdf(&ctx.db, &caller, number).await?;
    let (kind, semester) = (&file.kind, &file.semester);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{kind}-{semester}-{number}.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, no-cache".to_owned()),
            (header::ETAG, format!("\"{}\"", file.sha256)),
        ],
        file.pdf,
    )
        .into_response())
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
    use crate::domain::certificate::CertificateKind;

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
        use crate::certificates::parse_kinds;
        assert_eq!(parse_kinds(None).unwrap().len(), 2);
        assert_eq!(parse_kinds(Some("all")).unwrap().len(), 2);
        assert_eq!(
            parse_kinds(Some("certificat_realisation")).unwrap(),
            vec![CertificateKind::CertificatRealisation]
        );
        assert!(parse_kinds(Some("tout")).is_err());
    }
}
