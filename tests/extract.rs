//! Reading attachments end to end: replies with documents attached are ingested, `foi extract`
//! reads each once (by content), the request page shows the text and warns of what a
//! spreadsheet hides, and damaged or hostile files end as recorded failures.

mod common;

use common::docs::{mail_with, Envelope};
use common::{foi, ok};
use std::io::Write;

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn docx(text: &str) -> Vec<u8> {
    let body = format!(
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    );
    zip_of(&[("word/document.xml", body.as_bytes())])
}

fn xlsx_hidden(secret: &str) -> Vec<u8> {
    let sheet = |v: &str| {
        format!(
            r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{v}</t></is></c></row></sheetData></worksheet>"#
        )
    };
    let wb = r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Summary" sheetId="1" r:id="rId1"/><sheet name="Names" sheetId="2" state="hidden" r:id="rId2"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>"#;
    let root = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let types = r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#;
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root.as_bytes()),
        ("xl/workbook.xml", wb.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        (
            "xl/worksheets/sheet1.xml",
            sheet("Waiting list summary").as_bytes(),
        ),
        ("xl/worksheets/sheet2.xml", sheet(secret).as_bytes()),
    ])
}

/// A reply to `reference` carrying `files` (name, content type, bytes).
fn reply(reference: &str, n: usize, files: &[(&str, &str, Vec<u8>)]) -> String {
    let files: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(n, c, d)| (*n, *c, d.as_slice()))
        .collect();
    mail_with(
        &Envelope {
            from: &format!("foi@body{n}.example"),
            subject: &format!("Response [FOI ref {reference}]"),
            message_id: &format!("x{n}@body.example"),
            date: "Mon, 15 Jun 2026 10:00:00 +0100",
        },
        "Please find our response attached.",
        &files,
    )
}

#[test]
fn attachments_are_read_once_and_what_they_hide_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\n";
    common::msk_round_for(dir.path(), &d, "docs", csv);
    let env = [("FOI_TODAY", "2026-05-05"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        &d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &env,
    ));
    ok(foi(&d, &["send"], &env));
    let status: serde_json::Value = serde_json::from_str(&ok(foi(
        &d,
        &["status", "msk-2026", "--format", "json"],
        &[],
    )))
    .unwrap();
    let refs: Vec<String> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_string())
        .collect();
    // A zip bomb: 300 MB of zeros in a few hundred KB.
    let bomb = zip_of(&[("zeros.bin", &vec![0u8; 300 << 20])]);
    let letter = docx("We have a fracture liaison service in every locality");
    let files1 = vec![
        (
            "response.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            letter.clone(),
        ),
        (
            "data.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx_hidden("Jane Doe, band 8a"),
        ),
        ("bomb.zip", "application/zip", bomb),
        (
            "broken.pdf",
            "application/pdf",
            b"%PDF-1.7\n%garbage without objects".to_vec(),
        ),
    ];
    // The same letter again from the other body: read once (same content).
    let files2 = vec![("copy.docx", "application/octet-stream", letter)];
    for (i, (r, files)) in [(&refs[0], files1), (&refs[1], files2)]
        .into_iter()
        .enumerate()
    {
        let f = dir.path().join(format!("r{i}.eml"));
        std::fs::write(&f, reply(r, i + 1, &files)).unwrap();
        ok(foi(&d, &["ingest", f.to_str().unwrap()], &[]));
    }
    let out = ok(foi(&d, &["extract"], &[]));
    let inbox = ok(foi(&d, &["inbox"], &[]));
    assert!(
        out.contains("4 files read: 2 with text, 0 with no text (need OCR), 2 failed"),
        "one read per content; the bomb and the broken PDF are failures: {out}\n{inbox}"
    );
    // Nothing waits any more: a second run reads nothing.
    assert!(ok(foi(&d, &["extract"], &[])).contains("0 files read"));
    // --failed reads the two failures again, and only them.
    assert!(ok(foi(&d, &["extract", "--failed"], &[])).contains("2 files read: 0 with text"));
    // --all reads everything again.
    assert!(ok(foi(&d, &["extract", "--all"], &[])).contains("4 files read"));

    // The request page: the letter's text inline (escaped), a warning before the spreadsheet,
    // and each failure in words.
    let (_serve, web) = common::dashboard(&d, &[], "editor");
    let page = web.get(&format!("/requests/{}", refs[0])).body;
    assert!(
        page.contains("We have a fracture liaison service in every locality"),
        "{page}"
    );
    assert!(page.contains("Check before downloading or publishing:</strong> this file contains a hidden sheet &quot;Names&quot;"), "{page}");
    assert!(page.contains("zip bomb"), "{page}");
    assert!(
        page.contains("text not read: the PDF could not be read"),
        "{page}"
    );
}

/// Files that crash, swell or stall a reader cost only themselves: `foi extract --all` exits
/// 0, every attachment gets a status, the ordinary letter beside them is read, nothing is read
/// in a loop, and `foi serve` on the same data stays up and names the files in `/health`.
#[test]
fn hostile_files_fail_alone_and_the_service_stays_up() {
    use common::docs::{pdf_self_drawing_form, unclosed_script_html, xlsx_sparse_dimension};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\n";
    common::msk_round_for(dir.path(), &d, "hostile", csv);
    let env = [("FOI_TODAY", "2026-05-05"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        &d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &env,
    ));
    ok(foi(&d, &["send"], &env));
    let status: serde_json::Value = serde_json::from_str(&ok(foi(
        &d,
        &["status", "msk-2026", "--format", "json"],
        &[],
    )))
    .unwrap();
    let reference = status[0]["reference"].as_str().unwrap().to_string();
    let pdf = pdf_self_drawing_form();
    let xlsx = xlsx_sparse_dimension();
    assert!(pdf.len() < 2000 && xlsx.len() < 2000, "small files");
    let files = vec![
        ("form.pdf", "application/pdf", pdf),
        (
            "sparse.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx,
        ),
        ("page.html", "text/html", unclosed_script_html(1 << 20)),
        (
            "letter.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            docx("Our MSK lead is named in the attached structure chart"),
        ),
    ];
    let f = dir.path().join("hostile.eml");
    std::fs::write(&f, reply(&reference, 1, &files)).unwrap();
    ok(foi(&d, &["ingest", f.to_str().unwrap()], &[]));
    // Small limits, so the test does not wait for the defaults.
    let limits = [
        ("FOI__EXTRACT__READER_MEMORY_MB", "512"),
        ("FOI__EXTRACT__READER_WALL_SECS", "30"),
    ];
    let out = ok(foi(&d, &["extract", "--all"], &limits));
    assert!(out.contains("4 files read"), "{out}");
    assert!(out.contains("2 failed"), "the PDF and the XLSX fail: {out}");
    // Every attachment has a status; the letter and the HTML were read.
    let inbox: serde_json::Value =
        serde_json::from_str(&ok(foi(&d, &["inbox", "--format", "json"], &[]))).unwrap();
    let text = inbox.to_string();
    assert!(
        !text.contains("\"reading\""),
        "nothing left half-read: {text}"
    );
    let page = {
        let (_serve, web) = common::dashboard(&d, &limits, "editor");
        let health = web.get("/health");
        assert_eq!(health.status, 200, "the service is up: {}", health.body);
        let h: serde_json::Value = serde_json::from_str(&health.body).unwrap();
        let bad: Vec<(String, String)> = h["unreadable_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap().to_string(),
                    f["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let names: Vec<&str> = bad.iter().map(|(f, _)| f.as_str()).collect();
        assert!(
            names.contains(&"form.pdf") && names.contains(&"sparse.xlsx"),
            "{bad:?}"
        );
        // Each in plain words: the PDF overflows the reader's stack, the spreadsheet asks for
        // more memory than the reader may have.
        let reason = |name: &str| &bad.iter().find(|(f, _)| f == name).unwrap().1;
        assert!(
            reason("form.pdf").contains("made the reader crash"),
            "{bad:?}"
        );
        assert!(
            reason("sparse.xlsx").contains("needs more than 512 MB of memory"),
            "{bad:?}"
        );
        // Still up after the background reader has had its turn.
        std::thread::sleep(std::time::Duration::from_secs(2));
        assert_eq!(web.get("/health").status, 200);
        web.get(&format!("/requests/{reference}")).body
    };
    assert!(
        page.contains("Our MSK lead is named in the attached structure chart"),
        "the ordinary letter beside them was read"
    );
    // Nothing is read again in a loop: a second run reads nothing; --failed tries the two again.
    assert!(ok(foi(&d, &["extract"], &limits)).contains("0 files read"));
    let again = ok(foi(&d, &["extract", "--failed"], &limits));
    assert!(
        again.contains("2 files read") && again.contains("2 failed"),
        "{again}"
    );
}
