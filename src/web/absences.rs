//! Pages of absences: a student's attendance record (linked from every notice), the
//! justification form and the admin's decisions, and the admin's mail log.

use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{NaiveDate, NaiveTime};
use minijinja::{Value, context};
use serde::Deserialize;

use super::pages::{PageResult, semester_rows, show};
use super::{AdminViewer, CsrfForm, Viewer, WebError};
use crate::access;
use crate::app::ApiContext;
use crate::attendance::hours as summary;
use crate::db::justifications::ReportedMark;
use crate::domain::absence::{self, Mark};
use crate::domain::attendance::{Status, half_day_en, half_day_fr};
use crate::domain::roles::Role;
use crate::domain::text::date_fr;
use crate::error::{AppError, FieldError};
use crate::format;
use crate::http::crud::Id;
use crate::http::mail_log::{self, MailQuery};
use crate::i18n::Lang;
use crate::justifications::{self, DecisionInput, ListQuery};
use crate::mail::outbox;
use crate::notices::{hours_text, status_text};

/// The student's marks other than present, newest first, each with its latest justification.
async fn reported_marks(ctx: &ApiContext, student: i64) -> Result<Vec<ReportedMark>, AppError> {
    Ok(crate::db::justifications::reported_marks(&ctx.db, student).await?)
}

fn times(a: NaiveTime, b: NaiveTime) -> String {
    format!("{}–{}", a.format("%H:%M"), b.format("%H:%M"))
}

fn half_day(lang: Lang, t: NaiveTime) -> &'static str {
    match lang {
        Lang::Fr => half_day_fr(t),
        Lang::En => half_day_en(t),
    }
}

/// The student's absences, late arrivals and early leaves on the days `shown` keeps, newest
/// first, each with its justification, as the pages show them.
pub(super) async fn absence_lines(
    ctx: &ApiContext,
    id: i64,
    shown: &(dyn Fn(NaiveDate) -> bool + Sync),
    lang: Lang,
) -> Result<Vec<Value>, AppError> {
    let marks = reported_marks(ctx, id).await?;
    Ok(marks
        .iter()
        .filter(|m| shown(m.day))
        .map(|m| {
            let status = Status::parse(&m.status).unwrap_or(Status::Absent);
            let mark = Mark {
                status,
                minutes_missed: m.minutes_missed,
                excused_minutes: m.excused_minutes,
            };
            let length = (m.ends_at - m.starts_at).num_minutes();
            let missed = absence::missed_minutes(mark, length);
            let excused = mark.excused(length);
            context! {
                session_id => m.session_id, day => date_fr(m.day), half_day => half_day(lang, m.starts_at),
                times => times(m.starts_at, m.ends_at), module => m.module.clone(),
                status => status_text(status, lang), status_code => m.status.clone(),
                missed => hours_text(missed, lang), note => m.note.clone(),
                excused => (excused > 0 && excused < missed).then(|| hours_text(excused, lang)),
                justification_id => m.justification_id, justification_status => m.justification_status.clone(),
                justifiable => excused < missed && m.justification_status.as_deref() != Some("pending"),
            }
        })
        .collect())
}

/// A student's attendance: semesters and every absence, late arrival and early leave.
pub async fn student_record(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    let summary = summary::student_summary(&ctx, &caller, id, None).await?;
    // A tutor sees the days of their own contracts only.
    let reach = access::reach(&ctx.db, &caller).await?;
    let lines = absence_lines(&ctx, id, &|day| reach.covers(id, day), lang).await?;
    let may_justify = matches!(caller.role, Role::Student | Role::Tutor | Role::Admin);
    let ack =
        super::acknowledgements::notices_block(&ctx, &caller, id, &format!("/students/{id}"), lang)
            .await?;
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/student_record.html",
        context! {
            student_id => id,
            name => format!("{} {}", summary.first_name, summary.last_name),
            year => summary.academic_year.clone(),
            contract_id => summary.contract_id,
            semesters => semester_rows(&summary.semesters, lang),
            lines, may_justify, ack,
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AbsencesQuery {
    student: Option<i64>,
}

/// One student's block of the absences page.
async fn absences_block(
    ctx: &ApiContext,
    caller: &crate::auth::Caller,
    reach: &crate::domain::reach::Reach,
    id: i64,
    lang: Lang,
) -> Result<Value, AppError> {
    let summary = summary::student_summary(ctx, caller, id, None).await?;
    let lines = absence_lines(ctx, id, &|day| reach.covers(id, day), lang).await?;
    let to_justify = lines
        .iter()
        .filter(|l| l.get_attr("justifiable").is_ok_and(|v| v.is_true()))
        .count();
    let ack = super::acknowledgements::notices_block(
        ctx,
        caller,
        id,
        &format!("/absences?student={id}"),
        lang,
    )
    .await?;
    Ok(context! {
        id,
        name => format!("{} {}", summary.first_name, summary.last_name),
        year => summary.academic_year.clone(),
        lines, to_justify, ack,
    })
}

/// « Mes absences » for a student (all of their absences, late arrivals and early
/// leaves); « Absences » for a tutor (their students', on the days of the contracts they
/// follow: Article 5). `?student=` narrows to one; a student out of reach does not exist
/// for the caller. The office reads them from each student's record.
pub async fn absences_page(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Query(q): Query<AbsencesQuery>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    let reach = access::reach(&ctx.db, &caller).await?;
    let students = match (caller.role, q.student) {
        (Role::Teacher, _) => return Err(AppError::Forbidden.into()),
        (Role::Admin, None) => return Ok(Redirect::to("/console/students").into_response()),
        (_, Some(s)) if reach.knows(s) => vec![s],
        (_, Some(_)) => return Err(AppError::NotFound.into()),
        (_, None) => reach.students().unwrap_or_default(),
    };
    let mut blocks = Vec::with_capacity(students.len());
    for id in students {
        match absences_block(&ctx, &caller, &reach, id, lang).await {
            Ok(block) => blocks.push(block),
            // A contract withdrawn before it began: nothing to show.
            Err(AppError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/absences.html",
        context! {
            students => blocks,
            own => caller.role == Role::Student,
            // A company contact reads; the student or the tutor justifies.
            read_only => caller.role == Role::Company,
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    student: Option<i64>,
    /// Comma-separated session ids to tick.
    sessions: Option<String>,
}

async fn new_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    student: i64,
    ticked: &[i64],
    reason: &str,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    // The student's record must be visible to the caller (404 otherwise).
    let summary = summary::student_summary(ctx, &caller, student, None).await?;
    let marks = reported_marks(ctx, student).await?;
    let reach = access::reach(&ctx.db, &caller).await?;
    let absences: Vec<Value> = marks
        .iter()
        .filter(|m| reach.covers(student, m.day))
        .filter(|m| {
            let partial = matches!(m.status.as_str(), "late" | "left_early")
                && m.excused_minutes < m.minutes_missed;
            (m.status == "absent" || partial) && m.justification_status.as_deref() != Some("pending")
        })
        .map(|m| {
            context! {
                session_id => m.session_id, day => date_fr(m.day), half_day => half_day(lang, m.starts_at),
                times => times(m.starts_at, m.ends_at), module => m.module.clone(),
                checked => ticked.contains(&m.session_id),
                status => Status::parse(&m.status).map(|st| status_text(st, lang)),
                missed => (m.status != "absent").then(|| hours_text(m.minutes_missed - m.excused_minutes, lang)),
            }
        })
        .collect();
    show(
        ctx,
        viewer,
        status,
        "pages/justification_new.html",
        context! {
            student_id => student,
            name => format!("{} {}", summary.first_name, summary.last_name),
            absences, reason, errors => super::ser(&errors),
            max_mb => crate::format::megabytes(ctx.attendance.justification_max_bytes, lang),
        },
    )
    .await
}

/// The justification form: the student's absences to tick, a reason, a file.
pub async fn justification_form(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Query(q): Query<NewQuery>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    // A company contact reads statuses; the student or the tutor justifies.
    if caller.role == Role::Company {
        return Err(WebError::new(AppError::Forbidden, viewer.lang));
    }
    let student = match (q.student, caller.student_id) {
        (Some(s), _) => s,
        (None, Some(s)) => s,
        // A tutor picks the absence (and so the student) on the absences page.
        (None, None) if caller.role == Role::Tutor => {
            return Ok(Redirect::to("/absences").into_response());
        }
        (None, None) => return Err(WebError::new(AppError::NotFound, viewer.lang)),
    };
    let ticked: Vec<i64> = q
        .sessions
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    new_page(
        &ctx,
        &viewer,
        student,
        &ticked,
        "",
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Receives the form (multipart, for the file).
pub async fn submit_justification(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    let form = form.map_err(|e| {
        WebError::new(
            AppError::BadRequest(format!("formulaire illisible : {e}")),
            lang,
        )
    })?;
    let (submission, csrf) =
        crate::http::justifications::read_multipart(form, ctx.attendance.justification_max_bytes)
            .await?;
    viewer.check_csrf(csrf.as_deref())?;
    let student = submission
        .student_id
        .or(caller.student_id)
        .ok_or_else(|| WebError::new(AppError::NotFound, lang))?;
    let ticked = submission.session_ids.clone();
    let reason = submission.reason.clone();
    match justifications::submit(&ctx, &caller, submission).await {
        Ok(id) => Ok(Redirect::to(&format!("/justifications/{id}?sent=1")).into_response()),
        Err(
            e @ (AppError::Validation(_) | AppError::TooLarge(_) | AppError::UnsupportedType(_)),
        ) => {
            let status = e.status();
            let errors = match e {
                AppError::Validation(errors) => errors,
                other => vec![FieldError::new("file", other.public_message())],
            };
            new_page(&ctx, &viewer, student, &ticked, &reason, errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}

fn justification_view(j: &justifications::Justification, lang: Lang) -> Value {
    context! {
        id => j.id, student_id => j.student_id, student => j.student_name.clone(),
        submitted_by => j.submitted_by.clone(),
        submitted_at => format::paris_minute(j.submitted_at),
        reason => j.reason.clone(), status => j.status.clone(),
        file_size_kb => (j.file_size + 1023) / 1024, file_type => j.file_type.clone(),
        decided_by => j.decided_by.clone(), decided_at => j.decided_at.map(format::paris_minute),
        comment => j.decision_comment.clone(),
        absences => j.absences.iter().map(|a| context! {
            session_id => a.session_id, day => date_fr(a.day), half_day => half_day(lang, a.starts_at),
            times => times(a.starts_at, a.ends_at), module => a.module.clone(),
            status => a.status.as_deref().and_then(Status::parse).map(|s| status_text(s, lang)),
        }).collect::<Vec<Value>>(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ListForm {
    status: Option<String>,
}

/// Justifications the viewer may see; pending ones by default for the admin.
pub async fn justification_list(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Query(q): Query<ListForm>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    let status = match q.status.as_deref() {
        Some("all") => None,
        Some(s) => Some(s.to_owned()),
        None if caller.role == Role::Admin => Some("pending".to_owned()),
        None => None,
    };
    let list = justifications::list(
        &ctx,
        &caller,
        &ListQuery {
            status: status.clone(),
            student_id: None,
        },
    )
    .await?;
    let items: Vec<Value> = list.iter().map(|j| justification_view(j, lang)).collect();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/justifications.html",
        context! { items, filter => status.unwrap_or_else(|| "all".to_owned()) },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct SentQuery {
    sent: Option<u8>,
    decided: Option<u8>,
}

async fn justification_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: i64,
    notice: Option<String>,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let caller = viewer.require()?.clone();
    let lang = viewer.lang;
    let j = justifications::load(ctx, &caller, id).await?;
    show(
        ctx,
        viewer,
        status,
        "pages/justification.html",
        context! {
            j => justification_view(&j, lang), notice, errors => super::ser(&errors),
            may_decide => caller.role == Role::Admin && j.status == "pending",
        },
    )
    .await
}

pub async fn justification(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Query(q): Query<SentQuery>,
) -> PageResult {
    let lang = viewer.lang;
    let notice = if q.sent.is_some() {
        Some(lang.text("justification_sent").to_owned())
    } else if q.decided.is_some() {
        Some(lang.text("justification_decided").to_owned())
    } else {
        None
    };
    justification_page(&ctx, &viewer, id, notice, Vec::new(), StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    decision: String,
    #[serde(default)]
    comment: String,
}

pub async fn decide(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    viewer.check_csrf(form.csrf.as_deref())?;
    let input = DecisionInput {
        decision: form.decision,
        comment: form.comment,
    };
    match justifications::decide(&ctx, &caller, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/justifications/{id}?decided=1")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let errors = match e {
                AppError::Validation(errors) => errors,
                other => vec![FieldError::new("decision", other.public_message())],
            };
            justification_page(&ctx, &viewer, id, None, errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct MailsForm {
    status: Option<String>,
    page: Option<i64>,
}

/// The admin's log of every mail, 100 per page, with a resend button.
pub async fn mails(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Query(q): Query<MailsForm>,
) -> PageResult {
    let status = q.status.filter(|s| !s.is_empty() && s != "all");
    let page = super::page_number(q.page, 0)?;
    let log = mail_log::list(
        &ctx,
        &MailQuery {
            status: status.clone(),
            student_id: None,
            kind: None,
            limit: Some(100),
            offset: Some(page * 100),
        },
    )
    .await?;
    let items: Vec<Value> = log
        .items
        .iter()
        .map(|m| context! {
            id => m.id, kind => m.kind.clone(), recipient => m.recipient.clone(), subject => m.subject.clone(),
            reason => m.reason.clone(), status => m.status.clone(), queued_at => format::paris_minute(m.queued_at),
            sent_at => m.sent_at.map(format::paris_minute), attempts => m.attempts, last_error => m.last_error.clone(),
            resend_of => m.resend_of,
        })
        .collect();
    let jobs = crate::jobs::statuses(&ctx).await.map_err(AppError::from)?;
    let jobs: Vec<Value> = jobs
        .iter()
        .map(|j| context! {
            job => j.job.name(), schedule => j.schedule.clone(),
            last => j.last_ran_at.map(format::paris_minute), outcome => j.last_outcome.clone(), next => j.next_due_at.map(format::paris_minute),
            failures => j.failures, error => j.last_error.clone(), retry => j.retry_at.map(format::paris_minute),
        })
        .collect();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/mails.html",
        context! {
            items, jobs, total => log.total, page, filter => status.unwrap_or_else(|| "all".to_owned()),
            more => (page + 1) * 100 < log.total,
        },
    )
    .await
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {}

pub async fn resend(
    State(ctx): State<ApiContext>,
    Id(id): Id,
    _: CsrfForm<CsrfOnly, AdminViewer>,
) -> PageResult {
    let domain = ctx.mail.from_address().email.domain().to_owned();
    outbox::resend(&ctx.db, &domain, id, ctx.clock.now())
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to("/mails?resent=1").into_response())
}
