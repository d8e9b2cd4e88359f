//! The raw mail store: every message's bytes, content-addressed by SHA-256, under
//! `DATA_DIR/raw/ab/cd/<sha256>.eml`. Written before anything else happens to a message
//! (inbound) or before it is queued (outbound), atomically (temporary file, fsync, rename), and
//! never modified: the same bytes always land at the same path, so writing twice is harmless.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct RawStore {
    root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("raw mail store {path}: {source}. Check the data directory is writable and has space")]
pub struct RawStoreError {
    pub path: String,
    pub source: std::io::Error,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl RawStore {
    pub fn new(data_dir: &Path) -> RawStore {
        RawStore {
            root: data_dir.join("raw"),
        }
    }

    pub fn path_of(&self, sha: &str) -> PathBuf {
        self.root
            .join(&sha[0..2])
            .join(&sha[2..4])
            .join(format!("{sha}.eml"))
    }

    /// Stores `bytes` durably and returns their SHA-256 (hex).
    pub fn put(&self, bytes: &[u8]) -> Result<String, RawStoreError> {
        self.put_opts(bytes, true)
    }

    /// Stores `bytes`; `durable` fsyncs the file before it is renamed into place.
    pub fn put_opts(&self, bytes: &[u8], durable: bool) -> Result<String, RawStoreError> {
        let sha = sha256_hex(bytes);
        let path = self.path_of(&sha);
        if path.exists() {
            return Ok(sha);
        }
        let err = |source| RawStoreError {
            path: path.display().to_string(),
            source,
        };
        let dir = path.parent().expect("has a parent");
        std::fs::create_dir_all(dir).map_err(err)?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", std::process::id()));
        {
            let mut f = std::fs::File::create(&tmp).map_err(err)?;
            f.write_all(bytes).map_err(err)?;
            if durable {
                f.sync_all().map_err(err)?;
            }
        }
        std::fs::rename(&tmp, &path).map_err(err)?;
        Ok(sha)
    }

    pub fn get(&self, sha: &str) -> Result<Vec<u8>, RawStoreError> {
        let path = self.path_of(sha);
        std::fs::read(&path).map_err(|source| RawStoreError {
            path: path.display().to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn put_is_content_addressed_and_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let s = super::RawStore::new(dir.path());
        let a = s.put(b"hello").unwrap();
        assert_eq!(
            a,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(s.put(b"hello").unwrap(), a);
        assert_eq!(s.get(&a).unwrap(), b"hello");
    }
}
