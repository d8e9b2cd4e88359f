//! A round's board: one row per body, filtered, ordered and paged by the database (a page's
//! cost does not grow with the round), with the count of each filter.

use crate::app::App;
use crate::domain::board::{Filter, Sort};
use crate::store::{board, StoreError};

pub use crate::store::board::{Page, Seek};

/// One page of `size` rows of a round's board. Stepping back past the start gives the first
/// page, full.
pub async fn page(
    app: &App,
    round_id: i32,
    filter: Filter,
    sort: Sort,
    seek: &Seek,
    size: usize,
) -> Result<Page, StoreError> {
    let today = app.clock.today();
    let page = board::page(&app.db, round_id, filter, sort, seek, size, today).await?;
    if matches!(seek, Seek::Before(_)) && page.rows.len() < size {
        return board::page(&app.db, round_id, filter, sort, &Seek::First, size, today).await;
    }
    Ok(page)
}

/// One page of the requests of a round assigned to `user` (the board's "Mine").
pub async fn mine(
    app: &App,
    round_id: i32,
    user: &str,
    sort: Sort,
    seek: &Seek,
    size: usize,
) -> Result<Page, StoreError> {
    let today = app.clock.today();
    let page = board::page_of(
        &app.db,
        round_id,
        Filter::All,
        sort,
        seek,
        size,
        today,
        Some(user),
    )
    .await?;
    if matches!(seek, Seek::Before(_)) && page.rows.len() < size {
        return board::page_of(
            &app.db,
            round_id,
            Filter::All,
            sort,
            &Seek::First,
            size,
            today,
            Some(user),
        )
        .await;
    }
    Ok(page)
}

/// How many of a round's requests are assigned to `user`.
pub async fn count_mine(app: &App, round_id: i32, user: &str) -> Result<u64, StoreError> {
    board::count_assigned(&app.db, round_id, user).await
}

/// How many of the round's requests each filter shows today.
pub async fn counts(app: &App, round_id: i32) -> Result<Vec<(Filter, u64)>, StoreError> {
    board::counts(&app.db, round_id, app.clock.today()).await
}
