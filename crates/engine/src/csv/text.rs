//! Whether an input is UTF-8 text at all, told from its first bytes:
//! UTF-16 and UTF-32 (by byte-order mark, or by the NUL bytes every other
//! character carries without one) and binary data (NUL bytes) are refused
//! before a job reads a row, so none is "processed" into garbage.

use super::sniff::first_nul;
use std::fmt;

/// Why an input is not UTF-8 text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotText {
    /// A byte-order mark of another encoding: `UTF-16 LE`, `UTF-32 BE`, ...
    Encoding(&'static str),
    /// NUL bytes in every other (or every fourth) position: UTF-16 or
    /// UTF-32 without a byte-order mark.
    WideText(&'static str),
    /// A NUL byte at this offset: binary data, not text.
    Binary(u64),
}

impl fmt::Display for NotText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a UTF-8 CSV: ")?;
        match self {
            NotText::Encoding(name) => write!(
                f,
                "{name} byte-order mark; convert it first (iconv -f {} -t UTF-8)",
                name.replace(' ', "")
            ),
            NotText::WideText(name) => write!(
                f,
                "NUL bytes between the characters ({name} text without a byte-order mark?); convert it to UTF-8 first"
            ),
            NotText::Binary(offset) => write!(
                f,
                "a NUL byte at byte {offset}: binary data (a compressed or encrypted file under a .csv name?)"
            ),
        }
    }
}

impl std::error::Error for NotText {}

/// Checks the start of a (decompressed) input.
///
/// ```
/// use sluice_engine::{check_text, NotText};
/// assert_eq!(check_text(b"a,b\n1,2\n"), Ok(()));
/// assert_eq!(check_text(b"\xFF\xFEa\x00,\x00"), Err(NotText::Encoding("UTF-16 LE")));
/// ```
pub fn check_text(sample: &[u8]) -> Result<(), NotText> {
    let marks: [(&[u8], &str); 4] = [
        (b"\xFF\xFE\x00\x00", "UTF-32 LE"),
        (b"\x00\x00\xFE\xFF", "UTF-32 BE"),
        (b"\xFF\xFE", "UTF-16 LE"),
        (b"\xFE\xFF", "UTF-16 BE"),
    ];
    if let Some((_, name)) = marks.iter().find(|(mark, _)| sample.starts_with(mark)) {
        return Err(NotText::Encoding(name));
    }
    let Some(at) = first_nul(sample) else {
        return Ok(());
    };
    Err(wide(sample).map_or(NotText::Binary(at as u64), NotText::WideText))
}

/// The encoding whose NUL pattern the start of `sample` has, if any:
/// ASCII text in UTF-16 has a NUL in every other byte, in UTF-32 three in
/// every four.
fn wide(sample: &[u8]) -> Option<&'static str> {
    let head = &sample[..sample.len().min(64) & !3];
    if head.len() < 8 {
        return None;
    }
    let nul_at = |phase: usize, step: usize| head.iter().skip(phase).step_by(step).all(|&b| b == 0);
    let text_at =
        |phase: usize, step: usize| head.iter().skip(phase).step_by(step).all(|&b| b != 0);
    let quad = |p: usize| (0..4).filter(|&i| i != p).all(|i| nul_at(i, 4)) && text_at(p, 4);
    if quad(0) {
        Some("UTF-32 LE")
    } else if quad(3) {
        Some("UTF-32 BE")
    } else if nul_at(1, 2) && text_at(0, 2) {
        Some("UTF-16 LE")
    } else if nul_at(0, 2) && text_at(1, 2) {
        Some("UTF-16 BE")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn other_encodings_and_binary_are_told_apart() {
        assert_eq!(check_text(b""), Ok(()));
        assert_eq!(check_text("a,é\n".as_bytes()), Ok(()));
        assert_eq!(check_text(b"\xEF\xBB\xBFa,b\n"), Ok(()));
        let mut marked = vec![0xFF, 0xFE];
        marked.extend(utf16le("a,b\n1,2\n"));
        assert_eq!(check_text(&marked), Err(NotText::Encoding("UTF-16 LE")));
        assert_eq!(
            check_text(b"\xFF\xFE\x00\x00a\x00\x00\x00"),
            Err(NotText::Encoding("UTF-32 LE"))
        );
        assert_eq!(
            check_text(&utf16le("name,value\n1,2\n")),
            Err(NotText::WideText("UTF-16 LE"))
        );
        let be: Vec<u8> = "name,value\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(check_text(&be), Err(NotText::WideText("UTF-16 BE")));
        let le32: Vec<u8> = "name,v\n"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert_eq!(check_text(&le32), Err(NotText::WideText("UTF-32 LE")));
        assert_eq!(check_text(b"a,b\n1,\x002\n"), Err(NotText::Binary(6)));
        let message = NotText::Encoding("UTF-16 LE").to_string();
        assert!(
            message.starts_with("not a UTF-8 CSV: UTF-16 LE byte-order mark"),
            "{message}"
        );
    }
}
