use super::*;
use std::io::Write;

/// A ZIP of (name, bytes) members, deflated.
pub(crate) fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A one-page PDF whose text layer says `text` (or, with `None`, only an image: a scan).
pub(crate) fn pdf_with(text: Option<&str>) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(
        dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica"},
    );
    let mut resources = dictionary! {"Font" => dictionary! {"F1" => font_id}};
    let ops = match text {
        Some(t) => vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("Td", vec![72.into(), 720.into()]),
            Operation::new("Tj", vec![Object::string_literal(t)]),
            Operation::new("ET", vec![]),
        ],
        None => {
            let img = Stream::new(
                dictionary! {"Type" => "XObject", "Subtype" => "Image", "Width" => 2, "Height" => 2,
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8},
                vec![0, 255, 255, 0],
            );
            let img_id = doc.add_object(img);
            resources = dictionary! {"XObject" => dictionary! {"Im1" => img_id}};
            vec![
                Operation::new("q", vec![]),
                Operation::new(
                    "cm",
                    vec![
                        200.into(),
                        0.into(),
                        0.into(),
                        200.into(),
                        100.into(),
                        500.into(),
                    ],
                ),
                Operation::new("Do", vec!["Im1".into()]),
                Operation::new("Q", vec![]),
            ]
        }
    };
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        Content { operations: ops }.encode().unwrap(),
    ));
    let page_id = doc.add_object(
        dictionary! {"Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => resources, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()]},
    );
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! {"Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1},
        ),
    );
    let catalog_id = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

pub(crate) fn docx_with(text: &str) -> Vec<u8> {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Dear requester,</w:t></w:r></w:p><w:p><w:r><w:t xml:space="preserve">{text} </w:t></w:r><w:r><w:t>&amp; more</w:t></w:r></w:p></w:body></w:document>"#
    );
    zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", body.as_bytes()),
    ])
}

/// An XLSX with a visible sheet "Answers" and a hidden sheet "Staff" holding `secret`, a hidden
/// row and a hidden column.
pub(crate) fn xlsx_with(visible: &str, secret: &str) -> Vec<u8> {
    let sheet = |v: &str, hidden_row: bool| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols><col min="2" max="2" width="0" hidden="1"/></cols><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{v}</t></is></c></row>{}</sheetData></worksheet>"#,
            if hidden_row {
                r#"<row r="2" hidden="1"><c r="A2" t="inlineStr"><is><t>hidden row</t></is></c></row>"#
            } else {
                ""
            }
        )
    };
    let workbook = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Answers" sheetId="1" r:id="rId1"/><sheet name="Staff" sheetId="2" state="hidden" r:id="rId2"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>"#;
    let root_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root_rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet(visible, false).as_bytes()),
        ("xl/worksheets/sheet2.xml", sheet(secret, true).as_bytes()),
    ])
}

pub(crate) fn odt_with(text: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:h>Response</text:h><text:p>{text}</text:p></office:text></office:body></office:document-content>"#
    );
    zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", content.as_bytes()),
    ])
}

fn limits() -> Limits {
    Limits {
        pdf_timeout: std::time::Duration::from_secs(10),
        ..Limits::default()
    }
}

#[test]
fn a_pdf_with_a_text_layer_is_read_with_page_markers() {
    let e = extract(
        "reply.pdf",
        "application/pdf",
        &pdf_with(Some("Fracture liaison service is commissioned")),
        &limits(),
    );
    assert_eq!(e.outcome, Outcome::Text, "{e:?}");
    assert!(e.text.contains("--- page 1 ---"), "{}", e.text);
    assert!(e.text.contains("Fracture liaison service"), "{}", e.text);
    assert_eq!((e.extractor, e.version), ("pdf", VERSION));
}

#[test]
fn a_scanned_pdf_needs_ocr_and_a_corrupt_one_is_a_recorded_failure() {
    let scan = extract("scan.pdf", "application/pdf", &pdf_with(None), &limits());
    assert_eq!(scan.outcome, Outcome::NoText, "{scan:?}");
    let mut bad = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n".to_vec();
    bad.extend(std::iter::repeat_n(b'\xff', 500));
    let e = extract("bad.pdf", "application/pdf", &bad, &limits());
    assert!(matches!(e.outcome, Outcome::Failed(_)), "{e:?}");
}

#[test]
fn word_and_opendocument_text() {
    let d = extract(
        "letter.docx",
        "",
        &docx_with("We hold no MSK lead role"),
        &limits(),
    );
    assert_eq!(d.outcome, Outcome::Text, "{d:?}");
    assert!(
        d.text
            .contains("Dear requester,\nWe hold no MSK lead role & more"),
        "{:?}",
        d.text
    );
    let o = extract(
        "letter.odt",
        "",
        &odt_with("Orthopaedic pathway under review"),
        &limits(),
    );
    assert_eq!(o.extractor, "odt");
    assert!(
        o.text
            .contains("Response\nOrthopaedic pathway under review"),
        "{:?}",
        o.text
    );
}

#[test]
fn a_spreadsheet_is_read_by_sheet_and_what_it_hides_is_flagged() {
    let e = extract(
        "data.xlsx",
        "",
        &xlsx_with("Waiting times", "Jane Doe 07700 900123"),
        &limits(),
    );
    assert_eq!(e.outcome, Outcome::Text, "{e:?}");
    assert!(
        e.text.contains("--- sheet Answers ---\nWaiting times"),
        "{}",
        e.text
    );
    assert!(
        e.text.contains("--- sheet Staff ---\nJane Doe"),
        "the hidden sheet's text is read too: {}",
        e.text
    );
    assert!(
        e.flags.contains(&Flag::HiddenSheet {
            sheet: "Staff".into()
        }),
        "{:?}",
        e.flags
    );
    assert!(
        e.flags.contains(&Flag::HiddenRows {
            sheet: "Staff".into(),
            rows: 1
        }),
        "{:?}",
        e.flags
    );
    assert!(
        e.flags
            .iter()
            .any(|f| matches!(f, Flag::HiddenColumns { .. })),
        "{:?}",
        e.flags
    );
}

#[test]
fn a_zip_is_opened_member_by_member_and_a_bomb_stops_at_the_limit() {
    let z = zip_of(&[
        ("inner/reply.pdf", &pdf_with(Some("Pain management clinic"))),
        ("note.txt", b"see attached"),
    ]);
    let e = extract("bundle.zip", "application/zip", &z, &limits());
    assert_eq!(e.outcome, Outcome::Text, "{e:?}");
    assert!(
        e.text.contains("--- file inner/reply.pdf ---")
            && e.text.contains("Pain management clinic"),
        "{}",
        e.text
    );
    // 50 MB of zeros compresses to about 50 KB: more than a 10 MB limit once unpacked.
    let zeros = vec![0u8; 50 << 20];
    let bomb = zip_of(&[("zeros.txt", &zeros)]);
    assert!(bomb.len() < 1 << 20);
    let small = Limits {
        max_zip_total: 10 << 20,
        ..limits()
    };
    let e = extract("bomb.zip", "application/zip", &bomb, &small);
    assert!(
        matches!(&e.outcome, Outcome::Failed(w) if w.contains("zip bomb")),
        "{e:?}"
    );
    // Archives inside archives stop at the depth limit.
    let mut nested = z.clone();
    for _ in 0..4 {
        nested = zip_of(&[("again.zip", &nested)]);
    }
    let e = extract("nested.zip", "", &nested, &limits());
    assert!(e.text.contains("nested more than 3 deep"), "{}", e.text);
}

#[test]
fn text_html_and_the_size_limit() {
    let e = extract(
        "a.csv",
        "text/csv",
        "body,answer\nQHM,yes\n".as_bytes(),
        &limits(),
    );
    assert!(e.text.contains("QHM,yes"));
    let h = extract(
        "a.html",
        "text/html",
        b"<p>MSK <b>lead</b></p><script>x()</script>",
        &limits(),
    );
    assert!(h.text.contains("MSK lead"), "{:?}", h.text);
    let big = vec![b'a'; 2000];
    let e = extract(
        "big.txt",
        "text/plain",
        &big,
        &Limits {
            max_text: 100,
            ..limits()
        },
    );
    assert_eq!(e.text.len(), 100);
    assert!(e.flags.contains(&Flag::Truncated));
    let e = extract(
        "huge.txt",
        "text/plain",
        &big,
        &Limits {
            max_input: 1000,
            ..limits()
        },
    );
    assert!(matches!(e.outcome, Outcome::Failed(_)));
    let img = extract("photo.png", "image/png", b"\x89PNG\r\n", &limits());
    assert!(matches!(img.outcome, Outcome::Unsupported(_)));
}

#[test]
fn a_pdf_that_takes_too_long_is_given_up_and_recorded() {
    // No PDF here loops; a zero time limit takes the same path a looping one would.
    let quick = Limits {
        pdf_timeout: std::time::Duration::from_millis(0),
        ..limits()
    };
    let e = extract(
        "slow.pdf",
        "application/pdf",
        &pdf_with(Some("text")),
        &quick,
    );
    assert!(
        matches!(&e.outcome, Outcome::Failed(w) if w.contains("took longer than")),
        "{e:?}"
    );
}

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

#[test]
fn an_opendocument_spreadsheet_is_read_by_sheet() {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Returns"><table:table-row><table:table-cell office:value-type="string"><text:p>Rheumatology waiting list</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        // Every ODS carries a manifest (calamine requires it, as the format does).
        ("META-INF/manifest.xml", MANIFEST.as_bytes()),
        ("content.xml", content.as_bytes()),
    ]);
    assert_eq!(kind_of("r.ods", "", &ods), Kind::Ods);
    let e = extract("r.ods", "", &ods, &limits());
    assert!(
        e.text
            .contains("--- sheet Returns ---\nRheumatology waiting list"),
        "{e:?}"
    );
}
