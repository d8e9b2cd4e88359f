//! Benchmark: ingest N messages (default 10,000; FOI_BENCH_MESSAGES), each with a 200 KB
//! attachment, from a Maildir into a fresh SQLite store; compared with a bare loop that only
//! parses with mail-parser, hashes, and writes the same files (fsynced, as foi's raw store
//! does) in the same run.
//!
//!     cargo bench --bench ingest

use foi::app::{App, Globals};
use foi::config::Config;
use sha2::Digest;
use std::io::Write;
use std::time::Instant;

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let n: usize = std::env::var("FOI_BENCH_MESSAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let tmp = tempfile::Builder::new()
        .prefix("foi-bench-ingest-")
        .tempdir_in("/tmp")
        .unwrap();
    let md = tmp.path().join("Maildir");
    for s in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(s)).unwrap();
    }
    // 200 KB of attachment, base64-encoded.
    let payload: Vec<u8> = (0..200 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let b64 = encode(&payload);
    let mut total_bytes = 0u64;
    for i in 0..n {
        let msg = format!(
            "From: foi{i}@body{}.nhs.uk\r\nTo: team@charity.org\r\nSubject: [FOI ref BENCH-B{i:05}] response\r\nMessage-ID: <bench-{i}@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nPlease find our response attached. Message {i}.\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"response-{i}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}--B--\r\n",
            i % 97
        );
        total_bytes += msg.len() as u64;
        std::fs::write(md.join("new").join(format!("{i:06}.bench")), msg).unwrap();
    }
    let mb = total_bytes as f64 / 1e6;
    let files = foi::inbound::sources::maildir_files(&md).unwrap();

    // foi: raw store first, parse, dedupe, match, classify, record.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (foi_secs, summary) = rt.block_on(async {
        let g = Globals {
            data_dir: tmp.path().join("data"),
            ..Default::default()
        };
        let app = App::with_config(&g, Config::default()).await.unwrap();
        let catalog = foi::store::inbox::catalog(&app.db, "").await.unwrap();
        let mut summary = foi::services::ingest::IngestSummary::default();
        let t = Instant::now();
        for f in &files {
            let raw = std::fs::read(f).unwrap();
            foi::services::ingest::ingest_bytes(&app, &catalog, &raw, &mut summary)
                .await
                .unwrap();
        }
        (t.elapsed().as_secs_f64(), summary)
    });
    assert_eq!(summary.seen, n);

    // The bare loop: parse, hash, write the same files.
    let out = tmp.path().join("bare");
    std::fs::create_dir_all(&out).unwrap();
    let t = Instant::now();
    for f in &files {
        let raw = std::fs::read(f).unwrap();
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let _ = m.attachments().count();
        let sha = hex::encode(sha2::Sha256::digest(&raw));
        let mut file = std::fs::File::create(out.join(format!("{sha}.eml"))).unwrap();
        file.write_all(&raw).unwrap();
        file.sync_all().unwrap();
    }
    let bare_secs = t.elapsed().as_secs_f64();

    println!("messages: {n}, {mb:.0} MB");
    println!("foi ingest (raw store fsynced, parse, dedupe, match, record; SQLite): {foi_secs:.1} s = {:.0} messages/s, {:.1} MB/s", n as f64 / foi_secs, mb / foi_secs);
    println!(
        "bare loop (parse, sha256, write + fsync): {bare_secs:.1} s = {:.0} messages/s, {:.1} MB/s",
        n as f64 / bare_secs,
        mb / bare_secs
    );
    println!("ratio foi / bare: {:.2}", bare_secs / foi_secs);
}

fn encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for line in data.chunks(57) {
        for c in line.chunks(3) {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            out.push(T[(n >> 18) as usize & 63] as char);
            out.push(T[(n >> 12) as usize & 63] as char);
            out.push(if c.len() > 1 {
                T[(n >> 6) as usize & 63] as char
            } else {
                '='
            });
            out.push(if c.len() > 2 {
                T[n as usize & 63] as char
            } else {
                '='
            });
        }
        out.push_str("\r\n");
    }
    out
}
