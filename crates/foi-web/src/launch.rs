//! Launching a round from the dashboard: "Review and launch" (who, the flagged addresses,
//! one letter exactly as it will go for any body, when the first and last letter would go),
//! then a launch held for the round's call-back window, shown with a countdown and a "Cancel
//! launch" that withdraws every letter not yet handed to the mail server.

use super::guards::Editor;
use super::{back, render, Sess, WebError, WebState};
use crate::services::rounds::{self as svc, RoundServiceError};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;

impl From<RoundServiceError> for WebError {
    fn from(e: RoundServiceError) -> WebError {
        match e {
            RoundServiceError::Store(s) => s.into(),
            RoundServiceError::Raw(r) => WebError::internal(r),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

fn moment(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::domain::dates::moment(t)
}

/// The launch page: the review before a launch, or the call-back window after one.
pub async fn page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let round = svc::find(app, &slug).await?;
    let title = format!("Launch {}", round.title);
    let done = q.get("done").map(String::as_str);
    if let Some(until) = svc::held_until(app, &slug).await? {
        let left = (until - app.clock.now()).num_seconds().max(0);
        return render(
            &st,
            "launch",
            &title,
            Some(&s),
            json!({"slug": slug, "round_title": round.title, "held": true,
                "until": moment(until), "until_iso": until.to_rfc3339(), "seconds_left": left,
                "minutes_left": (left + 59) / 60}),
        )
        .await;
    }
    let review = svc::launch_review(app, &slug, q.get("body").map(String::as_str)).await?;
    let chosen = review.sample.as_ref().map(|l| l.reference.clone());
    let bodies: Vec<_> = review
        .bodies
        .iter()
        .map(|(r, name)| json!({"reference": r, "name": name, "on": Some(r) == chosen.as_ref()}))
        .collect();
    render(
        &st,
        "launch",
        &title,
        Some(&s),
        json!({"slug": slug, "round_title": round.title, "held": false,
            "cancelled": done == Some("cancel"),
            "count": review.plan.to_send.len(), "unverified": review.plan.unverified_address.len(), "plan": review.plan, "bodies": bodies,
            "sample": review.sample, "hold_minutes": review.hold_minutes,
            "first_at": moment(review.first_at), "last_at": moment(review.last_at),
            "window": review.window}),
    )
    .await
}

/// "Launch N letters": queued, held for the round's call-back window.
pub async fn launch(
    State(st): State<WebState>,
    Path(slug): Path<String>,
    _e: Editor,
) -> Result<Response, WebError> {
    svc::launch_held(&st.app, &slug).await?;
    Ok(back(&format!("/rounds/{slug}/launch"), "launch"))
}

/// "Cancel launch": every letter not yet handed to the mail server is withdrawn.
pub async fn cancel(
    State(st): State<WebState>,
    Path(slug): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    svc::cancel_launch(&st.app, &slug, e.name()).await?;
    Ok(back(&format!("/rounds/{slug}/launch"), "cancel"))
}
