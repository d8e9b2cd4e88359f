//! The registers page: every register and its bodies with their FOI addresses; an editor
//! changes a body's address with why (an event on each of its requests still to be sent or
//! open, never on a closed one; letters already sent unchanged) and marks it verified. A
//! change without why, or to something that is not an address, is refused and changes nothing.

mod common;

use common::{foi, ok};
use serde_json::Value;
use std::path::Path;

fn at(d: &Path, args: &[&str]) -> String {
    ok(foi(
        d,
        args,
        &[("FOI_TODAY", "2026-05-20"), ("FOI__SEND__PER_MINUTE", "0")],
    ))
}

#[test]
fn an_address_changed_on_the_registers_page_reaches_the_open_requests_only() {
    use common::webdriver::{axe_source, axe_violations, Browser};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\n";
    common::msk_round_on(dir.path(), &d, "regs", csv, "", &[]);
    at(
        &d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, &["send"]);
    at(
        &d,
        &[
            "request",
            "set",
            "MSK26-X0002",
            "refused",
            "--date",
            "2026-05-19",
        ],
    );
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-05-20")], "editor");
    let list = web.get("/registers").body;
    assert!(
        list.contains("<a href=\"/registers/regs\">regs</a>"),
        "{list}"
    );
    let page = web.get("/registers/regs").body;
    assert!(page.contains("foi@body1.example") && page.contains("Body 2"));
    let csrf = web.csrf("/registers/regs");
    let path = "/registers/regs/X0001/address";
    // Refused, changing nothing: no reason, or not an address.
    let r = web.post(
        path,
        &[
            ("csrf", &csrf),
            ("address", "new@body1.example"),
            ("why", " "),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = web.post(
        path,
        &[
            ("csrf", &csrf),
            ("address", "not an address"),
            ("why", "phoned"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("is not an e-mail address"));
    assert!(web
        .get("/registers/regs")
        .body
        .contains("foi@body1.example"));
    // Changed and verified.
    let r = web.post(
        path,
        &[
            ("csrf", &csrf),
            ("address", "foi.team@body1.example"),
            ("why", "their website, checked by phone"),
            ("verified", "yes"),
        ],
    );
    assert!(r.status < 400, "{}", r.body);
    let page = web.get("/registers/regs").body;
    assert!(
        page.contains("foi.team@body1.example <span class=\"label\">verified</span>"),
        "{page}"
    );
    assert!(page.contains("set by ann on 2026-05-20: their website, checked by phone"));
    // Body 1's open request says so; a body whose request is closed is untouched.
    let show = |r: &str| -> Value {
        serde_json::from_str(&at(&d, &["request", "show", r, "--format", "json"])).unwrap()
    };
    let one = show("MSK26-X0001").to_string();
    assert!(
        one.contains("address_corrected")
            && one.contains("from foi@body1.example to foi.team@body1.example"),
        "{one}"
    );
    assert!(web
        .get("/requests/MSK26-X0001")
        .body
        .contains("FOI address corrected"));
    // The letter already sent is unchanged.
    let sent = d.join("outbox-files").join("new");
    let letters: Vec<String> = std::fs::read_dir(&sent)
        .unwrap()
        .flatten()
        .map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).to_string())
        .collect();
    assert_eq!(letters.len(), 2);
    assert!(letters.iter().any(|l| l.contains("foi@body1.example")));
    assert!(!letters.iter().any(|l| l.contains("foi.team@body1.example")));
    // A change to Body 2, whose request is closed, tells no request.
    web.post(
        "/registers/regs/X0002/address",
        &[
            ("csrf", &csrf),
            ("address", "foi@new2.example"),
            ("why", "moved"),
        ],
    );
    assert!(!show("MSK26-X0002")
        .to_string()
        .contains("address_corrected"));

    // The command line does the same.
    let out = at(
        &d,
        &[
            "authorities",
            "set-address",
            "regs",
            "X0001",
            "foi@body1.example",
            "--why",
            "the team's address again",
        ],
    );
    assert!(
        out.contains(
            "Body 1: FOI address foi.team@body1.example → foi@body1.example; 1 request(s) told"
        ),
        "{out}"
    );
    assert!(web
        .get("/registers/regs")
        .body
        .contains("foi@body1.example <span class=\"label\">not verified</span>"));

    // In a browser: both pages pass axe-core.
    let b = Browser::start();
    let base = format!("http://{}", web.addr);
    b.goto(&format!("{base}/login"));
    b.type_into("#name", "ann");
    b.type_into("#password", "a long enough password");
    b.click("form[action='/login'] button");
    b.wait_for("<h1>Rounds</h1>");
    let axe = axe_source();
    for p in ["/registers", "/registers/regs"] {
        b.goto(&format!("{base}{p}"));
        b.wait_for("<h1>Register");
        let v = axe_violations(&b, &axe);
        assert!(v.is_empty(), "{p}: {v:?}");
    }
}
