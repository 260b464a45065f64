//! Splits an expression into tokens, each with the byte offset it starts
//! at, for the parser and its error messages.

use super::ExprError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// A name or keyword as written (keywords are told apart by the parser,
    /// case-insensitively).
    Word(String),
    /// `"Ship Mode"`: always a column name.
    Quoted(String),
    /// `'text'`.
    Text(String),
    /// Digits, point, exponent, as written.
    Number(String),
    /// `= != <> < <= > >= ( ) , + -`.
    Symbol(&'static str),
    End,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub tok: Tok,
    pub at: usize,
}

/// Words that are part of the language, so never a bare column name.
pub(super) const KEYWORDS: &[&str] = &[
    "AND", "OR", "NOT", "BETWEEN", "IN", "LIKE", "ESCAPE", "IS", "NULL", "EMPTY", "CAST", "AS",
];

/// Whether `name` can be written without double quotes: a word that is no
/// keyword and no position (`_3`).
pub fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
    first_ok
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name))
        && position(name).is_none()
}

/// `_3` → 3.
pub(super) fn position(word: &str) -> Option<usize> {
    let digits = word.strip_prefix('_')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

const SYMBOLS: &[&str] = &[
    "!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ",", "+", "-",
];

pub(super) fn tokens(text: &str) -> Result<Vec<Token>, ExprError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let at = i;
        let tok = if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            // Bytes past ASCII are taken as letters: names like `région`.
            let end = scan(bytes, i, |c| {
                c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
            });
            i = end;
            Tok::Word(text[at..end].to_string())
        } else if b.is_ascii_digit()
            || (b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let (tok, end) = number(text, i)?;
            i = end;
            tok
        } else if b == b'\'' || b == b'"' {
            let (value, end) = quoted(text, i)?;
            i = end;
            if b == b'\'' {
                Tok::Text(value)
            } else if value.is_empty() {
                return Err(ExprError::new(text, at, "a quoted column name is empty"));
            } else {
                Tok::Quoted(value)
            }
        } else if let Some(s) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
            i += s.len();
            Tok::Symbol(s)
        } else {
            let c = text[i..].chars().next().expect("inside the text");
            return Err(ExprError::new(
                text,
                at,
                format!("unexpected character {c:?}"),
            ));
        };
        out.push(Token { tok, at });
    }
    out.push(Token {
        tok: Tok::End,
        at: text.len(),
    });
    Ok(out)
}

fn scan(bytes: &[u8], mut i: usize, ok: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && ok(bytes[i]) {
        i += 1;
    }
    i
}

/// `12`, `4.70`, `.5`, `5.`, `1e3`, `2.5E-3`.
fn number(text: &str, start: usize) -> Result<(Tok, usize), ExprError> {
    let bytes = text.as_bytes();
    let mut i = scan(bytes, start, |c| c.is_ascii_digit());
    if bytes.get(i) == Some(&b'.') {
        i = scan(bytes, i + 1, |c| c.is_ascii_digit());
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let end = scan(bytes, j, |c| c.is_ascii_digit());
        if end == j {
            return Err(ExprError::new(
                text,
                i,
                "an exponent needs digits (1e3, 2.5e-3)",
            ));
        }
        i = end;
    }
    if bytes
        .get(i)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        return Err(ExprError::new(
            text,
            start,
            "a name cannot start with a digit: put it in double quotes",
        ));
    }
    Ok((Tok::Number(text[start..i].to_string()), i))
}

/// A string in single quotes or a name in double quotes, the quote written
/// twice standing for itself.
fn quoted(text: &str, start: usize) -> Result<(String, usize), ExprError> {
    let q = text.as_bytes()[start];
    let mut value = String::new();
    let mut i = start + 1;
    loop {
        let Some(rest) = text.get(i..).filter(|r| !r.is_empty()) else {
            let what = if q == b'\'' { "string" } else { "quoted name" };
            return Err(ExprError::new(
                text,
                start,
                format!("this {what} is never closed"),
            ));
        };
        let n = rest.find(q as char).unwrap_or(rest.len());
        value.push_str(&rest[..n]);
        i += n;
        if i == text.len() {
            continue;
        }
        if text.as_bytes().get(i + 1) == Some(&q) {
            value.push(q as char);
            i += 2;
        } else {
            return Ok((value, i + 1));
        }
    }
}
