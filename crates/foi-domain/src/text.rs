//! Limits on what is read from files and forms, and reading text as UTF-8 with a useful
//! error: where the first bad byte is, and what to do.

/// The longest value one CSV field may hold (a register row, a coding).
pub(crate) const MAX_CSV_FIELD: usize = 10_000;
/// The longest template file accepted.
pub const MAX_TEMPLATE: usize = 256 * 1024;

/// `bytes` as UTF-8 text, or an error naming `source`, the line and the byte offset of the
/// first byte that is not UTF-8.
pub fn utf8<'a>(bytes: &'a [u8], source: &str) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        format!(
            "{source}, line {line} (byte {at}): not UTF-8 text. Save the file as UTF-8 (in Excel: \"CSV UTF-8\") and try again"
        )
    })
}

/// An error when `value` (of `field`) is longer than `max` characters.
pub(crate) fn check_len(field: &str, value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n > max {
        Err(format!(
            "field `{field}` is {n} characters long; the most allowed is {max}"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_is_reported_with_line_and_byte() {
        let e = utf8(b"code,name\nQHM,North\nQF7,Caf\xe9\n", "r.csv").unwrap_err();
        assert!(e.starts_with("r.csv, line 3 (byte 27): not UTF-8"), "{e}");
        assert_eq!(utf8(b"ok", "x").unwrap(), "ok");
        assert!(check_len("name", &"x".repeat(11), 10)
            .unwrap_err()
            .contains("most allowed is 10"));
        assert!(check_len("name", "x", 10).is_ok());
    }
}
