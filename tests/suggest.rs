//! Suggested codes against a coder's: 42 response letters written from the ARMA 2024 fixture
//! codings (one sentence per coded answer, in an ICB's words; half as PDF, half as Word) are
//! ingested as replies, read, and `foi code suggest` proposes codes from the codebook's hints.
//! The suggestions are imported as a second coder and `foi code agreement` compares them with
//! the fixture. The letters were written alongside the hints, so the agreement is an upper
//! bound of what real replies give; the test holds the suggestions to it.

mod common;

use common::docs::{b64, docx_with, pdf_pages};
use common::{foi, ok};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The sentence an ICB would write for a coded value.
fn sentence(var: &str, value: &str, i: usize) -> &'static str {
    match (var, value) {
        ("msk_lead", "yes") if i.is_multiple_of(2) => "Our MSK lead is Dr Alex Morgan.",
        ("msk_lead", "yes") => "The ICB's MSK leads are Sam Patel and Jo Reid.",
        ("msk_lead", "no") if i.is_multiple_of(2) => "The ICB does not have a named MSK lead.",
        ("msk_lead", "no") => "There is currently no MSK lead in post.",
        ("msk_lead", "under_review") => {
            "MSK leadership arrangements are under review and no single lead is in place."
        }
        ("msk_lead", "restructure") => {
            "The ICB is undergoing a restructure and is unable to answer this question at present."
        }
        ("lead_title", "director") => "Their job title is Director of Strategy.",
        ("lead_title", "head_of") => "Their job title is Head of Commissioning.",
        ("lead_title", "clinical_lead") => {
            "Their job title is Clinical Lead for Musculoskeletal Services."
        }
        ("lead_title", "senior_manager") => "Their job title is Senior Manager.",
        ("lead_title", "chair_msk_network") => "Their role is Chair of the MSK Network.",
        ("lead_title", "chief_medical_officer") => {
            "The most senior lead is the Chief Medical Officer."
        }
        ("lead_title", "senior_responsible_officer") => "They are the Senior Responsible Officer.",
        ("lead_title", "msk_programme_lead") => "Their job title is MSK Programme Lead.",
        ("lead_title", "chief_operating_officer") => {
            "The most senior lead is the Chief Operating Officer."
        }
        ("lead_location", "planned_elective_care") => "The role sits in the Planned Care team.",
        ("lead_location", "msk_service") => "The role sits within the MSK service.",
        ("lead_location", "clinical_directorate") => "The role sits in the Clinical Directorate.",
        ("lead_location", "operations") => "The role sits in the Operations Directorate.",
        ("lead_location", "integrated_care") => "The role sits in the Integrated Care Directorate.",
        ("lead_location", "hospital_commissioning") => "The role sits in Hospital Commissioning.",
        ("lead_location", "system_transformation") => "The role sits in System Transformation.",
        ("lead_location", "programme_delivery") => "The role sits in Programme Delivery.",
        ("lead_location", "special_projects") => "The role sits in the Special Projects team.",
        ("lead_location", "unclear") => "It is not clear where the role sits.",
        ("lead_funded", "funded") => {
            "The role is funded for two sessions per week until March 2025."
        }
        ("lead_funded", "within_wider_role") => {
            "MSK leadership is part of a wider role and is not separately funded."
        }
        ("lead_covers", "adults") => "The remit covers adults only.",
        ("lead_covers", "adults_and_children") => {
            "The remit covers adults and children and young people."
        }
        ("lead_covers", "mixed") => "Coverage varies by locality.",
        ("priorities", "specific") => "Our priorities for MSK are set out below.",
        ("priorities", "none") => "There are no specific priorities for MSK at present.",
        ("priorities", "vague") => {
            "MSK is one of many areas within our wider elective recovery plans."
        }
        ("priorities", "under_review") => "Our MSK priorities are under review.",
        ("approach", "msk_transformation") => "An MSK transformation programme is under way.",
        ("approach", "system_wide_integrated") => {
            "We are building a system-wide integrated MSK service."
        }
        ("approach", "comprehensive") => "The plan covers a range of areas.",
        ("approach", "new_service_model") => "A new service model will start next year.",
        ("priority_areas", "pathways") => "We are redesigning referral pathways.",
        ("priority_areas", "waiting") => "We aim to reduce waiting times for first appointments.",
        ("priority_areas", "support_while_waiting") => {
            "Patients get support while waiting, including prehabilitation."
        }
        ("conditions", "pain") => "We are improving persistent pain services.",
        ("conditions", "rheumatology") => "Rheumatology capacity is a focus.",
        ("conditions", "community_physio") => "Community physiotherapy is being expanded.",
        ("conditions", "orthopaedics") => "Orthopaedic surgery backlogs are a concern.",
        ("conditions", "spinal") => "A spinal service is being commissioned.",
        ("conditions", "fracture_liaison_osteoporosis") => {
            "We are commissioning a fracture liaison service."
        }
        ("conditions", "cauda_equina") => "Cauda equina syndrome pathways are reviewed yearly.",
        ("conditions", "mental_health") => "Mental health support is offered alongside treatment.",
        ("conditions", "fibromyalgia") => "Fibromyalgia support groups are funded.",
        ("themes", "personalised_care") => "Shared decision making is embedded in clinics.",
        ("themes", "self_management") => "We promote self-management and social prescribing.",
        ("themes", "equalities") => "We are tackling inequalities in access.",
        ("themes", "self_referral") => "Self-referral is open to all adults.",
        ("themes", "prevention") => "Prevention is a priority.",
        ("themes", "data") => "Better use of data will guide commissioning.",
        ("themes", "digital") => "Digital tools support patients at home.",
        ("themes", "interface_services") => "Interface services triage referrals.",
        ("themes", "patient_engagement") => "Co-production with patients shapes services.",
        (v, x) => panic!("no sentence for {v}={x}"),
    }
}

const ORDER: &[&str] = &[
    "msk_lead",
    "lead_title",
    "lead_location",
    "lead_funded",
    "lead_covers",
    "priorities",
    "approach",
    "priority_areas",
    "conditions",
    "themes",
];

#[test]
fn suggestions_from_42_letters_agree_with_the_fixture_coding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], &[]));
    let root = env!("CARGO_MANIFEST_DIR");
    ok(foi(
        &d,
        &[
            "round",
            "create",
            &format!("{root}/config/rounds/arma-msk-2024.toml"),
        ],
        &[],
    ));
    let fixture = format!("{root}/tests/fixtures/arma-msk-2024-codings.csv");
    let mut codings: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for line in std::fs::read_to_string(&fixture).unwrap().lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        // "None of these" is said by saying nothing: the letter has no sentence for it, and
        // the suggestions offer no category.
        if f[2] == "none_of_these" {
            codings.entry(f[0].to_string()).or_default();
            continue;
        }
        codings
            .entry(f[0].to_string())
            .or_default()
            .entry(f[1].to_string())
            .or_default()
            .insert(f[2].to_string());
    }
    assert_eq!(codings.len(), 42);
    // One letter per ICB: a sentence per coded value, in codebook order. ICBs coded alike
    // write alike: the same file twice is read once.
    let mut distinct: BTreeSet<Vec<u8>> = BTreeSet::new();
    for (i, (code, vals)) in codings.iter().enumerate() {
        let mut letter = vec![
            "Dear ARMA policy team,".to_string(),
            "Thank you for your request for information about musculoskeletal services."
                .to_string(),
        ];
        for var in ORDER {
            for v in vals.get(*var).into_iter().flatten() {
                letter.push(sentence(var, v, i).to_string());
            }
        }
        letter.push(
            "If you are unhappy with this response you may ask for an internal review.".into(),
        );
        let (name, ct, bytes) = if i.is_multiple_of(2) {
            let half = letter.len() / 2;
            let p1 = letter[..half].join("\n");
            let p2 = letter[half..].join("\n");
            ("response.pdf", "application/pdf", pdf_pages(&[&p1, &p2]))
        } else {
            (
                "response.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                docx_with(&letter.join(" ")),
            )
        };
        distinct.insert(bytes.clone());
        let eml = format!(
            "From: foi@{code}.nhs.example\r\nTo: projects@arma.uk.net\r\nSubject: RE: Freedom of Information request [MSK24-{code}]\r\nMessage-ID: <{code}@nhs.example>\r\nDate: Mon, 15 Apr 2024 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nPlease find our response attached.\r\n\r\n> Does the ICB have a named lead for MSK?\r\n--B\r\nContent-Type: {ct}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--B--\r\n",
            b64(&bytes)
        );
        let f = dir.path().join(format!("{code}.eml"));
        std::fs::write(&f, eml).unwrap();
    }
    let files: Vec<String> = codings
        .keys()
        .map(|c| dir.path().join(format!("{c}.eml")).display().to_string())
        .collect();
    let mut args = vec!["ingest"];
    args.extend(files.iter().map(String::as_str));
    let out = ok(foi(&d, &args, &[]));
    assert!(out.contains("42 matched"), "{out}");
    let read = ok(foi(&d, &["extract"], &[]));
    let n = distinct.len();
    assert!(
        read.contains(&format!(
            "{n} files read: {n} with text, 0 with no text (need OCR), 0 failed"
        )),
        "{read}"
    );

    // Suggestions: a CSV `foi code import` reads, with the evidence beside each value.
    let csv = ok(foi(&d, &["code", "suggest", "arma-msk-2024"], &[]));
    assert!(
        csv.starts_with("authority,variable,value,reference,where,evidence\n"),
        "{csv}"
    );
    assert!(
        csv.contains("response.pdf, page"),
        "evidence says where: {csv}"
    );
    // Nothing is coded by suggesting.
    assert_eq!(
        ok(foi(&d, &["code", "export", "arma-msk-2024"], &[]))
            .lines()
            .count(),
        1
    );
    let sfile = dir.path().join("suggested.csv");
    std::fs::write(&sfile, &csv).unwrap();
    ok(foi(&d, &["code", "import", "arma-msk-2024", &fixture], &[]));
    ok(foi(
        &d,
        &[
            "code",
            "import",
            "arma-msk-2024",
            sfile.to_str().unwrap(),
            "--pass",
            "2",
            "--coder",
            "suggestions",
        ],
        &[],
    ));
    let table = ok(foi(&d, &["code", "agreement", "arma-msk-2024"], &[]));
    println!("suggestions against the fixture coding:\n{table}");
    let a: Vec<Value> = serde_json::from_str(&ok(foi(
        &d,
        &["code", "agreement", "arma-msk-2024", "--format", "json"],
        &[],
    )))
    .unwrap();
    assert_eq!(a.len(), ORDER.len(), "{a:?}");
    let good = a
        .iter()
        .filter(|x| {
            x["percent_agreement"].as_f64().unwrap() >= 90.0
                && x["kappa"].as_f64().is_none_or(|k| k >= 0.8)
        })
        .count();
    assert!(
        good * 10 >= ORDER.len() * 8,
        "suggestions agree (>= 90%, kappa >= 0.8) on {good} of {} variables:\n{table}",
        ORDER.len()
    );
}
