//! The web adapter (axum): the dashboard's pages and the health endpoint.

use crate::app::App;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;

pub mod auth;

pub type AppState = Arc<App>;

/// The health report: the last run of each scheduled job and the outbox by state.
pub async fn health_json(app: &App) -> Result<serde_json::Value, crate::store::StoreError> {
    let jobs = crate::store::jobs::latest(&app.db).await?;
    let mut outbox = serde_json::Map::new();
    for s in [
        crate::store::outbox::QUEUED,
        crate::store::outbox::SENDING,
        crate::store::outbox::FAILED,
        crate::store::outbox::BOUNCED,
        crate::store::outbox::UNCERTAIN,
        crate::store::outbox::APPROVAL,
    ] {
        outbox.insert(
            s.into(),
            crate::store::outbox::count_in_state(&app.db, s)
                .await?
                .into(),
        );
    }
    Ok(serde_json::json!({
        "status": "ok",
        "now": app.clock.now(),
        "database": crate::store::backend_name(&app.db),
        "jobs": jobs,
        "outbox": outbox,
    }))
}

async fn health(State(app): State<AppState>) -> axum::response::Response {
    match health_json(&app).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "error", "error": e.to_string()})),
        )
            .into_response(),
    }
}

/// The router: `/health` without login; the dashboard's pages.
pub fn router(app: AppState) -> Router {
    Router::new().route("/health", get(health)).with_state(app)
}
