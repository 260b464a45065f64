//! Compiling an [`Expr`] against the header into a [`Program`]: names
//! become field indices, constants are parsed once, and the shapes that
//! matter for speed — a column against a number, a string or a list of
//! strings — become instructions of their own that read the raw field.

use super::ast::{Expr, Function, Op, Operand, Type};
use super::like::{self, Pattern};
use super::ExprError;
use crate::job::Header;
use crate::jobs::filter::columns::suggest;
use crate::number::{Constant, Exact, Threshold};

/// An expression ready to run: a condition over field indices, and how
/// many leading fields of a row it reads.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    pub(crate) cond: Cond,
    /// One past the highest field index the condition reads.
    pub(crate) fields: usize,
    /// The field, when the condition reads only one: it can then be
    /// judged as the scanner hands that field over, and the rest of the
    /// row skipped.
    pub(crate) single: Option<usize>,
}

/// Marks a column the header does not have (only when there is no header
/// at all, an empty input): its value is always empty.
pub(crate) const ABSENT: usize = usize::MAX;

/// A condition, evaluated per row by [`eval`](super::eval).
#[derive(Clone, Debug)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// A field against a number: false when the field is not one.
    Number {
        field: usize,
        op: Op,
        k: Constant,
    },
    /// A field against a string, byte-wise.
    Text {
        field: usize,
        op: Op,
        k: Vec<u8>,
    },
    /// A field equal to one of a few strings.
    TextIn {
        field: usize,
        set: Vec<Vec<u8>>,
    },
    Like {
        value: Str,
        pattern: Pattern,
    },
    /// The value is empty (text), or not a number (numeric).
    Empty(Value),
    CompareText {
        op: Op,
        left: Str,
        right: Str,
    },
    CompareNumber {
        op: Op,
        left: Num,
        right: Num,
    },
    /// The `--threshold` rule over some fields (`None`: all of them), as
    /// the per-field filter judges it, for `--select` without `--where`.
    Threshold {
        fields: Option<Vec<usize>>,
        all: bool,
        threshold: Threshold,
    },
}

/// A text value.
#[derive(Clone, Debug)]
pub(crate) enum Str {
    Field(usize),
    Text(Vec<u8>),
    Lower(Box<Str>),
    Upper(Box<Str>),
    Trim(Box<Str>),
    /// A number written as plain decimal text.
    Number(Box<Num>),
}

/// A numeric value; evaluates to nothing when its text is not a number.
#[derive(Clone, Debug)]
pub(crate) enum Num {
    Const(Exact),
    Parse(Str),
    Int(Box<Num>),
    Length(Str),
}

/// A value of either kind.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Str(Str),
    Num(Num),
}

/// Compiles `expr` (parsed from `text`, for error positions) against the
/// header, or against none when the input has no header row.
pub(crate) fn compile(
    expr: &Expr,
    text: &str,
    header: Option<&Header>,
) -> Result<Program, ExprError> {
    let mut c = Compiler {
        text,
        header,
        fields: 0,
        used: Vec::new(),
    };
    let cond = c.cond(expr)?;
    Ok(Program {
        cond,
        fields: c.fields,
        single: match c.used.as_slice() {
            [one] => Some(*one),
            _ => None,
        },
    })
}

struct Compiler<'a> {
    text: &'a str,
    header: Option<&'a Header>,
    fields: usize,
    /// The distinct fields read.
    used: Vec<usize>,
}

impl Compiler<'_> {
    fn cond(&mut self, expr: &Expr) -> Result<Cond, ExprError> {
        Ok(match expr {
            Expr::Or(..) => Cond::Or(self.chain(expr, false)?),
            Expr::And(..) => Cond::And(self.chain(expr, true)?),
            Expr::Not(e) => Cond::Not(Box::new(self.cond(e)?)),
            Expr::Compare(op, l, r) => self.compare(*op, l, r)?,
            Expr::Between {
                negated,
                value,
                low,
                high,
            } => {
                let both = Cond::And(vec![
                    self.compare(Op::Ge, value, low)?,
                    self.compare(Op::Le, value, high)?,
                ]);
                negate(*negated, both)
            }
            Expr::In {
                negated,
                value,
                list,
            } => {
                let any = self.in_list(value, list)?;
                negate(*negated, any)
            }
            Expr::Like {
                negated,
                value,
                pattern,
                escape,
            } => negate(*negated, self.like(value, pattern, escape.as_ref())?),
            Expr::IsEmpty { negated, value, .. } => {
                negate(*negated, Cond::Empty(self.value(value)?))
            }
        })
    }

    /// `a AND b AND c` as one list (the tree nests them two by two), so
    /// that a row takes one loop, not a call per level.
    fn chain(&mut self, expr: &Expr, and: bool) -> Result<Vec<Cond>, ExprError> {
        let mut list = Vec::new();
        let mut todo = vec![expr];
        while let Some(e) = todo.pop() {
            match (e, and) {
                // Right first onto the stack, so that the left is taken first.
                (Expr::And(x, y), true) | (Expr::Or(x, y), false) => todo.extend([&**y, &**x]),
                _ => list.push(self.cond(e)?),
            }
        }
        Ok(list)
    }

    fn compare(&mut self, op: Op, l: &Operand, r: &Operand) -> Result<Cond, ExprError> {
        let (l, r) = (self.value(l)?, self.value(r)?);
        Ok(match (l, r) {
            (Value::Str(Str::Field(field)), Value::Num(Num::Const(k))) => Cond::Number {
                field,
                op,
                k: Constant::new(k),
            },
            (Value::Num(Num::Const(k)), Value::Str(Str::Field(field))) => Cond::Number {
                field,
                op: flip(op),
                k: Constant::new(k),
            },
            (Value::Str(Str::Field(field)), Value::Str(Str::Text(k))) => {
                Cond::Text { field, op, k }
            }
            (Value::Str(Str::Text(k)), Value::Str(Str::Field(field))) => Cond::Text {
                field,
                op: flip(op),
                k,
            },
            (Value::Str(left), Value::Str(right)) => Cond::CompareText { op, left, right },
            (left, right) => Cond::CompareNumber {
                op,
                left: numeric(left),
                right: numeric(right),
            },
        })
    }

    fn in_list(&mut self, value: &Operand, list: &[Operand]) -> Result<Cond, ExprError> {
        let texts: Option<Vec<Vec<u8>>> = list
            .iter()
            .map(|item| match item {
                Operand::Text(s) => Some(s.clone().into_bytes()),
                _ => None,
            })
            .collect();
        if let (Some(set), Value::Str(Str::Field(field))) = (texts, self.value(value)?) {
            return Ok(Cond::TextIn { field, set });
        }
        let each = list.iter().map(|item| self.compare(Op::Eq, value, item));
        Ok(Cond::Or(each.collect::<Result<_, _>>()?))
    }

    fn like(
        &mut self,
        value: &Operand,
        pattern: &Operand,
        escape: Option<&Operand>,
    ) -> Result<Cond, ExprError> {
        let Value::Str(value) = self.value(value)? else {
            return Err(self.error_at(
                value,
                "LIKE takes text: write CAST(… AS STRING) for a number",
            ));
        };
        let Operand::Text(p) = pattern else {
            return Err(self.error_at(pattern, "a LIKE pattern is a 'string'"));
        };
        let escape = match escape {
            None => None,
            Some(Operand::Text(e)) if e.len() == 1 => Some(e.as_bytes()[0]),
            Some(other) => {
                return Err(self.error_at(other, "ESCAPE takes one character in quotes, like '\\'"))
            }
        };
        let pattern = like::compile(p.as_bytes(), escape)
            .map_err(|message| self.error_at(pattern, message))?;
        Ok(Cond::Like { value, pattern })
    }

    fn value(&mut self, operand: &Operand) -> Result<Value, ExprError> {
        Ok(match operand {
            Operand::Column { .. } | Operand::Position { .. } => {
                Value::Str(Str::Field(self.column(operand)?))
            }
            Operand::Text(s) => Value::Str(Str::Text(s.clone().into_bytes())),
            Operand::Number(n) => Value::Num(Num::Const(
                Exact::parse(n.as_bytes()).expect("the lexer reads decimal numbers only"),
            )),
            Operand::Call(f, x) => self.call(*f, x)?,
            Operand::Cast(x, ty) => match (self.value(x)?, ty) {
                (v, Type::Decimal) => Value::Num(numeric(v)),
                (v, Type::Int) => Value::Num(Num::Int(Box::new(numeric(v)))),
                (Value::Num(n), Type::String) => Value::Str(Str::Number(Box::new(n))),
                (v @ Value::Str(_), Type::String) => v,
            },
        })
    }

    fn call(&mut self, f: Function, x: &Operand) -> Result<Value, ExprError> {
        let Value::Str(s) = self.value(x)? else {
            let message = format!(
                "{} takes text: write CAST(… AS STRING) for a number",
                f.name()
            );
            return Err(self.error_at(x, message));
        };
        let s = Box::new(s);
        Ok(match f {
            Function::Lower => Value::Str(Str::Lower(s)),
            Function::Upper => Value::Str(Str::Upper(s)),
            Function::Trim => Value::Str(Str::Trim(s)),
            Function::CharLength => Value::Num(Num::Length(*s)),
        })
    }

    /// The field index of a column, checked against the header.
    fn column(&mut self, operand: &Operand) -> Result<usize, ExprError> {
        let index = match (operand, self.header) {
            (Operand::Position { index, at }, Some(h)) if *index > h.names.len() => {
                let message = format!(
                    "_{index} is past the last column (the header has {})",
                    h.names.len()
                );
                return Err(ExprError::new(self.text, at.0, message));
            }
            (Operand::Position { index, .. }, _) => index - 1,
            (Operand::Column { .. }, None) => ABSENT,
            (Operand::Column { name, quoted, at }, Some(h)) => {
                find(h, name, *quoted).ok_or_else(|| unknown(self.text, at.0, name, h))?
            }
            _ => unreachable!("only columns are looked up"),
        };
        if index != ABSENT {
            self.fields = self.fields.max(index + 1);
        }
        if !self.used.contains(&index) {
            self.used.push(index);
        }
        Ok(index)
    }

    /// Where an operand was written: its first column, else where its
    /// text first appears in the expression.
    fn offset(&self, operand: &Operand) -> usize {
        match operand {
            Operand::Column { at, .. } | Operand::Position { at, .. } => at.0,
            // The function's name, found back from its first column.
            Operand::Call(_, x) | Operand::Cast(x, _) if has_column(x) => {
                let name = match operand {
                    Operand::Call(f, _) => &f.name()[..4],
                    _ => "cast",
                };
                let before = self.text[..self.offset(x)].to_ascii_lowercase();
                before.rfind(&name.to_ascii_lowercase()).unwrap_or(0)
            }
            _ => {
                let printed = operand.to_string().to_ascii_lowercase();
                self.text.to_ascii_lowercase().find(&printed).unwrap_or(0)
            }
        }
    }

    fn error_at(&self, operand: &Operand, message: impl Into<String>) -> ExprError {
        ExprError::new(self.text, self.offset(operand), message)
    }
}

/// `NOT c` when negated.
fn negate(negated: bool, c: Cond) -> Cond {
    if negated {
        Cond::Not(Box::new(c))
    } else {
        c
    }
}

/// The operator with its sides swapped: `5 < x` is `x > 5`.
fn flip(op: Op) -> Op {
    match op {
        Op::Lt => Op::Gt,
        Op::Le => Op::Ge,
        Op::Gt => Op::Lt,
        Op::Ge => Op::Le,
        same => same,
    }
}

fn numeric(v: Value) -> Num {
    match v {
        Value::Num(n) => n,
        Value::Str(s) => Num::Parse(s),
    }
}

fn has_column(o: &Operand) -> bool {
    match o {
        Operand::Column { .. } | Operand::Position { .. } => true,
        Operand::Call(_, x) | Operand::Cast(x, _) => has_column(x),
        _ => false,
    }
}

/// A name in double quotes matches exactly; a bare one exactly, else
/// whatever the case (S3 Select's rule).
fn find(header: &Header, name: &str, quoted: bool) -> Option<usize> {
    let names = &header.names;
    names.iter().position(|n| n == name.as_bytes()).or_else(|| {
        (!quoted).then(|| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name.as_bytes()))
        })?
    })
}

fn unknown(text: &str, at: usize, name: &str, header: &Header) -> ExprError {
    let mut message = format!("unknown column {name:?}");
    if let Some(near) = suggest(name, header) {
        message.push_str(&format!("; did you mean {near:?}?"));
    }
    message.push_str(&format!(" (header: {})", header.listing()));
    ExprError::new(text, at, message)
}
