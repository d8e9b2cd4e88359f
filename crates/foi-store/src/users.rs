//! Dashboard users (argon2 password hashes) and their sessions (the cookie's SHA-256 is
//! stored, never the cookie itself).

use super::entities::{session, user};
use super::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Editor,
    Viewer,
}

impl Role {
    pub fn parse(s: &str) -> Result<Role, String> {
        match s {
            "editor" => Ok(Role::Editor),
            "viewer" => Ok(Role::Viewer),
            _ => Err(format!("`{s}` is not a role; use editor or viewer")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i32,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// A disabled user cannot log in; their sessions end.
    pub disabled_at: Option<DateTime<Utc>>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Invited, and has not yet set a password with the invitation's link.
    pub invited: bool,
    /// Until when the user's one-time link (invitation or new password) works, if they have one.
    pub link_expires_at: Option<DateTime<Utc>>,
}

fn to_user(m: user::Model) -> User {
    User {
        id: m.id,
        name: m.name,
        role: Role::parse(&m.role).unwrap_or(Role::Viewer),
        invited: m.password_hash.is_empty(),
        password_hash: m.password_hash,
        created_at: m.created_at,
        disabled_at: m.disabled_at,
        last_sign_in_at: m.last_sign_in_at,
        link_expires_at: m.link_hash.as_ref().and(m.link_expires_at),
    }
}

/// Changes a user's role.
pub async fn set_role(db: &DatabaseConnection, name: &str, role: Role) -> Result<(), StoreError> {
    let mut am: user::ActiveModel = find(db, name).await?.into();
    am.role = Set(role.as_str().into());
    am.update(db).await?;
    Ok(())
}

/// Notes a successful sign-in.
pub async fn signed_in(
    db: &DatabaseConnection,
    user_id: i32,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    user::ActiveModel {
        id: Set(user_id),
        last_sign_in_at: Set(Some(at)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Gives a user a one-time link (its hash; replacing any earlier link).
pub async fn set_link(
    db: &DatabaseConnection,
    name: &str,
    link_hash: &str,
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut am: user::ActiveModel = find(db, name).await?.into();
    am.link_hash = Set(Some(link_hash.into()));
    am.link_expires_at = Set(Some(expires));
    am.update(db).await?;
    Ok(())
}

/// The enabled user whose one-time link has this hash and still works.
pub async fn by_link(
    db: &DatabaseConnection,
    link_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<User>, StoreError> {
    Ok(user::Entity::find()
        .filter(user::Column::LinkHash.eq(link_hash))
        .one(db)
        .await?
        .filter(|u| u.disabled_at.is_none() && u.link_expires_at.is_some_and(|e| e > now))
        .map(to_user))
}

/// The user's own password set with their link: the link is used up and every session ends.
pub async fn use_link(
    db: &DatabaseConnection,
    user_id: i32,
    password_hash: &str,
) -> Result<(), StoreError> {
    user::ActiveModel {
        id: Set(user_id),
        password_hash: Set(password_hash.into()),
        link_hash: Set(None),
        link_expires_at: Set(None),
        ..Default::default()
    }
    .update(db)
    .await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every user, by name.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<User>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(to_user)
        .collect())
}

async fn find(db: &DatabaseConnection, name: &str) -> Result<user::Model, StoreError> {
    user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("no user `{name}`; `foi user list` shows them"))
        })
}

/// Disables (`Some(now)`) or enables (`None`) a user; disabling ends their sessions.
pub async fn set_disabled(
    db: &DatabaseConnection,
    name: &str,
    at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let m = find(db, name).await?;
    let id = m.id;
    let mut am: user::ActiveModel = m.into();
    am.disabled_at = Set(at);
    am.update(db).await?;
    if at.is_some() {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Sets a new password hash; every session of the user ends (they log in again).
pub async fn set_password(
    db: &DatabaseConnection,
    name: &str,
    password_hash: &str,
) -> Result<(), StoreError> {
    let m = find(db, name).await?;
    let id = m.id;
    let mut am: user::ActiveModel = m.into();
    am.password_hash = Set(password_hash.into());
    am.update(db).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn count(db: &DatabaseConnection) -> Result<u64, StoreError> {
    Ok(user::Entity::find().count(db).await?)
}

pub async fn add(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<User, StoreError> {
    if by_name(db, name).await?.is_some() {
        return Err(StoreError::Invalid(format!("user `{name}` already exists")));
    }
    let m = user::ActiveModel {
        name: Set(name.into()),
        role: Set(role.as_str().into()),
        password_hash: Set(password_hash.into()),
        created_at: Set(now),
        disabled_at: Set(None),
        last_sign_in_at: Set(None),
        link_hash: Set(None),
        link_expires_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(to_user(m))
}

pub async fn by_name(db: &DatabaseConnection, name: &str) -> Result<Option<User>, StoreError> {
    Ok(user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await?
        .map(to_user))
}

pub async fn create_session(
    db: &DatabaseConnection,
    token_hash: &str,
    user_id: i32,
    csrf: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    session::ActiveModel {
        id: Set(token_hash.into()),
        user_id: Set(user_id),
        csrf_token: Set(csrf.into()),
        created_at: Set(now),
        expires_at: Set(expires),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The user and CSRF token of a live session.
pub async fn session(
    db: &DatabaseConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>, StoreError> {
    let Some(s) = session::Entity::find_by_id(token_hash.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if s.expires_at <= now {
        session::Entity::delete_by_id(token_hash.to_string())
            .exec(db)
            .await?;
        return Ok(None);
    }
    Ok(user::Entity::find_by_id(s.user_id)
        .one(db)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .map(|u| (to_user(u), s.csrf_token)))
}

pub async fn end_session(db: &DatabaseConnection, token_hash: &str) -> Result<(), StoreError> {
    session::Entity::delete_by_id(token_hash.to_string())
        .exec(db)
        .await?;
    Ok(())
}
