//! The page handlers. They call the same functions as the JSON API, so every rule (roles,
//! ownership, edit window, validation) holds here too.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::{AdminViewer, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Viewer, WebError, render, ser};
use crate::app::ApiContext;
use crate::attendance::SessionInfo;
use crate::attendance::audit::{self, AuditQuery};
use crate::attendance::hours::SemesterSummary;
use crate::attendance::roll_call::{self, SheetState};
use crate::auth::{self, Caller};
use crate::domain::roles::Role;
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};
use crate::format;
use crate::i18n::Lang;

pub(super) type PageResult = Result<Response, WebError>;

/// Turns request errors into pages in the viewer's language.
pub(super) fn page_err(lang: Lang) -> impl Fn(AppError) -> WebError {
    move |e| WebError::new(e, lang)
}

async fn school_name(ctx: &ApiContext) -> String {
    match crate::http::school::load(&ctx.db).await {
        Ok(Some(s)) => s.name,
        _ => String::new(),
    }
}

/// Renders a page with the viewer's base context merged with the page's own.
pub(super) async fn show(
    ctx: &ApiContext,
    viewer: &Viewer,
    status: StatusCode,
    template: &str,
    page: Value,
) -> PageResult {
    let school = school_name(ctx).await;
    let merged = context! { ..page, ..viewer.base(&school) };
    let html = render(template, merged)?;
    Ok(viewer.finish((status, html).into_response()))
}

// ---- login ---------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct NextQuery {
    pub(super) next: Option<String>,
}

/// Only a path of this site: a login link cannot send anyone elsewhere. Browsers drop tabs
/// and line breaks from URLs and read `\\` as `/`, so `/\t/evil.example` would be
/// `//evil.example` to them: anything with such characters, or that does not resolve to
/// this origin, goes home instead.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/";
    let Some(n) = next else {
        return HOME.to_owned();
    };
    let suspicious = n
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if suspicious || !n.starts_with('/') || n.starts_with("//") {
        return HOME.to_owned();
    }
    let Ok(base) = url::Url::parse("http://assidu.invalid/") else {
        return HOME.to_owned();
    };
    match base.join(n) {
        Ok(u) if u.origin() == base.origin() && u.username().is_empty() => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        },
        _ => HOME.to_owned(),
    }
}

pub async fn login_form(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> PageResult {
    login_page(&ctx, viewer, q.next.as_deref(), None, StatusCode::OK).await
}

pub(super) async fn login_page(
    ctx: &ApiContext,
    mut viewer: Viewer,
    next: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let fresh = viewer.login_csrf.is_none();
    if fresh {
        viewer.login_csrf = Some(auth::random_secret());
    }
    let csrf = viewer.login_csrf.clone().unwrap_or_default();
    let mut response = show(
        ctx,
        &viewer,
        status,
        "pages/login.html",
        context! { next => safe_next(next), error, login_csrf => csrf.clone() },
    )
    .await?;
    if fresh
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict"
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf: Option<String>,
}

pub async fn login(
    State(ctx): State<ApiContext>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    viewer: Viewer,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let lang = viewer.lang;
    if !viewer.login_form_csrf_matches(form.csrf.as_deref()) {
        let message = lang.text("csrf_failed").to_owned();
        return login_page(
            &ctx,
            viewer,
            form.next.as_deref(),
            Some(message),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let client = crate::http::auth::client_address(&headers, peer, ctx.auth.trust_forwarded_for);
    let outcome = auth::login(
        &ctx.db,
        &ctx.auth,
        ctx.clock.now(),
        &form.email,
        &form.password,
        client,
    )
    .await;
    match outcome {
        Ok(outcome) => Ok(signed_in(
            &ctx,
            &outcome.token,
            &safe_next(form.next.as_deref()),
        )),
        Err(AppError::TooManyRequests { .. }) => {
            let message = lang.text("login_throttled").to_owned();
            login_page(
                &ctx,
                viewer,
                form.next.as_deref(),
                Some(message),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        Err(AppError::Validation(_)) => {
            let message = lang.text("password_too_long").to_owned();
            login_page(
                &ctx,
                viewer,
                form.next.as_deref(),
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Unauthorized) => {
            let message = lang.text("login_failed").to_owned();
            login_page(
                &ctx,
                viewer,
                form.next.as_deref(),
                Some(message),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        Err(e) => Err(WebError::new(e, lang)),
    }
}

/// The answer to a successful login (password or sign-in link): the session cookie, and
/// on to `to` (already checked by [`safe_next`]).
pub(super) fn signed_in(ctx: &ApiContext, token: &str, to: &str) -> Response {
    let secure = if ctx.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let max_age = ctx.auth.token_ttl.as_secs();
    let mut response = Redirect::to(to).into_response();
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    );
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        headers.append(header::SET_COOKIE, v);
    }
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static("assidu_login_csrf=; Path=/login; Max-Age=0"),
    );
    response
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: Option<String>,
}

pub async fn logout(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    viewer.check_csrf(form.csrf.as_deref())?;
    if let Some(token) = &viewer.token {
        auth::logout(&ctx.db, &ctx.cache, token, ctx.clock.now()).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("assidu_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    );
    Ok(response)
}

// ---- home pages ----------------------------------------------------------------------

/// A session line of a list, with its sheet's state.
#[derive(Serialize)]
pub(super) struct SessionLine {
    id: i64,
    day: String,
    half_day: &'static str,
    times: String,
    module: String,
    group: String,
    room: String,
    state: SheetState,
    marked: usize,
    roster: usize,
    signin_open: bool,
}

pub(super) async fn session_lines(
    ctx: &ApiContext,
    caller: &Caller,
    sessions: Vec<SessionInfo>,
    lang: Lang,
) -> AppResult<Vec<SessionLine>> {
    let now = ctx.clock.now();
    let mut lines = Vec::with_capacity(sessions.len());
    for s in sessions {
        let sheet = roll_call::sheet(ctx, caller, s.id).await?;
        lines.push(SessionLine {
            id: s.id,
            day: date_fr(s.day),
            half_day: s.half_day(lang.code()),
            times: format!(
                "{}–{}",
                s.starts_at.format("%H:%M"),
                s.ends_at.format("%H:%M")
            ),
            module: s.module_name.clone(),
            group: s.group_name.clone(),
            room: s.room.clone(),
            state: sheet.state,
            marked: sheet.counts.marked,
            roster: sheet.counts.roster,
            signin_open: s.times().signin_open(now),
        });
    }
    Ok(lines)
}

pub async fn home(State(ctx): State<ApiContext>, viewer: Viewer) -> PageResult {
    let Some(caller) = viewer.caller.clone() else {
        return public_home(&ctx, &viewer).await;
    };
    match caller.role {
        Role::Teacher => home_teacher::page(&ctx, &viewer, &caller).await,
        Role::Student => home_student::page(&ctx, &viewer, &caller).await,
        Role::Tutor => home_tutor::page(&ctx, &viewer, &caller).await,
        Role::Company => home_company::page(&ctx, &viewer, &caller).await,
        Role::Admin => home_office::page(&ctx, &viewer, &caller).await,
    }
}

/// A semester's hours as the pages print them (French decimal comma).
pub(super) fn semester_rows(semesters: &[SemesterSummary], lang: Lang) -> Vec<Value> {
    let h = format::hours_of;
    semesters
        .iter()
        .map(|s| {
            context! {
                semester => s.semester.as_str(),
                from => date_fr(s.from), to => date_fr(s.to),
                planned => h(s.planned_hours), scheduled => h(s.scheduled_hours),
                attended => h(s.attended_hours), absence => h(s.absence_hours),
                excused => h(s.excused_hours), unrecorded => h(s.unrecorded_hours),
                rate => s.attendance_rate.map(|r| {
                    let p = format!("{:.1} %", r * 100.0);
                    if lang == Lang::Fr { p.replace('.', ",") } else { p }
                }),
            }
        })
        .collect()
}

async fn public_home(ctx: &ApiContext, viewer: &Viewer) -> PageResult {
    let years = crate::db::years::all(&ctx.db)
        .await
        .map_err(AppError::from)?;
    let demo = crate::demo::is_loaded(&ctx.db).await?;
    let demo_accounts: Vec<(String, String)> = if demo {
        crate::db::users::demo_accounts(&ctx.db)
            .await
            .map_err(AppError::from)?
    } else {
        Vec::new()
    };
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/home.html",
        context! {
            years => years.into_iter().map(|y| context! { name => y.name, starts_on => date_fr(y.starts_on), ends_on => date_fr(y.ends_on) }).collect::<Vec<_>>(),
            demo,
            // The service's clock, when it does not follow the real one (the demo's).
            clock_now => ctx.attendance.pretend_now.map(|_| crate::format::paris_at(ctx.clock.now())),
            demo_accounts => demo_accounts.into_iter().map(|(email, role)| context! { email, role }).collect::<Vec<_>>(),
        },
    )
    .await
}

mod home_company;
mod home_office;
mod home_student;
mod home_teacher;
mod home_tutor;
mod session_pages;

pub use session_pages::{qr, qr_script, save_roll_call, session, sign, signin, signin_form};

// ---- the audit -----------------------------------------------------------------------

#[derive(Deserialize)]
pub struct AuditForm {
    from: Option<String>,
    to: Option<String>,
}

pub async fn audit(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Query(q): Query<AuditForm>,
) -> PageResult {
    let lang = viewer.lang;
    let date = |field: &str, raw: &Option<String>| -> Result<Option<NaiveDate>, WebError> {
        match raw.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    WebError::new(AppError::field(field, "date AAAA-MM-JJ attendue"), lang)
                }),
        }
    };
    let query = AuditQuery {
        from: date("from", &q.from)?,
        to: date("to", &q.to)?,
    };
    let report = audit::report(&ctx, &query).await?;
    let pending: Vec<Value> = report
        .pending
        .iter()
        .map(|p| {
            context! {
                id => p.session.id, day => date_fr(p.session.day),
                times => format!("{}–{}", p.session.starts_at.format("%H:%M"), p.session.ends_at.format("%H:%M")),
                module => p.session.module_name.clone(), group => p.session.group_name.clone(),
                teacher => p.session.teacher_name.clone(), marked => p.marked, roster => p.roster, signed => p.signed,
            }
        })
        .collect();
    let flags: Vec<Value> = report
        .flags
        .iter()
        .map(|f| {
            context! {
                day => date_fr(f.day), kind => ser(f.kind), severity => f.severity.as_str(),
                severity_label => lang.text(&format!("audit_severity_{}", f.severity.as_str())),
                title => f.title.clone(), message => f.message.clone(),
                sessions => f.sessions.iter().map(|s| context! {
                    url => s.url.clone(),
                    text => format!("{}, {}, {} {}, {} {} {}–{}", s.module, s.teacher, lang.text("group").to_lowercase(), s.group,
                        lang.pick("le", "on"), date_fr(s.day), s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/audit.html",
        context! {
            pending, flags, from => report.from.to_string(), to => report.to.to_string(),
            presence_needs_signature => report.presence_needs_signature,
            unsigned => report.unsigned_presences.iter().map(|u| context! {
                day => date_fr(u.day), half_day => crate::domain::attendance::half_day_fr(u.starts_at),
                session_id => u.session_id, module => u.module.clone(), teacher => u.teacher.clone(),
                student_id => u.student_id, student => u.student.clone(),
                status => lang.text(&format!("status_{}", u.status)).to_owned(),
            }).collect::<Vec<_>>(),
            unscheduled => report.unscheduled.iter().map(|u| context! {
                contract_id => u.contract_id, student => u.student.clone(),
                semester => u.semester.as_str(), from => date_fr(u.from), to => date_fr(u.to),
                planned => format::hours_of(u.planned_hours),
                scheduled => format::hours_of(u.scheduled_hours),
                missing => format::hours_of(u.unscheduled_hours),
            }).collect::<Vec<_>>(),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_followed_after_login() {
        for (given, kept) in [
            ("/sessions/3", "/sessions/3"),
            ("/students/4?lang=en", "/students/4?lang=en"),
            ("/a/../b", "/b"),
        ] {
            assert_eq!(safe_next(Some(given)), kept, "{given}");
        }
        for hostile in [
            "//evil.example/x",
            "/\t/evil.example/phish",
            "/\n/x",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/ /x",
            "/\u{85}/x",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
