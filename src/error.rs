//! One error type for every request: it becomes a JSON body `{"error", "message", "fields"}`
//! with the right status. Internal errors are logged with their cause and answered with a
//! generic message, never leaked.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// What is wrong with one field of the input, in French.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The input field, as a JSON path (`siret`, `marks[2].status`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What is wrong with one line of an uploaded file, in French.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct LineError {
    /// Which file: `companies`, `tutors`, `students` or `contracts`.
    pub file: String,
    /// The line in the file, the header being line 1.
    pub line: usize,
    /// The column, when one cell (or a missing column) is at fault.
    pub column: Option<String>,
    pub message: String,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code (`validation_failed`, `unauthorized`, …).
    pub error: &'static str,
    /// A sentence for people, in French.
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Every bad line of the uploaded files (imports only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineError>,
    /// The one input field at fault, for a refused upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentification requise")]
    Unauthorized,
    #[error("accès refusé")]
    Forbidden,
    /// Refused for a reason the caller can act on.
    #[error("accès refusé : {0}")]
    Refused(String),
    #[error("introuvable")]
    NotFound,
    #[error("méthode non permise sur cette adresse")]
    MethodNotAllowed,
    #[error("requête invalide : {0}")]
    BadRequest(String),
    #[error("données invalides")]
    Validation(Vec<FieldError>),
    /// Uploaded files with bad lines: all of them are listed, nothing was written.
    #[error("fichiers refusés")]
    BadLines(Vec<LineError>),
    #[error("conflit : {0}")]
    Conflict(String),
    #[error("trop de tentatives")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service momentanément indisponible")]
    Unavailable,
    /// An upload over its size limit.
    #[error("trop volumineux : {0}")]
    TooLarge(String),
    /// An upload of a type that is not accepted.
    #[error("type de fichier refusé : {0}")]
    UnsupportedType(String),
    /// An uploaded file refused as a whole (too large, wrong type, unusable), naming its
    /// field; `status` is 413, 415 or 422.
    #[error("{}", .field.message)]
    BadFile {
        status: StatusCode,
        field: FieldError,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Refused(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) | AppError::BadLines(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::BadFile { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden | AppError::Refused(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::BadRequest(_) => "bad_request",
            AppError::Validation(_) | AppError::BadLines(_) => "validation_failed",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable => "unavailable",
            AppError::TooLarge(_) => "payload_too_large",
            AppError::UnsupportedType(_) => "unsupported_media_type",
            AppError::BadFile { status, .. } => match *status {
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                _ => "validation_failed",
            },
            AppError::Internal(_) => "internal",
        }
    }
}

/// Errors that say the database cannot be reached, not that a statement is wrong: the pool
/// gave up waiting, the connection broke (a cut mid-handshake shows as a TLS or protocol
/// error), or PostgreSQL answered with its "connection exception" class or is shutting down
/// or starting up.
fn database_away(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::NotFound,
            // The database is away: say so quickly instead of a 500, the client may retry.
            e if database_away(&e) => {
                tracing::warn!(error = %e, "database unavailable");
                AppError::Unavailable
            }
            e => AppError::Internal(e.into()),
        }
    }
}

impl AppError {
    /// The sentence people may read: internal causes are logged here, never shown.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "erreur interne du serveur".to_owned()
            }
            AppError::BadFile { field, .. } => format!("{} : {}", field.field, field.message),
            AppError::Validation(fields) if fields.len() == 1 => {
                format!("{} : {}", fields[0].field, fields[0].message)
            }
            AppError::Validation(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} : {}", f.field, f.message))
                    .collect();
                format!("données invalides — {}", parts.join(" ; "))
            }
            AppError::BadLines(lines) if lines.len() == 1 => {
                "1 erreur dans les fichiers : rien n’a été importé".to_owned()
            }
            AppError::BadLines(lines) => {
                format!(
                    "{} erreurs dans les fichiers : rien n’a été importé",
                    lines.len()
                )
            }
            other => other.to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = self.public_message();
        let fields = match self {
            AppError::Validation(ref fields) => fields.clone(),
            AppError::BadFile { ref field, .. } => vec![field.clone()],
            _ => Vec::new(),
        };
        let field = match self {
            AppError::BadFile { ref field, .. } => Some(field.field.clone()),
            _ => None,
        };
        let lines = match self {
            AppError::BadLines(ref lines) => lines.clone(),
            _ => Vec::new(),
        };
        let mut response = (
            status,
            axum::Json(ErrorBody {
                error: self.code(),
                message,
                fields,
                lines,
                field,
            }),
        )
            .into_response();
        match self {
            AppError::Unauthorized => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::TooManyRequests { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        response
    }
}

/// Collects field errors while validating an input, then fails once with all of them.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Problems(Vec::new())
    }
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    /// Keeps the value when the check passed, records the error otherwise.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}
