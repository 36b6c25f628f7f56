//! The roll call's pages: a session's sheet with its form, the save, the teacher's
//! signature, the classroom's QR code and the students' sign-in. Each reads the form, calls
//! the use case of [`crate::attendance`] and renders the outcome.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{CsrfForm, PageResult, show};
use crate::app::ApiContext;
use crate::attendance::roll_call::{self, MarkInput, RollCall, SessionSheet};
use crate::attendance::{self, self_signin};
use crate::auth::Caller;
use crate::domain::attendance::Status;
use crate::domain::roles::Role;
use crate::domain::text::date_fr;
use crate::error::{AppError, FieldError};
use crate::format;
use crate::http::crud::Id;
use crate::i18n::Lang;
use crate::web::{Viewer, WebError, ser};

#[derive(Deserialize)]
pub struct SessionPageQuery {
    saved: Option<usize>,
    signed: Option<u8>,
    signedin: Option<u8>,
}

fn status_options(lang: Lang, admin: bool) -> Vec<Value> {
    Status::ALL
        .into_iter()
        // Excusing an absence is the office's decision, on a justification.
        .filter(|s| admin || *s != Status::Excused)
        .map(|s| context! { value => s.as_str(), label => lang.text(&format!("status_{}", s.as_str())) })
        .collect()
}

async fn session_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    sheet: SessionSheet,
    notice: Option<String>,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let lang = viewer.lang;
    let caller = viewer.require()?;
    let s = &sheet.session;
    // When the school counts a presence only with the trainee's signature, the teacher sees
    // who has not signed yet.
    let needs_signature = crate::http::school::load(&ctx.db)
        .await?
        .is_some_and(|school| school.presence_needs_signature);
    let roster: Vec<Value> = sheet
        .roster
        .iter()
        .map(|l| {
            context! {
                id => l.student_id,
                name => format!("{} {}", l.last_name.to_uppercase(), l.first_name),
                enrolled => l.enrolled,
                status => l.mark.as_ref().map(|m| m.status.as_str()),
                status_label => l.mark.as_ref().map_or_else(
                    || lang.text("status_none").to_owned(),
                    |m| lang.text(&format!("status_{}", m.status.as_str())).to_owned()),
                minutes => l.mark.as_ref().map_or(0, |m| m.minutes_missed),
                note => l.mark.as_ref().map(|m| m.note.clone()).unwrap_or_default(),
                source => l.mark.as_ref().map(|m| m.source.clone()),
                self_signed => l.self_signin.as_ref().map(|x| format::paris_time(x.signed_at)),
                with_code => l.self_signin.as_ref().is_some_and(|x| x.with_code),
                excused => l.mark.as_ref().map(|m| m.excused_minutes).filter(|e| *e > 0),
                unsigned => needs_signature && l.self_signin.is_none()
                    && l.mark.as_ref().is_none_or(|m| m.status.attended()),
            }
        })
        .collect();
    let signed_at = s.signed_at.map(format::paris_minute);
    let now = ctx.clock.now();
    let page = context! {
        session => context! {
            id => s.id, day => date_fr(s.day), half_day => s.half_day(lang.code()),
            times => format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
            module => s.module_name.clone(), group => s.group_name.clone(),
            teacher => s.teacher_name.clone(), room => s.room.clone(),
            signed_at, signed_by => s.signed_by_name.clone(),
        },
        state => ser(sheet.state),
        may_edit => sheet.may_edit,
        is_staff => matches!(caller.role, Role::Admin | Role::Teacher),
        is_admin => caller.role == Role::Admin,
        is_student => caller.role == Role::Student,
        reason_required => sheet.reason_required && caller.role == Role::Admin,
        signin_open => s.times().signin_open(now),
        already_signed_in => sheet.roster.iter().any(|l| Some(l.student_id) == caller.student_id && l.self_signin.is_some()),
        roster,
        options => status_options(lang, caller.role == Role::Admin),
        counts => ser(&sheet.counts),
        notice,
        errors => errors.iter().map(|e| context! { field => e.field.clone(), message => e.message.clone() }).collect::<Vec<_>>(),
    };
    show(ctx, viewer, status, "pages/session.html", page).await
}

pub async fn session(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Query(q): Query<SessionPageQuery>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    let sheet = roll_call::sheet(&ctx, &caller, id).await?;
    let notice = match (q.saved, q.signed, q.signedin) {
        (Some(0), _, _) => Some(lang.text("saved_none").to_owned()),
        (Some(_), _, _) => Some(lang.text("saved").to_owned()),
        (_, Some(_), _) => sheet
            .session
            .signed_at
            .map(|_| lang.text("state_signed").to_owned()),
        (_, _, Some(_)) => Some(lang.text("signin_done").to_owned()),
        _ => None,
    };
    session_page(&ctx, &viewer, sheet, notice, Vec::new(), StatusCode::OK).await
}

/// Reads the roll-call form: `status_ID`, `minutes_ID`, `note_ID` per student, `reason`,
/// and `action=all_present` to mark everyone not yet chosen present.
fn roll_call_from_form(
    form: &[(String, String)],
    roster: &[i64],
) -> Result<RollCall, Vec<FieldError>> {
    let fields: HashMap<&str, &str> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let all_present = fields.get("action") == Some(&"all_present");
    let mut marks = Vec::new();
    let mut problems = Vec::new();
    for id in roster {
        let chosen = fields
            .get(format!("status_{id}").as_str())
            .copied()
            .filter(|v| !v.is_empty());
        let status = match chosen {
            Some(raw) => match Status::parse(raw) {
                Some(s) => s,
                None => {
                    problems.push(FieldError::new(
                        format!("marks[{}].status", marks.len()),
                        format!("statut inconnu « {raw} »"),
                    ));
                    continue;
                }
            },
            None if all_present => Status::Present,
            None => continue,
        };
        let minutes_raw = fields
            .get(format!("minutes_{id}").as_str())
            .map(|v| v.trim())
            .unwrap_or("");
        // Minutes count only for late and left early; the field is ignored otherwise.
        let minutes_missed = if !status.counts_minutes() || minutes_raw.is_empty() {
            0
        } else {
            match minutes_raw.parse::<i64>() {
                Ok(m) => m,
                Err(_) => {
                    problems.push(FieldError::new(
                        format!("marks[{}].minutes_missed", marks.len()),
                        format!("nombre entier de minutes attendu, pas « {minutes_raw} »"),
                    ));
                    continue;
                }
            }
        };
        // The office may excuse part of a late arrival or an early leave (its form only).
        let excused_raw = fields
            .get(format!("excused_{id}").as_str())
            .map(|v| v.trim())
            .unwrap_or("");
        let excused_minutes = if excused_raw.is_empty() || !status.counts_minutes() {
            None
        } else {
            match excused_raw.parse::<i64>() {
                Ok(m) => Some(m),
                Err(_) => {
                    problems.push(FieldError::new(
                        format!("marks[{}].excused_minutes", marks.len()),
                        format!("nombre entier de minutes attendu, pas « {excused_raw} »"),
                    ));
                    continue;
                }
            }
        };
        marks.push(MarkInput {
            student_id: *id,
            status,
            minutes_missed,
            excused_minutes,
            note: fields
                .get(format!("note_{id}").as_str())
                .map(|v| v.trim().to_owned())
                .unwrap_or_default(),
        });
    }
    if problems.is_empty() {
        Ok(RollCall {
            marks,
            reason: fields.get("reason").map(|r| (*r).to_owned()),
        })
    } else {
        Err(problems)
    }
}

pub async fn save_roll_call(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    viewer.check_csrf(csrf)?;
    let sheet = roll_call::sheet(&ctx, &caller, id).await?;
    let roster: Vec<i64> = sheet
        .roster
        .iter()
        .filter(|l| l.enrolled)
        .map(|l| l.student_id)
        .collect();
    let outcome = match roll_call_from_form(&form, &roster) {
        Ok(call) => roll_call::record(&ctx, &caller, id, call).await,
        Err(problems) => Err(AppError::Validation(problems)),
    };
    match outcome {
        Ok(saved) => {
            Ok(Redirect::to(&format!("/sessions/{id}?saved={}", saved.changed)).into_response())
        }
        Err(AppError::Validation(errors)) => {
            session_page(
                &ctx,
                &viewer,
                sheet,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Refused(message)) => {
            let errors = vec![FieldError::new("session", message)];
            session_page(&ctx, &viewer, sheet, None, errors, StatusCode::FORBIDDEN).await
        }
        Err(e) => Err(WebError::new(e, lang)),
    }
}

pub async fn sign(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    viewer.check_csrf(form.csrf.as_deref())?;
    match attendance::sign::sign(&ctx, &caller, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?signed=1")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Refused(_))) => {
            let status = e.status();
            let errors = match e {
                AppError::Validation(errors) => errors,
                other => vec![FieldError::new("session", other.public_message())],
            };
            let sheet = roll_call::sheet(&ctx, &caller, id).await?;
            session_page(&ctx, &viewer, sheet, None, errors, status).await
        }
        Err(e) => Err(WebError::new(e, lang)),
    }
}

pub async fn qr(State(ctx): State<ApiContext>, viewer: Viewer, Id(id): Id) -> PageResult {
    let caller = viewer.require()?.clone();
    let code = self_signin::signin_code(&ctx, &caller, id).await?;
    let session = attendance::load_session(&ctx.db, id).await?;
    let refresh = (code.changes_at - ctx.clock.now())
        .num_seconds()
        .clamp(1, 30);
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/qr.html",
        context! {
            refresh, code => code.code, svg => Value::from_safe_string(code.svg),
            session => context! { id, when => session.when_fr(), module => session.module_name },
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
}

pub async fn signin_form(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Query(q): Query<CodeQuery>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    signin_page(&ctx, &viewer, &caller, id, q.code, None, StatusCode::OK).await
}

async fn signin_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    caller: &Caller,
    id: i64,
    code: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = viewer.lang;
    if caller.role != Role::Student {
        return Err(WebError::new(AppError::Forbidden, lang));
    }
    let sheet = roll_call::sheet(ctx, caller, id).await?;
    let s = &sheet.session;
    show(
        ctx,
        viewer,
        status,
        "pages/signin.html",
        context! {
            session => context! { id, module => s.module_name.clone(), when => s.when_fr() },
            open => s.times().signin_open(ctx.clock.now()),
            code, error,
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

pub async fn signin(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Form(form): Form<SigninForm>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    viewer.check_csrf(form.csrf.as_deref())?;
    match self_signin::self_signin(&ctx, &caller, id, form.code.as_deref()).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?signedin=1")).into_response()),
        Err(e @ AppError::Validation(_)) => {
            let message = e.public_message();
            signin_page(
                &ctx,
                &viewer,
                &caller,
                id,
                form.code,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(WebError::new(e, viewer.lang)),
    }
}
