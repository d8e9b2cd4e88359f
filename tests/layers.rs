//! The layers are crates, and this test keeps each crate's dependency list to its layer: the
//! domain depends on no database, mail, web or async runtime crate; only the store (and the
//! migrations) depend on SeaORM; only the mail adapter speaks SMTP, IMAP and MIME; only the
//! dashboard and the binary serve HTTP; and no crate depends on one above it.
//!
//! It reads `cargo metadata` (the manifests as written, without resolving the registry), so a
//! new dependency that breaks a rule fails here with the crate, the dependency and the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// The workspace's own crates from the bottom up, and which of them each may depend on.
const LAYERS: &[(&str, &[&str])] = &[
    ("foi-domain", &[]),
    ("foi-config", &[]),
    ("migration", &[]),
    ("foi-store", &["foi-domain", "migration"]),
    ("foi-mail", &["foi-domain", "foi-config", "foi-store"]),
    ("foi-docs", &["foi-domain", "foi-config", "foi-mail"]),
    ("foi-report", &["foi-domain"]),
    (
        "foi-app",
        &[
            "foi-domain",
            "foi-config",
            "foi-store",
            "foi-mail",
            "foi-docs",
            "foi-report",
        ],
    ),
    // The dashboard reaches the store, mail and documents only through the services.
    ("foi-web", &["foi-domain", "foi-report", "foi-app"]),
    (
        "foi",
        &[
            "foi-domain",
            "foi-config",
            "foi-store",
            "foi-mail",
            "foi-docs",
            "foi-report",
            "foi-app",
            "foi-web",
        ],
    ),
];

/// Third-party crates that belong to one adapter: (crate, the workspace crates allowed it).
const CONFINED: &[(&str, &[&str])] = &[
    ("sea-orm", &["foi-store"]),
    ("sea-orm-migration", &["migration"]),
    ("sqlx", &[]),
    ("lettre", &["foi-mail"]),
    ("mail-parser", &["foi-mail"]),
    ("async-imap", &["foi-mail"]),
    ("oauth2", &["foi-mail"]),
    ("axum", &["foi-web", "foi"]),
    ("argon2", &["foi-app"]),
    ("pdf-extract", &["foi-docs"]),
    ("calamine", &["foi-docs"]),
    ("docx-rs", &["foi-report"]),
    ("resvg", &["foi-report"]),
    ("rust_xlsxwriter", &["foi-report"]),
];

/// Crates the domain never depends on: it holds the rules, and does no I/O.
const NOT_IN_DOMAIN: &[&str] = &[
    "sea-orm",
    "sqlx",
    "lettre",
    "axum",
    "tokio",
    "reqwest",
    "mail-parser",
    "async-imap",
    "hyper",
];

/// Each workspace crate's normal (not dev) dependencies, by name.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    dependencies_of_kinds(false)
}

/// Each workspace crate's dependencies by name: normal and build ones, and with `dev` also
/// those of its tests and benchmarks.
fn dependencies_of_kinds(dev: bool) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null() || d["kind"] == "build" || dev)
                .map(|d| d["name"].as_str().expect("name").to_string())
                .collect();
            (p["name"].as_str().expect("name").to_string(), deps)
        })
        .collect()
}

#[test]
fn every_crate_of_the_workspace_has_a_layer() {
    let deps = dependencies();
    let layered: BTreeSet<&str> = LAYERS.iter().map(|(c, _)| *c).collect();
    let unplaced: Vec<&String> = deps
        .keys()
        .filter(|c| !layered.contains(c.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "crates with no layer in tests/layers.rs: {unplaced:?} — add each to LAYERS"
    );
    for (c, _) in LAYERS {
        assert!(
            deps.contains_key(*c),
            "{c} is in LAYERS but not in the workspace"
        );
    }
}

#[test]
fn no_crate_depends_on_one_above_it() {
    let deps = dependencies();
    let ours: BTreeSet<&str> = LAYERS.iter().map(|(c, _)| *c).collect();
    let mut wrong = Vec::new();
    for (c, allowed) in LAYERS {
        for d in &deps[*c] {
            if ours.contains(d.as_str()) && !allowed.contains(&d.as_str()) {
                wrong.push(format!("{c} depends on {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "upward or sideways imports: {wrong:?}");
}

#[test]
fn adapters_keep_their_third_party_crates() {
    let deps = dependencies();
    let mut wrong = Vec::new();
    for (krate, allowed) in CONFINED {
        for (c, ds) in &deps {
            if ds.contains(*krate) && !allowed.contains(&c.as_str()) {
                wrong.push(format!("{c} depends on {krate} (only {allowed:?} may)"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[test]
fn the_domain_does_no_io() {
    let deps = dependencies();
    let bad: Vec<&String> = deps["foi-domain"]
        .iter()
        .filter(|d| NOT_IN_DOMAIN.contains(&d.as_str()))
        .collect();
    assert!(bad.is_empty(), "foi-domain depends on {bad:?}");
}

/// Tests and benchmarks too reach the database through the store's API (its named queries,
/// and `foi_store::sql` for a hand-made change), so SeaORM stays one crate's business.
#[test]
fn only_the_store_speaks_sea_orm_even_in_tests() {
    let deps = dependencies_of_kinds(true);
    let users: Vec<&String> = deps
        .iter()
        .filter(|(c, ds)| ds.contains("sea-orm") && c.as_str() != "foi-store")
        .map(|(c, _)| c)
        .collect();
    assert!(
        users.is_empty(),
        "sea-orm used (maybe by tests) in {users:?}"
    );
}
