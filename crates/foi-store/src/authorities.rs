//! Registers and authorities in the database.

use super::entities::{authority, register};
use super::StoreError;
use crate::domain::register::{Authority, AuthorityRecord};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub register: String,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn join(v: &[String]) -> String {
    v.join(" ")
}

fn split(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

pub(crate) fn to_domain(m: authority::Model) -> Authority {
    Authority {
        id: m.id,
        register: m.register,
        record: AuthorityRecord {
            code: m.code,
            name: m.name,
            region: m.region,
            region_code: m.region_code,
            gss_code: m.gss_code,
            status: m.status,
            valid_from: m.valid_from,
            successors: split(&m.successors),
            predecessors: split(&m.predecessors),
            foi_email: m.foi_email.and_then(|e| e.parse().ok()),
            email_verified: m.email_verified,
            email_source: m.email_source,
            regime: m.regime.parse().unwrap_or_default(),
        },
    }
}

/// Imports a validated register in one transaction: all rows or none. Bodies already present
/// (same register and code) are updated in place, so importing the same file twice changes
/// nothing; bodies absent from the file are kept (requests may refer to them).
pub async fn import_register(
    db: &DatabaseConnection,
    name: &str,
    source_file: &str,
    records: &[AuthorityRecord],
    now: DateTime<Utc>,
) -> Result<ImportSummary, StoreError> {
    let txn = super::write_txn(db).await?;
    let mut summary = ImportSummary {
        register: name.to_string(),
        ..Default::default()
    };
    match register::Entity::find_by_id(name.to_string())
        .one(&txn)
        .await?
    {
        Some(_) => {}
        None => {
            register::ActiveModel {
                name: Set(name.to_string()),
                title: Set(name.to_string()),
                source_file: Set(source_file.to_string()),
                loaded_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    // By code: a re-import of 100,000 bodies looks each up once, not through the whole list.
    let existing: std::collections::HashMap<String, authority::Model> = authority::Entity::find()
        .filter(authority::Column::Register.eq(name))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.code.clone(), a))
        .collect();
    for r in records {
        let found = existing.get(&r.code);
        let mut am = match found {
            Some(m) => {
                let current = to_domain(m.clone()).record;
                if &current == r {
                    summary.unchanged += 1;
                    continue;
                }
                summary.updated += 1;
                let am: authority::ActiveModel = m.clone().into();
                am
            }
            None => {
                summary.added += 1;
                authority::ActiveModel {
                    register: Set(name.to_string()),
                    code: Set(r.code.clone()),
                    ..Default::default()
                }
            }
        };
        am.name = Set(r.name.clone());
        am.region = Set(r.region.clone());
        am.region_code = Set(r.region_code.clone());
        am.gss_code = Set(r.gss_code.clone());
        am.status = Set(r.status.clone());
        am.valid_from = Set(r.valid_from.clone());
        am.successors = Set(join(&r.successors));
        am.predecessors = Set(join(&r.predecessors));
        am.foi_email = Set(r.foi_email.as_ref().map(|e| e.to_string()));
        am.email_verified = Set(r.email_verified);
        am.email_source = Set(r.email_source.clone());
        am.regime = Set(r.regime.as_str().into());
        am.save(&txn).await?;
    }
    txn.commit().await?;
    super::after_bulk_change(db).await;
    Ok(summary)
}

/// Bodies, optionally of one register, ordered by register then code.
pub async fn list(
    db: &DatabaseConnection,
    register_name: Option<&str>,
) -> Result<Vec<Authority>, StoreError> {
    let mut q = authority::Entity::find();
    if let Some(r) = register_name {
        if register::Entity::find_by_id(r.to_string())
            .one(db)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "no register named `{r}`; `foi authorities list` shows the loaded ones, `foi authorities import FILE --register {r}` loads one"
            )));
        }
        q = q.filter(authority::Column::Register.eq(r));
    }
    let rows = q
        .order_by_asc(authority::Column::Register)
        .order_by_asc(authority::Column::Code)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_domain).collect())
}

/// The condition that makes a body abolished: it names successors, or its status says so.
/// The partial index `ix_authorities_abolished` has exactly this condition, so the query
/// reads only abolished bodies, whatever the size of the register.
const ABOLISHED: &str = "(successors <> '' OR lower(status) = 'abolished')";

/// A register's abolished bodies (those that name successors, or whose status says so), by
/// code: the board and the rounds page ask on every view.
pub async fn abolished(
    db: &DatabaseConnection,
    register_name: &str,
) -> Result<Vec<Authority>, StoreError> {
    let rows = abolished_select(register_name).all(db).await?;
    Ok(rows.into_iter().map(to_domain).collect())
}

pub(crate) fn abolished_select(register_name: &str) -> sea_orm::Select<authority::Entity> {
    use sea_orm::sea_query::Expr;
    authority::Entity::find()
        .filter(authority::Column::Register.eq(register_name))
        .filter(Expr::cust(ABOLISHED))
        .order_by_asc(authority::Column::Code)
}

/// Each loaded register with how many bodies it has and how many lack a verified FOI
/// address (the registers page), by name: read from `register_tallies`, which a trigger on
/// `authorities` keeps, so the page does not count the registers' bodies on every view.
pub async fn summaries(db: &DatabaseConnection) -> Result<Vec<(String, u64, u64)>, StoreError> {
    use sea_orm::ConnectionTrait;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT register, CAST(SUM(n) AS BIGINT) AS bodies, \
             CAST(SUM(CASE WHEN unverified = 1 THEN n ELSE 0 END) AS BIGINT) AS unverified \
             FROM register_tallies GROUP BY register",
        ))
        .await?;
    let mut counted: std::collections::HashMap<String, (u64, u64)> =
        std::collections::HashMap::new();
    for r in rows {
        let name: String = r.try_get("", "register")?;
        let b: i64 = r.try_get("", "bodies")?;
        let u: i64 = r.try_get("", "unverified")?;
        counted.insert(name, (b.max(0) as u64, u.max(0) as u64));
    }
    Ok(registers(db)
        .await?
        .into_iter()
        .map(|name| {
            let (b, u) = counted.remove(&name).unwrap_or((0, 0));
            (name, b, u)
        })
        .collect())
}

/// Names of the loaded registers.
pub async fn registers(db: &DatabaseConnection) -> Result<Vec<String>, StoreError> {
    Ok(register::Entity::find()
        .order_by_asc(register::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect())
}

/// What changing a body's FOI address did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AddressChange {
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Requests told of the change (not yet sent, or waiting on the body); letters already
    /// sent are never rewritten.
    pub requests: usize,
}

/// Sets (or clears) a body's FOI address, and whether it is verified, with why. The body's
/// requests not yet sent or still waiting on it take the new address for the letters still
/// to go, each with an `address_corrected` event naming who, the old and new address and
/// why; closed requests and sent letters keep theirs. One transaction.
#[allow(clippy::too_many_arguments)]
pub async fn set_address(
    db: &DatabaseConnection,
    register_name: &str,
    code: &str,
    new: Option<&crate::domain::ids::EmailAddress>,
    verified: bool,
    why: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<AddressChange, StoreError> {
    use super::entities::request;
    use crate::domain::request::RequestState;
    let txn = super::write_txn(db).await?;
    let a = authority::Entity::find()
        .filter(authority::Column::Register.eq(register_name))
        .filter(authority::Column::Code.eq(code))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("no body `{code}` in register `{register_name}`"))
        })?;
    let (id, name, old) = (a.id, a.name.clone(), a.foi_email.clone());
    let new_text = new.map(|n| n.to_string());
    let mut aa: authority::ActiveModel = a.into();
    aa.foi_email = Set(new_text.clone());
    aa.email_verified = Set(verified && new.is_some());
    aa.email_source = Set(Some(format!(
        "set by {actor} on {}: {why}",
        crate::domain::dates::london_date(now)
    )));
    aa.update(&txn).await?;
    let mut told = 0;
    if old != new_text {
        for r in request::Entity::find()
            .filter(request::Column::AuthorityId.eq(id))
            .all(&txn)
            .await?
        {
            let state: RequestState = r.state.parse().map_err(StoreError::Invalid)?;
            let open = state.awaiting_body()
                || matches!(
                    state,
                    RequestState::Draft
                        | RequestState::ClarificationRequested
                        | RequestState::InternalReviewRequested
                );
            if !open {
                continue;
            }
            let rid = r.id;
            let mut ra: request::ActiveModel = r.into();
            ra.to_address = Set(new_text.clone());
            ra.updated_at = Set(now);
            ra.update(&txn).await?;
            super::events::append(
                &txn,
                super::events::NewEvent {
                    request_id: Some(rid),
                    actor: actor.into(),
                    kind: crate::domain::event::EventKind::AddressCorrected,
                    note: Some(format!(
                        "FOI address changed on the register from {} to {}: {why}; letters already sent are unchanged",
                        old.as_deref().unwrap_or("none"),
                        new_text.as_deref().unwrap_or("none")
                    )),
                    data: Some(serde_json::json!({"from": old, "to": new_text, "why": why})),
                    ..Default::default()
                },
                now,
            )
            .await?;
            told += 1;
        }
    }
    txn.commit().await?;
    Ok(AddressChange {
        name,
        old,
        new: new_text,
        requests: told,
    })
}
