//! Property test over arbitrary bytes for the ingest path: parsing, classification and
//! matching never panic, and the full ingest (raw store + database) stores every input once.

mod common;

use foi::domain::classify::classify;
use foi::domain::matching::Catalog;
use foi::inbound::mime::{parse, tnef, uuencode};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn catalog() -> Catalog {
    let mut c = Catalog::new("foi+{ref}@charity.org");
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
        "\r\nbegin 644 file.bin\r\n",
        "\r\nend\r\n",
        "M86)C9&5F9VAI:FML;6YO<'%R<W1U=G=X>7I!0D-$149'2$E*2TQ-3D]045)3\r\n",
        "Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\n\r\n",
        "Content-Transfer-Encoding: base64\r\n\r\neJ8+IgAAAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA5AQAAAAAAADoAA==\r\n",
        "Content-Type: text/plain\r\n\r\n",
        "Content-Type: multipart/mixed; boundary=\r\n  \"b\"\r\n",
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
    fn the_uuencode_and_tnef_decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let text = String::from_utf8_lossy(&bytes);
        let (rest, files) = uuencode::extract(&format!("begin 644 x\n{text}"));
        prop_assert!(files.iter().map(|f| f.bytes.len()).sum::<usize>() <= bytes.len() * 3 / 4 + 64);
        let _ = rest;
        let mut tnef_bytes = vec![0x78, 0x9f, 0x3e, 0x22, 0, 0];
        tnef_bytes.extend_from_slice(&bytes);
        for f in tnef::unpack(&tnef_bytes) {
            // Nothing is invented: every file's bytes come from the input.
            prop_assert!(f.bytes.len() <= tnef_bytes.len());
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
fn hostile_sizes_are_refused_without_allocating_them() {
    // A TNEF data record that claims 4 GB, behind a valid header and version record.
    let mut blob = vec![0x78, 0x9f, 0x3e, 0x22, 0x00, 0x00];
    blob.extend_from_slice(&[
        0x01, 0x06, 0x90, 0x08, 0x00, 0x04, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01, 0x00,
    ]);
    blob.extend_from_slice(&[0x02, 0x0f, 0x80, 0x06, 0x00]);
    blob.extend_from_slice(&u32::MAX.to_le_bytes());
    blob.extend_from_slice(&[0u8; 64]);
    assert!(tnef::unpack(&blob).is_empty());
    // A uuencode block whose length characters claim more than the line holds.
    let (_, files) = uuencode::extract("begin 644 x\nM\nend\n");
    assert!(files.iter().all(|f| f.bytes.len() <= 45));
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
