//! `LIKE` patterns: `%` any run of characters, `_` one character, the
//! `ESCAPE` character making the next one literal. The common shapes —
//! `abc`, `abc%`, `%abc`, `%abc%` — are plain byte tests; the rest goes
//! through a matcher that backtracks to the last `%` only.

/// A compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pattern {
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
    Suffix(Vec<u8>),
    Contains(Vec<u8>),
    General(Vec<Piece>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    Byte(u8),
    /// `_`.
    One,
    /// `%`.
    Any,
}

/// Compiles `pattern`; `Err` names an escape character that ends it.
pub(crate) fn compile(pattern: &[u8], escape: Option<u8>) -> Result<Pattern, &'static str> {
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        let b = pattern[i];
        i += 1;
        pieces.push(match b {
            _ if Some(b) == escape => {
                let Some(&next) = pattern.get(i) else {
                    return Err("the pattern ends with its escape character");
                };
                i += 1;
                Piece::Byte(next)
            }
            b'%' => Piece::Any,
            b'_' => Piece::One,
            _ => Piece::Byte(b),
        });
    }
    pieces.dedup_by(|a, b| *a == Piece::Any && *b == Piece::Any);
    Ok(shape(pieces))
}

fn shape(pieces: Vec<Piece>) -> Pattern {
    let literal = |p: &[Piece]| -> Option<Vec<u8>> {
        p.iter()
            .map(|p| match p {
                Piece::Byte(b) => Some(*b),
                _ => None,
            })
            .collect()
    };
    let n = pieces.len();
    let lead = pieces.first() == Some(&Piece::Any);
    let trail = n > 1 && pieces.last() == Some(&Piece::Any);
    let middle = &pieces[usize::from(lead)..n - usize::from(trail)];
    match (literal(middle), lead, trail) {
        (Some(s), false, false) => Pattern::Exact(s),
        (Some(s), false, true) => Pattern::Prefix(s),
        (Some(s), true, false) => Pattern::Suffix(s),
        (Some(s), true, true) => Pattern::Contains(s),
        (None, ..) => Pattern::General(pieces),
    }
}

impl Pattern {
    #[inline]
    pub(crate) fn matches(&self, s: &[u8]) -> bool {
        match self {
            Pattern::Exact(p) => s == p.as_slice(),
            Pattern::Prefix(p) => s.starts_with(p),
            Pattern::Suffix(p) => s.ends_with(p),
            Pattern::Contains(p) => contains(s, p),
            Pattern::General(p) => general(p, s),
        }
    }
}

fn contains(s: &[u8], p: &[u8]) -> bool {
    let Some((&first, rest)) = p.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(i) = s[from..].iter().position(|&b| b == first) {
        let at = from + i + 1;
        if s[at..].starts_with(rest) {
            return true;
        }
        from = at;
    }
    false
}

/// The length of the UTF-8 character starting at `s[i]` (1 for a byte
/// that starts none), so that `_` takes one character.
fn char_len(s: &[u8], i: usize) -> usize {
    let n = match s[i] {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    };
    n.min(s.len() - i)
}

/// Matches left to right; on a mismatch, the last `%` takes one more
/// character and matching resumes after it. Each `%` only ever needs the
/// latest, so this is linear in practice and never exponential.
fn general(p: &[Piece], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        let step = match p.get(pi) {
            Some(Piece::Any) => {
                star = Some((pi + 1, si));
                pi += 1;
                continue;
            }
            Some(Piece::One) if si < s.len() => Some(char_len(s, si)),
            Some(Piece::Byte(b)) if s.get(si) == Some(b) => Some(1),
            None if si == s.len() => return true,
            _ => None,
        };
        if let Some(n) = step {
            pi += 1;
            si += n;
            continue;
        }
        match star {
            Some((sp, ss)) if ss < s.len() => {
                let next = ss + char_len(s, ss);
                star = Some((sp, next));
                pi = sp;
                si = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(s: &str, p: &str) -> bool {
        compile(p.as_bytes(), Some(b'\\'))
            .unwrap()
            .matches(s.as_bytes())
    }

    #[test]
    fn shapes_and_general_patterns() {
        assert!(like("abc", "abc") && !like("abcd", "abc"));
        assert!(like("abcd", "ab%") && !like("xabc", "ab%"));
        assert!(like("xabc", "%bc") && !like("abcx", "%bc"));
        assert!(like("xxabcxx", "%abc%") && !like("xxabxcx", "%abc%"));
        assert!(like("a@example.com", "%@example.com"));
        assert!(like("abc", "a_c") && !like("ac", "a_c"));
        assert!(like("aéc", "a_c"), "_ is one character, not one byte");
        assert!(like("", "%") && like("x", "%%") && !like("", "_"));
        assert!(like("banana", "%an_na") && like("banana", "b%a%a%a"));
        assert!(!like("banana", "b%a%a%a%a"));
        assert!(like("50%", "50\\%") && !like("500", "50\\%"));
        assert!(like("a_b", "a\\_b") && !like("axb", "a\\_b"));
        assert_eq!(
            compile(b"ab\\", Some(b'\\')),
            Err("the pattern ends with its escape character")
        );
    }

    #[test]
    fn shapes_agree_with_the_general_matcher() {
        let words = ["", "a", "ab", "ba", "aab", "abab", "b", "xaby"];
        for p in ["a", "a%", "%a", "%a%", "ab", "%ab%", "%", "%%"] {
            let pieces: Vec<Piece> = p
                .bytes()
                .map(|b| {
                    if b == b'%' {
                        Piece::Any
                    } else {
                        Piece::Byte(b)
                    }
                })
                .collect();
            let shaped = compile(p.as_bytes(), None).unwrap();
            for w in words {
                assert_eq!(
                    shaped.matches(w.as_bytes()),
                    general(&pieces, w.as_bytes()),
                    "{w} LIKE {p}"
                );
            }
        }
    }
}
