//! Server-rendered pages (templates under `templates/`, compiled into the binary): one
//! layout, a login page, a home page per role, the roll call of a session, the students'
//! sign-in and the admin's audit. French by default, English on request.
//!
//! Pages use a cookie holding the same kind of token as the API; every form carries a CSRF
//! token derived from it (and the cookie is `SameSite=Lax`), so another site cannot post
//! on a user's behalf.

mod absences;
mod acknowledgements;
mod billing;
mod calendar_page;
mod certificates;
mod chart;
mod console;
mod contract_page;
mod dashboard;
mod feeds;
mod follow_up_page;
mod import_page;
mod link_login;
mod pages;
mod payroll_page;
mod timetable;
mod timetable_flags;
mod timetable_sources;
mod users;

use std::sync::{Arc, LazyLock, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use sha2::{Digest, Sha256};

use crate::app::ApiContext;
use crate::auth::{self, Caller};
use crate::domain::roles::Role;
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
        "pages/absences.html",
        "pages/termination_confirm.html",
        "pages/company.html",
        "pages/absence_notice_ack.html",
        "pages/absence_notices_block.html",
        "pages/follow_ups.html",
        "pages/payroll_statements.html",
        "pages/timetable_sources.html",
        "pages/timetable_source.html",
        "pages/timetable_flags.html",
    ] {
        // The templates are compiled in and covered by tests: a broken one fails them.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "template rejected");
        }
    }
    // `{{ count(n, "c_records") }}`: the number and its word agreed in the page's language
    // (« 0 fiche », « 2 fiches »; « 0 records »), from the keys `KEY_one` and `KEY`.
    env.add_function("count", |state: &minijinja::State, n: i64, key: &str| {
        let lang = state
            .lookup("lang")
            .and_then(|l| l.as_str().and_then(Lang::parse))
            .unwrap_or(Lang::Fr);
        lang.count(n, key)
    });
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
pub use crate::mail::templates::ser;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/login/link", post(link_login::request))
        .route("/auth/link/{token}", get(link_login::open))
        .route("/audit", get(pages::audit))
        .route(
            "/sessions/{id}",
            get(pages::session).post(pages::save_roll_call),
        )
        .route("/sessions/{id}/sign", post(pages::sign))
        .route("/sessions/{id}/qr", get(pages::qr))
        .route("/assets/qr.js", get(pages::qr_script))
        .route(
            "/sessions/{id}/signin",
            get(pages::signin_form).post(pages::signin),
        )
        .route("/students/{id}", get(absences::student_record))
        .route("/absences", get(absences::absences_page))
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
        .route(
            "/absence-notices/{id}/acknowledge",
            get(acknowledgements::page).post(acknowledgements::submit),
        )
        .route("/companies/{id}/statements", get(payroll_page::page))
        .merge(console::router())
        .merge(users::router())
        .merge(calendar_page::router())
        .merge(timetable::router())
        .merge(contract_page::router())
        .merge(follow_up_page::router())
        .merge(import_page::router())
        .merge(timetable_sources::router())
        .merge(timetable_flags::router())
        // A form is a few kilobytes; the routes that take files set their own limit above.
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(axum::middleware::from_fn(error_pages))
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

/// The login page, coming back to `here` (a path and query of this site) afterwards;
/// the login checks `next` again ([`pages::safe_next`]).
pub fn login_url(here: &str) -> String {
    format!(
        "/login?next={}",
        form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
    )
}

/// Whether a request comes from a browser's navigation (its `Accept` names HTML) rather
/// than from an API client.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"))
}

/// Around the whole service: a page or a file link opened without a valid session leads
/// to the login page, which brings the browser back to it (`303` to `/login?next=…`). That
/// holds for every page and for the API's files opened in a browser (the certificate link
/// of a mail, say): a `GET` whose `Accept` names HTML. API clients (no HTML in `Accept`)
/// keep their `401` JSON; a refused login form keeps its page.
pub async fn login_for_browsers(request: axum::extract::Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let here = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let api = path == "/api" || path.starts_with("/api/");
    let read = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let browser = wants_html(request.headers());
    let response = next.run(request).await;
    if response.status() != StatusCode::UNAUTHORIZED || path == "/login" {
        return response;
    }
    if read && (browser || !api) {
        Redirect::to(&login_url(&here)).into_response()
    } else if !api {
        // A form sent after the session ended: log in again, then start over from home.
        Redirect::to("/login").into_response()
    } else {
        response
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
    /// The caller speaks through a signed mail link (read-only) valid until then.
    read_only_until: Option<chrono::DateTime<chrono::Utc>>,
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
        let query_lang = query_lang(&parts.uri);
        let token = cookie(&parts.headers, SESSION_COOKIE);
        let mut caller = match &token {
            Some(t) => auth::caller_for_token(&ctx.db, &ctx.cache, t, ctx.clock.now())
                .await
                .map_err(|e| WebError::new(e, Lang::Fr))?,
            None => None,
        };
        // A signed mail link speaks for its account on its own page, for reading only; a
        // session, when there is one, comes first.
        let mut read_only_until = None;
        let lien = link_login::lien(&parts.uri).filter(|_| caller.is_none());
        if let Some(lien) = &lien {
            let lang = link_login::request_lang(&parts.uri, &parts.headers);
            if !matches!(parts.method, Method::GET | Method::HEAD) {
                return Err(link_login::refusal(
                    lang,
                    &parts.headers,
                    link_login::Refusal::ReadOnly,
                ));
            }
            // No closure over `parts` may live across this await: the future must stay `Send`
            // for any lifetime (the benches spawn the whole service).
            let found = link_login::signed_link_caller(ctx, lien, parts.uri.path())
                .await
                .map_err(|e| WebError::new(e, lang))?;
            let Some((c, until)) = found else {
                return Err(link_login::refusal(
                    lang,
                    &parts.headers,
                    link_login::Refusal::DeadLink,
                ));
            };
            caller = Some(c);
            read_only_until = Some(until);
        }
        let lang = query_lang
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(|l| Lang::parse(&l)))
            .or_else(|| caller.as_ref().and_then(|c| Lang::parse(&c.locale)))
            .unwrap_or_default();
        if let Some(slot) = parts.extensions.get::<PageLang>() {
            *lock(&slot.0) = Some(lang);
        }
        Ok(Viewer {
            token: token.filter(|_| caller.is_some()),
            caller,
            lang,
            lang_chosen: query_lang.is_some(),
            here: if lien.is_some() {
                link_login::without_lien(&parts.uri)
            } else {
                parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
            },
            login_csrf: cookie(&parts.headers, LOGIN_CSRF_COOKIE),
            read_only_until,
        })
    }
}

impl Viewer {
    /// The logged-in caller, or a trip to the login page that comes back here.
    pub fn require(&self) -> Result<&Caller, WebError> {
        self.caller
            .as_ref()
            .ok_or_else(|| WebError::Redirect(login_url(&self.here)))
    }

    /// The CSRF token of this session's forms.
    pub fn csrf(&self) -> String {
        match &self.token {
            Some(t) => csrf_for(t),
            None => self.login_csrf.clone().unwrap_or_default(),
        }
    }

    /// Whether the login page's form carries this browser's login CSRF token.
    pub fn login_form_csrf_matches(&self, sent: Option<&str>) -> bool {
        match (&self.login_csrf, sent) {
            (Some(expected), Some(s)) => !expected.is_empty() && constant_eq(s, expected),
            _ => false,
        }
    }

    /// Whether the caller reads through a signed mail link (and may change nothing).
    pub fn read_only(&self) -> bool {
        self.read_only_until.is_some()
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), WebError> {
        if self.read_only() {
            return Err(link_login::refusal(
                self.lang,
                &HeaderMap::new(),
                link_login::Refusal::ReadOnly,
            ));
        }
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
            read_only_until => self.read_only_until.map(|t| crate::format::date(crate::format::paris_day(t))),
            read_only_login => login_url(&self.here),
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
        if self.read_only() {
            // The link's secret is in this page's address: not even this site's pages get it.
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
        }
        if self.lang_chosen
            && let Ok(v) = HeaderValue::from_str(&lang_cookie(self.lang))
        {
            headers.append(header::SET_COOKIE, v);
        }
        response
    }
}

/// A logged-in admin looking at a page: anyone else is sent to the login page (anonymous)
/// or shown « accès refusé » (another role).
pub struct AdminViewer {
    pub viewer: Viewer,
    pub caller: Caller,
}

impl FromRequestParts<ApiContext> for AdminViewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, ctx: &ApiContext) -> Result<Self, WebError> {
        let viewer = Viewer::from_request_parts(parts, ctx).await?;
        let caller = viewer.require()?.clone();
        if caller.role != Role::Admin {
            return Err(WebError::new(AppError::Forbidden, viewer.lang));
        }
        Ok(AdminViewer { viewer, caller })
    }
}

impl std::ops::Deref for AdminViewer {
    type Target = Viewer;
    fn deref(&self) -> &Viewer {
        &self.viewer
    }
}

impl AsRef<Viewer> for Viewer {
    fn as_ref(&self) -> &Viewer {
        self
    }
}

impl AsRef<Viewer> for AdminViewer {
    fn as_ref(&self) -> &Viewer {
        &self.viewer
    }
}

/// A posted form whose `csrf` field is this session's (the login form's own token before
/// login), read with the viewer who sent it: `V` is [`Viewer`] or [`AdminViewer`]. A form
/// from another site, or with fields that do not parse, changes nothing.
pub struct CsrfForm<T, V = Viewer> {
    pub viewer: V,
    pub form: T,
}

impl<T, V> axum::extract::FromRequest<ApiContext> for CsrfForm<T, V>
where
    T: serde::de::DeserializeOwned,
    V: FromRequestParts<ApiContext, Rejection = WebError> + AsRef<Viewer> + Send,
{
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        ctx: &ApiContext,
    ) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let viewer = V::from_request_parts(&mut parts, ctx)
            .await
            .map_err(IntoResponse::into_response)?;
        // Read as pairs first: the body limit and content type are axum's `Form`'s own.
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(
            axum::extract::Request::from_parts(parts, body),
            ctx,
        )
        .await
        .map_err(IntoResponse::into_response)?;
        let sent = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        viewer
            .as_ref()
            .check_csrf(sent)
            .map_err(IntoResponse::into_response)?;
        let lang = viewer.as_ref().lang;
        let form = serde_urlencoded::to_string(&pairs)
            .ok()
            .and_then(|encoded| serde_urlencoded::from_str(&encoded).ok())
            .ok_or_else(|| {
                WebError::new(
                    AppError::BadRequest("formulaire illisible".to_owned()),
                    lang,
                )
                .into_response()
            })?;
        Ok(CsrfForm { viewer, form })
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

/// What a page handler returns.
pub type PageResult = Result<Response, WebError>;

/// A page that could not be shown: an error page in the viewer's language, or a redirect.
pub enum WebError {
    Redirect(String),
    /// A page already made (a dead or read-only link's).
    Shown(Box<Response>),
    Page(AppError, Lang),
    /// An error met with `?`: [`error_pages`] shows it in the request's language.
    Unrendered(AppError),
}

/// Lets a page handler write `?` after any use case: the one mapping from errors to pages
/// is [`error_pages`], which knows the request's language.
impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError::Unrendered(e)
    }
}

/// An error that a handler left for [`error_pages`] to render; taken once.
#[derive(Clone)]
struct PendingError(Arc<Mutex<Option<AppError>>>);

/// The language of this request's pages: what `?lang=` or the cookie say before the
/// handler runs, then what the [`Viewer`] found (the account's own language too).
#[derive(Clone, Default)]
struct PageLang(Arc<Mutex<Option<Lang>>>);

/// Renders the errors that page handlers returned with `?`, in the request's language.
async fn error_pages(mut request: axum::extract::Request, next: Next) -> Response {
    let slot = PageLang::default();
    let chosen = query_lang(request.uri());
    let asked =
        chosen.or_else(|| cookie(request.headers(), LANG_COOKIE).and_then(|l| Lang::parse(&l)));
    *lock(&slot.0) = asked;
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let pending = response.extensions_mut().remove::<PendingError>();
    if let Some(error) = pending.and_then(|p| lock(&p.0).take()) {
        let lang = lock(&slot.0).unwrap_or_default();
        response = WebError::Page(error, lang).into_response();
    }
    // A language chosen by `?lang=` is remembered, even from a page that refused.
    if let Some(chosen) = chosen {
        let already = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.as_bytes().starts_with(LANG_COOKIE.as_bytes()));
        if !already && let Ok(v) = HeaderValue::from_str(&lang_cookie(chosen)) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

fn lang_cookie(lang: Lang) -> String {
    format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn query_lang(uri: &axum::http::Uri) -> Option<Lang> {
    uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    })
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
            WebError::Shown(response) => return *response,
            // [`login_for_browsers`] turns it into a trip to the login page that comes back.
            WebError::Page(AppError::Unauthorized, _) => {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            WebError::Page(e, lang) => (e, lang),
            WebError::Unrendered(e) => {
                // Outside the pages' router (no language known), French.
                let status = e.status();
                let mut response = status.into_response();
                response
                    .extensions_mut()
                    .insert(PendingError(Arc::new(Mutex::new(Some(e)))));
                return response;
            }
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
