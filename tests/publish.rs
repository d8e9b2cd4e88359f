//! Publication: a round is published as a static site after its embargo (a stamped preview
//! before), with e-mail addresses, UK telephone numbers and a named officer planted in replies
//! and attachments redacted everywhere (checked over every file written), the body's FOI
//! address kept, HTML escaped, original files only when marked safe, and no broken internal
//! link.

mod common;

use common::docs::{docx_with, mail_with, pdf_pages, Envelope};
use common::{foi, ok};
use std::path::{Path, PathBuf};

const ROUND_EXTRA: &str = r#"
[publish]
embargo = "2026-07-01"

[[publish.redact]]
text = "Jane Doe"
replacement = "[name removed]"

[[publish.redact]]
regex = "Dr\\.? Alan Smith"
replacement = "[name removed]"
"#;

fn setup(dir: &Path, d: &Path) {
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\n";
    let reg = dir.join("pub.csv");
    std::fs::write(&reg, csv).unwrap();
    ok(foi(
        d,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "pub",
        ],
        &[],
    ));
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace("register = \"icbs-2026\"", "register = \"pub\"")
        + ROUND_EXTRA;
    let round = dir.join("pub-round.toml");
    std::fs::write(&round, text).unwrap();
    ok(foi(d, &["round", "create", round.to_str().unwrap()], &[]));
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn at(d: &Path, day: &str, args: &[&str]) -> std::process::Output {
    foi(
        d,
        args,
        &[("FOI_TODAY", day), ("FOI__SEND__PER_MINUTE", "0")],
    )
}

#[test]
fn a_round_is_published_redacted_after_its_embargo_with_no_broken_link() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    setup(dir.path(), &d);
    ok(at(
        &d,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    ));
    ok(at(&d, "2026-05-05", &["send"]));

    let text = "Dear requester,\r\nOur MSK lead is Jane Doe (jane.doe@body1.example, 0191 496 0000).\r\nPlease write to foi@body1.example with any question. JANE DOE leads the team.";
    let letter = docx_with("Signed Dr Alan Smith, tel 07700 900123, alan.smith@nhs.net");
    let annex = pdf_pages(&["Annex: waiting times by service"]);
    let mail = mail_with(
        &Envelope {
            from: "foi@body1.example",
            subject: "Response <script>alert(1)</script> [FOI ref MSK26-X0001]",
            message_id: "p1@body1.example",
            date: "Wed, 20 May 2026 10:00:00 +0100",
        },
        text,
        &[
            (
                "letter.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &letter,
            ),
            ("annex.pdf", "application/pdf", &annex),
        ],
    );
    let f = dir.path().join("reply.eml");
    std::fs::write(&f, mail).unwrap();
    ok(at(&d, "2026-05-20", &["ingest", f.to_str().unwrap()]));
    ok(at(&d, "2026-05-20", &["extract"]));

    let site = dir.path().join("site");
    let site_s = site.to_str().unwrap();
    // Under embargo: refused, and nothing is written.
    let o = at(&d, "2026-06-15", &["publish", "msk-2026", "--out", site_s]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("under embargo until 2026-07-01"), "{err}");
    assert!(!site.exists());
    // A preview: every page stamped.
    ok(at(
        &d,
        "2026-06-15",
        &["publish", "msk-2026", "--out", site_s, "--preview"],
    ));
    for p in files_under(&site)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
    {
        let page = std::fs::read_to_string(p).unwrap();
        assert!(
            page.contains("PREVIEW – NOT FOR PUBLICATION"),
            "{}",
            p.display()
        );
    }
    // The reply is matched but nobody has said what it is: it is not a statutory response
    // yet, so no body is "on time" (one definition: an answer, a refusal, "not held").
    let preview_index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(!preview_index.contains("on time"), "{preview_index}");
    assert_eq!(preview_index.matches("no response; overdue").count(), 2);
    // The team reads it: an answer, on 20 May.
    ok(at(
        &d,
        "2026-06-15",
        &[
            "request",
            "set",
            "MSK26-X0001",
            "answered_full",
            "--date",
            "2026-05-20",
        ],
    ));

    // The annex is marked safe (the letter is not): only the annex's original is published.
    let marked = ok(at(&d, "2026-06-20", &["attachment", "publish", "2"]));
    assert!(marked.contains("annex.pdf"), "{marked}");
    let out = ok(at(
        &d,
        "2026-07-02",
        &["publish", "msk-2026", "--out", site_s],
    ));
    assert!(
        out.contains("1 original files published, 1 kept back"),
        "{out}"
    );

    let files = files_under(&site);
    let names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&site).unwrap().display().to_string())
        .collect();
    for want in [
        "index.html",
        "report.html",
        "codings.csv",
        "bodies/X0001.html",
        "bodies/X0002.html",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("files/X0001/") && n.ends_with("annex.pdf")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.ends_with("letter.docx")),
        "{names:?}"
    );

    // Nothing personal anywhere; the FOI address stays; no stamp after the embargo.
    let mut all = String::new();
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        let t = String::from_utf8_lossy(&bytes).to_string();
        for gone in [
            "jane.doe",
            "0191 496 0000",
            "07700 900123",
            "alan.smith",
            "<script>alert",
        ] {
            assert!(!t.contains(gone), "{gone} in {}", p.display());
        }
        for gone in ["jane doe", "alan smith"] {
            assert!(
                !t.to_lowercase().contains(gone),
                "{gone} in {}",
                p.display()
            );
        }
        if p.extension().is_some_and(|e| e == "html") {
            assert!(!t.contains("PREVIEW"), "{}", p.display());
        }
        all.push_str(&t);
    }
    let body = std::fs::read_to_string(site.join("bodies/X0001.html")).unwrap();
    assert!(body.contains("foi@body1.example"), "{body}");
    assert!(body.contains("[name removed]"), "{body}");
    assert!(
        body.contains("[telephone number]") && body.contains("[email address]"),
        "{body}"
    );
    assert!(
        body.contains("&lt;script&gt;"),
        "the subject is escaped: {body}"
    );
    assert!(
        body.contains("Signed [name removed], tel [telephone number], [email address]"),
        "the letter's text is published redacted: {body}"
    );
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(index.contains("on time"), "{index}");
    assert!(index.contains("no response; overdue"), "{index}");

    // Every internal link resolves.
    let link = regex::Regex::new(r#"(?:href|src)="([^"]+)""#).unwrap();
    let mut checked = 0;
    for p in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
    {
        let page = std::fs::read_to_string(p).unwrap();
        for c in link.captures_iter(&page) {
            let target = &c[1];
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
                || target.starts_with('#')
            {
                continue;
            }
            let path = target.split('#').next().unwrap();
            let resolved = p.parent().unwrap().join(path);
            assert!(
                resolved.exists(),
                "{} links to {target}, which is not there",
                p.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} links checked");

    // A directory foi did not make is never replaced.
    let other = dir.path().join("documents");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("thesis.docx"), b"mine").unwrap();
    let o = at(
        &d,
        "2026-07-02",
        &["publish", "msk-2026", "--out", other.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("was not made by foi publish"));
    assert_eq!(std::fs::read(other.join("thesis.docx")).unwrap(), b"mine");

    // The dashboard links to a preview made on the spot, stamped and redacted alike.
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-06-15")], "viewer");
    let report = web.get("/rounds/msk-2026/report").body;
    assert!(
        report.contains("href=\"/rounds/msk-2026/preview/index.html\""),
        "{report}"
    );
    let index = web.get("/rounds/msk-2026/preview/index.html");
    assert_eq!(index.status, 200, "{}", index.body);
    assert!(index.body.contains("PREVIEW – NOT FOR PUBLICATION"));
    let page = web.get("/rounds/msk-2026/preview/bodies/X0001.html");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("PREVIEW – NOT FOR PUBLICATION"));
    assert!(!page.body.contains("jane.doe") && page.body.contains("[telephone number]"));
    for bad in [
        "/rounds/msk-2026/preview/../foi.db",
        "/rounds/msk-2026/preview/..%2Ffoi.db",
    ] {
        let r = web.get(bad);
        assert_ne!(r.status, 200, "{bad} must not be served");
    }
}
