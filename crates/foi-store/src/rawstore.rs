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

    pub(crate) fn path_of(&self, sha: &str) -> PathBuf {
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

    /// Removes temporary files a killed process left behind: `.SHA.PID.tmp` files older than
    /// `before` whose process is no longer running. Returns how many went.
    pub fn clean_temp(&self, before: std::time::SystemTime) -> usize {
        let mut n = 0;
        let Ok(top) = std::fs::read_dir(&self.root) else {
            return 0;
        };
        for a in top.flatten() {
            let Ok(mid) = std::fs::read_dir(a.path()) else {
                continue;
            };
            for b in mid.flatten() {
                let Ok(files) = std::fs::read_dir(b.path()) else {
                    continue;
                };
                for f in files.flatten() {
                    let name = f.file_name().to_string_lossy().into_owned();
                    let Some(pid) = temp_pid(&name) else { continue };
                    let alive = pid == std::process::id()
                        || std::path::Path::new(&format!("/proc/{pid}")).exists();
                    let old = f
                        .metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t < before);
                    if old && !alive && std::fs::remove_file(f.path()).is_ok() {
                        n += 1;
                    }
                }
            }
        }
        n
    }

    /// Stores a received message and notes it as arriving: the note (naming this process) is
    /// written before the bytes and removed by [`RawStore::arrived`] once the message has its
    /// row, so a process stopped in between leaves a note the next ingest finds
    /// ([`RawStore::abandoned_arrivals`]) and no raw file without its row.
    pub fn put_arriving(&self, bytes: &[u8]) -> Result<String, RawStoreError> {
        self.put_arriving_as(bytes, std::process::id())
    }

    /// [`RawStore::put_arriving`] on behalf of process `pid` (a test plays a process that
    /// stopped with it).
    pub fn put_arriving_as(&self, bytes: &[u8], pid: u32) -> Result<String, RawStoreError> {
        let sha = sha256_hex(bytes);
        let note = self.arriving_dir().join(&sha);
        let err = |source| RawStoreError {
            path: note.display().to_string(),
            source,
        };
        std::fs::create_dir_all(self.arriving_dir()).map_err(err)?;
        std::fs::write(&note, pid.to_string()).map_err(err)?;
        self.put(bytes)
    }

    /// The message `sha` has its row: its arrival note goes.
    pub fn arrived(&self, sha: &str) {
        let _ = std::fs::remove_file(self.arriving_dir().join(sha));
    }

    /// Messages noted as arriving by a process that is no longer running (or a note older
    /// than an hour, whoever wrote it), oldest first: ingests that stopped before the row was
    /// made. A note of a running ingest is left to it.
    pub fn abandoned_arrivals(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.arriving_dir()) else {
            return Vec::new();
        };
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let mut notes: Vec<(std::time::SystemTime, String)> = rd
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let at = e.metadata().and_then(|m| m.modified()).ok()?;
                let writer: Option<u32> = std::fs::read_to_string(e.path())
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
                let running = writer.is_some_and(|pid| {
                    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
                });
                (!running || at < hour_ago).then_some((at, name))
            })
            .collect();
        notes.sort();
        notes.into_iter().map(|(_, n)| n).collect()
    }

    /// Every arrival note, whoever wrote it (for checks).
    pub fn arriving(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.arriving_dir()) else {
            return Vec::new();
        };
        rd.flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }

    fn arriving_dir(&self) -> PathBuf {
        self.root.join("arriving")
    }

    pub fn get(&self, sha: &str) -> Result<Vec<u8>, RawStoreError> {
        let path = self.path_of(sha);
        std::fs::read(&path).map_err(|source| RawStoreError {
            path: path.display().to_string(),
            source,
        })
    }
}

/// The process id in a temporary file's name `.SHA.PID.tmp`.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (sha, pid) = rest.rsplit_once('.')?;
    (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| pid.parse().ok())
        .flatten()
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

    #[test]
    fn leftover_temporary_files_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let s = super::RawStore::new(dir.path());
        let a = s.put(b"kept").unwrap();
        let d = s.path_of(&a).parent().unwrap().to_path_buf();
        let sha = "0".repeat(64);
        // A pid far above any live one, and this process's own.
        let dead = d.join(format!(".{sha}.4000000000.tmp"));
        let mine = d.join(format!(".{sha}.{}.tmp", std::process::id()));
        let other = d.join("notes.txt");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        assert_eq!(s.clean_temp(later), 1);
        assert!(!dead.exists() && mine.exists() && other.exists());
        assert_eq!(s.get(&a).unwrap(), b"kept");
        assert_eq!(super::temp_pid(&format!(".{sha}.42.tmp")), Some(42));
        assert_eq!(super::temp_pid("x.tmp"), None);
    }
}
