//! Reading a file in a process of its own. Document readers are large parsers of hostile
//! input, and some failures cannot be caught inside a process: a stack overflow, an allocation
//! the system refuses, an abort, a loop. So `foi` reads each file by running itself
//! (`foi read-file`, a hidden command) with the file on standard input and limits set by the
//! kernel before the reader starts — address space (`RLIMIT_AS`), CPU time (`RLIMIT_CPU`),
//! stack (`RLIMIT_STACK`), no core file — plus a wall-clock limit and a cap on what it may
//! write back. Whatever the file does, it costs that file: the parent records why, in words
//! ("this file made the reader crash", "took longer than 120 s", "needs more than 2048 MB"),
//! and goes on with the next.
//!
//! The child answers with one JSON object on standard output: the [`Extracted`] value.

use super::{extract, Extracted, Flag, Limits, Outcome};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one reader process may use.
#[derive(Debug, Clone)]
pub struct ProcessLimits {
    /// Address space, in MB.
    pub memory_mb: u64,
    /// Processor time, in seconds.
    pub cpu_secs: u64,
    /// Time on the clock, in seconds.
    pub wall_secs: u64,
    /// The main thread's stack, in MB.
    pub stack_mb: u64,
}

impl Default for ProcessLimits {
    fn default() -> Self {
        ProcessLimits {
            memory_mb: 2048,
            cpu_secs: 60,
            wall_secs: 120,
            stack_mb: 64,
        }
    }
}

/// The reader's answer, as it travels from the child.
#[derive(Serialize, Deserialize)]
struct Answer {
    outcome: Outcome,
    text: String,
    extractor: String,
    version: u32,
    flags: Vec<Flag>,
}

/// Extractor names are `&'static str` in [`Extracted`]: the child's answer is mapped back.
const EXTRACTORS: &[&str] = &[
    "pdf",
    "docx",
    "odt",
    "spreadsheet",
    "zip",
    "text",
    "rtf",
    "html",
    "message",
    "image",
    "none",
    "size",
    super::ocr::EXTRACTOR,
];

/// The child's side (`foi read-file`): reads the file from standard input, writes the answer
/// to standard output. Returns the process's exit code.
pub fn answer(name: &str, content_type: &str, limits: &Limits) -> i32 {
    let mut bytes = Vec::new();
    let stdin = std::io::stdin();
    if let Err(e) = stdin
        .lock()
        .take(limits.max_input as u64 + 1)
        .read_to_end(&mut bytes)
    {
        eprintln!("foi read-file: could not read the file from standard input: {e}");
        return 2;
    }
    let e = extract(name, content_type, &bytes, limits);
    let a = Answer {
        outcome: e.outcome,
        text: e.text,
        extractor: e.extractor.to_string(),
        version: e.version,
        flags: e.flags,
    };
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &a)
        .map_err(std::io::Error::from)
        .and_then(|_| out.flush());
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("foi read-file: could not write the answer: {e}");
            2
        }
    }
}

/// The parent's side: reads `bytes` by running `program read-file` under `process` limits.
/// Never fails: what went wrong is the [`Outcome::Failed`] reason.
pub fn read_in_child(
    program: &Path,
    name: &str,
    content_type: &str,
    bytes: &[u8],
    limits: &Limits,
    process: &ProcessLimits,
) -> Extracted {
    let mut cmd = Command::new(program);
    cmd.arg("read-file")
        .arg("--name")
        .arg(name)
        .arg("--content-type")
        .arg(content_type)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    set_limits(&mut cmd, process);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Extracted::failed(
                "none",
                format!(
                    "could not start the document reader ({}): {e}",
                    program.display()
                ),
            )
        }
    };
    // Feed and drain on threads of their own, so neither side can block the other.
    let input = bytes.to_vec();
    let mut stdin = child.stdin.take().expect("piped");
    let feeder = std::thread::spawn(move || {
        // A reader that stops early closes the pipe: that is its answer, not an error here.
        let _ = stdin.write_all(&input);
    });
    let cap = limits.max_text as u64 * 2 + (1 << 20);
    let mut stdout = child.stdout.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = (&mut stdout).take(cap + 1).read_to_end(&mut out);
        out
    });
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut err = Vec::new();
        let _ = (&mut stderr).take(64 << 10).read_to_end(&mut err);
        err
    });
    let deadline = Instant::now() + Duration::from_secs(process.wall_secs.max(1));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => {
                let _ = child.kill();
                break None;
            }
        }
    };
    let _ = feeder.join();
    let out = out_reader.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    let Some(status) = status else {
        return Extracted::failed(
            "none",
            format!(
                "reading this file took longer than {} seconds; it was stopped (`foi extract --failed` tries again)",
                process.wall_secs
            ),
        );
    };
    if out.len() as u64 > cap {
        return Extracted::failed(
            "none",
            "the reader gave back more than foi keeps from one file; it was stopped",
        );
    }
    if status.success() {
        if let Ok(a) = serde_json::from_slice::<Answer>(&out) {
            return Extracted {
                outcome: a.outcome,
                text: a.text,
                extractor: EXTRACTORS
                    .iter()
                    .find(|e| **e == a.extractor)
                    .copied()
                    .unwrap_or("none"),
                version: a.version,
                flags: a.flags,
            };
        }
    }
    Extracted::failed("none", why_it_failed(status, &err, process))
}

/// A reader that ended without an answer, in words.
fn why_it_failed(status: std::process::ExitStatus, stderr: &str, p: &ProcessLimits) -> String {
    use std::os::unix::process::ExitStatusExt;
    let again = "(`foi extract --failed` tries again)";
    if stderr.contains("memory allocation") || stderr.contains("capacity overflow") {
        return format!(
            "reading this file needs more than {} MB of memory; it was stopped {again}",
            p.memory_mb
        );
    }
    if stderr.contains("overflowed its stack") {
        return format!("this file made the reader crash (it refers to itself too deeply) {again}");
    }
    match status.signal() {
        Some(libc::SIGXCPU) | Some(libc::SIGKILL) => format!(
            "reading this file took more than {} seconds of processing; it was stopped {again}",
            p.cpu_secs
        ),
        Some(_) => format!("this file made the reader crash {again}"),
        None => format!(
            "the reader failed on this file (exit code {}) {again}",
            status.code().unwrap_or(-1)
        ),
    }
}

/// Sets the child's resource limits between fork and exec.
fn set_limits(cmd: &mut Command, p: &ProcessLimits) {
    use std::os::unix::process::CommandExt;
    let limits = [
        (libc::RLIMIT_AS, p.memory_mb << 20, p.memory_mb << 20),
        (libc::RLIMIT_CPU, p.cpu_secs, p.cpu_secs + 1),
        (libc::RLIMIT_STACK, p.stack_mb << 20, p.stack_mb << 20),
        (libc::RLIMIT_CORE, 0, 0),
    ];
    // SAFETY: between fork and exec only async-signal-safe functions may run; setrlimit is
    // one (a system call), and the closure allocates nothing (the array is copied in).
    unsafe {
        cmd.pre_exec(move || {
            for (resource, soft, hard) in limits {
                let l = libc::rlimit {
                    rlim_cur: soft as libc::rlim_t,
                    rlim_max: hard as libc::rlim_t,
                };
                if libc::setrlimit(resource, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}
