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
