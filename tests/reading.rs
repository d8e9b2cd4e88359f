//! Reading what does not read itself: a scanned letter (an image of text in a PDF) is read by
//! OCR when it is switched on and installed, and the dashboard and `foi extract` say what to do
//! when it is not; an RTF letter is read; the triage page shows enough of a message to place it.
//!
//! OCR runs the real `tesseract` and `pdftoppm` (Debian's tesseract-ocr and poppler-utils,
//! installed by `scripts/test`).

mod common;

use common::docs::{mail_with, pdf_pages, Envelope};
use common::{foi, ok};
use std::path::Path;
use std::process::Command;

/// A scan of a letter: the text-layer PDF of `lines` rendered to a grey picture by pdftoppm,
/// placed alone on a page of a new PDF. No text layer is left, only pixels.
fn scan_of(lines: &str, dir: &Path) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Document, Object, Stream};
    let text = dir.join("typed.pdf");
    std::fs::write(&text, pdf_pages(&[lines])).unwrap();
    // The top of the page at 200 dpi, where the lines are.
    let st = Command::new("pdftoppm")
        .args([
            "-gray", "-r", "200", "-x", "0", "-y", "0", "-W", "1654", "-H", "600",
        ])
        .args(["-singlefile"])
        .arg(&text)
        .arg(dir.join("scan"))
        .status()
        .expect("pdftoppm is installed (scripts/test installs poppler-utils)");
    assert!(st.success());
    let pgm = std::fs::read(dir.join("scan.pgm")).unwrap();
    // P5 <width> <height> 255, then one byte per pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).to_string());
    }
    let (w, h): (i64, i64) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = pgm[at + 1..].to_vec();
    assert_eq!(pixels.len() as i64, w * h);

    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut img = Stream::new(
        dictionary! {"Type" => "XObject", "Subtype" => "Image", "Width" => w, "Height" => h,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8},
        pixels,
    );
    img.compress().unwrap();
    let img_id = doc.add_object(img);
    // The picture across the page's width, at the top, as a scanner puts it.
    let (pw, ph) = (595.0_f32, 595.0 * h as f32 / w as f32);
    let ops = vec![
        Operation::new("q", vec![]),
        Operation::new(
            "cm",
            vec![
                pw.into(),
                0.into(),
                0.into(),
                ph.into(),
                0.into(),
                (842.0 - ph).into(),
            ],
        ),
        Operation::new("Do", vec!["Im1".into()]),
        Operation::new("Q", vec![]),
    ];
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        Content { operations: ops }.encode().unwrap(),
    ));
    let page_id = doc.add_object(dictionary! {"Type" => "Page", "Parent" => pages_id,
        "Contents" => content_id, "Resources" => dictionary! {"XObject" => dictionary! {"Im1" => img_id}},
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()]});
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! {"Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1},
        ),
    );
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn mail(
    from: &str,
    subject: &str,
    n: usize,
    text: &str,
    files: &[(&str, &str, Vec<u8>)],
) -> String {
    let files: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(n, c, d)| (*n, *c, d.as_slice()))
        .collect();
    mail_with(
        &Envelope {
            from,
            subject,
            message_id: &format!("read{n}@body.example"),
            date: "Mon, 15 Jun 2026 10:00:00 +0100",
        },
        text,
        &files,
    )
}

fn free_addr() -> String {
    format!("127.0.0.1:{}", common::http::free_port())
}

fn request_page(d: &Path, env: &[(&str, &str)], reference: &str) -> String {
    let addr = free_addr();
    let _serve = common::serve(d, &addr, env);
    let mut web = common::http::Client::new(&addr);
    web.login("ann", "a long enough password");
    // As a browser shows it: handlebars writes `=` as an entity.
    web.get(&format!("/requests/{reference}"))
        .body
        .replace("&#x3D;", "=")
        .replace("&#x60;", "`")
}

#[test]
fn a_scan_is_read_by_ocr_when_it_can_be_and_the_team_is_told_what_to_do_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\n";
    common::msk_round_for(dir.path(), &d, "reading", csv);
    let env = [("FOI_TODAY", "2026-05-05"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        &d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &env,
    ));
    ok(foi(&d, &["send"], &env));
    ok(foi(
        &d,
        &["user", "add", "ann", "--role", "editor"],
        &[("FOI_NEW_PASSWORD", "a long enough password")],
    ));
    let status: serde_json::Value = serde_json::from_str(&ok(foi(
        &d,
        &["status", "msk-2026", "--format", "json"],
        &[],
    )))
    .unwrap();
    let reference = status[0]["reference"].as_str().unwrap().to_string();

    let scan = scan_of(
        "Response to your request\nThe ICB has no fracture liaison service\nSigned by the FOI officer",
        dir.path(),
    );
    let rtf = br"{\rtf1\ansi\deff0{\fonttbl{\f0\fswiss Arial;}}\f0\pard Annex B\par Our orthogeriatric pathway started in 2025.\par}".to_vec();
    let f = dir.path().join("reply.eml");
    std::fs::write(
        &f,
        mail(
            "foi@body1.example",
            &format!("Response [FOI ref {reference}]"),
            1,
            "Please find our response attached.",
            &[
                ("scan.pdf", "application/pdf", scan),
                ("annex.rtf", "application/rtf", rtf),
            ],
        ),
    )
    .unwrap();
    ok(foi(&d, &["ingest", f.to_str().unwrap()], &[]));

    // OCR off (the default): the scan is "no text", and both the command and the page say
    // what to do.
    let out = ok(foi(&d, &["extract"], &[]));
    assert!(
        out.contains("2 files read: 1 with text, 1 with no text (need OCR)"),
        "{out}"
    );
    assert!(
        out.contains("install tesseract and pdftoppm, set [extract] ocr = true"),
        "{out}"
    );
    let page = request_page(&d, &[], &reference);
    assert!(
        page.contains("foi reads scans when tesseract and pdftoppm are installed and the config says [extract] ocr = true"),
        "{page}"
    );
    assert!(
        page.contains("Our orthogeriatric pathway started in 2025."),
        "the RTF annex is shown as text: {page}"
    );

    // Switched on where the programs cannot be found: each place says which is missing.
    let empty = dir.path().join("no-programs");
    std::fs::create_dir_all(&empty).unwrap();
    let missing = [
        ("FOI__EXTRACT__OCR", "true"),
        ("PATH", empty.to_str().unwrap()),
    ];
    let out = ok(foi(&d, &["extract"], &missing));
    assert!(out.contains("0 files read"), "{out}");
    assert!(
        out.contains("OCR is switched on, but `tesseract` is not installed on this machine"),
        "{out}"
    );
    let page = request_page(&d, &missing, &reference);
    assert!(
        page.contains("no text: needs OCR, but `tesseract` is not installed on this machine: install it (Debian and Ubuntu: apt install tesseract-ocr)"),
        "{page}"
    );

    // Switched on with the programs installed: the scan waits again and is read by OCR.
    let on = [("FOI__EXTRACT__OCR", "true")];
    let out = ok(foi(&d, &["extract"], &on));
    assert!(out.contains("1 file read: 1 with text"), "{out}");
    let hits: serde_json::Value = serde_json::from_str(&ok(foi(
        &d,
        &["search", "\"fracture liaison\"", "--format", "json"],
        &[],
    )))
    .unwrap();
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["attachment"], "scan.pdf");
    assert_eq!(hits[0]["location"], "page 1");
    assert_eq!(hits[0]["reference"], reference.as_str());
    // Read once: nothing waits now.
    assert!(ok(foi(&d, &["extract"], &on)).contains("0 files read"));
    let page = request_page(&d, &on, &reference);
    assert!(
        page.contains("read by OCR (check it against the file)"),
        "{page}"
    );
    assert!(page.contains("fracture liaison service"), "{page}");
}

#[test]
fn the_triage_page_shows_the_new_part_of_a_message_and_what_it_carries() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\n";
    common::msk_round_for(dir.path(), &d, "triage", csv);
    ok(foi(
        &d,
        &["user", "add", "ann", "--role", "editor"],
        &[("FOI_NEW_PASSWORD", "a long enough password")],
    ));
    // From an address no request was sent to, with no reference: it goes to triage.
    let text = "Our reply about MSK <b>leads</b> is attached; we could not find your reference.\r\n\r\nOn 1 May 2026 ARMA wrote:\r\n> Please tell us who leads MSK services.\r\n> The quoted request text.";
    let f = dir.path().join("stray.eml");
    std::fs::write(
        &f,
        mail(
            "information.governance@elsewhere.example",
            "Your recent request",
            2,
            text,
            &[(
                "reply-letter.pdf",
                "application/pdf",
                pdf_pages(&["Letter"]),
            )],
        ),
    )
    .unwrap();
    let out = ok(foi(&d, &["ingest", f.to_str().unwrap()], &[]));
    assert!(
        out.contains("1 to triage") || out.contains("triage"),
        "{out}"
    );

    let addr = free_addr();
    let _serve = common::serve(&d, &addr, &[]);
    let mut web = common::http::Client::new(&addr);
    web.login("ann", "a long enough password");
    let page = web.get("/triage").body;
    let row = &page[page
        .find("Your recent request")
        .expect("the message is listed")..];
    let excerpt = &row[row.find("class=\"excerpt\"").expect("an excerpt")..];
    let excerpt = &excerpt[..excerpt.find("</div>").unwrap()];
    assert!(
        excerpt.contains("Our reply about MSK &lt;b&gt;leads&lt;/b&gt; is attached"),
        "the new text, escaped: {excerpt}"
    );
    assert!(
        !excerpt.contains("The quoted request text"),
        "the quoted request is left out of the excerpt: {excerpt}"
    );
    assert!(row.contains("Attached: reply-letter.pdf"), "{row}");
    assert!(
        row.contains("The whole message") && row.contains("The quoted request text"),
        "the whole text is one click away: {row}"
    );
}
