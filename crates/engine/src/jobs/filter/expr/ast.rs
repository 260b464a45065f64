//! The expression tree as written, and its printing: `Display` writes an
//! expression back in the language, fully parenthesised, so that parsing
//! the text gives the same tree again.

use std::fmt;

/// Where a name was written: a byte offset into the expression text. It
/// takes no part in equality — two trees are the same expression wherever
/// they were written.
#[derive(Clone, Copy, Debug, Default)]
pub struct At(pub usize);

impl PartialEq for At {
    fn eq(&self, _: &At) -> bool {
        true
    }
}

impl Eq for At {}

/// A condition: what `--where` takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `left op right`.
    Compare(Op, Operand, Operand),
    /// `x [NOT] BETWEEN low AND high`.
    Between {
        negated: bool,
        value: Operand,
        low: Operand,
        high: Operand,
    },
    /// `x [NOT] IN (a, b, …)`.
    In {
        negated: bool,
        value: Operand,
        list: Vec<Operand>,
    },
    /// `x [NOT] LIKE pattern [ESCAPE 'c']`.
    Like {
        negated: bool,
        value: Operand,
        pattern: Operand,
        escape: Option<Operand>,
    },
    /// `x IS [NOT] NULL` or `x IS [NOT] EMPTY`: both test for an empty
    /// cell (a CSV cell has no other null).
    IsEmpty {
        negated: bool,
        value: Operand,
        /// `NULL` as written, else `EMPTY`.
        null: bool,
    },
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value: a column, a constant or a function of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// A column by name (`region`, `"Ship Mode"`); `quoted` names match
    /// exactly, others also case-insensitively.
    Column { name: String, quoted: bool, at: At },
    /// A column by 1-based position, `_3`.
    Position { index: usize, at: At },
    /// `'text'`.
    Text(String),
    /// A number as written (`4.70`, `-1e3`).
    Number(String),
    /// `LOWER(x)`, `UPPER(x)`, `TRIM(x)`, `CHAR_LENGTH(x)`.
    Call(Function, Box<Operand>),
    /// `CAST(x AS type)`.
    Cast(Box<Operand>, Type),
}

/// A function of one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Lower,
    Upper,
    Trim,
    CharLength,
}

/// A type of `CAST`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Decimal,
    Int,
    String,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// Whether `left op right` holds when `left` compares to `right` so.
    #[inline(always)]
    pub fn holds(self, order: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::Eq => order == Equal,
            Op::Ne => order != Equal,
            Op::Lt => order == Less,
            Op::Le => order != Greater,
            Op::Gt => order == Greater,
            Op::Ge => order != Less,
        }
    }
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::Lower => "LOWER",
            Function::Upper => "UPPER",
            Function::Trim => "TRIM",
            Function::CharLength => "CHAR_LENGTH",
        }
    }
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Decimal => "DECIMAL",
            Type::Int => "INT",
            Type::String => "STRING",
        }
    }
}

impl Expr {
    /// The column names the expression uses, in order of appearance.
    pub fn column_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.operands(&mut |o| o.names(&mut names));
        names
    }

    /// Calls `f` on each operand at the top of a predicate.
    pub(crate) fn operands<'a>(&'a self, f: &mut impl FnMut(&'a Operand)) {
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => {
                a.operands(f);
                b.operands(f);
            }
            Expr::Not(e) => e.operands(f),
            Expr::Compare(_, l, r) => [l, r].into_iter().for_each(f),
            Expr::Between {
                value, low, high, ..
            } => [value, low, high].into_iter().for_each(f),
            Expr::In { value, list, .. } => std::iter::once(value).chain(list).for_each(f),
            Expr::Like {
                value,
                pattern,
                escape,
                ..
            } => [Some(value), Some(pattern), escape.as_ref()]
                .into_iter()
                .flatten()
                .for_each(f),
            Expr::IsEmpty { value, .. } => f(value),
        }
    }
}

impl Operand {
    fn names<'a>(&'a self, names: &mut Vec<&'a str>) {
        match self {
            Operand::Column { name, .. } => names.push(name),
            Operand::Call(_, x) | Operand::Cast(x, _) => x.names(names),
            _ => {}
        }
    }
}

fn not(negated: bool) -> &'static str {
    if negated {
        "NOT "
    } else {
        ""
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(a, b) => write!(f, "({a} OR {b})"),
            Expr::And(a, b) => write!(f, "({a} AND {b})"),
            Expr::Not(e) => write!(f, "NOT {e}"),
            Expr::Compare(op, l, r) => write!(f, "{l} {} {r}", op.symbol()),
            Expr::Between {
                negated,
                value,
                low,
                high,
            } => write!(f, "{value} {}BETWEEN {low} AND {high}", not(*negated)),
            Expr::In {
                negated,
                value,
                list,
            } => {
                write!(f, "{value} {}IN (", not(*negated))?;
                for (i, item) in list.iter().enumerate() {
                    let sep = if i > 0 { ", " } else { "" };
                    write!(f, "{sep}{item}")?;
                }
                f.write_str(")")
            }
            Expr::Like {
                negated,
                value,
                pattern,
                escape,
            } => {
                write!(f, "{value} {}LIKE {pattern}", not(*negated))?;
                match escape {
                    Some(e) => write!(f, " ESCAPE {e}"),
                    None => Ok(()),
                }
            }
            Expr::IsEmpty {
                negated,
                value,
                null,
            } => {
                let what = if *null { "NULL" } else { "EMPTY" };
                write!(f, "{value} IS {}{what}", not(*negated))
            }
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Column { name, quoted, .. } => {
                if *quoted || !super::lex::is_plain_name(name) {
                    write!(f, "\"{}\"", name.replace('"', "\"\""))
                } else {
                    f.write_str(name)
                }
            }
            Operand::Position { index, .. } => write!(f, "_{index}"),
            Operand::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Operand::Number(n) => f.write_str(n),
            Operand::Call(func, x) => write!(f, "{}({x})", func.name()),
            Operand::Cast(x, ty) => write!(f, "CAST({x} AS {})", ty.name()),
        }
    }
}
