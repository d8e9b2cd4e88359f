//! The project's own fixtures, one per case the real-world corpus taught us (see
//! `scripts/conformance-mail`): each is written here by hand so the suite stands on its own.

use super::*;
use crate::domain::mail::{is_auto_reply, is_bounce, is_delay};
use crate::test_docs::b64;

fn names(m: &ParsedMail) -> Vec<&str> {
    m.attachments.iter().map(|a| a.filename.as_str()).collect()
}

#[test]
fn windows_1252_and_threading() {
    let raw = b"From: \"FOI Team\" <FOI@Example.nhs.uk>\r\nTo: team@charity.org\r\nSubject: RE: request\r\nMessage-ID: <abc@x>\r\nIn-Reply-To: <foi.msk26-qhm.request@charity.org>\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\nWe\x92ve attached the \x93answer\x94 \x96 thanks\r\n";
    let m = parse(raw).unwrap();
    assert_eq!(m.from_addr.as_deref(), Some("foi@example.nhs.uk"));
    assert_eq!(m.from_name.as_deref(), Some("FOI Team"));
    assert_eq!(m.in_reply_to, vec!["<foi.msk26-qhm.request@charity.org>"]);
    assert_eq!(m.message_id.as_deref(), Some("<abc@x>"));
    assert!(
        m.text
            .contains("We\u{2019}ve attached the \u{201c}answer\u{201d} \u{2013} thanks"),
        "{}",
        m.text
    );
    assert!(!m.text.contains('\r'), "line ends are LF");
}

#[test]
fn iso_8859_1_that_is_really_windows_1252() {
    let raw = b"From: a@b.org\r\nSubject: s\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n2008 \x96 2009 caf\xe9\r\n";
    let m = parse(raw).unwrap();
    assert_eq!(m.text.trim(), "2008 \u{2013} 2009 caf\u{e9}");
    assert!(!m.text.contains('\u{96}'));
    assert!(m.decoding_note.unwrap().contains("windows-1252"));
}

#[test]
fn undeclared_utf8_and_gbk_are_detected_and_noted() {
    let raw = "From: a@b.org\r\nSubject: s\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCaf\u{e9} \u{2013} r\u{e9}ponse\r\n";
    let m = parse(raw.as_bytes()).unwrap();
    assert_eq!(m.text.trim(), "Caf\u{e9} \u{2013} r\u{e9}ponse");
    assert_eq!(
        m.decoding_note.as_deref(),
        Some("no charset declared; read as UTF-8")
    );
    let (gbk, _, _) =
        encoding_rs::GBK.encode("信息自由请求的答复已经附上，请查收。谢谢您的耐心等待。");
    let mut raw = b"From: a@b.org\r\nSubject: s\r\n\r\n".to_vec();
    raw.extend_from_slice(&gbk);
    let m = parse(&raw).unwrap();
    assert!(m.text.contains("信息自由请求"), "{}", m.text);
    assert!(!m.text.contains('\u{FFFD}'));
    assert!(m.decoding_note.unwrap().contains("detected"));
}

#[test]
fn an_html_only_mail_is_read_as_text() {
    let raw = b"From: a@b.org\r\nSubject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Please find our <b>response</b>.</p><script>x()</script></body></html>\r\n";
    let m = parse(raw).unwrap();
    assert!(m.text.contains("Please find our response."), "{}", m.text);
    assert!(!m.text.contains("x()"));
    assert!(m.has_html);
}

#[test]
fn a_uuencoded_file_in_the_body_becomes_an_attachment() {
    let raw = b"From: a@b.org\r\nSubject: s\r\n\r\nPlease see attached.\r\n\r\nbegin 644 cat.txt\r\n$0V%T\"@``\r\n`\r\nend\r\n\r\nRegards\r\n";
    let d = decode(raw).unwrap();
    assert_eq!(names(&d.mail), ["cat.txt"]);
    assert_eq!(d.mail.attachments[0].source, AttachmentSource::Uuencode);
    assert_eq!(d.files[0], b"Cat\n");
    assert!(!d.mail.text.contains("begin 644"), "{}", d.mail.text);
    assert!(d.mail.text.contains("Regards"));
    assert_eq!(
        attachment_bytes(raw, 0, &d.mail.attachments[0].sha256).unwrap(),
        b"Cat\n"
    );
}

#[test]
fn a_winmail_dat_is_unpacked_into_its_files() {
    let blob = tnef::tests::sample("FOI 09 02976i.doc", b"the reply document");
    let raw = format!(
        "From: a@b.org\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n--B\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\n\r\n{}\r\n--B--\r\n",
        b64(&blob)
    );
    let d = decode(raw.as_bytes()).unwrap();
    assert_eq!(names(&d.mail), ["FOI 09 02976i.doc"]);
    assert_eq!(d.mail.attachments[0].source, AttachmentSource::Tnef);
    assert_eq!(d.files[0], b"the reply document");
    // A winmail.dat that cannot be read is kept as it is: nothing lost.
    let bad = raw.replace(&b64(&blob)[..8], "AAAAAAAA");
    let d = decode(bad.as_bytes()).unwrap();
    assert_eq!(names(&d.mail), ["winmail.dat"]);
}

#[test]
fn an_attached_message_is_kept_whole_and_opened() {
    let inner = "From: Officer <officer@body.nhs.uk>\r\nTo: foi@body.nhs.uk\r\nSubject: Same attachment twice\r\nDate: Fri, 23 May 2008 10:00:00 +0100\r\nContent-Type: multipart/mixed; boundary=\"I\"\r\n\r\n--I\r\nContent-Type: text/plain\r\n\r\nForwarded text.\r\n--I\r\nContent-Type: text/plain; name=\"hello.txt\"\r\nContent-Disposition: attachment; filename=\"hello.txt\"\r\n\r\nhello\r\n--I\r\nContent-Type: text/plain; name=\"hello.txt\"\r\nContent-Disposition: attachment; filename=\"hello.txt\"\r\n\r\nhello\r\n--I--\r\n";
    let raw = format!("From: a@b.org\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=\"O\"\r\n\r\n--O\r\nContent-Type: text/plain\r\n\r\nSee below\r\n--O\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--O--\r\n");
    let d = decode(raw.as_bytes()).unwrap();
    assert_eq!(
        names(&d.mail),
        [
            "Same attachment twice.eml",
            "Same attachment twice.txt",
            "hello.txt",
            "hello.txt"
        ]
    );
    let a = &d.mail.attachments;
    assert_eq!(a[0].source, AttachmentSource::Message);
    assert_eq!(
        (a[1].parent, a[2].parent, a[3].parent),
        (Some(0), Some(0), Some(0))
    );
    let text = String::from_utf8(d.files[1].clone()).unwrap();
    assert!(text.contains("Date: Fri, 23 May 2008"), "{text}");
    assert!(text.contains("Forwarded text."));
    // Same bytes, two rows, two positions: each downloads as itself.
    assert_eq!(a[2].sha256, a[3].sha256);
    assert_ne!(a[2].position, a[3].position);
    assert!(d.mail.attached_text.contains("Forwarded text."));
    assert!(!d.mail.text.contains("Forwarded text."));
}

#[test]
fn a_folded_boundary_and_a_missing_final_boundary_are_recovered() {
    let raw = format!(
        "From: a@b.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\r\n    \"----_=_NextPart_001\"\r\n\r\n------_=_NextPart_001\r\nContent-Type: text/plain\r\n\r\nHerewith.\r\n------_=_NextPart_001\r\nContent-Type: application/pdf; name=\"reply.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n------_=_NextPart_001--\r\n",
        b64(b"%PDF-1.4 reply")
    );
    let d = decode(raw.as_bytes()).unwrap();
    assert!(d.mail.text.contains("Herewith."), "{}", d.mail.text);
    assert_eq!(names(&d.mail), ["reply.pdf"]);
    let raw = b"From: a@b.org\r\nSubject: ack\r\nContent-Type: multipart/mixed; boundary=\"-----7D81\"\r\n\r\n-------7D81\r\nContent-Type: text/html\r\n\r\n<p>This is an acknowledgement of your email.</p>\r\n";
    let d = decode(raw).unwrap();
    assert!(
        d.mail.text.contains("This is an acknowledgement"),
        "{}",
        d.mail.text
    );
    assert!(d.mail.attachments.is_empty(), "{:?}", names(&d.mail));
}

#[test]
fn a_delay_notice_is_not_a_bounce_and_an_exim_bounce_is() {
    let dsn = |action: &str| {
        format!(
        "From: postmaster@mx.example.org\r\nTo: projects@charity.org\r\nSubject: Delivery Status Notification\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nA note.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822;foi@body.nhs.uk\r\nAction: {action}\r\nStatus: 4.4.7\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <foi.msk26-qhm.request@charity.org>\r\n--R--\r\n"
    )
    };
    let delayed = parse(dsn("delayed").as_bytes()).unwrap();
    assert!(is_delay(&delayed));
    assert!(!is_bounce(&delayed));
    assert_eq!(delayed.failed_recipients, ["foi@body.nhs.uk"]);
    assert_eq!(
        delayed.returned_message_ids,
        ["<foi.msk26-qhm.request@charity.org>"]
    );
    let failed = parse(dsn("failed").as_bytes()).unwrap();
    assert!(is_bounce(&failed));
    let exim = b"From: Mail Delivery System <Mailer-Daemon@mx.example.org>\r\nTo: projects@charity.org\r\nSubject: Mail delivery failed: returning message to sender\r\nAuto-Submitted: auto-replied\r\n\r\nThis message was created automatically by mail delivery software.\r\n\r\nA message that you sent could not be delivered to one or more of its\r\nrecipients. This is a permanent error. The following address(es) failed:\r\n\r\n  foi@gone.nhs.uk\r\n    Unrouteable address\r\n";
    let m = parse(exim).unwrap();
    assert!(is_bounce(&m));
    assert_eq!(m.failed_recipients, ["foi@gone.nhs.uk"]);
}

#[test]
fn a_message_class_autoresponder_is_an_auto_reply() {
    let raw = b"From: Officer <officer@body.nhs.uk>\r\nTo: projects@charity.org\r\nSubject: Automatic Response\r\nX-POST-MessageClass: 9; Autoresponder\r\n\r\nI am away until Monday.\r\n";
    let m = parse(raw).unwrap();
    assert!(is_auto_reply(&m));
    let raw = b"From: o@body.nhs.uk\r\nTo: p@c.org\r\nSubject: RE: FOI\r\nX-MS-Exchange-Inbox-Rules-Loop: o@body.nhs.uk\r\n\r\nForwarded by a rule.\r\n";
    assert!(is_auto_reply(&parse(raw).unwrap()));
}

#[test]
fn an_empty_forwarded_message_does_not_panic() {
    // Found by the property test: mail-parser 0.11 panics on accessors of a part-less
    // message; the parser skips it.
    let raw = b"From: a@b.org\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n--b--\r\n";
    let m = parse(raw).unwrap();
    assert_eq!(m.subject, "fwd");
}

#[test]
fn deeply_nested_messages_stop_at_the_depth_limit() {
    let mut m = "From: a@b.org\r\nSubject: level 0\r\n\r\nbottom\r\n".to_string();
    for i in 1..=20 {
        m = format!("From: a@b.org\r\nSubject: level {i}\r\nContent-Type: multipart/mixed; boundary=\"L{i}\"\r\n\r\n--L{i}\r\nContent-Type: message/rfc822\r\n\r\n{m}\r\n--L{i}--\r\n");
    }
    let d = decode(m.as_bytes()).unwrap();
    let messages = d
        .mail
        .attachments
        .iter()
        .filter(|a| a.source == AttachmentSource::Message)
        .count();
    assert_eq!(
        messages, MAX_DEPTH,
        "each level to the limit is listed, none past it"
    );
    assert!(d
        .mail
        .attachments
        .iter()
        .all(|a| a.filename != "level 0.txt"));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(parse(b"").is_err());
    assert!(parse(b"\x00\x01\x02 not an e-mail at all").is_err());
}

/// A name split over RFC 2231 continuations whose pieces hold one RFC 2047 encoded word.
#[test]
fn a_continued_encoded_file_name_is_decoded() {
    let raw = "From: foi@body.nhs.uk\r\nSubject: Response\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--b\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\nContent-Disposition: attachment;\r\n filename*0=\"=?UTF-8?Q?M=C3=BCller_MSK_lead\";\r\n filename*1=\"s_2026.xlsx?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=UTF-8''M%C3%BCller_;\r\n filename*1*=reply.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n";
    let d = decode(raw.as_bytes()).unwrap();
    assert_eq!(
        names(&d.mail),
        vec!["Müller MSK leads 2026.xlsx", "Müller_reply.pdf"]
    );
    assert_eq!(d.files[0], b"PK\x03\x04");
}

/// A base64 part with a stray character: mail-parser returns the base64 text itself; the
/// stored bytes are the decoded file.
#[test]
fn an_undecoded_base64_part_is_stored_as_its_decoded_bytes() {
    let pdf: Vec<u8> =
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
            .iter()
            .copied()
            .cycle()
            .take(3000)
            .collect();
    let mut text = b64(&pdf);
    // One stray '.' in the middle of a line, as a damaged relay leaves it.
    text.insert(200, '.');
    let raw = format!(
        "From: foi@body.nhs.uk\r\nSubject: Response\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--b\r\nContent-Type: application/pdf; name=\"reply.pdf\"\r\nContent-Disposition: attachment; filename=\"reply.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{text}\r\n--b--\r\n"
    );
    let d = decode(raw.as_bytes()).unwrap();
    assert_eq!(names(&d.mail), vec!["reply.pdf"]);
    assert_eq!(
        d.files[0].len(),
        pdf.len(),
        "the decoded size, not the base64's"
    );
    assert_eq!(d.files[0], pdf);
    assert_eq!(d.mail.attachments[0].sha256, sha256_hex(&pdf));
    // And found again by position and hash, as extraction and downloads do.
    assert_eq!(
        attachment_bytes(raw.as_bytes(), 0, &sha256_hex(&pdf)).unwrap(),
        pdf
    );
}

/// Thunderbird's HTML with an embedded picture, the picture first in the related part: the
/// HTML is the body (not an attachment called "attachment"); the picture is the attachment.
#[test]
fn html_with_an_inline_image_first_gives_its_text_as_the_body() {
    let raw = "From: foi@body.nhs.uk\r\nSubject: Response\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\nThis is a multi-part message in MIME format.\r\n--r\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-ID: <part1.abc>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<html><body><p>We do not hold a named MSK lead.</p><img src=\"cid:part1.abc\"></body></html>\r\n--r--\r\n";
    let m = parse(raw.as_bytes()).unwrap();
    assert_eq!(m.text, "We do not hold a named MSK lead.");
    assert_eq!(names(&m), vec!["logo.png"]);
}

/// Three messages attached in three ways (attachment, no disposition, inline and base64):
/// each is listed, with its text and headers under it.
#[test]
fn every_attached_message_is_listed() {
    let inner = |n: u32| {
        format!("From: officer{n}@icb.nhs.uk\r\nSubject: Earlier reply {n}\r\nMessage-ID: <e{n}@icb.nhs.uk>\r\n\r\nEarlier text {n}\r\n")
    };
    let third = b64(inner(3).as_bytes());
    let raw = format!(
        "From: foi@body.nhs.uk\r\nSubject: Our replies\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nThe three replies.\r\n--m\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n{}\r\n--m\r\nContent-Type: message/rfc822\r\n\r\n{}\r\n--m\r\nContent-Type: message/rfc822; name=\"third.eml\"\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n{third}\r\n--m--\r\n",
        inner(1),
        inner(2)
    );
    let m = parse(raw.as_bytes()).unwrap();
    let eml: Vec<&str> = names(&m)
        .into_iter()
        .filter(|n| n.ends_with(".eml"))
        .collect();
    assert_eq!(eml.len(), 3, "{:?}", names(&m));
    for n in 1..=3 {
        assert!(
            m.attached_text.contains(&format!("Earlier text {n}")),
            "{}",
            m.attached_text
        );
    }
}
