//! RFC 4180 field values: unquoting, blank checks, writing fields and
//! rejects lines.

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The value of a raw field: enclosing quotes removed and doubled quotes
/// made single, as RFC 4180 readers do.
///
/// ```
/// use sluice_engine::unquote;
/// assert_eq!(&*unquote(b"\"a \"\"b\"\", c\""), &b"a \"b\", c"[..]);
/// assert_eq!(&*unquote(b"plain"), &b"plain"[..]);
/// ```
pub fn unquote(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    if raw.first() != Some(&b'"') {
        return Cow::Borrowed(raw);
    }
    let mut value = Vec::with_capacity(raw.len());
    unquote_into(raw, &mut value);
    Cow::Owned(value)
}

/// Whether a raw field's value is nothing but spaces, quoted or not:
/// `unquote(raw).trim_ascii().is_empty()` without making the value.
#[inline(always)]
pub(crate) fn is_blank(raw: &[u8]) -> bool {
    match raw.first() {
        // The common case, a value that starts with a letter or digit.
        Some(&b) if !b.is_ascii_whitespace() && b != b'"' => false,
        _ => is_blank_slow(raw),
    }
}

#[cold]
fn is_blank_slow(raw: &[u8]) -> bool {
    match raw {
        [b'"', rest @ ..] => {
            // Inside the quotes a doubled quote is a `"`, not a space; the
            // closing quote is the lone one, and what follows is as it is.
            let closing = rest.windows(2).position(|w| w == b"\"\"");
            let lone = rest.iter().position(|&b| b == b'"');
            match lone {
                Some(at) if closing != Some(at) => {
                    rest[..at].trim_ascii().is_empty() && rest[at + 1..].trim_ascii().is_empty()
                }
                Some(_) => false,
                None => rest.trim_ascii().is_empty(),
            }
        }
        _ => raw.trim_ascii().is_empty(),
    }
}

/// Appends the value of a raw field that starts with a quote to `value`
/// (see [`unquote`]).
pub(crate) fn unquote_into(raw: &[u8], value: &mut Vec<u8>) {
    let rest = raw.get(1..).unwrap_or_default();
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'"' if rest.get(i + 1) == Some(&b'"') => {
                value.push(b'"');
                i += 2;
            }
            b'"' => {
                // Closing quote: whatever follows is taken as it is.
                value.extend_from_slice(&rest[i + 1..]);
                break;
            }
            b => {
                value.push(b);
                i += 1;
            }
        }
    }
}

/// Where a field scanned byte by byte ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FieldEnd {
    /// At a delimiter at this position.
    Delim(usize),
    /// At a line ending (`\n` or `\r`) at this position.
    Term(usize),
    /// The buffer ended; `quoted` when inside an open quote.
    End { quoted: bool },
}

/// Scans one field from its first byte with the rules of RFC 4180 readers:
/// a quote opens a quoted field only as the field's first byte; inside, a
/// doubled quote is a literal quote; after the closing quote, the rest of
/// the field is plain bytes. Counts the line feeds inside quotes.
pub(super) fn scan_field(buf: &[u8], start: usize, delim: u8, quoted_lf: &mut u64) -> FieldEnd {
    let mut i = start;
    if buf.get(i) == Some(&b'"') {
        i += 1;
        loop {
            match buf.get(i) {
                None => return FieldEnd::End { quoted: true },
                Some(b'"') if buf.get(i + 1) == Some(&b'"') => i += 2,
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(b) => {
                    *quoted_lf += u64::from(*b == b'\n');
                    i += 1;
                }
            }
        }
    }
    while let Some(&b) = buf.get(i) {
        if b == delim {
            return FieldEnd::Delim(i);
        }
        if b == b'\n' || b == b'\r' {
            return FieldEnd::Term(i);
        }
        i += 1;
    }
    FieldEnd::End { quoted: false }
}

/// Appends one rejects line: `line,reason,row` (the caller writes that
/// header once, before the first).
pub(crate) fn write_reject(rejects: &mut Vec<u8>, line: u64, reason: &str, row: &[u8]) {
    rejects.extend_from_slice(line.to_string().as_bytes());
    rejects.push(b',');
    write_csv_field(rejects, reason.as_bytes());
    rejects.push(b',');
    write_csv_field(rejects, row);
    rejects.push(b'\n');
}

/// Appends `value` as one CSV field, quoted when it needs to be.
pub fn write_csv_field(out: &mut Vec<u8>, value: &[u8]) {
    let needs_quotes = value
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        || value.first().is_some_and(|b| b.is_ascii_whitespace())
        || value.last().is_some_and(|b| b.is_ascii_whitespace());
    if needs_quotes {
        write_quoted(out, value);
    } else {
        out.extend_from_slice(value);
    }
}

/// Appends `value` in quotes, each quote in it doubled (RFC 4180).
pub(crate) fn write_quoted(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'"');
    for &b in value {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_are_found_without_unquoting() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let raw: Vec<u8> = (0..state % 7)
                .map(|i| b"\" \"\ta"[(state >> (8 * i + 8)) as usize % 5])
                .collect();
            assert_eq!(
                is_blank(&raw),
                unquote(&raw).trim_ascii().is_empty(),
                "{:?}",
                String::from_utf8_lossy(&raw)
            );
        }
    }
}
