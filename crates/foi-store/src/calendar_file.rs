//! The bank-holiday calendar kept in the data directory by `foi calendar update`, or the
//! shipped one when there is none.

use crate::domain::calendar::Calendar;
use std::path::{Path, PathBuf};

/// Where a refreshed calendar is kept.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("calendar").join("uk-bank-holidays.csv")
}

#[derive(Debug, thiserror::Error)]
#[error("the stored calendar {path} cannot be read: {message}. Run `foi calendar update` again, or delete it to use the shipped calendar")]
pub struct CalendarFileError {
    pub path: String,
    pub message: String,
}

/// The calendar in force for a data directory.
pub fn load(data_dir: &Path) -> Result<Calendar, CalendarFileError> {
    let p = path(data_dir);
    match std::fs::read_to_string(&p) {
        Ok(text) => {
            Calendar::from_csv(&text, &p.display().to_string()).map_err(|e| CalendarFileError {
                path: p.display().to_string(),
                message: e.to_string(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Calendar::shipped()),
        Err(e) => Err(CalendarFileError {
            path: p.display().to_string(),
            message: e.to_string(),
        }),
    }
}
