//! Pages of the certificates: « Mes attestations » (the student's, a tutor's students', the
//! admin's latest and bulk issue), one student's certificates with the admin's issue form,
//! and the public verification page (by number, or by uploading the PDF).

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use serde::Deserialize;

use super::pages::{PageResult, show};
use super::{AdminViewer, CsrfForm, Viewer, WebError, ser};
use crate::app::ApiContext;
use crate::certificates::{
    BatchRequest, CertificateEntry, PendingSemester, Verification, issue_year, pending_semesters,
    student_certificates, verify_bytes, verify_number,
};
use crate::domain::roles::Role;
use crate::domain::text::date_fr;
use crate::error::{AppError, FieldError};
use crate::format;
use crate::http::crud::Id;
use crate::i18n::Lang;

fn entry_row(e: &CertificateEntry, lang: Lang) -> Value {
    context! {
        number => e.number.clone(),
        title => match lang { Lang::Fr => e.title.clone(), Lang::En => format!("{} — Semester {}", e.kind.title_en(), e.semester.number()) },
        semester => e.semester.as_str(),
        academic_year => e.academic_year.clone(),
        period => format!("{} – {}", date_fr(e.period_from), date_fr(e.period_to)),
        attended => format::hours_of(e.attended_hours),
        planned => format::hours_of(e.planned_hours),
        excused => format::hours_of(e.excused_hours),
        unexcused => format::hours_of(e.unexcused_hours),
        valid => e.superseded_at.is_none(),
        superseded_by => e.superseded_by.clone(),
        supersede_reason => e.supersede_reason.clone(),
        forced_reason => e.forced_reason.clone(),
        issued => format::date(format::paris_day(e.issued_at)),
        pdf_url => format!("/api/v1/certificates/{}.pdf", e.number),
        verify_url => format!("/verify/{}", e.number),
    }
}

/// One student's block of the list page.
async fn student_block(ctx: &ApiContext, viewer: &Viewer, id: i64) -> Result<Value, AppError> {
    let caller = viewer.caller.as_ref().ok_or(AppError::Unauthorized)?;
    let entries = student_certificates(ctx, caller, id).await?;
    // A student without a contract the caller sees has no semester to wait for.
    let pending = match pending_semesters(ctx, caller, id, ctx.clock.today()).await {
        Ok(p) => p,
        Err(AppError::NotFound) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(context! {
        id,
        name => crate::certificates::student_name(&ctx.db, id).await?,
        certificates => entries.iter().map(|e| entry_row(e, viewer.lang)).collect::<Vec<_>>(),
        pending => pending.iter().map(|p| pending_row(p, viewer.lang)).collect::<Vec<_>>(),
    })
}

/// Unsigned sheets listed by name; the count says how many more.
const SHEETS_SHOWN: usize = 20;

/// Why a semester's certificate is not there yet, and when it will come.
fn pending_row(p: &PendingSemester, lang: Lang) -> Value {
    let key = match (p.ended, p.unsigned.is_empty()) {
        (false, _) => "cert_pending_running",
        (true, true) => "cert_pending_ready",
        (true, false) => "cert_pending_blocked",
    };
    let explanation = lang
        .text(key)
        .replace("{semester}", p.semester.as_str())
        .replace("{date}", &format::date(p.ends_on));
    let count = p.unsigned.len();
    let unsigned_title = match count {
        0 => String::new(),
        1 => lang.text("cert_unsigned_one").to_owned(),
        n => lang
            .text("cert_unsigned_many")
            .replace("{count}", &n.to_string()),
    };
    context! {
        semester => p.semester.as_str(),
        explanation,
        count,
        unsigned_title,
        more => count.saturating_sub(SHEETS_SHOWN),
        sheets => p.unsigned.iter().take(SHEETS_SHOWN).map(|s| context! {
            id => s.id, day => date_fr(s.day), half_day => s.half_day(lang.code()),
            times => format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
            module => s.module_name.clone(), teacher => s.teacher_name.clone(),
        }).collect::<Vec<_>>(),
    }
}

/// « Mes attestations »: the student's own; a tutor's students'; for an admin, the latest
/// issued and the form to issue a whole year.
pub async fn my_certificates(State(ctx): State<ApiContext>, viewer: Viewer) -> PageResult {
    let caller = viewer.require()?.clone();
    admin_page_or_list(&ctx, &viewer, &caller, None, Vec::new(), StatusCode::OK).await?
}

async fn admin_page_or_list(
    ctx: &ApiContext,
    viewer: &Viewer,
    caller: &crate::auth::Caller,
    report: Option<Value>,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Result<PageResult, AppError> {
    let overview = crate::certificates::overview(&ctx.db, caller).await?;
    let mut blocks = Vec::with_capacity(overview.students.len());
    for id in overview.students {
        blocks.push(student_block(ctx, viewer, id).await?);
    }
    let latest: Vec<Value> = overview
        .latest
        .into_iter()
        .map(|l| context! { number => l.number, student_id => l.student_id, student => l.student, semester => l.semester })
        .collect();
    let years = overview.years;
    Ok(show(
        ctx,
        viewer,
        status,
        "pages/certificates.html",
        context! {
            students => blocks,
            is_admin => caller.role == Role::Admin,
            local_links => caller.role == Role::Admin && ctx.public_url_is_local(),
            public_url => ctx.public_url.to_string(),
            latest, years, report,
            errors => ser(errors),
        },
    )
    .await)
}

#[derive(Debug, Deserialize)]
pub struct BatchForm {
    semester: String,
    year: String,
    kind: Option<String>,
}

/// The admin issues a semester for a whole year from the page.
pub async fn issue_batch(
    State(ctx): State<ApiContext>,
    CsrfForm { viewer, form }: CsrfForm<BatchForm, AdminViewer>,
) -> PageResult {
    let caller = viewer.caller.clone();
    let body = BatchRequest {
        semester: form.semester,
        year: form.year,
        kind: form.kind,
    };
    let report = match issue_year(&ctx, &caller, body).await {
        Ok(report) => report,
        Err(AppError::Validation(errors)) => {
            return admin_page_or_list(
                &ctx,
                &viewer,
                &caller,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await?;
        }
        Err(e) => return Err(e.into()),
    };
    let report = context! {
        summary => report.summary_fr(),
        held => report.blocked.iter().chain(report.failed.iter()).map(|h| context! {
            student_id => h.student_id, student => h.student.clone(), reason => h.reason.clone(),
        }).collect::<Vec<_>>(),
    };
    admin_page_or_list(
        &ctx,
        &viewer,
        &caller,
        Some(report),
        Vec::new(),
        StatusCode::OK,
    )
    .await?
}

#[derive(Debug, Deserialize)]
pub struct IssuedQuery {
    issued: Option<String>,
}

/// One student's certificates, with the admin's form to issue or correct.
pub async fn student_page(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    axum::extract::Query(q): axum::extract::Query<IssuedQuery>,
) -> PageResult {
    viewer.require()?;
    let notice = q
        .issued
        .filter(|n| crate::domain::certificate::is_well_formed_number(n));
    student_page_with(&ctx, &viewer, id, notice, Vec::new(), StatusCode::OK).await
}

async fn student_page_with(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: i64,
    notice: Option<String>,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let caller = viewer.require()?;
    let block = student_block(ctx, viewer, id).await?;
    show(
        ctx,
        viewer,
        status,
        "pages/student_certificates.html",
        context! {
            student => block,
            is_admin => caller.role == Role::Admin,
            notice,
            errors => ser(errors),
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct IssueForm {
    semester: String,
    kind: Option<String>,
    /// `force` or `replace` (a checkbox each).
    force: Option<String>,
    replace: Option<String>,
    reason: Option<String>,
}

/// The admin issues (or, after a correction, re-issues) one student's certificate.
pub async fn issue_for_student(
    State(ctx): State<ApiContext>,
    Id(id): Id,
    CsrfForm { viewer, form }: CsrfForm<IssueForm, AdminViewer>,
) -> PageResult {
    let caller = viewer.caller.clone();
    let fail = |e: AppError| async {
        let (status, errors) = match e {
            AppError::Validation(fields) => (StatusCode::UNPROCESSABLE_ENTITY, fields),
            other => (
                other.status(),
                vec![FieldError::new("", other.public_message())],
            ),
        };
        student_page_with(&ctx, &viewer, id, None, errors, status).await
    };
    let body = crate::certificates::IssueRequest {
        semester: form.semester.clone(),
        kind: form.kind.clone().filter(|k| !k.is_empty()),
        contract_id: None,
        force: form.force.is_some(),
        replace: form.replace.is_some(),
        reason: form.reason.clone(),
    };
    match crate::certificates::issue(&ctx, &caller, id, body).await {
        Ok(issued) => Ok(viewer.finish(
            Redirect::to(&format!(
                "/students/{id}/certificates?issued={}",
                issued.number
            ))
            .into_response(),
        )),
        Err(e) => fail(e).await,
    }
}

fn verification_view(v: &Verification, lang: Lang) -> Value {
    context! {
        number => v.number.clone(),
        valid => v.valid,
        title => match lang { Lang::Fr => v.title.clone(), Lang::En => format!("{} — Semester {}", v.kind.title_en(), v.semester.number()) },
        academic_year => v.academic_year.clone(),
        student => v.student.clone(),
        school => v.school.clone(),
        issued => date_fr(v.issued_on),
        superseded_on => v.superseded_on.map(date_fr),
        sha256 => v.sha256.clone(),
        signature => v.signature.as_ref().map(|s| context! {
            subject => s.subject.clone(),
            fingerprint => s.fingerprint.clone(),
            installation_key => s.installation_key,
        }),
    }
}

/// The public verification page: a number to type, or the PDF to upload.
pub async fn verify_form(State(ctx): State<ApiContext>, viewer: Viewer) -> PageResult {
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/verify.html",
        context! {},
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct NumberQuery {
    number: Option<String>,
}

/// The form's « Vérifier » by number, as a link that can be shared.
pub async fn verify_query(
    viewer: Viewer,
    axum::extract::Query(q): axum::extract::Query<NumberQuery>,
    State(ctx): State<ApiContext>,
) -> PageResult {
    match q.number.map(|n| n.trim().to_uppercase()) {
        Some(n) if !n.is_empty() => Ok(Redirect::to(&format!(
            "/verify/{}",
            form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
        ))
        .into_response()),
        _ => verify_form(State(ctx), viewer).await,
    }
}

/// A certificate's public status by number.
pub async fn verify_page(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Path(number): Path<String>,
) -> PageResult {
    let (status, page) = match verify_number(&ctx.db, &number).await {
        Ok(v) => (
            StatusCode::OK,
            context! { certificate => verification_view(&v, viewer.lang), asked => number },
        ),
        Err(AppError::NotFound) => (
            StatusCode::NOT_FOUND,
            context! { unknown => true, asked => number },
        ),
        Err(e) => return Err(WebError::new(e, viewer.lang)),
    };
    show(&ctx, &viewer, status, "pages/verify.html", page).await
}

/// Checks an uploaded PDF against the certificates issued, by its SHA-256. Public, and it
/// changes nothing: no CSRF token needed.
pub async fn verify_upload(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let lang = viewer.lang;
    let file = match read_upload(form).await {
        Ok(Some(file)) => file,
        Ok(None) => {
            return upload_problem(
                &ctx,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                "verify_no_file",
            )
            .await;
        }
        Err(status) => {
            return upload_problem(&ctx, &viewer, status, "verify_too_large").await;
        }
    };
    let (sha256, found) = verify_bytes(&ctx.db, &file).await?;
    let page = match found {
        Some(v) => {
            context! { certificate => verification_view(&v, lang), file_matches => true, file_sha256 => sha256 }
        }
        None => context! { file_matches => false, file_sha256 => sha256, uploaded => true },
    };
    show(&ctx, &viewer, StatusCode::OK, "pages/verify.html", page).await
}

/// The `file` field of the verification form; `Err` when the form could not be read (too
/// large, cut short).
async fn read_upload(
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Option<axum::body::Bytes>, StatusCode> {
    // A form without any field is not even multipart to some clients: simply no file.
    let Ok(mut form) = form else {
        return Ok(None);
    };
    let mut file = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                file = Some(field.bytes().await.map_err(|e| e.status())?);
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) if file.is_none() && e.status() == StatusCode::BAD_REQUEST => return Ok(None),
            Err(e) => return Err(e.status()),
        }
    }
    Ok(file.filter(|f| !f.is_empty()))
}

async fn upload_problem(
    ctx: &ApiContext,
    viewer: &Viewer,
    status: StatusCode,
    text: &str,
) -> PageResult {
    show(
        ctx,
        viewer,
        status,
        "pages/verify.html",
        context! { upload_error => viewer.lang.text(text) },
    )
    .await
}
