//! `--where`: the S3 Select `WHERE` subset, parsed ([`parse`](parse::parse)
//! into an [`Expr`]), compiled once against the header into a program over
//! field indices ([`compile`]), and run on each row ([`eval`]).

mod ast;
mod compile;
mod eval;
mod lex;
mod like;
mod parse;
#[cfg(test)]
mod tests;

pub use ast::{At, Expr, Function, Op, Operand, Type};
pub(crate) use compile::{compile, Cond, Program};
pub(crate) use eval::{OneField, Scratch};
pub use parse::parse;

use std::fmt;

/// A mistake in a `--where` expression, found while parsing it or checking
/// it against the header: where it is, what is wrong, and the line it is
/// on, to point at with a caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// 1-based line of the expression.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// What is wrong, and what to write instead when that is known.
    pub message: String,
    /// The expression's line the mistake is on.
    pub source: String,
}

impl ExprError {
    /// The error at byte `at` of `text`.
    pub(crate) fn new(text: &str, at: usize, message: impl Into<String>) -> ExprError {
        let at = at.min(text.len());
        let before = &text[..at];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        ExprError {
            line: before.matches('\n').count() + 1,
            col: text[line_start..at].chars().count() + 1,
            message: message.into(),
            source: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--where: line {}, col {}: {}\n  {}\n  {}^",
            self.line,
            self.col,
            self.message,
            self.source,
            " ".repeat(self.col - 1)
        )
    }
}

impl std::error::Error for ExprError {}
