//! Liveness and readiness probes for load balancers.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app::ApiContext;
use crate::error::{AppError, AppResult};

/// Answers while the process lives.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Answers only while the database answers (503 otherwise).
pub async fn readyz(State(ctx): State<ApiContext>) -> AppResult<Json<Value>> {
    let ping = tokio::time::timeout(std::time::Duration::from_secs(2), ctx.db.ping()).await;
    match ping {
        Ok(Ok(())) => Ok(Json(
            json!({"status": "ready", "database": ctx.db.engine()}),
        )),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database does not answer");
            Err(AppError::Unavailable)
        }
        Err(_) => Err(AppError::Unavailable),
    }
}
