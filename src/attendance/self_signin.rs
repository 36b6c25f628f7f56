//! The students' own sign-ins: within the session's window, optionally with the rotating
//! code shown in the classroom (and its QR code), kept as a claim that becomes the mark only
//! where the teacher has not marked.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::load_session;
use super::roll_call::{MarkInput, SessionSheet, roster_students, sheet, write_marks};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::{marks, sheets};
use crate::domain::attendance::{self, Source, Status};
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult};
use crate::format;

/// A student signs themselves in, within the session's window, optionally with the code of
/// the moment. The claim is kept; it becomes the mark only where the teacher has not marked.
pub async fn self_signin(
    ctx: &ApiContext,
    caller: &Caller,
    session_id: i64,
    code: Option<&str>,
) -> AppResult<SessionSheet> {
    let Some(student_id) = caller.student_id.filter(|_| caller.role == Role::Student) else {
        return Err(AppError::Refused(
            "seul·e un·e alternant·e signe sa propre présence".to_owned(),
        ));
    };
    let session = load_session(&ctx.db, session_id).await?;
    let enrolled = roster_students(&ctx.db, &session)
        .await?
        .iter()
        .any(|s| s.id == student_id && s.enrolled);
    if !enrolled {
        return Err(AppError::NotFound);
    }
    let now = ctx.clock.now();
    let times = session.times();
    if !times.signin_open(now) {
        return Err(AppError::field(
            "session",
            format!(
                "la signature n’est ouverte que du {} au {} (de {} minutes avant le début à la fin de la séance)",
                format::paris_at(
                    times.starts - chrono::Duration::minutes(attendance::SIGNIN_EARLY_MINUTES)
                ),
                format::paris_at(times.ends),
                attendance::SIGNIN_EARLY_MINUTES
            ),
        ));
    }
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    if let Some(code) = code
        && !attendance::qr_code_valid(&ctx.signin_secret, session.id, code, now)
    {
        return Err(AppError::field(
            "code",
            "code expiré ou erroné : scannez le code affiché maintenant",
        ));
    }
    let inserted =
        sheets::insert_self_signin(&ctx.db, session.id, student_id, now, code.is_some()).await?;
    if inserted == 1 {
        let late = times.minutes_late(now).min(times.minutes() - 1);
        let claim = MarkInput {
            student_id,
            status: if late > 0 {
                Status::Late
            } else {
                Status::Present
            },
            minutes_missed: late.max(0),
            excused_minutes: None,
            note: String::new(),
        };
        // Only where nobody has marked yet: the teacher's word stands over the claim.
        let marked = marks::student_marked(&ctx.db, session.id, student_id).await?;
        if !marked {
            write_marks(ctx, &session, &[claim], Source::SelfSignIn, caller, "", now).await?;
        }
    }
    sheet(ctx, caller, session_id).await
}

/// The code students type or scan, valid for this period and the next.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigninCode {
    pub code: String,
    /// When the next code replaces this one.
    pub changes_at: DateTime<Utc>,
    /// The address the QR code carries.
    pub signin_url: String,
    /// The QR code as an SVG image.
    pub svg: String,
}

pub async fn signin_code(
    ctx: &ApiContext,
    caller: &Caller,
    session_id: i64,
) -> AppResult<SigninCode> {
    let session = load_session(&ctx.db, session_id).await?;
    match caller.role {
        Role::Admin => {}
        Role::Teacher if caller.teacher_id == Some(session.teacher_id) => {}
        Role::Teacher => return Err(AppError::NotFound),
        _ => return Err(AppError::Forbidden),
    }
    // The roll call is closed once signed: no more codes to sign in with.
    if session.signed_at.is_some() {
        return Err(AppError::Conflict(
            "la feuille est signée : le code de signature n’est plus proposé".to_owned(),
        ));
    }
    let now = ctx.clock.now();
    let period = attendance::qr_period(now);
    let code = attendance::qr_code(&ctx.signin_secret, session.id, period);
    let signin_url = format!(
        "{}/sessions/{}/signin?code={code}",
        ctx.public_url, session.id
    );
    let changes_at =
        DateTime::from_timestamp((period + 1) * attendance::QR_PERIOD_SECONDS, 0).unwrap_or(now);
    Ok(SigninCode {
        svg: qr_svg(&signin_url),
        code,
        changes_at,
        signin_url,
    })
}

/// A QR code as SVG, one rectangle per dark module.
pub fn qr_svg(payload: &str) -> String {
    let Ok(qr) = qrcode::QrCode::new(payload.as_bytes()) else {
        return String::new();
    };
    let width = qr.width();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for (i, color) in qr.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}
