//! Full-text search: the index (`search_docs`, one row per received message, per attachment
//! read, per kept source document and per private note of the team) and the one query both stores answer — SQLite through FTS5 (`bm25` ranking, `snippet`),
//! PostgreSQL through a `tsvector` column with a GIN index (`ts_rank`, `ts_headline`). The query
//! arrives parsed ([`crate::domain::search::Query`]); what a person typed never reaches either
//! syntax as typed.

use super::StoreError;
use crate::domain::search::{self, Query, MARK_END, MARK_START};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

/// What a search is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub round: Option<String>,
    /// A request state (`answered_full`, `overdue` is not a state).
    pub state: Option<String>,
    /// A body's code.
    pub authority: Option<String>,
    pub limit: usize,
}

/// One document that matched.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    pub reference: Option<String>,
    pub round: Option<String>,
    pub authority: Option<String>,
    pub authority_code: Option<String>,
    pub state: Option<String>,
    /// The received message (its number in `foi inbox` and `foi triage`); None for a
    /// desk-research source document.
    pub message_id: Option<i32>,
    pub subject: String,
    /// The attachment's (or source document's) file name, or None when the match is in the
    /// message itself.
    pub attachment: Option<String>,
    /// For a desk-research source document: the address it was fetched from.
    pub source_url: Option<String>,
    pub source_id: Option<i32>,
    pub attachment_id: Option<i32>,
    /// The matching passage, matches between [`MARK_START`] and [`MARK_END`].
    pub snippet: String,
    /// Where in the document the first match is ("page 3", "sheet Data"), when it says.
    pub location: Option<String>,
    /// For a private note of the team: "Note by Sam".
    pub note: Option<String>,
    pub score: f64,
}

/// Results and how many documents matched in all.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
}

fn backend(db: &DatabaseConnection) -> DbBackend {
    db.get_database_backend()
}

/// Indexes up to `limit` received messages and read attachments not yet in the index; returns
/// how many documents were added. Cheap when nothing waits (two indexed anti-joins).
pub async fn index_pending(db: &DatabaseConnection, limit: usize) -> Result<usize, StoreError> {
    let b = backend(db);
    let p = |n: usize| match b {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_string(),
    };
    let msgs = db
        .query_all_raw(Statement::from_sql_and_values(
            b,
            format!(
                "SELECT m.id, m.subject, COALESCE(m.body_text, '') FROM messages m \
                 WHERE m.direction = 'in' AND NOT EXISTS \
                 (SELECT 1 FROM search_docs d WHERE d.message_id = m.id AND d.attachment_id IS NULL) \
                 ORDER BY m.id LIMIT {}",
                p(1)
            ),
            [Value::from(limit as i64)],
        ))
        .await?;
    let mut added = 0;
    for row in msgs {
        let id: i32 = row.try_get_by_index(0)?;
        let subject: String = row.try_get_by_index(1)?;
        let body: String = row.try_get_by_index(2)?;
        insert(db, &format!("m{id}"), Doc::Message(id), &subject, &body).await?;
        added += 1;
    }
    let atts = db
        .query_all_raw(Statement::from_sql_and_values(
            b,
            format!(
                "SELECT a.id, a.message_id, a.filename, e.text FROM attachments a \
                 JOIN extracts e ON e.sha256 = a.sha256 \
                 JOIN messages m ON m.id = a.message_id \
                 WHERE m.direction = 'in' AND NOT EXISTS \
                 (SELECT 1 FROM search_docs d WHERE d.attachment_id = a.id) \
                 ORDER BY a.id LIMIT {}",
                p(1)
            ),
            [Value::from(limit.saturating_sub(added) as i64)],
        ))
        .await?;
    for row in atts {
        let id: i32 = row.try_get_by_index(0)?;
        let message_id: i32 = row.try_get_by_index(1)?;
        let filename: String = row.try_get_by_index(2)?;
        let text: String = row.try_get_by_index(3)?;
        insert(
            db,
            &format!("a{id}"),
            Doc::Attachment(message_id, id),
            &filename,
            &text,
        )
        .await?;
        added += 1;
    }
    // Desk-research documents: each kept version once its text is read.
    let sources = db
        .query_all_raw(Statement::from_sql_and_values(
            b,
            format!(
                "SELECT sf.id, COALESCE(sf.filename, sf.final_url, sf.url), e.text FROM source_fetches sf \
                 JOIN extracts e ON e.sha256 = sf.sha256 \
                 WHERE sf.outcome = 'kept' AND NOT EXISTS \
                 (SELECT 1 FROM search_docs d WHERE d.source_id = sf.id) \
                 ORDER BY sf.id LIMIT {}",
                p(1)
            ),
            [Value::from(limit.saturating_sub(added) as i64)],
        ))
        .await?;
    for row in sources {
        let id: i32 = row.try_get_by_index(0)?;
        let title: String = row.try_get_by_index(1)?;
        let text: String = row.try_get_by_index(2)?;
        insert(db, &format!("s{id}"), Doc::Source(id), &title, &text).await?;
        added += 1;
    }
    // The team's private notes (search is for the signed-in team only).
    let notes = db
        .query_all_raw(Statement::from_sql_and_values(
            b,
            format!(
                "SELECT e.id, e.actor, COALESCE(e.note, '') FROM events e \
                 WHERE e.kind = 'note_added' AND NOT EXISTS \
                 (SELECT 1 FROM search_docs d WHERE d.event_id = e.id) \
                 ORDER BY e.id LIMIT {}",
                p(1)
            ),
            [Value::from(limit.saturating_sub(added) as i64)],
        ))
        .await?;
    for row in notes {
        let id: i32 = row.try_get_by_index(0)?;
        let actor: String = row.try_get_by_index(1)?;
        let text: String = row.try_get_by_index(2)?;
        let title = format!("Note by {actor}");
        insert(db, &format!("n{id}"), Doc::Note(id), &title, &text).await?;
        added += 1;
    }
    Ok(added)
}

/// What an index entry is the text of.
enum Doc {
    Message(i32),
    /// (message, attachment)
    Attachment(i32, i32),
    /// A kept desk-research document (`source_fetches.id`).
    Source(i32),
    /// A private note (`events.id`).
    Note(i32),
}

async fn insert(
    db: &DatabaseConnection,
    key: &str,
    doc: Doc,
    title: &str,
    body: &str,
) -> Result<(), StoreError> {
    let b = backend(db);
    let (message_id, attachment_id, source_id, event_id) = match doc {
        Doc::Message(m) => (Some(m), None, None, None),
        Doc::Attachment(m, a) => (Some(m), Some(a), None, None),
        Doc::Source(s) => (None, None, Some(s), None),
        Doc::Note(e) => (None, None, None, Some(e)),
    };
    let sql = match b {
        DbBackend::Postgres => {
            "INSERT INTO search_docs (doc_key, message_id, attachment_id, source_id, event_id, title, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (doc_key) DO NOTHING"
        }
        _ => {
            "INSERT INTO search_docs (doc_key, message_id, attachment_id, source_id, event_id, title, body) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (doc_key) DO NOTHING"
        }
    };
    db.execute_raw(Statement::from_sql_and_values(
        b,
        sql,
        [
            key.into(),
            message_id.into(),
            attachment_id.into(),
            source_id.into(),
            event_id.into(),
            title.replace('\0', "").into(),
            body.replace('\0', "").into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Takes the attachments of this content out of the index (their text is being read again);
/// [`index_pending`] puts them back with the new text.
pub(crate) async fn forget_content(
    db: &DatabaseConnection,
    sha256: &str,
) -> Result<(), StoreError> {
    let b = backend(db);
    let ph = match b {
        DbBackend::Postgres => "$1",
        _ => "?",
    };
    for sql in [
        format!("DELETE FROM search_docs WHERE attachment_id IN (SELECT id FROM attachments WHERE sha256 = {ph})"),
        format!("DELETE FROM search_docs WHERE source_id IN (SELECT id FROM source_fetches WHERE sha256 = {ph})"),
    ] {
        db.execute_raw(Statement::from_sql_and_values(b, sql, [sha256.into()]))
            .await?;
    }
    Ok(())
}

/// Ranked matches for `query`, best first, with a highlighted snippet each.
pub async fn search(
    db: &DatabaseConnection,
    query: &Query,
    f: &Filters,
) -> Result<Found, StoreError> {
    let b = backend(db);
    // Placeholders in order: the query, then each filter that is set.
    let mut values: Vec<Value> = Vec::new();
    let mut n = 0;
    let mut ph = || {
        n += 1;
        match b {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".into(),
        }
    };
    let q_ph = ph();
    values.push(match b {
        DbBackend::Postgres => query.to_tsquery().into(),
        _ => query.to_fts5().into(),
    });
    let mut filter = String::new();
    for (col, v) in [
        ("ro.slug", &f.round),
        ("r.state", &f.state),
        ("au.code", &f.authority),
    ] {
        if let Some(v) = v {
            filter.push_str(&format!(" AND {col} = {}", ph()));
            values.push(v.clone().into());
        }
    }
    let joins = "LEFT JOIN messages m ON m.id = d.message_id \
                 LEFT JOIN source_fetches sf ON sf.id = d.source_id \
                 LEFT JOIN events ev ON ev.id = d.event_id \
                 LEFT JOIN requests r ON r.id = COALESCE(m.request_id, sf.request_id, ev.request_id) \
                 LEFT JOIN rounds ro ON ro.id = r.round_id \
                 LEFT JOIN authorities au ON au.id = r.authority_id";
    // Counting and ranking join the request tables only when a filter needs them: for a word
    // in nearly every response the joins cost more than the ranking itself (see the search
    // benchmark). Every indexed document is a stored message, attachment or kept source.
    let filter_joins = if filter.is_empty() { "" } else { joins };
    let cols =
        "d.id, d.message_id, d.attachment_id, d.title, COALESCE(m.subject, ''), r.reference, \
                ro.slug, au.name, au.code, r.state";
    let limit = f.limit.clamp(1, 500);
    let sqlite_joins = if filter.is_empty() {
        String::new()
    } else {
        format!("JOIN search_docs d ON d.id = search_fts.rowid {joins}")
    };
    let (count_sql, hits_sql) = match b {
        DbBackend::Postgres => (
            format!(
                "SELECT count(*) FROM search_docs d {filter_joins} \
                 WHERE d.tsv @@ to_tsquery('simple', {q_ph}){filter}"
            ),
            format!(
                "WITH hits AS (SELECT d.id, ts_rank(d.tsv, to_tsquery('simple', {q_ph})) AS score \
                   FROM search_docs d {filter_joins} \
                   WHERE d.tsv @@ to_tsquery('simple', {q_ph}){filter} \
                   ORDER BY score DESC, d.id LIMIT {limit}) \
                 SELECT {cols}, hits.score::float8, \
                   ts_headline('simple', left(d.body, 400000), to_tsquery('simple', {q_ph}), \
                     'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"'), \
                   left(d.body, 400000), COALESCE(sf.final_url, sf.url), d.source_id, d.event_id \
                 FROM hits JOIN search_docs d ON d.id = hits.id {joins} \
                 ORDER BY hits.score DESC, d.id"
            ),
        ),
        _ => (
            format!(
                "SELECT count(*) FROM search_fts {sqlite_joins} WHERE search_fts MATCH {q_ph}{filter}"
            ),
            // Ranked first, then snippets for the page of hits only.
            format!(
                "WITH hits AS (SELECT search_fts.rowid AS id, bm25(search_fts, 5.0, 1.0) AS score \
                   FROM search_fts {sqlite_joins} \
                   WHERE search_fts MATCH {q_ph}{filter} ORDER BY score, search_fts.rowid LIMIT {limit}) \
                 SELECT {cols}, -hits.score, \
                   snippet(search_fts, 1, char({}), char({}), '…', 24), d.body, \
                   COALESCE(sf.final_url, sf.url), d.source_id, d.event_id \
                 FROM search_fts JOIN hits ON hits.id = search_fts.rowid \
                   JOIN search_docs d ON d.id = hits.id {joins} \
                 WHERE search_fts MATCH {q_ph} ORDER BY hits.score, d.id",
                MARK_START as u32, MARK_END as u32
            ),
        ),
    };
    // SQLite numbers `?` by position: the query appears twice in the hits statement.
    let hit_values: Vec<Value> = match b {
        DbBackend::Postgres => values.clone(),
        _ => {
            let mut v = values.clone();
            v.push(values[0].clone());
            v
        }
    };
    let total: i64 = db
        .query_one_raw(Statement::from_sql_and_values(b, count_sql, values))
        .await?
        .map(|r| r.try_get_by_index(0))
        .transpose()?
        .unwrap_or(0);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(b, hits_sql, hit_values))
        .await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let attachment_id: Option<i32> = row.try_get_by_index(2)?;
        let title: String = row.try_get_by_index(3)?;
        let subject: String = row.try_get_by_index(4)?;
        let mut snippet: String = row.try_get_by_index(11)?;
        let body: String = row.try_get_by_index(12)?;
        let source_url: Option<String> = row.try_get_by_index(13)?;
        let source_id: Option<i32> = row.try_get_by_index(14)?;
        let note_id: Option<i32> = row.try_get_by_index(15)?;
        // A match only in the title (subject or file name): the snippet is the body's start.
        if !snippet.contains(MARK_START) {
            snippet = search::highlight(&title, query, 30);
            if !snippet.contains(MARK_START) {
                snippet = search::highlight(&body, query, 30);
            }
        }
        let location = search::locate(&body, &snippet);
        let snippet = search::one_line(&snippet);
        hits.push(Hit {
            note: note_id.map(|_| title.clone()),
            message_id: row.try_get_by_index(1)?,
            attachment: (attachment_id.is_some() || source_url.is_some()).then(|| title.clone()),
            source_url,
            source_id,
            attachment_id,
            subject,
            reference: row.try_get_by_index(5)?,
            round: row.try_get_by_index(6)?,
            authority: row.try_get_by_index(7)?,
            authority_code: row.try_get_by_index(8)?,
            state: row.try_get_by_index(9)?,
            score: row.try_get_by_index(10)?,
            snippet,
            location,
        });
    }
    Ok(Found {
        total: total as usize,
        hits,
    })
}
