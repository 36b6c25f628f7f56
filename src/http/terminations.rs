//! Terminations over HTTP (admin): record one on a contract (Articles 6 and 7), list them,
//! and download the letters and the final statement exactly as they were sent.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::ApiContext;
use crate::certificates::Issuer;
use crate::db_run;
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiJson};
use crate::terminations::{self, LetterEntry, TerminationInput, TerminationRecord};

/// Records an early termination (after the start) or a withdrawal (before it) on a
/// contract: the contract is cut at that date, its final statement computed (pro rata of
/// the hours done, nothing after; nothing at all for a withdrawal), and a letter with the
/// final statement is mailed to the OPCO (the contract's `opco_email`) and to the DREETS
/// (the school's `dreets_email`), in one transaction. A second call with another date
/// records a correction and tells them again.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/contracts/{id}/termination", tag = "billing",
    params(("id" = i64, Path)), request_body = TerminationInput,
    responses((status = 201, body = TerminationRecord), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_termination(
    admin: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<TerminationInput>,
) -> AppResult<(StatusCode, Json<TerminationRecord>)> {
    let record = terminations::record(
        &Issuer::from(&ctx),
        id,
        &input,
        Some(admin.0.id),
        ctx.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: i64,
    reference: String,
    contract_id: i64,
    termination_date: chrono::NaiveDate,
    reason: String,
    withdrawal: bool,
    corrects_date: Option<chrono::NaiveDate>,
    recorded_at: chrono::DateTime<chrono::Utc>,
    statement: String,
}

/// The terminations recorded on a contract, latest first, with their letters.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/contracts/{id}/terminations", tag = "billing",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TerminationRecord>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_terminations(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Vec<TerminationRecord>>> {
    crate::http::crud::fetch::<crate::http::contracts::Contracts>(&ctx.db, id).await?;
    let rows: Vec<Row> = db_run!(&ctx.db, |pool| {
        sqlx::query_as(
        "SELECT id, reference, contract_id, termination_date, reason, withdrawal, corrects_date, \
         recorded_at, statement FROM terminations WHERE contract_id = $1 ORDER BY id DESC"
    )
    .bind(id)
    .fetch_all(pool)
    .await
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let letters: Vec<(String, String, String)> = db_run!(&ctx.db, |pool| {
            sqlx::query_as(
            "SELECT recipient, email, sha256 FROM termination_letters WHERE termination_id = $1 \
             ORDER BY recipient DESC"
        )
        .bind(r.id)
        .fetch_all(pool)
        .await
        })?;
        let corrected: Vec<(String, Option<String>)> = db_run!(&ctx.db, |pool| {
            sqlx::query_as(
                "SELECT number, superseded_by FROM certificates WHERE contract_id = $1 \
                 AND supersede_reason = $2 ORDER BY number",
            )
            .bind(r.contract_id)
            .bind(terminations::correction_reason(r.termination_date))
            .fetch_all(pool)
            .await
        })?;
        out.push(TerminationRecord {
            corrected_certificates: corrected
                .into_iter()
                .map(
                    |(superseded, reissued)| terminations::CorrectedCertificate {
                        superseded,
                        reissued,
                    },
                )
                .collect(),
            statement: serde_json::from_str(&r.statement)
                .map_err(|e| AppError::Internal(e.into()))?,
            letters: letters
                .into_iter()
                .map(|(recipient, email, sha256)| LetterEntry {
                    pdf_url: format!("/api/v1/terminations/{}/{recipient}.pdf", r.id),
                    recipient,
                    email,
                    sha256,
                })
                .collect(),
            statement_pdf_url: format!("/api/v1/terminations/{}/statement.pdf", r.id),
            id: r.id,
            reference: r.reference,
            contract_id: r.contract_id,
            termination_date: r.termination_date,
            reason: r.reason,
            withdrawal: r.withdrawal,
            corrects_date: r.corrects_date,
            recorded_at: r.recorded_at,
        });
    }
    Ok(Json(out))
}

/// A termination's documents as sent: `opco.pdf`, `dreets.pdf` (the letters) or
/// `statement.pdf` (the final statement).
///
/// Rôle : admin.
#[utoipa::path(get, path = "/terminations/{id}/{file}", tag = "billing",
    params(("id" = i64, Path), ("file" = String, Path, example = "opco.pdf")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_termination_file(
    _: Admin,
    State(ctx): State<ApiContext>,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (pdf, reference): (Option<Vec<u8>>, Option<String>) = match file.as_str() {
        "statement.pdf" => db_run!(&ctx.db, |pool| sqlx::query_as::<_, (Vec<u8>, String)>(
            "SELECT statement_pdf, reference FROM terminations WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?
        .map_or((None, None), |(p, r)| (Some(p), Some(r))),
        "opco.pdf" | "dreets.pdf" => {
            let recipient = file.trim_end_matches(".pdf");
            db_run!(&ctx.db, |pool| sqlx::query_as::<_, (Vec<u8>, String)>(
                "SELECT l.pdf, t.reference FROM termination_letters l \
                 JOIN terminations t ON t.id = l.termination_id \
                 WHERE l.termination_id = $1 AND l.recipient = $2"
            )
            .bind(id)
            .bind(recipient)
            .fetch_optional(pool)
            .await)?
            .map_or((None, None), |(p, r)| (Some(p), Some(r)))
        }
        _ => (None, None),
    };
    let (Some(pdf), Some(reference)) = (pdf, reference) else {
        return Err(AppError::NotFound);
    };
    let stem = file.trim_end_matches(".pdf");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{reference}-{stem}.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        pdf,
    )
        .into_response())
}
