//! Documents built for tests and benchmarks, as public bodies send them: PDF (with a text layer,
//! several pages, or only an image: a scan), DOCX, XLSX with what it hides, ODT, ODS, ZIP.
//! Shared by the extraction unit tests, the integration tests and the benchmarks.
#![allow(dead_code)]

use std::io::Write;

/// Base64 in 76-character lines, as mail carries attachments.
pub fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, c) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            out.push(if k <= c.len() {
                A[(n >> (18 - 6 * k) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// The headers of a test e-mail to the team's mailbox.
pub struct Envelope<'a> {
    pub from: &'a str,
    pub subject: &'a str,
    /// Without the angle brackets.
    pub message_id: &'a str,
    /// RFC 5322 form: "Mon, 15 Jun 2026 10:00:00 +0100".
    pub date: &'a str,
}

/// An e-mail as a body sends one: a plain-text part and `files` (name, content type, bytes)
/// attached in base64.
pub fn mail_with(e: &Envelope, text: &str, files: &[(&str, &str, &[u8])]) -> String {
    let mut m = format!(
        "From: {}\r\nTo: projects@arma.uk.net\r\nSubject: {}\r\nMessage-ID: <{}>\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n",
        e.from, e.subject, e.message_id, e.date
    );
    for (name, ct, data) in files {
        m.push_str(&format!(
            "--B\r\nContent-Type: {ct}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            b64(data)
        ));
    }
    m.push_str("--B--\r\n");
    m
}

/// A ZIP of (name, bytes) members, deflated.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
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
pub fn pdf_with(text: Option<&str>) -> Vec<u8> {
    match text {
        Some(t) => pdf_pages(&[t]),
        None => pdf_page_objects(&[None]),
    }
}

/// A PDF of one page per text, each page's text layer saying it.
pub fn pdf_pages(pages: &[&str]) -> Vec<u8> {
    let p: Vec<Option<&str>> = pages.iter().map(|t| Some(*t)).collect();
    pdf_page_objects(&p)
}

fn pdf_page_objects(pages: &[Option<&str>]) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(
        dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica"},
    );
    let mut kids: Vec<Object> = Vec::new();
    for text in pages {
        let mut resources = dictionary! {"Font" => dictionary! {"F1" => font_id}};
        let ops = match text {
            Some(t) => {
                // One line of the text layer per line of `t`.
                let mut ops = vec![
                    Operation::new("BT", vec![]),
                    Operation::new("Tf", vec!["F1".into(), 12.into()]),
                    Operation::new("Td", vec![72.into(), 720.into()]),
                ];
                for (i, line) in t.lines().enumerate() {
                    if i > 0 {
                        ops.push(Operation::new("Td", vec![0.into(), (-16).into()]));
                    }
                    ops.push(Operation::new("Tj", vec![Object::string_literal(line)]));
                }
                ops.push(Operation::new("ET", vec![]));
                ops
            }
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
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {"Type" => "Pages", "Kids" => kids, "Count" => count}),
    );
    let catalog_id = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

pub fn docx_with(text: &str) -> Vec<u8> {
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
pub fn xlsx_with(visible: &str, secret: &str) -> Vec<u8> {
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

pub fn odt_with(text: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:h>Response</text:h><text:p>{text}</text:p></office:text></office:body></office:document-content>"#
    );
    zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", content.as_bytes()),
    ])
}

pub const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

/// An OpenDocument spreadsheet with one sheet `name` holding one cell `text`.
pub fn ods_with(name: &str, text: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="{name}"><table:table-row><table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        // Every ODS carries a manifest (calamine requires it, as the format does).
        ("META-INF/manifest.xml", MANIFEST.as_bytes()),
        ("content.xml", content.as_bytes()),
    ])
}

/// A PDF whose page draws a form XObject that draws itself: a reader that follows form
/// XObjects without a depth limit recurses until its stack overflows (an abort no
/// `catch_unwind` can catch). About 900 bytes.
pub fn pdf_self_drawing_form() -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let form_id = doc.new_object_id();
    let draw = Content {
        operations: vec![Operation::new("Do", vec!["X1".into()])],
    }
    .encode()
    .unwrap();
    doc.objects.insert(
        form_id,
        Object::Stream(Stream::new(
            dictionary! {"Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
            "Resources" => dictionary! {"XObject" => dictionary! {"X1" => form_id}}},
            draw.clone(),
        )),
    );
    let content_id = doc.add_object(Stream::new(dictionary! {}, draw));
    let page_id = doc.add_object(dictionary! {"Type" => "Page", "Parent" => pages_id,
    "Contents" => content_id,
    "Resources" => dictionary! {"XObject" => dictionary! {"X1" => form_id}},
    "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()]});
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

/// An XLSX of one cell whose sheet declares the largest dimension Excel allows
/// (`A1:XFD1048576`): a reader that sizes its grid from the declaration asks for hundreds of
/// gigabytes. About 1.5 KB.
pub fn xlsx_sparse_dimension() -> Vec<u8> {
    let sheet = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>one cell</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>and the last</t></is></c></row></sheetData></worksheet>"#;
    let workbook = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let root_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root_rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

/// HTML of `n` bytes made of unclosed `<script>` tags (the shape that made a scanner
/// quadratic).
pub fn unclosed_script_html(n: usize) -> Vec<u8> {
    let unit = b"<script>x";
    unit.iter().copied().cycle().take(n).collect()
}
