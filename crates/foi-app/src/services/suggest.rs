//! The coding workbench's suggestions: for a response, the text of the reply and of every
//! attachment read, and the codes its codebook's `hints` point to, each with the sentences that
//! support it. Suggestions are a starting point: nothing is coded until a person saves it.

use crate::app::App;
use crate::domain::suggest::{self, Suggestion};
use crate::store::rounds::{self, Round};
use crate::store::{extracts, inbox, StoreError};
use std::collections::HashMap;

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
        let x = src.sha256.as_ref().and_then(|sha| read.get(sha));
        match why_unread(x.map(|x| (x.status.as_str(), x.reason.as_deref())), true) {
            Some(why) => r.unread.push((name, why)),
            None => r
                .docs
                .push((name, x.map(|x| x.text.clone()).unwrap_or_default())),
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
            let x = read.get(&a.sha256);
            match why_unread(x.map(|x| (x.status.as_str(), x.reason.as_deref())), false) {
                Some(why) => r.unread.push((a.filename.clone(), why)),
                None => {
                    if let Some(x) = x.filter(|x| x.status == "text") {
                        r.docs.push((a.filename.clone(), x.text.clone()));
                    }
                }
            }
        }
    }
    Ok(r)
}

/// Why a file's text is not there to read (`None` when it was read). `read` is the stored
/// extraction's status and reason, if the file was tried. An attachment of a kind nobody reads
/// (`unsupported`: a calendar invite, a signature image) is not missing anything; a desk-research
/// source is the whole answer, so any status but `text` leaves it unread.
fn why_unread(read: Option<(&str, Option<&str>)>, source: bool) -> Option<String> {
    match read {
        Some(("text", _)) => None,
        Some(("no_text", _)) => Some("no text: needs OCR".into()),
        Some((status, reason)) if source || status == "failed" => {
            Some(format!("not read: {}", reason.unwrap_or_default()))
        }
        Some(_) => None,
        None => Some("not read yet".into()),
    }
}

/// The files of each of these requests whose text could not be read (file name, why), by
/// request: [`reading`]'s `unread` for many requests at once, asking only for the files and
/// how they were read (the report checks every coded response; one reading per request made
/// it a query per body).
pub async fn unread_of(
    app: &App,
    request_ids: &[i32],
) -> Result<HashMap<i32, Vec<(String, String)>>, StoreError> {
    let atts = inbox::attachments_of_requests(&app.db, request_ids).await?;
    let fetches = crate::store::sources::for_requests(&app.db, request_ids).await?;
    let sources: HashMap<i32, &crate::store::sources::Fetch> = fetches
        .iter()
        .filter_map(|(r, f)| crate::store::sources::current(f).map(|c| (*r, c)))
        .collect();
    let mut shas: Vec<String> = atts
        .values()
        .flat_map(|v| v.iter().map(|(_, sha)| sha.clone()))
        .collect();
    shas.extend(sources.values().filter_map(|s| s.sha256.clone()));
    shas.sort();
    shas.dedup();
    let read = extracts::statuses_of(&app.db, &shas).await?;
    let status = |sha: &str| read.get(sha).map(|(s, r)| (s.as_str(), r.as_deref()));
    let mut out: HashMap<i32, Vec<(String, String)>> = HashMap::new();
    for id in request_ids {
        let mut unread = Vec::new();
        if let Some(src) = sources.get(id) {
            let name = src
                .filename
                .clone()
                .unwrap_or_else(|| "the document".into());
            let x = src.sha256.as_deref().and_then(status);
            if let Some(why) = why_unread(x, true) {
                unread.push((name, why));
            }
        }
        for (file, sha) in atts.get(id).into_iter().flatten() {
            if let Some(why) = why_unread(status(sha), false) {
                unread.push((file.clone(), why));
            }
        }
        if !unread.is_empty() {
            out.insert(*id, unread);
        }
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::why_unread;

    #[test]
    fn a_file_is_unread_unless_its_text_was_read() {
        assert_eq!(why_unread(Some(("text", None)), false), None);
        assert_eq!(why_unread(Some(("text", None)), true), None);
        assert_eq!(
            why_unread(Some(("no_text", None)), false).as_deref(),
            Some("no text: needs OCR")
        );
        assert_eq!(
            why_unread(Some(("failed", Some("damaged"))), false).as_deref(),
            Some("not read: damaged")
        );
        assert_eq!(why_unread(None, false).as_deref(), Some("not read yet"));
        // A kind nobody reads is nothing missing on an attachment, but a source document is
        // the whole answer.
        assert_eq!(why_unread(Some(("unsupported", None)), false), None);
        assert_eq!(
            why_unread(Some(("unsupported", Some("a video"))), true).as_deref(),
            Some("not read: a video")
        );
    }
}
