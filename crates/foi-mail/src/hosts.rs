//! Which hosts `foi` may speak to without TLS: this machine only (a test server, a local relay).
//! Shared by SMTP, IMAP and the OAuth token endpoint.

/// `localhost` or a loopback address (an IPv6 literal with or without its brackets).
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_this_machine_is_loopback() {
        for h in ["localhost", "127.0.0.1", "127.3.2.1", "::1", "[::1]"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "mail.example.org",
            "10.0.0.1",
            "192.168.1.1",
            "::2",
            "localhost.evil",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
