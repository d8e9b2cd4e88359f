//! Registers of public bodies: importing one from a CSV file (every row checked, all or
//! nothing) and listing the bodies of one or all.

use crate::app::App;
use crate::domain::register::{parse_register, Authority, RegisterErrors};
use crate::store::{authorities, StoreError};

pub use crate::store::authorities::ImportSummary;

#[derive(Debug, thiserror::Error)]
pub enum RegisterImportError {
    /// The file's words: which line and field is wrong, and why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Register(#[from] RegisterErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `foi authorities import FILE --register NAME`: the file's bytes, named `source` in errors.
pub async fn import(
    app: &App,
    register: &str,
    source: &str,
    bytes: &[u8],
) -> Result<ImportSummary, RegisterImportError> {
    let text = crate::domain::text::utf8(bytes, source).map_err(RegisterImportError::Invalid)?;
    let records = parse_register(text, source)?;
    Ok(authorities::import_register(&app.db, register, source, &records, app.clock.now()).await?)
}

/// The bodies of one register, or of all.
pub async fn list(app: &App, register: Option<&str>) -> Result<Vec<Authority>, StoreError> {
    authorities::list(&app.db, register).await
}

pub use crate::store::authorities::AddressChange;

/// Each register with its number of bodies and of bodies without a verified FOI address
/// (counted by the database, so the registers page costs the same for any register's size).
pub async fn summaries(app: &App) -> Result<Vec<(String, u64, u64)>, StoreError> {
    authorities::summaries(&app.db).await
}

/// The names of the loaded registers.
pub async fn names(app: &App) -> Result<Vec<String>, StoreError> {
    authorities::registers(&app.db).await
}

/// Sets a body's FOI address (empty: none) and whether it is verified, with why (registers
/// page, `foi authorities set-address`). Requests not yet sent or still open take it for the
/// letters still to go, each with an event; sent letters are never rewritten.
#[allow(clippy::too_many_arguments)]
pub async fn set_address(
    app: &App,
    register: &str,
    code: &str,
    address: &str,
    verified: bool,
    why: &str,
    actor: &str,
) -> Result<AddressChange, StoreError> {
    let address = address.trim();
    let new = match address {
        "" => None,
        a => Some(
            a.parse::<crate::domain::ids::EmailAddress>()
                .map_err(|e| StoreError::Invalid(format!("`{a}` is not an e-mail address: {e}")))?,
        ),
    };
    let why = why.trim();
    if why.is_empty() {
        return Err(StoreError::Invalid(
            "say why the address changes (where the new one comes from): it is kept with the change"
                .into(),
        ));
    }
    authorities::set_address(
        &app.db,
        register,
        code,
        new.as_ref(),
        verified,
        why,
        actor,
        app.clock.now(),
    )
    .await
}
