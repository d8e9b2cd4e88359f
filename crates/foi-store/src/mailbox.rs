//! IMAP sync state: UIDVALIDITY and the last UID ingested per account and folder, so that
//! nothing is read twice or skipped.

use super::entities::mailbox_state;
use super::StoreError;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

pub async fn get(
    db: &DatabaseConnection,
    account: &str,
    folder: &str,
) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(mailbox_state::Entity::find()
        .filter(mailbox_state::Column::Account.eq(account))
        .filter(mailbox_state::Column::Folder.eq(folder))
        .one(db)
        .await?
        .map(|m| (m.uidvalidity, m.last_uid)))
}

pub async fn set(
    db: &DatabaseConnection,
    account: &str,
    folder: &str,
    uidvalidity: i64,
    last_uid: i64,
) -> Result<(), StoreError> {
    match mailbox_state::Entity::find()
        .filter(mailbox_state::Column::Account.eq(account))
        .filter(mailbox_state::Column::Folder.eq(folder))
        .one(db)
        .await?
    {
        Some(m) => {
            let mut am: mailbox_state::ActiveModel = m.into();
            am.uidvalidity = Set(uidvalidity);
            am.last_uid = Set(last_uid);
            am.update(db).await?;
        }
        None => {
            mailbox_state::ActiveModel {
                account: Set(account.into()),
                folder: Set(folder.into()),
                uidvalidity: Set(uidvalidity),
                last_uid: Set(last_uid),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
