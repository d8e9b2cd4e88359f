//! The findings report as a Word document: the ARMA 2024 fixture written as DOCX holds every
//! table's counts as real Word tables, the summary's sentences, headings in Word's heading
//! styles, page numbers, and each chart as a picture with alternative text; LibreOffice opens it
//! and turns it into a PDF (its pages are kept in `test-output/` to be looked at).

mod common;

use common::{foi, ok};
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::Command;

const FIX24: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/arma-msk-2024-codings.csv"
);

fn part(docx: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut f = z.by_name(name).unwrap_or_else(|_| panic!("{name} missing"));
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

/// The text of each `<w:t>` run, XML entities decoded.
fn runs(xml: &str) -> Vec<String> {
    let re = regex::Regex::new(r"<w:t(?: [^>]*)?>([^<]*)</w:t>").unwrap();
    re.captures_iter(xml)
        .map(|c| {
            c[1].replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

/// Each table row as its cells' text joined by `|`.
fn rows(xml: &str) -> Vec<String> {
    xml.split("<w:tr>")
        .skip(1)
        .map(|tr| {
            let tr = tr.split("</w:tr>").next().unwrap();
            tr.split("<w:tc>")
                .skip(1)
                .map(|tc| runs(tc).join(""))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

#[test]
fn the_arma_2024_report_as_word_has_every_table_the_summary_and_opens_in_libreoffice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(foi(d, &["init"], &[]));
    let round = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/rounds/arma-msk-2024.toml");
    ok(foi(d, &["round", "create", round.to_str().unwrap()], &[]));
    ok(foi(d, &["code", "import", "arma-msk-2024", FIX24], &[]));
    let out = d.join("report.docx");
    let said = ok(foi(
        d,
        &[
            "report",
            "arma-msk-2024",
            "--format",
            "docx",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    ));
    assert!(said.contains("report written to"), "{said}");
    let docx = std::fs::read(&out).unwrap();
    let xml = part(&docx, "word/document.xml");
    let text = runs(&xml).join(" ");
    let table_rows = rows(&xml);

    // Every category of every table and every indicator, as the CSV report has them, in a
    // real table row of the document.
    let csv = ok(foi(d, &["report", "arma-msk-2024", "--format", "csv"], &[]));
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let mut checked = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let want = match &rec[1] {
            "variable" => format!("{}|{}|{}", &rec[4], &rec[5], &rec[7]),
            "indicator" => format!("{}|{}|{}|{}|", &rec[4], &rec[5], &rec[6], &rec[7]),
            _ => continue,
        };
        assert!(
            table_rows.iter().any(|row| row.starts_with(&want)),
            "no row {want} in {table_rows:?}"
        );
        checked += 1;
    }
    assert!(checked > 30, "only {checked} rows checked");
    let j: Value = serde_json::from_str(&ok(foi(
        d,
        &["report", "arma-msk-2024", "--format", "json"],
        &[],
    )))
    .unwrap();
    // The summary's sentences, as the Markdown report has them.
    let md = ok(foi(d, &["report", "arma-msk-2024"], &[]));
    let summary = md.split("## Indicators").next().unwrap();
    let mut sentences = 0;
    for line in summary.lines().skip(3).map(|l| l.replace("**", "")) {
        let line = line
            .trim()
            .trim_start_matches("- ")
            .trim_start_matches('#')
            .trim();
        if line.len() > 20 && !line.starts_with('>') && !line.starts_with('*') {
            assert!(text.contains(line), "summary line missing: {line}");
            sentences += 1;
        }
    }
    assert!(sentences >= 3, "{summary}");

    // Word's heading styles, page numbers, charts with alternative text.
    let styles = part(&docx, "word/styles.xml");
    assert!(styles.contains(r#"w:val="heading 1""#), "{styles}");
    assert!(xml.contains(r#"<w:pStyle w:val="Heading1" />"#));
    let footers: String = (1..4)
        .filter_map(|n| {
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(&docx)).ok()?;
            let mut f = z.by_name(&format!("word/footer{n}.xml")).ok()?;
            let mut s = String::new();
            f.read_to_string(&mut s).ok()?;
            Some(s)
        })
        .collect();
    assert!(footers.contains("PAGE"), "a page number field: {footers}");
    let alts = xml.matches(r#"descr="Bar chart, "#).count();
    let charts = j["variables"]
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v["counts"].as_object().is_some_and(|c| !c.is_empty()))
        .count();
    assert_eq!(alts, charts, "one described picture per table");
    assert!(
        xml.contains("descr=\"Bar chart, Does the ICB have an MSK lead?: Identified one or more MSK leads 30 (71.4%); No MSK lead 10 (23.8%)"),
        "the first chart's alternative text"
    );

    // LibreOffice opens it and makes a PDF; its pages are kept to be looked at.
    let pdf_dir = d.join("pdf");
    let profile = format!(
        "-env:UserInstallation=file://{}",
        d.join("lo-profile").display()
    );
    let st = Command::new("libreoffice")
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(&pdf_dir)
        .arg(&out)
        .output()
        .expect("LibreOffice is installed (scripts/test installs libreoffice-writer-nogui)");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let pdf = std::fs::read(pdf_dir.join("report.pdf")).expect("a PDF");
    assert!(pdf.starts_with(b"%PDF"));
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-output/docx");
    std::fs::create_dir_all(&shots).unwrap();
    let st = Command::new("pdftoppm")
        .args(["-r", "50", "-png"])
        .arg(pdf_dir.join("report.pdf"))
        .arg(shots.join("page"))
        .status()
        .unwrap();
    assert!(st.success());
    let pages = std::fs::read_dir(&shots).unwrap().count();
    assert!(pages >= 4, "title, summary and tables: {pages} pages");
}
