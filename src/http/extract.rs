//! Request extractors: JSON bodies whose errors say what and where, and the caller.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::Method;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::app::ApiContext;
use crate::auth::{self, Caller};
use crate::domain::roles::Role;
use crate::error::{AppError, FieldError};

/// Largest JSON body accepted.
const MAX_JSON_BYTES: usize = 1024 * 1024;

/// A JSON body. Malformed JSON is a 400; JSON of the wrong shape is a 422 naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        if !is_json {
            return Err(AppError::BadRequest(
                "le corps doit être du JSON (Content-Type: application/json)".to_owned(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        if bytes.len() > MAX_JSON_BYTES {
            return Err(AppError::BadRequest(
                "corps de requête trop volumineux".to_owned(),
            ));
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON with the path of the failing field, in French.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if !inner.is_data() {
            return AppError::BadRequest(format!("JSON mal formé : {inner}"));
        }
        AppError::Validation(vec![describe_data_error(&path, &inner.to_string())])
    })?;
    de.end()
        .map_err(|e| AppError::BadRequest(format!("JSON mal formé : {e}")))?;
    Ok(value)
}

/// Turns serde's English data errors into a field and a French sentence.
fn describe_data_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let base = if path == "." {
        String::new()
    } else {
        format!("{path}.")
    };
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_owned);
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = quoted(rest).unwrap_or_default();
        FieldError::new(format!("{base}{name}"), "champ obligatoire manquant")
    } else if let Some(rest) = message.strip_prefix("unknown field ") {
        // The path already ends with the unknown field.
        let name = if path == "." {
            quoted(rest).unwrap_or_default()
        } else {
            path.to_owned()
        };
        FieldError::new(name, format!("champ inconnu ({message})"))
    } else if path == "." {
        FieldError::new("body", message.to_owned())
    } else {
        FieldError::new(path, message.to_owned())
    }
}

/// Query-string parameters; a bad value is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                AppError::Validation(vec![describe_data_error(
                    &path,
                    &err.into_inner().to_string(),
                )])
            })
    }
}

impl FromRequestParts<ApiContext> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, ctx: &ApiContext) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            // The web pages link to API downloads (PDF, CSV): a logged-in browser may read
            // through its session cookie. Reads only, so that the cookie never lets another
            // site change anything through the API (it has no CSRF token).
            .or_else(|| {
                matches!(parts.method, Method::GET | Method::HEAD)
                    .then(|| crate::web::cookie(&parts.headers, crate::web::SESSION_COOKIE))
                    .flatten()
            })
            .ok_or(AppError::Unauthorized)?;
        auth::caller_for_token(&ctx.db, &ctx.cache, &token, ctx.clock.now())
            .await?
            .ok_or(AppError::Unauthorized)
    }
}

/// A caller with the admin role; any other role gets 403.
pub struct Admin(pub Caller);

impl FromRequestParts<ApiContext> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, ctx: &ApiContext) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, ctx).await?;
        if caller.role == Role::Admin {
            Ok(Admin(caller))
        } else {
            Err(AppError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        size: i64,
    }

    fn field_of(json: &str) -> FieldError {
        match parse_json::<Input>(json.as_bytes()) {
            Err(AppError::Validation(mut f)) => f.remove(0),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn data_errors_name_the_field() {
        assert_eq!(field_of(r#"{"name": "a"}"#).field, "size");
        assert_eq!(field_of(r#"{"name": "a", "size": "x"}"#).field, "size");
        assert_eq!(
            field_of(r#"{"name": "a", "size": 1, "sise": 2}"#).field,
            "sise"
        );
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse_json::<Input>(b"{\"name\": "),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Input>(br#"{"name": "a", "size": 1} x"#),
            Err(AppError::BadRequest(_))
        ));
    }
}
