//! Running a [`Program`]'s condition on a row. Fields are read raw from
//! the row and unquoted only when they start with a quote; numbers are
//! compared as written; nothing is allocated for the compiled shapes
//! (`field op number`, `field op 'text'`, `field IN (…)`, `field LIKE …`
//! on an unquoted field).

use super::ast::Op;
use super::compile::{Cond, Num, Str, Value};
use crate::csv::unquote_into;
use crate::job::Row;
use crate::number::{Exact, Verdict};

/// Where a condition reads fields from: a whole row, or the one field a
/// condition over a single column needs, as the scanner hands it over.
pub(crate) trait Fields {
    /// Field `i` as it appears in the input; `None` when absent.
    fn field(&self, i: usize) -> Option<&[u8]>;
    /// How many fields there are.
    fn count(&self) -> usize;
}

impl Fields for Row<'_> {
    #[inline(always)]
    fn field(&self, i: usize) -> Option<&[u8]> {
        Row::field(self, i)
    }
    fn count(&self) -> usize {
        self.fields
    }
}

/// The one field a single-column condition reads (`raw` is `None` when
/// the row ends before it).
pub(crate) struct OneField<'a> {
    pub(crate) index: usize,
    pub(crate) raw: Option<&'a [u8]>,
}

impl Fields for OneField<'_> {
    #[inline(always)]
    fn field(&self, i: usize) -> Option<&[u8]> {
        self.raw.filter(|_| i == self.index)
    }
    fn count(&self) -> usize {
        self.index + usize::from(self.raw.is_some())
    }
}

/// Buffers for values that have to be made (unquoted, lowered, …), kept
/// between rows so that their allocations are reused.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    bufs: Vec<Vec<u8>>,
}

impl Scratch {
    /// A cleared buffer of its own for the caller, given back with `put`.
    fn take(&mut self) -> Vec<u8> {
        let mut b = self.bufs.pop().unwrap_or_default();
        b.clear();
        b
    }

    fn put(&mut self, b: Vec<u8>) {
        self.bufs.push(b);
    }
}

/// The value of a raw field: itself when unquoted, what is between the
/// quotes when nothing else is quoted in it, else unquoted into `buf`.
#[inline(always)]
pub(crate) fn field_value<'a>(raw: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    match raw {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'"') => inner,
        [b'"', ..] => {
            buf.clear();
            unquote_into(raw, buf);
            buf
        }
        _ => raw,
    }
}

impl Cond {
    /// Whether the row meets the condition.
    #[inline]
    pub(crate) fn eval<F: Fields>(&self, row: &F, s: &mut Scratch) -> bool {
        match self {
            Cond::And(all) => all.iter().all(|c| c.eval(row, s)),
            Cond::Or(any) => any.iter().any(|c| c.eval(row, s)),
            Cond::Not(c) => !c.eval(row, s),
            Cond::Number { field, op, k } => {
                let raw = row.field(*field).unwrap_or_default();
                with_value(raw, s, |v| k.compare(v).is_some_and(|o| op.holds(o)))
            }
            Cond::Text { field, op, k } => {
                let raw = row.field(*field).unwrap_or_default();
                with_value(raw, s, |v| match op {
                    // Lengths first: most cells differ in length.
                    Op::Eq => v == k.as_slice(),
                    Op::Ne => v != k.as_slice(),
                    _ => op.holds(v.cmp(k)),
                })
            }
            Cond::TextIn { field, set } => {
                let raw = row.field(*field).unwrap_or_default();
                with_value(raw, s, |v| set.iter().any(|k| k == v))
            }
            Cond::Like { value, pattern } => with_str(value, row, s, |v| pattern.matches(v)),
            Cond::Empty(Value::Str(value)) => with_str(value, row, s, |v| v.is_empty()),
            Cond::Empty(Value::Num(n)) => n.eval(row, s).is_none(),
            Cond::CompareText { op, left, right } => {
                let mut l = s.take();
                left.eval(row, s, &mut l);
                let holds = with_str(right, row, s, |r| op.holds(l.as_slice().cmp(r)));
                s.put(l);
                holds
            }
            Cond::CompareNumber { op, left, right } => {
                match (left.eval(row, s), right.eval(row, s)) {
                    (Some(l), Some(r)) => op.holds(l.cmp_exact(&r)),
                    _ => false,
                }
            }
            Cond::Threshold {
                fields,
                all,
                threshold,
            } => threshold_rule(row, fields.as_deref(), *all, |raw| threshold.judge(raw)),
        }
    }
}

/// Calls `f` with the value of a raw field.
#[inline(always)]
fn with_value<T>(raw: &[u8], s: &mut Scratch, f: impl FnOnce(&[u8]) -> T) -> T {
    if raw.first() != Some(&b'"') {
        return f(raw);
    }
    let mut buf = s.take();
    let out = f(field_value(raw, &mut buf));
    s.put(buf);
    out
}

/// Calls `f` with a text value, made in a scratch buffer unless it is a
/// field as it stands.
fn with_str<T, F: Fields>(value: &Str, row: &F, s: &mut Scratch, f: impl FnOnce(&[u8]) -> T) -> T {
    if let Str::Field(i) = value {
        return with_value(row.field(*i).unwrap_or_default(), s, f);
    }
    let mut buf = s.take();
    value.eval(row, s, &mut buf);
    let out = f(&buf);
    s.put(buf);
    out
}

impl Str {
    /// Writes the value into `out` (cleared first).
    fn eval<F: Fields>(&self, row: &F, s: &mut Scratch, out: &mut Vec<u8>) {
        out.clear();
        match self {
            Str::Field(i) => {
                let raw = row.field(*i).unwrap_or_default();
                let mut buf = s.take();
                let v = field_value(raw, &mut buf);
                out.extend_from_slice(v);
                s.put(buf);
            }
            Str::Text(t) => out.extend_from_slice(t),
            Str::Lower(x) | Str::Upper(x) => {
                x.eval(row, s, out);
                let lower = matches!(self, Str::Lower(_));
                change_case(out, lower);
            }
            Str::Trim(x) => {
                x.eval(row, s, out);
                let end = out.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
                let start = out[..end].iter().position(|&b| b != b' ').unwrap_or(end);
                out.truncate(end);
                out.drain(..start);
            }
            Str::Number(n) => {
                if let Some(v) = n.eval(row, s) {
                    v.write(out);
                }
            }
        }
    }
}

/// Lowers or uppers text: every character when it is UTF-8, else ASCII
/// letters only.
fn change_case(text: &mut Vec<u8>, lower: bool) {
    match std::str::from_utf8(text) {
        Ok(t) if !t.is_ascii() => {
            let changed = if lower {
                t.to_lowercase()
            } else {
                t.to_uppercase()
            };
            *text = changed.into_bytes();
        }
        _ if lower => text.make_ascii_lowercase(),
        _ => text.make_ascii_uppercase(),
    }
}

impl Num {
    /// The value, or `None` when the text it is read from is no number.
    fn eval<F: Fields>(&self, row: &F, s: &mut Scratch) -> Option<Exact> {
        match self {
            Num::Const(k) => Some(k.clone()),
            Num::Parse(x) => with_str(x, row, s, Exact::parse),
            Num::Int(x) => Some(x.eval(row, s)?.truncated()),
            Num::Length(x) => with_str(x, row, s, |v| {
                Some(Exact::from_count(
                    v.iter().filter(|&&b| b & 0xC0 != 0x80).count(),
                ))
            }),
        }
    }
}

/// The `--threshold` rule: any considered field above (or, with `all`,
/// every numeric one above and at least one numeric).
fn threshold_rule<F: Fields>(
    row: &F,
    fields: Option<&[usize]>,
    all: bool,
    judge: impl Fn(&[u8]) -> Verdict,
) -> bool {
    let verdicts = |i: usize| judge(row.field(i).unwrap_or_default());
    let mut each: Box<dyn Iterator<Item = Verdict>> = match fields {
        Some(f) => Box::new(f.iter().filter(|&&i| i < row.count()).map(|&i| verdicts(i))),
        None => Box::new((0..row.count()).map(verdicts)),
    };
    if all {
        let mut seen = false;
        for v in each {
            match v {
                Verdict::Above => seen = true,
                Verdict::NotAbove => return false,
                Verdict::NotNumeric => {}
            }
        }
        seen
    } else {
        each.any(|v| v == Verdict::Above)
    }
}
