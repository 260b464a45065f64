//! Guessing a CSV's layout from its first bytes: byte-order mark,
//! delimiter, line ending — and whether it is text at all.
//!
//! The delimiter is the candidate (`,` `;` tab `|`) that splits the first
//! rows most consistently: counted outside quotes, the same non-zero count
//! on every complete row wins, the highest count breaking ties; when none is
//! consistent, the most frequent. A file with none of them is one column,
//! read with a comma.

/// The most of an input the sniffer looks at.
pub const SNIFF_BYTES: usize = 64 << 10;

/// The most rows the delimiter is judged on.
const SNIFF_ROWS: usize = 200;

/// The delimiters the sniffer chooses from, in order of preference.
pub const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// A byte-order mark at the start of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bom {
    /// `EF BB BF`.
    Utf8,
    /// `FF FE`: UTF-16 text, not something a CSV reader takes.
    Utf16Le,
    /// `FE FF`: UTF-16 text, not something a CSV reader takes.
    Utf16Be,
}

impl Bom {
    /// `utf-8`, `utf-16le` or `utf-16be`.
    pub fn name(self) -> &'static str {
        match self {
            Bom::Utf8 => "utf-8",
            Bom::Utf16Le => "utf-16le",
            Bom::Utf16Be => "utf-16be",
        }
    }

    /// The mark at the start of `bytes`, if any.
    pub fn detect(bytes: &[u8]) -> Option<Bom> {
        match bytes {
            [0xEF, 0xBB, 0xBF, ..] => Some(Bom::Utf8),
            [0xFF, 0xFE, ..] => Some(Bom::Utf16Le),
            [0xFE, 0xFF, ..] => Some(Bom::Utf16Be),
            _ => None,
        }
    }
}

/// The line ending of the first row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnding {
    /// `\n`.
    Lf,
    /// `\r\n`.
    CrLf,
    /// A lone `\r` (classic Mac OS).
    Cr,
}

impl LineEnding {
    /// `LF`, `CRLF` or `CR`.
    pub fn name(self) -> &'static str {
        match self {
            LineEnding::Lf => "LF",
            LineEnding::CrLf => "CRLF",
            LineEnding::Cr => "CR",
        }
    }
}

/// What the first bytes of an input say about its layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sniff {
    pub bom: Option<Bom>,
    /// The delimiter guessed (`,` when nothing tells).
    pub delimiter: u8,
    /// The first row's line ending; `None` when the sample has none.
    pub line_ending: Option<LineEnding>,
}

/// Sniffs the layout from `sample`, the start of the input (at most
/// [`SNIFF_BYTES`] are looked at).
///
/// ```
/// use sluice_engine::{sniff, LineEnding};
/// let s = sniff(b"a;b;\"c;d\"\r\n1;2;3\r\n");
/// assert_eq!((s.delimiter, s.line_ending), (b';', Some(LineEnding::CrLf)));
/// ```
pub fn sniff(sample: &[u8]) -> Sniff {
    let sample = &sample[..sample.len().min(SNIFF_BYTES)];
    let bom = Bom::detect(sample);
    let body = match bom {
        Some(Bom::Utf8) => &sample[3..],
        _ => sample,
    };
    let (rows, line_ending) = count_rows(body);
    Sniff {
        bom,
        delimiter: choose(&rows),
        line_ending,
    }
}

/// Candidate counts per row, outside quotes, for the complete rows of
/// `body` (or its only, unterminated, row); and the first line ending.
fn count_rows(body: &[u8]) -> (Vec<[usize; 4]>, Option<LineEnding>) {
    let mut rows = Vec::new();
    let mut counts = [0usize; 4];
    let mut quoted = false;
    let mut ending = None;
    let mut i = 0;
    while i < body.len() && rows.len() < SNIFF_ROWS {
        let b = body[i];
        i += 1;
        if b == b'"' {
            quoted = !quoted;
        } else if quoted {
        } else if let Some(k) = CANDIDATES.iter().position(|&c| c == b) {
            counts[k] += 1;
        } else if b == b'\n' || b == b'\r' {
            let crlf = b == b'\r' && body.get(i) == Some(&b'\n');
            i += usize::from(crlf);
            ending.get_or_insert(match (b, crlf) {
                (b'\n', _) => LineEnding::Lf,
                (_, true) => LineEnding::CrLf,
                _ => LineEnding::Cr,
            });
            if counts != [0; 4] || !rows.is_empty() {
                rows.push(std::mem::take(&mut counts));
            }
        }
    }
    if rows.is_empty() {
        rows.push(counts);
    }
    (rows, ending)
}

/// The delimiter that splits `rows` most consistently.
fn choose(rows: &[[usize; 4]]) -> u8 {
    let consistent = (0..4)
        .filter(|&k| rows[0][k] > 0 && rows.iter().all(|r| r[k] == rows[0][k]))
        .max_by_key(|&k| (rows[0][k], std::cmp::Reverse(k)));
    let frequent = (0..4)
        .map(|k| (rows.iter().map(|r| r[k]).sum::<usize>(), k))
        .filter(|&(n, _)| n > 0)
        .max_by_key(|&(n, k)| (n, std::cmp::Reverse(k)))
        .map(|(_, k)| k);
    consistent.or(frequent).map_or(b',', |k| CANDIDATES[k])
}

/// The delimiter to name instead of `delimiter`, when the header holds
/// none of it (so every row would be one field) while another candidate
/// splits every sampled row the same way: a `;` file read with `,` would
/// otherwise lose every row without a word.
///
/// ```
/// assert_eq!(sluice_engine::wrong_delimiter(b"a;b\n1;2\n", b','), Some(b';'));
/// assert_eq!(sluice_engine::wrong_delimiter(b"a,b\n1,2\n", b','), None);
/// assert_eq!(sluice_engine::wrong_delimiter(b"note\nx;y\n", b','), None);
/// ```
pub fn wrong_delimiter(sample: &[u8], delimiter: u8) -> Option<u8> {
    let sample = &sample[..sample.len().min(SNIFF_BYTES)];
    let body = sample.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(sample);
    let (rows, _) = count_rows(body);
    let given = CANDIDATES.iter().position(|&c| c == delimiter);
    if given.is_some_and(|k| rows[0][k] > 0) {
        return None;
    }
    if given.is_none() && rows_hold(body, delimiter) {
        return None;
    }
    (0..4)
        .filter(|&k| rows[0][k] > 0 && rows.len() > 1 && rows.iter().all(|r| r[k] == rows[0][k]))
        .max_by_key(|&k| (rows[0][k], std::cmp::Reverse(k)))
        .map(|k| CANDIDATES[k])
}

/// Whether the first line holds `delimiter` (one that is not a candidate).
fn rows_hold(body: &[u8], delimiter: u8) -> bool {
    let line = body
        .split(|&b| b == b'\n' || b == b'\r')
        .next()
        .unwrap_or(body);
    line.contains(&delimiter)
}

/// The offset of the first NUL byte in `bytes`: text never holds one.
/// Looks at 64 bytes at a time, which the compiler vectorises.
pub fn first_nul(bytes: &[u8]) -> Option<usize> {
    let mut blocks = bytes.chunks_exact(64);
    let mut base = 0;
    for block in blocks.by_ref() {
        if block.iter().fold(false, |any, &b| any | (b == 0)) {
            return block.iter().position(|&b| b == 0).map(|i| base + i);
        }
        base += 64;
    }
    blocks
        .remainder()
        .iter()
        .position(|&b| b == 0)
        .map(|i| base + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_candidate_delimiter_is_found() {
        for d in CANDIDATES {
            let d = d as char;
            let text = format!("a{d}b{d}c\n1{d}2{d}3\n4{d}5{d}6\n");
            assert_eq!(sniff(text.as_bytes()).delimiter, d as u8, "{d:?}");
        }
    }

    #[test]
    fn delimiters_inside_quotes_do_not_count() {
        // Three commas per row inside quotes, one semicolon outside.
        let s = sniff(b"\"a,b,c,d\";x\n\"1,2,3,4\";y\n");
        assert_eq!(s.delimiter, b';');
        // Quoted line breaks do not end rows.
        let s = sniff(b"a|\"b\nc,d\"|e\n1|2|3\n");
        assert_eq!(s.delimiter, b'|');
    }

    #[test]
    fn consistency_beats_frequency() {
        // Commas vary per row (text), semicolons are steady.
        let s = sniff(b"name;note\nx;a, b, c\ny;d\nz;e, f\n");
        assert_eq!(s.delimiter, b';');
    }

    #[test]
    fn one_column_reads_with_a_comma() {
        assert_eq!(sniff(b"value\n1\n2\n").delimiter, b',');
        assert_eq!(sniff(b"").delimiter, b',');
    }

    #[test]
    fn line_endings_and_marks() {
        assert_eq!(sniff(b"a,b\n1,2\n").line_ending, Some(LineEnding::Lf));
        assert_eq!(sniff(b"a,b\r\n1,2\r\n").line_ending, Some(LineEnding::CrLf));
        assert_eq!(sniff(b"a,b\r1,2\r").line_ending, Some(LineEnding::Cr));
        assert_eq!(sniff(b"a,b").line_ending, None);
        // A quoted line break is not the line ending.
        assert_eq!(
            sniff(b"\"a\r\nb\",c\n1,2\n").line_ending,
            Some(LineEnding::Lf)
        );
        let s = sniff(b"\xEF\xBB\xBFa;b\n1;2\n");
        assert_eq!((s.bom, s.delimiter), (Some(Bom::Utf8), b';'));
        assert_eq!(sniff(b"\xFF\xFEa\0").bom, Some(Bom::Utf16Le));
        assert_eq!(sniff(b"\xFE\xFF\0a").bom, Some(Bom::Utf16Be));
        assert_eq!(sniff(b"a,b\n").bom, None);
    }

    #[test]
    fn nul_bytes_are_found_anywhere() {
        let mut bytes = vec![b'a'; 300];
        assert_eq!(first_nul(&bytes), None);
        for at in [0, 63, 64, 200, 299] {
            bytes[at] = 0;
            assert_eq!(first_nul(&bytes), Some(at));
            bytes[at] = b'a';
        }
    }
}
