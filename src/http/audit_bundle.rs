//! The OPCO audit bundle of a contract as a download (see [`crate::audit_bundle`]).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::app::ApiContext;
use crate::error::AppResult;
use crate::http::crud::Id;
use crate::http::extract::Admin;

/// Everything an OPCO control asks for about one contract, in one ZIP: the émargement sheet
/// of each half-day session (`emargement/`, unsigned ones flagged), the log of every change
/// of the student's marks (`emargement/historique.csv`), the certificates exactly as issued,
/// current and superseded (`certificats/`), the justifications as uploaded with the decisions
/// (`justificatifs/`), the absence notices sent (`avis-absence.csv`), and `manifest.json`
/// (contract facts; path, size and SHA-256 of every file; flags) with a French `LISEZMOI.txt`.
/// CSV files are UTF-8 with a BOM and `;` separators.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/contracts/{id}/audit-bundle", tag = "contracts",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_audit_bundle(
    Admin(admin): Admin,
    State(ctx): State<ApiContext>,
    Id(contract_id): Id,
) -> AppResult<Response> {
    let started = std::time::Instant::now();
    let by = format!("{} ({})", admin.name, admin.email);
    let bundle = crate::audit_bundle::generate(&ctx.db, contract_id, ctx.clock.now(), &by).await?;
    tracing::info!(
        contract_id,
        admin = admin.id,
        files = bundle.manifest.files.len() + 1,
        bytes = bundle.bytes.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "audit bundle generated"
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", bundle.file_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bundle.bytes,
    )
        .into_response())
}
