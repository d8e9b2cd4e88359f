//! What a mail provider's refusal means, in words a policy officer can act on. The codes are
//! the ones Microsoft 365 (Exchange Online, Entra ID) and Google Workspace send; each entry
//! names its source. Pure text matching: no I/O.

/// One known refusal: text that identifies it, and what to do.
struct Known {
    needle: &'static str,
    advice: &'static str,
}

const KNOWN: &[Known] = &[
    // Exchange Online SMTP AUTH, Microsoft Learn "Enable or disable SMTP AUTH in Exchange Online".
    Known {
        needle: "5.7.139",
        advice: "Microsoft 365 refused SMTP sign-in: SMTP AUTH is switched off for this mailbox or for the whole organisation (since 2026 the default), or basic authentication is blocked. An administrator must turn on \"Authenticated SMTP\" for the mailbox (Microsoft 365 admin centre > Users > the mailbox > Mail > Manage email apps), and foi must use auth = \"xoauth2\"",
    },
    Known {
        needle: "5.7.30",
        advice: "Microsoft 365 no longer accepts a password for SMTP (basic authentication is not supported): set [smtp] auth = \"xoauth2\" and sign in with `foi mailbox login`",
    },
    Known {
        needle: "5.7.3 authentication unsuccessful",
        advice: "Microsoft 365 did not accept the sign-in: the token lacks the SMTP.Send permission, the app has no access to this mailbox (a shared mailbox needs the app or user to be given Full Access / Send As), or SMTP AUTH is off for the mailbox",
    },
    Known {
        needle: "user is authenticated but not connected",
        advice: "Microsoft 365 accepted the sign-in but the signed-in account cannot open this mailbox: for a shared mailbox, an administrator must grant Full Access to the user (delegated sign-in) or to the app's service principal (app-only, Add-MailboxPermission)",
    },
    // Entra ID token endpoint errors (AADSTS codes).
    Known {
        needle: "aadsts65001",
        advice: "nobody has consented to the app's permissions yet: an administrator must grant consent for the app registration (Entra admin centre > App registrations > API permissions > Grant admin consent)",
    },
    Known {
        needle: "aadsts70011",
        advice: "a scope asked for is not valid for this app: check [oauth] scopes",
    },
    Known {
        needle: "aadsts50173",
        advice: "the sign-in expired because the account's password changed or sessions were revoked: run `foi mailbox login` again",
    },
    Known {
        needle: "aadsts700082",
        advice: "the sign-in expired after a long time unused: run `foi mailbox login` again",
    },
    Known {
        needle: "aadsts7000215",
        advice: "the app's client secret is wrong or has expired: create a new one in the app registration and set FOI_OAUTH_CLIENT_SECRET",
    },
    // Google: "Sign in with app passwords", Gmail SMTP errors reference.
    Known {
        needle: "5.7.9",
        advice: "Google wants an app password or OAuth: with 2-step verification on, create an app password, or set auth = \"xoauth2\"",
    },
    Known {
        needle: "5.7.8",
        advice: "Google did not accept the username and password (or the token): check the username, or sign in again with `foi mailbox login`",
    },
    Known {
        needle: "\"status\":\"400\"",
        advice: "the mail server refused the token as not valid for mail (Google: a token without the https://mail.google.com/ scope)",
    },
    Known {
        needle: "\"status\":\"401\"",
        advice: "the mail server refused the token (expired or revoked): sign in again with `foi mailbox login`",
    },
    // Generic SMTP (RFC 4954) and IMAP (RFC 5530) codes.
    Known {
        needle: "535",
        advice: "the mail server did not accept the sign-in: check the username, the password (FOI_SMTP_PASSWORD) or, with xoauth2, the token's permissions",
    },
    Known {
        needle: "authenticationfailed",
        advice: "the mail server did not accept the sign-in: check the username and the password (FOI_IMAP_PASSWORD) or, with xoauth2, the token's permissions",
    },
    Known {
        needle: "authenticate failed",
        advice: "the mail server did not accept the sign-in: check the username and the password (FOI_IMAP_PASSWORD) or, with xoauth2, the token's permissions",
    },
    Known {
        needle: "invalid_grant",
        advice: "the saved sign-in was revoked or has expired: run `foi mailbox login` again; queued letters wait until then",
    },
];

/// Advice for a refusal's text (an SMTP reply, an IMAP response, a token endpoint error),
/// the most specific known code first; `None` when nothing is recognised.
pub fn explain(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase().replace("\": \"", "\":\"");
    KNOWN
        .iter()
        .find(|k| t.contains(k.needle))
        .map(|k| k.advice)
}

/// What a TLS failure means (certificate names, an untrusted authority, an expired one).
pub fn explain_tls(text: &str) -> &'static str {
    let t = text.to_ascii_lowercase();
    if t.contains("notvalidforname")
        || t.contains("not valid for name")
        || t.contains("certificate is not valid for")
    {
        "the server's certificate is for a different name: check the host name (e.g. outlook.office365.com, smtp.office365.com, imap.gmail.com)"
    } else if t.contains("unknownissuer") || t.contains("unknown issuer") {
        "the server's certificate is not signed by an authority this machine trusts: for an internal server, set ca_file to its CA certificate"
    } else if t.contains("expired") {
        "the server's certificate has expired: tell the mail server's administrator"
    } else if t.contains("wrong version")
        || t.contains("corrupt message")
        || t.contains("invalidcontenttype")
    {
        "the server did not speak TLS on this port: port 993/465 use security = \"tls\", 143/587 use \"starttls\""
    } else {
        "the secure connection could not be set up"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_smtp_auth_disabled_is_explained() {
        let a = explain("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.").unwrap();
        assert!(a.contains("Authenticated SMTP"), "{a}");
        let b = explain("550 5.7.30 Basic authentication is not supported for Client Submission.")
            .unwrap();
        assert!(b.contains("xoauth2"), "{b}");
    }

    #[test]
    fn the_most_specific_code_wins_over_plain_535() {
        let a = explain("535 5.7.3 Authentication unsuccessful").unwrap();
        assert!(a.contains("Send As"), "{a}");
        let g = explain("535-5.7.8 Username and Password not accepted.").unwrap();
        assert!(g.contains("Google"), "{g}");
        let plain = explain("535 Authentication credentials invalid").unwrap();
        assert!(plain.contains("FOI_SMTP_PASSWORD"), "{plain}");
    }

    #[test]
    fn shared_mailbox_consent_and_google_scope() {
        assert!(explain("NO User is authenticated but not connected.")
            .unwrap()
            .contains("Full Access"));
        assert!(
            explain("AADSTS65001: The user or administrator has not consented")
                .unwrap()
                .contains("consent")
        );
        assert!(explain(
            r#"{"status": "400","schemes":"Bearer","scope":"https://mail.google.com/"}"#
        )
        .unwrap()
        .contains("mail.google.com"));
        assert_eq!(explain("250 OK"), None);
    }

    #[test]
    fn tls_names() {
        assert!(explain_tls("invalid peer certificate: NotValidForName").contains("different name"));
        assert!(explain_tls("invalid peer certificate: UnknownIssuer").contains("ca_file"));
    }
}
