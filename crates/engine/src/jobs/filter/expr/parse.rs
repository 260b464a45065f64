//! The grammar, by recursive descent:
//!
//! ```text
//! or        = and { OR and }
//! and       = not { AND not }
//! not       = NOT not | "(" or ")" | predicate
//! predicate = operand ( cmp operand
//!                     | [NOT] BETWEEN operand AND operand
//!                     | [NOT] IN "(" operand { "," operand } ")"
//!                     | [NOT] LIKE operand [ESCAPE operand]
//!                     | IS [NOT] (NULL | EMPTY) )
//! operand   = name | "quoted name" | _N | 'text' | [+|-] number
//!           | (LOWER | UPPER | TRIM | CHAR_LENGTH) "(" operand ")"
//!           | CAST "(" operand AS (DECIMAL | INT | STRING) ")"
//! ```
//!
//! Keywords are case-insensitive. A `(` where a condition may start opens
//! a condition; values are never parenthesised, which keeps the grammar
//! free of look-ahead.

use super::ast::{At, Expr, Function, Op, Operand, Type};
use super::lex::{position, tokens, Tok, Token};
use super::ExprError;

/// Parses a whole expression.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    let mut p = Parser {
        text,
        tokens: tokens(text)?,
        next: 0,
    };
    if p.peek() == &Tok::End {
        return Err(p.error(0, "the expression is empty"));
    }
    let expr = p.or()?;
    match p.peek() {
        Tok::End => Ok(expr),
        Tok::Symbol(")") => Err(p.error(p.at(), "this parenthesis closes nothing")),
        _ => Err(p.here("expected AND, OR or the end of the expression")),
    }
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    next: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.next].tok
    }

    fn at(&self) -> usize {
        self.tokens[self.next].at
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.next].clone();
        if t.tok != Tok::End {
            self.next += 1;
        }
        t
    }

    fn error(&self, at: usize, message: impl Into<String>) -> ExprError {
        ExprError::new(self.text, at, message)
    }

    /// An error at the next token, naming what was found there.
    fn here(&self, expected: &str) -> ExprError {
        let found = match self.peek() {
            Tok::End => "the end of the expression".to_string(),
            Tok::Word(w) => format!("{w:?}"),
            Tok::Quoted(q) => format!("\"{q}\""),
            Tok::Text(t) => format!("'{t}'"),
            Tok::Number(n) => n.clone(),
            Tok::Symbol(s) => format!("{s:?}"),
        };
        self.error(self.at(), format!("{expected}, found {found}"))
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(k))
    }

    fn eat_keyword(&mut self, k: &str) -> bool {
        let found = self.keyword(k);
        if found {
            self.bump();
        }
        found
    }

    fn expect_keyword(&mut self, k: &str) -> Result<(), ExprError> {
        if self.eat_keyword(k) {
            Ok(())
        } else {
            Err(self.here(&format!("expected {k}")))
        }
    }

    fn eat_symbol(&mut self, s: &'static str) -> bool {
        let found = self.peek() == &Tok::Symbol(s);
        if found {
            self.bump();
        }
        found
    }

    fn expect_symbol(&mut self, s: &'static str) -> Result<(), ExprError> {
        if self.eat_symbol(s) {
            Ok(())
        } else {
            Err(self.here(&format!("expected {s:?}")))
        }
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.and()?;
        while self.eat_keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.not()?;
        while self.eat_keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ExprError> {
        if self.eat_keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if self.eat_symbol("(") {
            let inner = self.or()?;
            if !self.eat_symbol(")") {
                return Err(self.here("expected \")\" to close the parenthesis"));
            }
            return Ok(inner);
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, ExprError> {
        let value = self.operand()?;
        if let Some(op) = self.comparison() {
            return Ok(Expr::Compare(op, value, self.operand()?));
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            let null = if self.eat_keyword("NULL") {
                true
            } else if self.eat_keyword("EMPTY") {
                false
            } else {
                return Err(self.here("expected NULL or EMPTY after IS"));
            };
            return Ok(Expr::IsEmpty {
                negated,
                value,
                null,
            });
        }
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("BETWEEN") {
            let low = self.operand()?;
            self.expect_keyword("AND")?;
            let high = self.operand()?;
            return Ok(Expr::Between {
                negated,
                value,
                low,
                high,
            });
        }
        if self.eat_keyword("IN") {
            return self.in_list(negated, value);
        }
        if self.eat_keyword("LIKE") {
            let pattern = self.operand()?;
            let escape = match self.eat_keyword("ESCAPE") {
                true => Some(self.operand()?),
                false => None,
            };
            return Ok(Expr::Like {
                negated,
                value,
                pattern,
                escape,
            });
        }
        let expected = match negated {
            true => "expected BETWEEN, IN or LIKE after NOT",
            false => "expected a comparison (= != <> < <= > >=), BETWEEN, IN, LIKE or IS",
        };
        Err(self.here(expected))
    }

    fn in_list(&mut self, negated: bool, value: Operand) -> Result<Expr, ExprError> {
        self.expect_symbol("(")?;
        let mut list = vec![self.operand()?];
        while self.eat_symbol(",") {
            list.push(self.operand()?);
        }
        if !self.eat_symbol(")") {
            return Err(self.here("expected \",\" or \")\" in the IN list"));
        }
        Ok(Expr::In {
            negated,
            value,
            list,
        })
    }

    fn comparison(&mut self) -> Option<Op> {
        let op = match self.peek() {
            Tok::Symbol("=") => Op::Eq,
            Tok::Symbol("!=" | "<>") => Op::Ne,
            Tok::Symbol("<") => Op::Lt,
            Tok::Symbol("<=") => Op::Le,
            Tok::Symbol(">") => Op::Gt,
            Tok::Symbol(">=") => Op::Ge,
            _ => return None,
        };
        self.bump();
        Some(op)
    }

    fn operand(&mut self) -> Result<Operand, ExprError> {
        let token = self.bump();
        let at = At(token.at);
        match token.tok {
            Tok::Quoted(name) => Ok(Operand::Column {
                name,
                quoted: true,
                at,
            }),
            Tok::Text(s) => Ok(Operand::Text(s)),
            Tok::Number(n) => Ok(Operand::Number(n)),
            Tok::Symbol(sign @ ("-" | "+")) => match self.bump().tok {
                Tok::Number(n) if sign == "-" => Ok(Operand::Number(format!("-{n}"))),
                Tok::Number(n) => Ok(Operand::Number(n)),
                _ => Err(self.error(token.at, format!("{sign:?} must be followed by a number"))),
            },
            Tok::Word(w) => self.word(w, at),
            _ => {
                self.next -= usize::from(token.tok != Tok::End);
                Err(self.here("expected a column, a 'string', a number or a function"))
            }
        }
    }

    fn word(&mut self, word: String, at: At) -> Result<Operand, ExprError> {
        let upper = word.to_ascii_uppercase();
        let function = match upper.as_str() {
            "LOWER" => Some(Function::Lower),
            "UPPER" => Some(Function::Upper),
            "TRIM" => Some(Function::Trim),
            "CHAR_LENGTH" | "CHARACTER_LENGTH" => Some(Function::CharLength),
            _ => None,
        };
        let call = self.peek() == &Tok::Symbol("(");
        if let (Some(f), true) = (function, call) {
            self.bump();
            let x = self.operand()?;
            self.expect_symbol(")")?;
            return Ok(Operand::Call(f, Box::new(x)));
        }
        if upper == "CAST" && call {
            return self.cast();
        }
        if call {
            let message = format!(
                "unknown function {word:?} (there are LOWER, UPPER, TRIM, CHAR_LENGTH and CAST)"
            );
            return Err(self.error(at.0, message));
        }
        if super::lex::KEYWORDS.contains(&upper.as_str()) {
            let message = format!(
                "{word} is a keyword, not a value (a column of that name goes in double quotes)"
            );
            return Err(self.error(at.0, message));
        }
        match position(&word) {
            Some(0) => Err(self.error(at.0, "column positions start at _1")),
            Some(index) => Ok(Operand::Position { index, at }),
            None => Ok(Operand::Column {
                name: word,
                quoted: false,
                at,
            }),
        }
    }

    fn cast(&mut self) -> Result<Operand, ExprError> {
        self.bump();
        let x = self.operand()?;
        self.expect_keyword("AS")?;
        let ty = match self.peek() {
            Tok::Word(w) => match w.to_ascii_uppercase().as_str() {
                "DECIMAL" | "NUMERIC" | "FLOAT" | "DOUBLE" => Some(Type::Decimal),
                "INT" | "INTEGER" | "BIGINT" => Some(Type::Int),
                "STRING" | "VARCHAR" | "TEXT" => Some(Type::String),
                _ => None,
            },
            _ => None,
        };
        let Some(ty) = ty else {
            return Err(self.here("expected a type: DECIMAL, INT or STRING"));
        };
        self.bump();
        self.expect_symbol(")")?;
        Ok(Operand::Cast(Box::new(x), ty))
    }
}
