//! Real mail servers on loopback for the tests: aiosmtpd (SMTP, writing a Maildir, with fault
//! injection rules) and Dovecot (IMAP), started by `scripts/mail-peers` on free ports.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct MailPeers {
    pub dir: PathBuf,
    pub env: HashMap<String, String>,
    _keep: Option<tempfile::TempDir>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mail-peers")
}

impl MailPeers {
    /// Starts both servers in a fresh directory (searchable by Dovecot's users).
    pub fn start() -> MailPeers {
        MailPeers::start_with(&[])
    }

    /// The same, with settings for `scripts/mail-peers` (e.g. `OAUTH2_INTROSPECTION_URL`,
    /// `MAIL_USER`, `SMTP_LOCAL_ADDRESS`).
    pub fn start_with(settings: &[(&str, &str)]) -> MailPeers {
        // Free ports are picked, then bound by the servers: another test starting servers at
        // the same moment can take one in between, and the server then exits at start-up.
        // That race is the harness's, not the code under test's: a fresh start is tried (up
        // to three times), and the last failure is reported in full.
        let mut last = String::new();
        for _ in 0..3 {
            let keep = tempfile::Builder::new()
                .prefix("foi-mail-")
                .tempdir_in("/tmp")
                .expect("tempdir");
            // Dovecot's users must be able to reach the directory (the recipe's pitfall 2).
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(keep.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let dir = keep.path().join("peers");
            let out = Command::new(script())
                .arg("start")
                .arg(&dir)
                .envs([
                    ("SMTP_PORT", "0"),
                    ("SMTPS_PORT", "0"),
                    ("IMAP_PORT", "0"),
                    ("IMAPS_PORT", "0"),
                ])
                .envs(settings.iter().copied())
                .output()
                .expect("run scripts/mail-peers");
            if out.status.success() {
                return MailPeers::ready(dir, keep);
            }
            last = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = Command::new(script()).arg("stop").arg(&dir).output();
        }
        panic!("mail peers did not start (run scripts/mail-peers install-if-missing):\n{last}");
    }

    fn ready(dir: PathBuf, keep: tempfile::TempDir) -> MailPeers {
        let env = std::fs::read_to_string(dir.join("env"))
            .expect("env file")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MailPeers {
            dir,
            env,
            _keep: Some(keep),
        }
    }

    pub fn get(&self, k: &str) -> &str {
        self.env
            .get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{k} not in mail-peers env"))
    }

    /// Environment that points `foi` at the SMTP server (plain, loopback).
    pub fn smtp_env(&self) -> Vec<(String, String)> {
        vec![
            ("FOI__SMTP__TRANSPORT".into(), "smtp".into()),
            ("FOI__SMTP__HOST".into(), "127.0.0.1".into()),
            ("FOI__SMTP__PORT".into(), self.get("SMTP_PORT").into()),
            ("FOI__SMTP__SECURITY".into(), "none".into()),
            ("FOI__SMTP__TIMEOUT_SECS".into(), "10".into()),
            ("FOI__SEND__PER_MINUTE".into(), "0".into()),
            ("FOI__SEND__BACKOFF_BASE_SECS".into(), "0".into()),
            ("FOI__SEND__MAX_ATTEMPTS".into(), "3".into()),
        ]
    }

    /// Replaces the fault-injection rules (re-read by the server on change).
    pub fn set_rules(&self, rules: &str) {
        std::fs::write(self.get("SMTP_RULES"), rules).unwrap();
    }

    /// Every message the SMTP server stored, as (file name, bytes).
    pub fn smtp_messages(&self) -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(self.get("SMTP_MAILDIR")).join("new");
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        (
                            e.file_name().to_string_lossy().into_owned(),
                            std::fs::read(e.path()).unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Message-IDs of the stored messages, with how many copies of each.
    pub fn message_id_counts(&self) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for (_, bytes) in self.smtp_messages() {
            let text = String::from_utf8_lossy(&bytes);
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or("<none>")
                .trim()
                .to_string();
            *m.entry(id).or_insert(0) += 1;
        }
        m
    }

    /// The events the SMTP server recorded (one JSON object per line).
    pub fn smtp_events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.get("SMTP_EVENTS"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Files a message into IMAP folder `folder` (Maildir++ `.folder`), as a mail server does
    /// with what was submitted to it (Microsoft 365 keeps it in "Sent Items").
    pub fn file_into_folder(&self, folder: &str, bytes: &[u8]) {
        let md = Path::new(self.get("IMAP_MAILDIR")).join(format!(".{folder}"));
        let owner = |p: &Path| {
            let uid = self.get("MAIL_UID").parse().ok();
            let gid = self.get("MAIL_GID").parse().ok();
            // Only root can give files away; as any other user they are ours already.
            let _ = std::os::unix::fs::chown(p, uid, gid);
        };
        for sub in ["", "cur", "new", "tmp"] {
            let d = md.join(sub);
            std::fs::create_dir_all(&d).unwrap();
            owner(&d);
        }
        let name = format!(
            "{}.{}_{}.test",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            std::process::id(),
            sha_short(bytes)
        );
        let tmp = md.join("tmp").join(&name);
        std::fs::write(&tmp, bytes).unwrap();
        owner(&tmp);
        std::fs::rename(&tmp, md.join("new").join(&name)).unwrap();
    }

    /// Delivers an .eml into the IMAP INBOX.
    pub fn drop_into_inbox(&self, file: &Path) {
        let out = Command::new(script())
            .arg("drop")
            .arg(&self.dir)
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for MailPeers {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(&self.dir).output();
    }
}

fn sha_short(bytes: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:016x}", h.finish())
}
