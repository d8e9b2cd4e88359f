use super::*;

use crate::test_docs::*;

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

#[test]
fn a_pdf_of_several_pages_marks_each_page() {
    let e = extract(
        "plan.pdf",
        "application/pdf",
        &pdf_pages(&["Our plan\nfor the year", "Chronic pain services", "Finance"]),
        &limits(),
    );
    assert_eq!(e.outcome, Outcome::Text, "{e:?}");
    let p2 = e.text.find("--- page 2 ---").expect("page 2 marker");
    let p3 = e.text.find("--- page 3 ---").expect("page 3 marker");
    let pain = e.text.find("Chronic pain services").expect("page 2 text");
    assert!(p2 < pain && pain < p3, "{}", e.text);
    assert!(e.text.contains("for the year"), "{}", e.text);
}

#[test]
fn an_rtf_letter_is_read_as_text_and_a_damaged_one_is_a_recorded_failure() {
    let rtf = br"{\rtf1\ansi\deff0{\fonttbl{\f0\fswiss Helvetica;}}\f0\pard Dear requester,\par The ICB has a {\b fracture liaison} service.\par}";
    assert_eq!(kind_of("response.rtf", "application/rtf", rtf), Kind::Rtf);
    let e = extract("response.rtf", "application/rtf", rtf, &limits());
    assert_eq!(e.outcome, Outcome::Text, "{e:?}");
    assert_eq!(e.extractor, "rtf");
    assert!(e.text.contains("Dear requester,"), "{}", e.text);
    assert!(e.text.contains("fracture liaison"), "{}", e.text);
    assert!(
        !e.text.contains("Helvetica"),
        "the font table is not text: {}",
        e.text
    );
    assert!(
        e.text.contains("Dear requester,\nThe ICB"),
        "paragraphs stay apart: {:?}",
        e.text
    );

    let damaged = br"{\rtf1\ansi{\fonttbl{\f0 Arial;}\pard unclosed \b group";
    let e = extract("broken.rtf", "", damaged, &limits());
    assert!(
        matches!(e.outcome, Outcome::Failed(_)),
        "a damaged RTF is read as far as it goes or recorded as failed: {e:?}"
    );
}

#[test]
fn a_picture_waits_for_ocr_and_a_scan_is_the_kind_ocr_reads() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert_eq!(kind_of("image001.png", "image/png", png), Kind::Image);
    let e = extract("image001.png", "image/png", png, &limits());
    assert!(
        matches!(e.outcome, Outcome::Unsupported(ref why) if why.contains("OCR")),
        "{e:?}"
    );
    assert!(wants_ocr(&e));
    let scan = extract("scan.pdf", "application/pdf", &pdf_with(None), &limits());
    assert_eq!(scan.outcome, Outcome::NoText);
    assert!(wants_ocr(&scan));
    let letter = extract(
        "l.pdf",
        "application/pdf",
        &pdf_with(Some("Hello")),
        &limits(),
    );
    assert!(!wants_ocr(&letter));
}

#[test]
fn a_nested_zip_bomb_is_refused_for_the_whole_file_before_its_inner_archives_inflate() {
    // Eight archives of 8 MB of zeros each, inside one archive: each alone is under a 20 MB
    // limit, together they are 64 MB. The budget is the whole file's: the first two inflate
    // (16 MB), the third declares more than is left and is refused unopened.
    let zeros = vec![0u8; 8 << 20];
    let inner = zip_of(&[("zeros.txt", &zeros)]);
    let names: Vec<String> = (0..8).map(|i| format!("part{i}.zip")).collect();
    let members: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), inner.as_slice()))
        .collect();
    let outer = zip_of(&members);
    assert!(outer.len() < 1 << 20, "a small file: {} bytes", outer.len());
    let small = Limits {
        max_zip_total: 20 << 20,
        ..limits()
    };
    let mut budget = Budget::of(&small);
    let e = extract_at(
        "nested-bomb.zip",
        "application/zip",
        &outer,
        &small,
        0,
        &mut budget,
    );
    assert!(
        matches!(&e.outcome, Outcome::Failed(w) if w.contains("zip bomb") && w.contains("20 MB")),
        "{e:?}"
    );
    // The outer archive's members (three inner archives read before the refusal) and the
    // zeros of the first two count; the third's zeros were never inflated.
    assert_eq!(
        budget.bytes,
        (20 << 20) - (16 << 20) - 3 * inner.len() as u64,
        "only the first two inner archives were inflated"
    );
    // Through the public entry point: refused, never "no text".
    let e = extract("nested-bomb.zip", "application/zip", &outer, &small);
    assert!(matches!(e.outcome, Outcome::Failed(_)), "{e:?}");
}

#[test]
fn entries_are_counted_across_nested_archives() {
    let files: Vec<(String, Vec<u8>)> = (0..30)
        .map(|i| (format!("f{i}.txt"), b"x".to_vec()))
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let inner = zip_of(&refs);
    let names: Vec<String> = (0..10).map(|i| format!("p{i}.zip")).collect();
    let members: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), inner.as_slice()))
        .collect();
    let outer = zip_of(&members);
    let few = Limits {
        max_zip_entries: 100,
        ..limits()
    };
    let e = extract("many.zip", "application/zip", &outer, &few);
    assert!(
        matches!(&e.outcome, Outcome::Failed(w) if w.contains("more than the 100 files")),
        "{e:?}"
    );
    // Within the limit, the same archive is read.
    let e = extract("many.zip", "application/zip", &outer, &limits());
    assert_eq!(e.outcome, Outcome::Text, "{e:?}");
}
