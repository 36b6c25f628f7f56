//! Server-rendered pages (templates under `templates/`, compiled into the binary): one
//! layout, a login page, a home page per role, the roll call of a session, the students'
//! sign-in and the admin's audit. French by default, English on request.
//!
//! Pages use a cookie holding the same kind of token as the API; every form carries a CSRF
//! token derived from it (and the cookie is `SameSite=Lax`), so another site cannot post
//! on a user's behalf.

mod absences;
mod billing;
mod calendar_page;
mod certificates;
mod chart;
mod console;
mod contract_page;
mod dashboard;
mod feeds;
mod import_page;
mod pages;
mod timetable;
mod users;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use sha2::{Digest, Sha256};

use crate::app::ApiContext;
use crate::auth::{self, Caller};
use crate::error::AppError;
use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "assidu_session";
pub const LANG_COOKIE: &str = "assidu_lang";
/// Before login there is no session: the login form is protected by a cookie of its own.
pub const LOGIN_CSRF_COOKIE: &str = "assidu_login_csrf";

/// Pages may only load what they need from the server itself.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in templates![
        "pages/layout.html",
        "pages/home.html",
        "pages/login.html",
        "pages/teacher.html",
        "pages/student.html",
        "pages/tutor.html",
        "pages/admin.html",
        "pages/session.html",
        "pages/qr.html",
        "pages/signin.html",
        "pages/audit.html",
        "pages/error.html",
        "pages/sessions_table.html",
        "pages/semesters_table.html",
        "pages/student_record.html",
        "pages/justification_new.html",
        "pages/justifications.html",
        "pages/justification.html",
        "pages/mails.html",
        "pages/certificates.html",
        "pages/certificates_list.html",
        "pages/student_certificates.html",
        "pages/verify.html",
        "pages/billing.html",
        "pages/contract_billing.html",
        "pages/agenda_block.html",
        "pages/agenda_created.html",
        "pages/dashboard.html",
        "pages/console_index.html",
        "pages/console_list.html",
        "pages/console_form.html",
        "pages/console_users.html",
        "pages/console_user_new.html",
        "pages/console_user.html",
        "pages/console_calendar.html",
        "pages/console_timetable.html",
        "pages/console_contract.html",
        "pages/console_import.html",
    ] {
        // The templates are compiled in and covered by tests: a broken one fails them.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "template rejected");
        }
    }
    env
});

pub fn render(name: &str, ctx: Value) -> Result<Html<String>, AppError> {
    let template = TEMPLATES
        .get_template(name)
        .map_err(|e| AppError::Internal(e.into()))?;
    template
        .render(ctx)
        .map(Html)
        .map_err(|e| AppError::Internal(e.into()))
}

/// Any serialisable value for a template.
pub fn ser<T: serde::Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/audit", get(pages::audit))
        .route(
            "/sessions/{id}",
            get(pages::session).post(pages::save_roll_call),
        )
        .route("/sessions/{id}/sign", post(pages::sign))
        .route("/sessions/{id}/qr", get(pages::qr))
        .route(
            "/sessions/{id}/signin",
            get(pages::signin_form).post(pages::signin),
        )
        .route("/students/{id}", get(absences::student_record))
        .route(
            "/justifications",
            get(absences::justification_list)
                .post(absences::submit_justification)
                .layer(DefaultBodyLimit::max(
                    crate::http::justifications::BODY_LIMIT,
                )),
        )
        .route("/justifications/new", get(absences::justification_form))
        .route("/justifications/{id}", get(absences::justification))
        .route("/justifications/{id}/decision", post(absences::decide))
        .route("/mails", get(absences::mails))
        .route("/mails/{id}/resend", post(absences::resend))
        .route("/billing", get(billing::year_page))
        .route("/contracts/{id}/billing", get(billing::contract_page))
        .route(
            "/contracts/{id}/termination",
            post(billing::record_termination),
        )
        .route("/certificates", get(certificates::my_certificates))
        .route("/certificates/issue", post(certificates::issue_batch))
        .route(
            "/students/{id}/certificates",
            get(certificates::student_page).post(certificates::issue_for_student),
        )
        .route(
            "/verify",
            get(certificates::verify_query)
                .post(certificates::verify_upload)
                .layer(DefaultBodyLimit::max(
                    crate::http::certificates::VERIFY_BODY_LIMIT,
                )),
        )
        .route("/verify/{number}", get(certificates::verify_page))
        .route("/agenda", post(feeds::create))
        .route("/agenda/{id}/revoke", post(feeds::revoke))
        .route("/dashboard", get(dashboard::page))
        .merge(console::router())
        .merge(users::router())
        .merge(calendar_page::router())
        .merge(timetable::router())
        .merge(contract_page::router())
        .merge(import_page::router())
        // A form is a few kilobytes; the routes that take files set their own limit above.
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
}

/// The highest page number a list accepts: beyond it, offsets would overflow.
const MAX_PAGE: i64 = 100_000;

/// A list's page number (`first` is 0 or 1), refused with 422 when it is absurd rather
/// than multiplied into an offset that overflows.
pub(crate) fn page_number(raw: Option<i64>, first: i64) -> Result<i64, AppError> {
    match raw {
        None => Ok(first),
        Some(p) if (first..=MAX_PAGE).contains(&p) => Ok(p),
        Some(_) => Err(AppError::field(
            "page",
            format!("numéro de page entre {first} et {MAX_PAGE}"),
        )),
    }
}

/// Largest body of a page's form (the routes taking files have their own limits): an
/// anonymous login cannot make the service read megabytes.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// Who is looking, in which language, from which page.
pub struct Viewer {
    pub caller: Option<Caller>,
    token: Option<String>,
    pub lang: Lang,
    /// The language was chosen by `?lang=` on this request: remember it.
    lang_chosen: bool,
    /// Path and query of this request, for "come back here after login".
    pub here: String,
    login_csrf: Option<String>,
}

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            cookie::Cookie::split_parse(v)
                .filter_map(Result::ok)
                .find(|c| c.name() == name)
                .map(|c| c.value().to_owned())
        })
}

impl FromRequestParts<ApiContext> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, ctx: &ApiContext) -> Result<Self, WebError> {
        let query_lang = parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| Lang::parse(&v))
        });
        let token = cookie(&parts.headers, SESSION_COOKIE);
        let caller = match &token {
            Some(t) => auth::caller_for_token(&ctx.db, &ctx.cache, t, ctx.clock.now())
                .await
                .map_err(|e| WebError::new(e, Lang::Fr))?,
            None => None,
        };
        let lang = query_lang
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(|l| Lang::parse(&l)))
            .or_else(|| caller.as_ref().and_then(|c| Lang::parse(&c.locale)))
            .unwrap_or_default();
        Ok(Viewer {
            token: token.filter(|_| caller.is_some()),
            caller,
            lang,
            lang_chosen: query_lang.is_some(),
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            login_csrf: cookie(&parts.headers, LOGIN_CSRF_COOKIE),
        })
    }
}

impl Viewer {
    /// The logged-in caller, or a trip to the login page that comes back here.
    pub fn require(&self) -> Result<&Caller, WebError> {
        self.caller.as_ref().ok_or_else(|| {
            WebError::Redirect(format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(self.here.as_bytes()).collect::<String>()
            ))
        })
    }

    /// The CSRF token of this session's forms.
    pub fn csrf(&self) -> String {
        match &self.token {
            Some(t) => csrf_for(t),
            None => self.login_csrf.clone().unwrap_or_default(),
        }
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), WebError> {
        let expected = self.csrf();
        match sent {
            Some(s) if !expected.is_empty() && constant_eq(s, &expected) => Ok(()),
            _ => Err(WebError::new(
                AppError::Refused(self.lang.text("csrf_failed").to_owned()),
                self.lang,
            )),
        }
    }

    /// What every page needs: the texts, who is logged in, the language switch.
    pub fn base(&self, school_name: &str) -> Value {
        let switch = self.lang.text("language_switch_code");
        let path = self.here.split('?').next().unwrap_or("/");
        context! {
            lang => self.lang.code(),
            t => ser(self.lang.texts()),
            user => self.caller.as_ref().map(|c| context! { name => c.name.clone(), role => c.role.as_str(), email => c.email.clone() }),
            csrf => self.csrf(),
            school_name => school_name,
            switch_url => format!("{path}?lang={switch}"),
        }
    }

    /// Sets the headers every page carries (and remembers a language chosen just now).
    pub fn finish(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.lang_chosen
            && let Ok(v) = HeaderValue::from_str(&format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                self.lang.code()
            ))
        {
            headers.append(header::SET_COOKIE, v);
        }
        response
    }
}

pub fn csrf_for(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"assidu csrf ");
    h.update(token.as_bytes());
    hex::encode(&h.finalize()[..16])
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A page that could not be shown: an error page in the viewer's language, or a redirect.
pub enum WebError {
    Redirect(String),
    Page(AppError, Lang),
}

impl WebError {
    pub fn new(e: AppError, lang: Lang) -> Self {
        WebError::Page(e, lang)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (error, lang) = match self {
            WebError::Redirect(to) => return Redirect::to(&to).into_response(),
            WebError::Page(AppError::Unauthorized, _) => {
                return Redirect::to("/login").into_response();
            }
            WebError::Page(e, lang) => (e, lang),
        };
        let status = error.status();
        let message = match status {
            StatusCode::NOT_FOUND => lang.text("not_found").to_owned(),
            StatusCode::FORBIDDEN => lang.text("forbidden").to_owned(),
            _ => String::new(),
        };
        let detail = error.public_message();
        let page = render(
            "pages/error.html",
            context! {
                lang => lang.code(),
                t => ser(lang.texts()),
                school_name => "",
                status => status.as_u16(),
                message,
                detail,
                switch_url => "/",
            },
        );
        let mut response = match page {
            Ok(html) => (status, html).into_response(),
            Err(_) => (status, "erreur").into_response(),
        };
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        response
    }
}
