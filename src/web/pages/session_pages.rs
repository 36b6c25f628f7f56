//! The roll call's pages: a session's sheet with its form, the save, the teacher's
//! signature, the classroom's QR code and the students' sign-in. Each reads the form, calls
//! the use case of [`crate::attendance`] and renders the outcome.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{CsrfForm, PageResult, show};
use crate::app::ApiContext;
use crate::attendance::roll_call::{self, MarkInput, RollCall, SessionSheet, SheetState};
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

/// What the form sent for one student, shown again when the roll call is refused so that no
/// tap is lost.
#[derive(Default)]
struct Tapped {
    status: Option<String>,
    minutes: String,
    excused: String,
    note: String,
}

/// The whole form as sent.
#[derive(Default)]
struct Submitted {
    students: HashMap<i64, Tapped>,
    reason: String,
}

/// The problems of a roll call as the page shows them: next to the student they concern,
/// next to the reason, or above the form.
#[derive(Default)]
struct PageErrors {
    general: Vec<String>,
    reason: Vec<String>,
    students: HashMap<i64, Vec<String>>,
}

impl PageErrors {
    fn is_empty(&self) -> bool {
        self.general.is_empty() && self.reason.is_empty() && self.students.is_empty()
    }

    fn student(&mut self, id: i64, message: impl Into<String>) {
        self.students.entry(id).or_default().push(message.into());
    }

    /// The use case's errors: `marks[i].…` concerns the i-th line sent (`order`), `reason`
    /// the reason; the rest goes above the form. No field path reaches the page.
    fn of(errors: Vec<FieldError>, order: &[i64]) -> PageErrors {
        let mut page = PageErrors::default();
        for e in errors {
            let line = e
                .field
                .strip_prefix("marks[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| order.get(i));
            match line {
                Some(id) => page.student(*id, e.message),
                None if e.field == "reason" => page.reason.push(e.message),
                None => page.general.push(e.message),
            }
        }
        page
    }
}

async fn session_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    sheet: SessionSheet,
    notice: Option<String>,
    submitted: Option<&Submitted>,
    errors: PageErrors,
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
    let label = |status: Option<Status>| {
        status.map_or_else(
            || lang.text("status_none").to_owned(),
            |s| lang.text(&format!("status_{}", s.as_str())).to_owned(),
        )
    };
    let mut summary = Vec::new();
    let roster: Vec<Value> = sheet
        .roster
        .iter()
        .map(|l| {
            let name = format!("{} {}", l.last_name.to_uppercase(), l.first_name);
            let stored = l.mark.as_ref();
            let tapped = submitted.and_then(|f| f.students.get(&l.student_id));
            // What the teacher sent wins over what is stored: a refused call loses no tap.
            let status = match tapped {
                Some(t) => t.status.clone(),
                None => stored.map(|m| m.status.as_str().to_owned()),
            };
            let minutes = match tapped {
                Some(t) => t.minutes.clone(),
                None => stored
                    .filter(|m| m.status.counts_minutes() && m.minutes_missed > 0)
                    .map(|m| m.minutes_missed.to_string())
                    .unwrap_or_default(),
            };
            let excused = match tapped {
                Some(t) => t.excused.clone(),
                None => stored
                    .map(|m| m.excused_minutes)
                    .filter(|e| *e > 0)
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
            };
            let note = match tapped {
                Some(t) => t.note.clone(),
                None => stored.map(|m| m.note.clone()).unwrap_or_default(),
            };
            let problems: Vec<String> = errors
                .students
                .get(&l.student_id)
                .map(|list| list.iter().map(|m| format!("{name} : {m}")).collect())
                .unwrap_or_default();
            for m in &problems {
                summary.push(context! { id => l.student_id, message => m.clone() });
            }
            let counts_minutes = status
                .as_deref()
                .and_then(Status::parse)
                .is_some_and(Status::counts_minutes);
            context! {
                id => l.student_id,
                name,
                enrolled => l.enrolled,
                status,
                status_label => label(stored.map(|m| m.status)),
                counts_minutes,
                minutes,
                stored_minutes => stored.map(|m| m.minutes_missed).filter(|m| *m > 0),
                note,
                source => stored.map(|m| m.source.clone()),
                self_signed => l.self_signin.as_ref().map(|x| format::paris_time(x.signed_at)),
                with_code => l.self_signin.as_ref().is_some_and(|x| x.with_code),
                excused,
                unsigned => needs_signature && l.self_signin.is_none()
                    && stored.is_none_or(|m| m.status.attended()),
                errors => problems,
            }
        })
        .collect();
    let signed_at = s.signed_at.map(format::paris_minute);
    let now = ctx.clock.now();
    let at = |t| match lang {
        Lang::Fr => format::paris_at(t),
        Lang::En => format::paris_minute(t),
    };
    let signatures: Vec<Value> = sheet
        .voided_signatures
        .iter()
        .map(|v| {
            context! {
                signed_at => at(v.signed_at),
                signed_by => v.signed_by.clone(),
                voided_at => at(v.voided_at),
                voided_by => v.voided_by.clone(),
                changed => v.changed_students.join(", "),
                reason => v.reason.clone(),
            }
        })
        .collect();
    // Signed once, changed since: the teacher is asked to sign again.
    let sign_again = match (&s.signed_at, sheet.voided_signatures.last()) {
        (None, Some(v)) => Some(at(v.signed_at)),
        _ => None,
    };
    let upcoming = sheet.state == SheetState::Upcoming;
    let page = context! {
        session => context! {
            id => s.id, day => date_fr(s.day), half_day => s.half_day(lang.code()),
            times => format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
            starts => s.starts_at.format("%H:%M").to_string(),
            module => s.module_name.clone(), group => s.group_name.clone(),
            teacher => s.teacher_name.clone(), room => s.room.clone(),
            signed_at, signed_by => s.signed_by_name.clone(),
        },
        state => ser(sheet.state),
        upcoming,
        may_edit => sheet.may_edit,
        is_staff => matches!(caller.role, Role::Admin | Role::Teacher),
        is_admin => caller.role == Role::Admin,
        is_student => caller.role == Role::Student,
        reason_required => sheet.reason_required && caller.role == Role::Admin,
        reason => submitted.map(|f| f.reason.clone()).unwrap_or_default(),
        reason_errors => errors.reason,
        signin_open => s.times().signin_open(now),
        already_signed_in => sheet.roster.iter().any(|l| Some(l.student_id) == caller.student_id && l.self_signin.is_some()),
        roster,
        options => status_options(lang, caller.role == Role::Admin),
        counts => ser(&sheet.counts),
        notice,
        sign_again,
        signatures,
        general_errors => errors.general,
        student_errors => summary,
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
        (_, Some(_), _) => sheet
            .session
            .signed_at
            .map(|_| lang.text("rc_saved_signed").to_owned()),
        (Some(0), _, _) => Some(lang.text("rc_saved_none").to_owned()),
        (Some(_), _, _) => Some(lang.text("saved").to_owned()),
        (_, _, Some(_)) => Some(lang.text("signin_done").to_owned()),
        _ => None,
    };
    session_page(
        &ctx,
        &viewer,
        sheet,
        notice,
        None,
        PageErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// Reads the roll-call form: `status_ID`, `minutes_ID`, `excused_ID`, `note_ID` per
/// student, `reason`, and `action=all_present` to mark everyone not yet chosen present.
/// Answers the roll call (with the student of each line, in order), what was sent, and the
/// problems found on the way, by student.
fn roll_call_from_form(
    form: &[(String, String)],
    roster: &[i64],
) -> (RollCall, Vec<i64>, Submitted, PageErrors) {
    let fields: HashMap<&str, &str> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let field = |name: String| fields.get(name.as_str()).map_or("", |v| v.trim());
    let all_present = fields.get("action") == Some(&"all_present");
    let mut marks = Vec::new();
    let mut order = Vec::new();
    let mut sent = Submitted {
        reason: field("reason".to_owned()).to_owned(),
        ..Submitted::default()
    };
    let mut errors = PageErrors::default();
    let integer = |raw: &str| -> Result<Option<i64>, String> {
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse::<i64>()
            .map(Some)
            .map_err(|_| format!("nombre entier de minutes attendu, pas « {raw} »"))
    };
    for id in roster {
        let chosen = Some(field(format!("status_{id}"))).filter(|v| !v.is_empty());
        let tapped = Tapped {
            status: chosen
                .map(str::to_owned)
                .or_else(|| all_present.then(|| Status::Present.as_str().to_owned())),
            minutes: field(format!("minutes_{id}")).to_owned(),
            excused: field(format!("excused_{id}")).to_owned(),
            note: field(format!("note_{id}")).to_owned(),
        };
        let status = match chosen {
            Some(raw) => match Status::parse(raw) {
                Some(s) => Some(s),
                None => {
                    errors.student(*id, format!("statut inconnu « {raw} »"));
                    None
                }
            },
            None if all_present => Some(Status::Present),
            None => None,
        };
        if let Some(status) = status {
            // Minutes count only for late and left early; the field is ignored otherwise.
            let minutes = if status.counts_minutes() {
                match integer(&tapped.minutes) {
                    Ok(Some(m)) => Some(m),
                    Ok(None) => {
                        errors.student(*id, missing_minutes(status));
                        None
                    }
                    Err(e) => {
                        errors.student(*id, e);
                        None
                    }
                }
            } else {
                Some(0)
            };
            // The office may excuse part of a late arrival or an early leave (its form only).
            let excused = if status.counts_minutes() {
                integer(&tapped.excused).unwrap_or_else(|e| {
                    errors.student(*id, e.replace("minutes", "minutes justifiées"));
                    None
                })
            } else {
                None
            };
            if let Some(minutes_missed) = minutes {
                order.push(*id);
                marks.push(MarkInput {
                    student_id: *id,
                    status,
                    minutes_missed,
                    excused_minutes: excused,
                    note: tapped.note.clone(),
                });
            }
        }
        sent.students.insert(*id, tapped);
    }
    let call = RollCall {
        marks,
        reason: fields.get("reason").map(|r| (*r).to_owned()),
    };
    (call, order, sent, errors)
}

/// « indiquez les minutes de retard » — the words of the page, next to the student.
fn missing_minutes(status: Status) -> &'static str {
    match status {
        Status::LeftEarly => "indiquez les minutes manquées par le départ anticipé",
        _ => "indiquez les minutes de retard",
    }
}

/// The roll call's form, sent with « Enregistrer », « Tous présents » or « Enregistrer et
/// signer » (`action=save_sign`): the marks are saved, then the sheet signed. A refusal at
/// either step shows the form again with every tap as sent and each problem next to its
/// student; marks saved before a refused signature stay saved.
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
    let and_sign = form.iter().any(|(k, v)| k == "action" && v == "save_sign");
    let (call, order, sent, form_errors) = roll_call_from_form(&form, &roster);
    if !form_errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return session_page(&ctx, &viewer, sheet, None, Some(&sent), form_errors, status).await;
    }
    // « Enregistrer et signer » on a sheet with nothing to send goes straight to the signature.
    let changed = if and_sign && call.marks.is_empty() {
        0
    } else {
        match roll_call::record(&ctx, &caller, id, call).await {
            Ok(saved) => saved.changed,
            Err(e) => return refused(&ctx, &viewer, id, None, &sent, &order, e, false).await,
        }
    };
    if !and_sign {
        return Ok(Redirect::to(&format!("/sessions/{id}?saved={changed}")).into_response());
    }
    match attendance::sign::sign(&ctx, &caller, id).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/sessions/{id}?saved={changed}&signed=1")).into_response())
        }
        Err(e) => {
            let notice = (changed > 0).then(|| lang.text("rc_saved_not_signed").to_owned());
            refused(&ctx, &viewer, id, notice, &sent, &order, e, true).await
        }
    }
}

/// The form again after a refusal (of the save, or of the signature when `signing`), with
/// what was sent and the problems in place; other errors become the error page.
#[allow(clippy::too_many_arguments)]
async fn refused(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: i64,
    notice: Option<String>,
    sent: &Submitted,
    order: &[i64],
    e: AppError,
    signing: bool,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let status = e.status();
    let errors = match e {
        AppError::Validation(errors) => PageErrors::of(errors, order),
        AppError::Refused(message) => PageErrors {
            general: vec![message],
            ..PageErrors::default()
        },
        other => return Err(WebError::new(other, viewer.lang)),
    };
    // The sheet as it now stands (marks saved before a refused signature are in it).
    let sheet = roll_call::sheet(ctx, &caller, id).await?;
    let mut errors = errors;
    if signing {
        // A refused signature: each student still without a mark is named on their card.
        for line in sheet
            .roster
            .iter()
            .filter(|l| l.enrolled && l.mark.is_none())
        {
            let tapped = sent.students.get(&line.student_id);
            if tapped.is_none_or(|t| t.status.is_none()) {
                errors.student(line.student_id, "présence à saisir avant de signer");
            }
        }
    }
    session_page(ctx, viewer, sheet, notice, Some(sent), errors, status).await
}

pub async fn sign(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    viewer.check_csrf(form.csrf.as_deref())?;
    match attendance::sign::sign(&ctx, &caller, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?signed=1")).into_response()),
        Err(e) => {
            let sent = Submitted::default();
            refused(&ctx, &viewer, id, None, &sent, &[], e, true).await
        }
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

/// The script of the QR code page: it replaces the code as it changes, in place (a page
/// that reloads itself is no use to a screen reader, and the pages allow no inline script).
pub async fn qr_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../../templates/pages/qr.js"),
    )
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
