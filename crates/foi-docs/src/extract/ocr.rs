//! Optical character recognition for scans, with the programs made for it when they are
//! installed: `pdftoppm` (poppler) turns each PDF page into an image and `tesseract` reads the
//! words off it. No Rust crate does OCR without binding the same C++ library, so `foi` runs the
//! programs themselves, each under a time limit, in a private temporary directory.
//!
//! Switched on by `[extract] ocr = true`; [`Ocr::find`] says what is missing otherwise.

use super::{Extracted, Outcome};
use crate::config::ExtractConfig;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The extractor name recorded for text that came from OCR.
pub const EXTRACTOR: &str = "ocr";

/// Whether OCR can run here under `[extract]`, checked each time it is asked (installing
/// tesseract needs no restart).
pub fn status(cfg: &ExtractConfig) -> Status {
    if !cfg.ocr {
        return Status::Off;
    }
    Ocr::find(
        &cfg.ocr_languages,
        Duration::from_secs(cfg.ocr_page_timeout_secs.max(1)),
        cfg.ocr_max_pages.max(1),
    )
}

/// How OCR stands on this machine, for the dashboard and the reader.
#[derive(Debug, Clone)]
pub enum Status {
    /// `[extract] ocr` is false.
    Off,
    /// Switched on, but a program is missing: what to install.
    Missing(String),
    Ready(Ocr),
}

impl Status {
    pub fn ready(&self) -> Option<&Ocr> {
        match self {
            Status::Ready(o) => Some(o),
            _ => None,
        }
    }

    /// What the dashboard says beside a file with no text layer.
    pub fn no_text_label(&self) -> String {
        match self {
            Status::Off => "no text: needs OCR (a scan?). foi reads scans when tesseract and \
                            pdftoppm are installed and the config says [extract] ocr = true"
                .into(),
            Status::Missing(what) => format!("no text: needs OCR, but {what}"),
            Status::Ready(_) => "no text yet: waiting to be read by OCR".into(),
        }
    }
}

/// The programs and settings OCR runs with.
#[derive(Debug, Clone)]
pub struct Ocr {
    pub tesseract: PathBuf,
    pub pdftoppm: PathBuf,
    /// Tesseract's language codes joined by `+` ("eng", "eng+cym").
    pub languages: String,
    /// For one page's image or its reading.
    pub timeout: Duration,
    pub max_pages: usize,
}

impl Ocr {
    /// Checks that both programs run; says which is missing and what to install.
    pub fn find(languages: &str, timeout: Duration, max_pages: usize) -> Status {
        let ocr = Ocr {
            tesseract: "tesseract".into(),
            pdftoppm: "pdftoppm".into(),
            languages: languages.to_string(),
            timeout,
            max_pages,
        };
        for (prog, arg, package) in [
            (&ocr.tesseract, "--version", "tesseract-ocr"),
            (&ocr.pdftoppm, "-v", "poppler-utils"),
        ] {
            let runs = Command::new(prog)
                .arg(arg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok();
            if !runs {
                return Status::Missing(format!(
                    "`{}` is not installed on this machine: install it (Debian and Ubuntu: \
                     apt install {package}) or set [extract] ocr = false",
                    prog.display()
                ));
            }
        }
        Status::Ready(ocr)
    }

    /// Reads by OCR what the ordinary reading found no words in (see [`super::wants_ocr`]).
    pub fn read(&self, first: &Extracted, bytes: &[u8]) -> Extracted {
        if first.extractor == "pdf" {
            self.pdf(bytes)
        } else {
            self.image(bytes)
        }
    }

    /// Reads a scanned PDF, page by page, with page markers as the text layer has them.
    pub fn pdf(&self, bytes: &[u8]) -> Extracted {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => return failed(format!("no room for OCR's page images: {e}")),
        };
        let input = dir.path().join("in.pdf");
        if let Err(e) = std::fs::write(&input, bytes) {
            return failed(format!("no room for OCR's page images: {e}"));
        }
        let mut cmd = Command::new(&self.pdftoppm);
        cmd.args(["-r", "300", "-gray", "-png", "-l"])
            .arg(self.max_pages.to_string())
            .arg(&input)
            .arg(dir.path().join("page"));
        // Rendering all pages is one run: its limit grows with the pages allowed.
        let limit = self.timeout * self.max_pages.min(20) as u32;
        if let Err(why) = run(&mut cmd, limit) {
            return failed(format!(
                "the PDF's pages could not be turned into images: {why}"
            ));
        }
        let mut pages: Vec<(usize, PathBuf)> = std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                let n = p
                    .file_stem()?
                    .to_str()?
                    .strip_prefix("page-")?
                    .parse()
                    .ok()?;
                Some((n, p))
            })
            .collect();
        pages.sort();
        let mut text = String::new();
        let mut any = false;
        for (n, image) in pages {
            let words = match self.image_file(&image) {
                Ok(w) => w,
                Err(why) => return failed(format!("page {n} could not be read by OCR: {why}")),
            };
            any |= words.chars().any(char::is_alphanumeric);
            text.push_str(&format!("--- page {n} ---\n{}\n", words.trim()));
        }
        finished(any, text)
    }

    /// Reads an image (PNG, JPEG, TIFF …).
    pub fn image(&self, bytes: &[u8]) -> Extracted {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => return failed(format!("no room for the image: {e}")),
        };
        let input = dir.path().join("image");
        if let Err(e) = std::fs::write(&input, bytes) {
            return failed(format!("no room for the image: {e}"));
        }
        match self.image_file(&input) {
            Ok(words) => {
                let any = words.chars().any(char::is_alphanumeric);
                finished(any, words.trim().to_string() + "\n")
            }
            Err(why) => failed(format!("the image could not be read by OCR: {why}")),
        }
    }

    fn image_file(&self, image: &Path) -> Result<String, String> {
        let out = image.with_extension("ocr");
        let mut cmd = Command::new(&self.tesseract);
        cmd.arg(image)
            .arg(&out)
            .args(["-l", &self.languages, "--psm", "3"]);
        run(&mut cmd, self.timeout)?;
        std::fs::read_to_string(out.with_extension("ocr.txt"))
            .map_err(|e| format!("tesseract wrote no text: {e}"))
    }

    /// The version line recorded beside the text, so a better reader can be told apart.
    pub fn describe(&self) -> String {
        format!("tesseract ({})", self.languages)
    }
}

fn failed(why: String) -> Extracted {
    Extracted::failed(EXTRACTOR, why)
}

fn finished(any: bool, text: String) -> Extracted {
    if any {
        Extracted::new(EXTRACTOR, Outcome::Text, text)
    } else {
        Extracted::new(EXTRACTOR, Outcome::NoText, String::new())
    }
}

/// Runs a program to its end or kills it at `limit`. Its output goes to files, so a pipe
/// cannot fill up and stall it; the last lines of its errors say why it failed.
fn run(cmd: &mut Command, limit: Duration) -> Result<(), String> {
    let errors = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let stderr = errors.reopen().map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("could not start it: {e}"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let said = std::fs::read_to_string(errors.path()).unwrap_or_default();
                let last: Vec<&str> = said.lines().rev().take(2).collect();
                return Err(format!("it stopped with {status}: {}", last.join(" / ")));
            }
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "it took longer than {} seconds and was stopped",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => return Err(e.to_string()),
        }
    }
}
