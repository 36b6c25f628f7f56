//! Sign-in by mail in the browser: the link `/auth/link/{token}` opens a session; the login
//! page's second form asks for a link; a signed mail link (`?lien=`) shows its page to its
//! account read-only. A link that no longer works — expired, used, altered, or of a
//! deactivated account — always gets the same page, which offers a new one and tells
//! nothing about the account.

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::{REFERRER_POLICY, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use super::pages::{NextQuery, login_page, safe_next, show, signed_in};
use super::{
    LANG_COOKIE, LOGIN_CSRF_COOKIE, PageResult, Viewer, WebError, cookie, query_lang, render, ser,
};
use crate::app::ApiContext;
use crate::auth::{self, Caller};
use crate::domain::mail_link;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::login_links;

/// Opens a sign-in link: a session and home (or a safe `next`), or the dead-link page. A
/// `HEAD` (what some mail filters send to check a link) leaves the link unused.
pub async fn open(
    State(ctx): State<ApiContext>,
    method: Method,
    headers: HeaderMap,
    viewer: Viewer,
    Path(token): Path<String>,
    Query(q): Query<NextQuery>,
) -> PageResult {
    if method == Method::HEAD {
        return Ok(viewer.finish(StatusCode::OK.into_response()));
    }
    let mut response = match login_links::open(&ctx, &token).await? {
        Some(outcome) => signed_in(&ctx, &outcome.token, &safe_next(q.next.as_deref())),
        None => link_page(viewer.lang, &headers, Refusal::DeadLink),
    };
    // The token is in this page's address: no other site may see it.
    response
        .headers_mut()
        .insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}

#[derive(Deserialize)]
pub struct LinkForm {
    email: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf: Option<String>,
}

/// The login page's second form: asks for a link, then says the same thing for any address.
pub async fn request(
    State(ctx): State<ApiContext>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    viewer: Viewer,
    Form(form): Form<LinkForm>,
) -> PageResult {
    let lang = viewer.lang;
    let next = form.next.clone();
    if !viewer.login_form_csrf_matches(form.csrf.as_deref()) {
        let message = lang.text("csrf_failed").to_owned();
        return login_page(
            &ctx,
            viewer,
            next.as_deref(),
            Some(message),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let client = crate::http::auth::client_address(&headers, peer, ctx.auth.trust_forwarded_for);
    let (message, status) = match login_links::request(&ctx, &form.email, client).await {
        Ok(()) => {
            let page = context! { sent => true, next => safe_next(next.as_deref()) };
            return show(&ctx, &viewer, StatusCode::OK, "pages/login.html", page).await;
        }
        Err(AppError::TooManyRequests { .. }) => ("ll_throttled", StatusCode::TOO_MANY_REQUESTS),
        Err(AppError::Validation(_)) => ("ll_email_invalid", StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    let message = lang.text(message).to_owned();
    login_page(&ctx, viewer, next.as_deref(), Some(message), status).await
}

/// Why a page with a link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The link is expired, used, altered, for another page, or of a deactivated account.
    DeadLink,
    /// A read-only link may not change anything.
    ReadOnly,
}

/// The login page with the refusal's message above both forms (a new link, a password),
/// in `lang`; carries its own login CSRF cookie when the browser has none yet.
pub fn link_page(lang: Lang, headers: &HeaderMap, refusal: Refusal) -> Response {
    let (status, message) = match refusal {
        Refusal::DeadLink => (StatusCode::GONE, "ll_dead"),
        Refusal::ReadOnly => (StatusCode::FORBIDDEN, "ll_read_only_refused"),
    };
    let existing = cookie(headers, LOGIN_CSRF_COOKIE);
    let csrf = existing.clone().unwrap_or_else(auth::random_secret);
    let switch = lang.text("language_switch_code");
    let page = context! {
        lang => lang.code(),
        t => ser(lang.texts()),
        user => None::<()>,
        csrf => "",
        school_name => "",
        switch_url => format!("/login?lang={switch}"),
        login_csrf => csrf.clone(),
        next => "/",
        error => lang.text(message),
    };
    let mut response = match render("pages/login.html", page) {
        Ok(html) => (status, html).into_response(),
        Err(_) => (status, lang.text(message).to_owned()).into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    if existing.is_none()
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict"
        ))
    {
        headers.append(SET_COOKIE, v);
    }
    response
}

/// [`link_page`] as the error of a page handler or extractor.
pub fn refusal(lang: Lang, headers: &HeaderMap, refusal: Refusal) -> WebError {
    WebError::Shown(Box::new(link_page(lang, headers, refusal)))
}

/// The language of a refusal met before the viewer is known: `?lang=`, then the cookie.
pub fn request_lang(uri: &axum::http::Uri, headers: &HeaderMap) -> Lang {
    query_lang(uri)
        .or_else(|| cookie(headers, LANG_COOKIE).and_then(|l| Lang::parse(&l)))
        .unwrap_or_default()
}

/// The `lien` parameter of a query, if any.
pub fn lien(uri: &axum::http::Uri) -> Option<String> {
    uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lien")
            .map(|(_, v)| v.into_owned())
    })
}

/// The path and query without `lien`: what links and « come back here » may carry.
pub fn without_lien(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let kept: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k != "lien")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    if kept.is_empty() {
        return path.to_owned();
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{path}?{query}")
}

/// The read-only caller a signed mail link speaks for on `path`, and until when; `None`
/// when the link is altered, for another page, expired, or its account is not active.
pub async fn signed_link_caller(
    ctx: &ApiContext,
    token: &str,
    path: &str,
) -> Result<Option<(Caller, chrono::DateTime<chrono::Utc>)>, AppError> {
    let now = ctx.clock.now();
    let Ok(user_id) = mail_link::verify(&ctx.mail_link_secret, token, path, now) else {
        return Ok(None);
    };
    let Some(until) = mail_link::expiry(token) else {
        return Ok(None);
    };
    Ok(auth::read_only_caller(&ctx.db, user_id)
        .await?
        .map(|caller| (caller, until)))
}
