//! The coding workbench's suggestions: for a response, the text of the reply and of every
//! attachment read, and the codes its codebook's `hints` point to, each with the sentences that
//! support it. Suggestions are a starting point: nothing is coded until a person saves it.

use crate::app::App;
use crate::domain::suggest::{self, Suggestion};
use crate::store::rounds::{self, Round};
use crate::store::{extracts, inbox, StoreError};

/// What a response says, ready to read and to suggest from.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// (document, text): "reply N" for each reply's own text (quotes of earlier mail left out),
    /// then each attachment read, by file name.
    pub docs: Vec<(String, String)>,
    /// Attachments whose text could not be read (file name, why): the coder must open them.
    pub unread: Vec<(String, String)>,
}

/// The replies of a request and their attachments' text.
pub async fn reading(app: &App, request_id: i32) -> Result<Reading, StoreError> {
    let inbound = inbox::for_request(&app.db, request_id).await?;
    // A desk-research source: the version in force.
    let fetches = crate::store::sources::for_request(&app.db, request_id).await?;
    let source = crate::store::sources::current(&fetches).cloned();
    let mut shas: Vec<String> = inbound
        .iter()
        .flat_map(|m| m.attachments.iter().map(|a| a.sha256.clone()))
        .collect();
    shas.extend(source.iter().filter_map(|s| s.sha256.clone()));
    let read = extracts::of(&app.db, &shas).await?;
    let mut r = Reading::default();
    if let Some(src) = &source {
        let name = src
            .filename
            .clone()
            .unwrap_or_else(|| "the document".into());
        match src.sha256.as_ref().and_then(|sha| read.get(sha)) {
            Some(x) if x.status == "text" => r.docs.push((name, x.text.clone())),
            Some(x) if x.status == "no_text" => r.unread.push((name, "no text: needs OCR".into())),
            Some(x) => r.unread.push((
                name,
                format!("not read: {}", x.reason.clone().unwrap_or_default()),
            )),
            None => r.unread.push((name, "not read yet".into())),
        }
    }
    let many = inbound.len() > 1;
    for (i, m) in inbound.iter().enumerate() {
        let name = if many {
            format!("reply {}", i + 1)
        } else {
            "the reply".to_string()
        };
        r.docs.push((
            name,
            format!("{}\n\n{}", m.subject, suggest::unquoted(&m.text)),
        ));
        for a in &m.attachments {
            match read.get(&a.sha256) {
                Some(x) if x.status == "text" => r.docs.push((a.filename.clone(), x.text.clone())),
                Some(x) if x.status == "no_text" => r
                    .unread
                    .push((a.filename.clone(), "no text: needs OCR".into())),
                Some(x) if x.status == "failed" => r.unread.push((
                    a.filename.clone(),
                    format!("not read: {}", x.reason.clone().unwrap_or_default()),
                )),
                Some(_) => {}
                None => r.unread.push((a.filename.clone(), "not read yet".into())),
            }
        }
    }
    Ok(r)
}

/// Suggestions for one request's response.
pub async fn for_request(
    app: &App,
    round: &Round,
    request_id: i32,
) -> Result<(Reading, Vec<Suggestion>), StoreError> {
    let r = reading(app, request_id).await?;
    let s = suggest::suggest(&round.def.codebook, &r.docs);
    Ok((r, s))
}

/// One body's suggestions in a round.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BodySuggestions {
    pub authority: String,
    pub reference: String,
    pub suggestions: Vec<Suggestion>,
}

/// `foi code suggest SLUG`: suggestions for every response received in the round.
pub async fn for_round(app: &App, slug: &str) -> Result<Vec<BodySuggestions>, StoreError> {
    let round = rounds::find(&app.db, slug).await?;
    let mut out = Vec::new();
    for q in rounds::requests(&app.db, round.id).await? {
        // A response, or a desk-research document kept.
        if q.kept.inbound_count == 0 && q.source_url.is_none() {
            continue;
        }
        let (_, suggestions) = for_request(app, &round, q.id).await?;
        out.push(BodySuggestions {
            authority: q.authority_code.clone(),
            reference: q.reference.to_string(),
            suggestions,
        });
    }
    Ok(out)
}
