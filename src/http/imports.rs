//! The CSV import over HTTP: companies, tutors, students and contracts as the parts of one
//! multipart form, all or nothing (see `crate::import`).

use axum::Json;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::http::extract::Admin;
use crate::import::{self, Kind, Options, Report, Source};

/// Largest upload, all files together.
pub const BODY_LIMIT: usize = 20 * 1024 * 1024;

/// The form, as documented: `multipart/form-data`, any subset of the four files.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// Companies (CSV, UTF-8, `,` or `;`), see the README for the columns.
    #[schema(value_type = Option<String>, format = Binary)]
    companies: Option<Vec<u8>>,
    /// Tutors, each naming their company by `company_siret`.
    #[schema(value_type = Option<String>, format = Binary)]
    tutors: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary)]
    students: Option<Vec<u8>>,
    /// Contracts, naming `student_email`, `company_siret`, `tutor_email`, `department`
    /// (and `option_name`), `academic_year`, `group`.
    #[schema(value_type = Option<String>, format = Binary)]
    contracts: Option<Vec<u8>>,
    /// `true`: check and report what would change, write nothing.
    dry_run: Option<bool>,
}

/// Imports companies, tutors, students and contracts from CSV files.
///
/// The files are applied in that order, in one transaction. Each line is matched on its
/// natural key (SIRET, e-mail, student and start date): created, updated, or left unchanged.
/// Any bad line in any file answers 422 with every bad line (`lines`: file, line, column,
/// message) and writes nothing. With `dry_run=true`, the answer says what would happen and
/// nothing is written. 20 MB at most in all (413).
///
/// Rôle : admin.
#[utoipa::path(post, path = "/imports", tag = "imports",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Report), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_import(
    Admin(caller): Admin,
    State(ctx): State<ApiContext>,
    form: Result<Multipart, MultipartRejection>,
) -> AppResult<Json<Report>> {
    let form =
        form.map_err(|e| AppError::BadRequest(format!("corps multipart/form-data attendu : {e}")))?;
    let (files, dry_run) = read_form(form).await?;
    let options = Options {
        dry_run,
        source: Source::Api,
        user_id: Some(caller.id),
        now: ctx.clock.now(),
    };
    Ok(Json(import::run(&ctx.db, files, &options).await?))
}

async fn read_form(mut form: Multipart) -> AppResult<(Vec<(Kind, Vec<u8>)>, bool)> {
    let bad = |e: MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(format!(
                "{} Mo au plus pour l’ensemble des fichiers",
                BODY_LIMIT / (1024 * 1024)
            ))
        } else {
            AppError::BadRequest(format!("corps multipart/form-data illisible : {e}"))
        }
    };
    let mut files: Vec<(Kind, Vec<u8>)> = Vec::new();
    let mut dry_run = None;
    let mut problems = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(kind) = Kind::parse(&name) {
            let bytes = field.bytes().await.map_err(bad)?;
            if files.iter().any(|(k, _)| *k == kind) {
                problems.push(FieldError::new(&name, "fichier donné deux fois"));
            } else {
                files.push((kind, bytes.to_vec()));
            }
        } else if name == "dry_run" {
            let text = field.text().await.map_err(bad)?;
            match text.trim().to_lowercase().as_str() {
                "true" | "1" | "on" | "yes" | "oui" => dry_run = Some(true),
                "false" | "0" | "off" | "no" | "non" | "" => dry_run = Some(false),
                other => problems.push(FieldError::new(
                    "dry_run",
                    format!("« {other} » : true ou false attendu"),
                )),
            }
        } else {
            problems.push(FieldError::new(
                &name,
                "partie inconnue (attendu : companies, tutors, students, contracts, dry_run)",
            ));
        }
    }
    if files.is_empty() && problems.is_empty() {
        problems.push(FieldError::new(
            "files",
            "aucun fichier : joignez companies, tutors, students ou contracts",
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok((files, dry_run.unwrap_or(false)))
}
