//! Fuzzing the document readers and the MIME walk for a bounded time (`FOI_FUZZ_SECS`,
//! default 20; `FOI_FUZZ_SEED=N` replays a run, `FOI_FUZZ_SEED=random` explores afresh; the
//! default seed is fixed so CI is reproducible). Documents of every kind foi reads are built,
//! mutated (bytes flipped, cut, repeated, spliced, and the XML inside zipped formats changed)
//! and read the way foi reads them: by a child `foi read-file` under limits.
//!
//! What must hold for every input: the parent gets an answer with a status within the
//! limits, and no panic escapes a reader (each catches its own: one escaping is a bug here,
//! and fails the run). An abort (a stack overflow, a refused allocation) is what the child
//! process exists for: it is counted and kept for a look, not failed. Mutated e-mails with
//! those documents attached go through the MIME walk in this process, where no panic may
//! escape either. Findings are written to `target/fuzz-findings/`; the ones worth keeping
//! go in `tests/fuzz-regressions/` (see its README), read by the last test here.

mod common;

use common::docs::*;
use foi::extract::isolated::{read_in_child, ProcessLimits};
use foi::extract::{Limits, Outcome};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A small, fast, reproducible generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let rtf = br"{\rtf1\ansi\deff0{\fonttbl{\f0\fswiss Helvetica;}}\f0\pard Dear requester,\par The ICB has a {\b fracture liaison} service.\par}".to_vec();
    vec![
        ("reply.pdf", "application/pdf", pdf_pages(&["Page one text", "Page two"])),
        ("scan.pdf", "application/pdf", pdf_with(None)),
        ("letter.docx", "", docx_with("We hold a named MSK lead")),
        ("data.xlsx", "", xlsx_with("Waiting list", "Jane Doe")),
        ("letter.odt", "", odt_with("Response text")),
        ("data.ods", "", ods_with("Sheet1", "a cell")),
        (
            "bundle.zip",
            "application/zip",
            zip_of(&[("a.txt", b"alpha"), ("b.docx", &docx_with("inner"))]),
        ),
        ("letter.rtf", "application/rtf", rtf),
        (
            "page.html",
            "text/html",
            b"<html><head><style>p{}</style></head><body><p>Dear A &amp; B</p><script>x()</script><table><tr><td>1</td></tr></table></body></html>".to_vec(),
        ),
        ("data.csv", "text/csv", b"body,answer\nQHM,yes\n".to_vec()),
    ]
}

fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut b = input.to_vec();
    // Zipped formats: change the XML inside, which flipping compressed bytes rarely reaches.
    if b.starts_with(b"PK\x03\x04") && rng.below(2) == 0 {
        if let Some(z) = mutate_member(rng, &b) {
            return z;
        }
    }
    for _ in 0..=rng.below(4) {
        if b.is_empty() {
            b.push(rng.next() as u8);
        }
        let at = rng.below(b.len());
        match rng.below(6) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b[at] = rng.next() as u8,
            2 => b.truncate(at.max(1)),
            3 => {
                let len = rng.below(64).min(b.len() - at);
                let chunk = b[at..at + len].to_vec();
                for _ in 0..rng.below(50) {
                    b.splice(at..at, chunk.iter().copied());
                }
            }
            4 => {
                let o = &others[rng.below(others.len())];
                let from = rng.below(o.len());
                let len = rng.below(256).min(o.len() - from);
                b.splice(at..at, o[from..from + len].iter().copied());
            }
            _ => {
                let magic: &[&[u8]] = &[
                    b"<",
                    b">",
                    b"</",
                    b"&amp;",
                    b"\xff\xfe",
                    b"obj",
                    b"endobj",
                    b"R ",
                    b"<<",
                    b">>",
                    b"stream\n",
                    b"0 0 R",
                    b"\"",
                    b"\0",
                ];
                let m = magic[rng.below(magic.len())];
                b.splice(at..at, m.iter().copied());
            }
        }
    }
    b
}

/// The archive again with one member's bytes mutated.
fn mutate_member(rng: &mut Rng, zip: &[u8]) -> Option<Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).ok()?;
    let mut members = Vec::new();
    for i in 0..z.len() {
        let mut m = z.by_index(i).ok()?;
        let mut data = Vec::new();
        m.read_to_end(&mut data).ok()?;
        members.push((m.name().ok()?.to_string(), data));
    }
    let k = rng.below(members.len());
    let others: Vec<Vec<u8>> = members.iter().map(|(_, d)| d.clone()).collect();
    let mutated = {
        let (_, d) = &members[k];
        let mut b = d.clone();
        for _ in 0..=rng.below(3) {
            if b.is_empty() {
                break;
            }
            let at = rng.below(b.len());
            match rng.below(3) {
                0 => b[at] = rng.next() as u8,
                1 => b.truncate(at),
                _ => {
                    let o = &others[rng.below(others.len())];
                    let from = rng.below(o.len().max(1));
                    let len = rng.below(200).min(o.len().saturating_sub(from));
                    b.splice(at..at, o[from..from + len].iter().copied());
                }
            }
        }
        b
    };
    members[k].1 = mutated;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in &members {
        w.start_file(name.as_str(), opts).ok()?;
        w.write_all(data).ok()?;
    }
    Some(w.finish().ok()?.into_inner())
}

fn findings_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn keep(what: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let ext = name.rsplit_once('.').map_or("bin", |(_, e)| e);
    let sha = foi::rawstore::sha256_hex(bytes);
    let p = findings_dir().join(format!("{what}-{}.{ext}", &sha[..12]));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn process_limits() -> ProcessLimits {
    ProcessLimits {
        memory_mb: 512,
        cpu_secs: 10,
        wall_secs: 15,
        ..ProcessLimits::default()
    }
}

fn limits() -> Limits {
    Limits {
        pdf_timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

#[test]
fn mutated_documents_and_mail_always_get_an_answer_and_no_panic_escapes() {
    let secs: u64 = std::env::var("FOI_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    // A fixed seed by default, so a CI run is reproducible (a new finding shows up when
    // someone explores, not at random in CI); FOI_FUZZ_SEED=random explores afresh.
    let seed: u64 = match std::env::var("FOI_FUZZ_SEED").ok().as_deref() {
        Some("random") => {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        }
        Some(s) => s.parse().expect("FOI_FUZZ_SEED is a number or `random`"),
        None => 0x05EE_DF01_2026_1205,
    };
    eprintln!("fuzzing for {secs} s with FOI_FUZZ_SEED={seed}");
    let mut rng = Rng(seed);
    let program = Path::new(env!("CARGO_BIN_EXE_foi"));
    let seeds = seeds();
    let others: Vec<Vec<u8>> = seeds.iter().map(|(_, _, b)| b.clone()).collect();
    let (p, l) = (process_limits(), limits());
    let start = Instant::now();
    let (mut docs, mut mails, mut aborts) = (0usize, 0usize, Vec::new());
    let mut escaped = Vec::new();
    while start.elapsed() < Duration::from_secs(secs) {
        let (name, ct, base) = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, base, &others);
        // A document, read as foi reads it.
        let t = Instant::now();
        let e = read_in_child(program, name, ct, &input, &l, &p);
        assert!(
            t.elapsed() < Duration::from_secs(p.wall_secs + 5),
            "an answer within the wall limit"
        );
        assert!(e.text.len() <= l.max_text, "text within the limit");
        match &e.outcome {
            Outcome::Failed(why) if why.contains("exit code 101") => {
                escaped.push(keep("panic", name, &input))
            }
            Outcome::Failed(why) if why.contains("crash") || why.contains("memory") => {
                aborts.push((keep("abort", name, &input), why.clone()))
            }
            Outcome::Failed(why) | Outcome::Unsupported(why) => {
                assert!(!why.trim().is_empty(), "a reason in words")
            }
            Outcome::Text | Outcome::NoText => {}
        }
        docs += 1;
        // The same bytes attached to a mutated e-mail, through the MIME walk in-process.
        let mail = mail_with(
            &Envelope {
                from: "foi@body.nhs.uk",
                subject: "Response",
                message_id: "r@body.nhs.uk",
                date: "Mon, 15 Jun 2026 10:00:00 +0100",
            },
            "<p>Attached</p>",
            &[(name, ct, &input)],
        );
        let mail = mutate(&mut rng, mail.as_bytes(), &others);
        let r =
            std::panic::catch_unwind(|| foi::inbound::mime::decode(&mail).map(|d| d.files.len()));
        if r.is_err() {
            escaped.push(keep("mime-panic", "message.eml", &mail));
        }
        mails += 1;
    }
    eprintln!(
        "fuzzed {docs} documents and {mails} messages in {:.1} s: {} reader aborts kept in {} (handled by the child process); {} escaped panics",
        start.elapsed().as_secs_f64(),
        aborts.len(),
        findings_dir().display(),
        escaped.len()
    );
    for (p, why) in &aborts {
        eprintln!("  abort: {} — {why}", p.display());
    }
    assert!(
        escaped.is_empty(),
        "a panic escaped a reader or the MIME walk (FOI_FUZZ_SEED={seed}); inputs kept: {escaped:?}"
    );
    assert!(docs > 0 && mails > 0);
}

/// Every kept finding, and the hostile documents that first taught us these cases, still end
/// with a status through the child reader (and as attachments, through ingest's parser).
#[test]
fn every_kept_finding_still_gets_a_status() {
    let program = Path::new(env!("CARGO_BIN_EXE_foi"));
    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        ("form.pdf".into(), pdf_self_drawing_form()),
        ("sparse.xlsx".into(), xlsx_sparse_dimension()),
        ("page.html".into(), unclosed_script_html(256 << 10)),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "README.md" {
            inputs.push((name, std::fs::read(e.path()).unwrap()));
        }
    }
    for (name, bytes) in &inputs {
        if name.ends_with(".eml") {
            let r = std::panic::catch_unwind(|| foi::inbound::mime::decode(bytes).is_ok());
            assert!(r.is_ok(), "{name}: the MIME walk panicked");
            continue;
        }
        let e = read_in_child(program, name, "", bytes, &limits(), &process_limits());
        if let Outcome::Failed(why) = &e.outcome {
            assert!(!why.contains("exit code 101"), "{name}: {why}");
        }
        // A kept finding that is not an abort is read in this process too: no panic escapes.
        let kept = !matches!(name.as_str(), "form.pdf" | "sparse.xlsx" | "page.html");
        if kept && !name.starts_with("abort-") {
            let r = std::panic::catch_unwind(|| foi::extract::extract(name, "", bytes, &limits()));
            assert!(r.is_ok(), "{name}: a panic escaped extract()");
        }
    }
    // The two that crash a reader in-process are recorded as such, in words.
    let crash = |n: usize| match read_in_child(
        program,
        &inputs[n].0,
        "",
        &inputs[n].1,
        &limits(),
        &process_limits(),
    )
    .outcome
    {
        Outcome::Failed(why) => why,
        other => panic!("{}: {other:?}", inputs[n].0),
    };
    assert!(crash(0).contains("made the reader crash"));
    assert!(crash(1).contains("memory"));
}
