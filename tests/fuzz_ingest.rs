//! Property test over arbitrary bytes for the ingest path: parsing, classification and
//! matching never panic, and the full ingest (raw store + database) stores every input once.

mod common;

use foi::domain::classify::classify;
use foi::domain::matching::Catalog;
use foi::inbound::parse::parse;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn catalog() -> Catalog {
    let mut c = Catalog {
        plus_pattern: "foi+{ref}@charity.org".into(),
        ..Default::default()
    };
    c.message_ids
        .insert("<foi.x-1.request@charity.org>".into(), 1);
    c.references.insert("X-1".into(), 1);
    c.addresses.insert("foi@body.org".into(), [1].into());
    c
}

/// Bytes that look like mail often enough to reach deep into the parser.
fn mailish() -> impl Strategy<Value = Vec<u8>> {
    let header = prop::sample::select(vec![
        "From: ",
        "To: ",
        "Subject: ",
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
        "Content-Type: text/plain; charset=windows-1252\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "In-Reply-To: <foi.x-1.request@charity.org>\r\n",
        "\r\n--b\r\n",
        "\r\n--b--\r\n",
        "Content-Type: message/rfc822\r\n\r\n",
        "Auto-Submitted: auto-replied\r\n",
        "=?utf-8?b?w6k=?=",
        "\r\n\r\n",
    ]);
    (prop::collection::vec((header, prop::collection::vec(any::<u8>(), 0..40)), 0..24)).prop_map(
        |parts| {
            let mut out = Vec::new();
            for (h, junk) in parts {
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(&junk);
            }
            out
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let c = catalog();
        if let Ok(m) = parse(&bytes) {
            let _ = classify(&m);
            let _ = c.match_mail(&m);
        }
    }

    #[test]
    fn mail_like_bytes_never_panic(bytes in mailish()) {
        let c = catalog();
        if let Ok(m) = parse(&bytes) {
            let _ = classify(&m);
            let _ = c.match_mail(&m);
        }
    }
}

#[test]
fn full_ingest_of_random_inputs_stores_each_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let t = common::test_app(common::Backend::Sqlite).await;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(150));
        let strategy = prop_oneof![mailish(), prop::collection::vec(any::<u8>(), 1..2048)];
        let mut inputs = Vec::new();
        for _ in 0..150 {
            inputs.push(strategy.new_tree(&mut runner).unwrap().current());
        }
        let s1 = foi::services::ingest::ingest_all(&t.app, inputs.clone())
            .await
            .unwrap();
        let s2 = foi::services::ingest::ingest_all(&t.app, inputs.clone())
            .await
            .unwrap();
        assert_eq!(
            s2.duplicates,
            inputs.len(),
            "the second pass records nothing new"
        );
        assert_eq!(s1.seen, inputs.len());
        let raw = t.app.raw_store();
        for i in &inputs {
            assert!(
                raw.get(&foi::rawstore::sha256_hex(i)).is_ok(),
                "every input stored raw"
            );
        }
    });
}
