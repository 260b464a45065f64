//! The language: every construct, every error message, and printing then
//! parsing again giving the same tree.

use super::ast::*;
use super::parse;

fn col(name: &str) -> Operand {
    Operand::Column {
        name: name.into(),
        quoted: false,
        at: At(0),
    }
}

fn num(n: &str) -> Operand {
    Operand::Number(n.into())
}

fn text(s: &str) -> Operand {
    Operand::Text(s.into())
}

fn cmp(op: Op, l: Operand, r: Operand) -> Expr {
    Expr::Compare(op, l, r)
}

fn ok(src: &str) -> Expr {
    parse(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn comparisons_with_every_operator() {
    for (sym, op) in [
        ("=", Op::Eq),
        ("!=", Op::Ne),
        ("<>", Op::Ne),
        ("<", Op::Lt),
        ("<=", Op::Le),
        (">", Op::Gt),
        (">=", Op::Ge),
    ] {
        assert_eq!(
            ok(&format!("value {sym} 4.7")),
            cmp(op, col("value"), num("4.7"))
        );
    }
    assert_eq!(ok("4.7 < value"), cmp(Op::Lt, num("4.7"), col("value")));
    assert_eq!(ok("a=b"), cmp(Op::Eq, col("a"), col("b")));
}

#[test]
fn literals_names_and_positions() {
    assert_eq!(ok("x = 'it''s'"), cmp(Op::Eq, col("x"), text("it's")));
    assert_eq!(ok("x = ''"), cmp(Op::Eq, col("x"), text("")));
    for n in ["12", "4.70", ".5", "5.", "1e3", "2.5E-3", "1e+2"] {
        assert_eq!(ok(&format!("x = {n}")), cmp(Op::Eq, col("x"), num(n)));
    }
    assert_eq!(ok("x = -4.7"), cmp(Op::Eq, col("x"), num("-4.7")));
    assert_eq!(ok("x = + 4.7"), cmp(Op::Eq, col("x"), num("4.7")));
    let quoted = Operand::Column {
        name: "Ship \"Mode\"".into(),
        quoted: true,
        at: At(0),
    };
    assert_eq!(
        ok("\"Ship \"\"Mode\"\"\" = 'a'"),
        cmp(Op::Eq, quoted, text("a"))
    );
    let pos = Operand::Position {
        index: 3,
        at: At(0),
    };
    assert_eq!(ok("_3 > 1"), cmp(Op::Gt, pos, num("1")));
}

#[test]
fn logic_precedence_and_parentheses() {
    let (a, b, c) = (
        cmp(Op::Eq, col("a"), num("1")),
        cmp(Op::Eq, col("b"), num("2")),
        cmp(Op::Eq, col("c"), num("3")),
    );
    let bx = |e: &Expr| Box::new(e.clone());
    assert_eq!(
        ok("a = 1 OR b = 2 AND c = 3"),
        Expr::Or(bx(&a), Box::new(Expr::And(bx(&b), bx(&c))))
    );
    assert_eq!(
        ok("(a = 1 or b = 2) and c = 3"),
        Expr::And(Box::new(Expr::Or(bx(&a), bx(&b))), bx(&c))
    );
    assert_eq!(
        ok("NOT a = 1 AND b = 2"),
        Expr::And(Box::new(Expr::Not(bx(&a))), bx(&b))
    );
    assert_eq!(
        ok("not not (a = 1)"),
        Expr::Not(Box::new(Expr::Not(bx(&a))))
    );
    assert_eq!(
        ok("a = 1 AND b = 2 AND c = 3"),
        Expr::And(Box::new(Expr::And(bx(&a), bx(&b))), bx(&c))
    );
}

#[test]
fn between_in_like_is() {
    assert_eq!(
        ok("x NOT BETWEEN 1 AND 2"),
        Expr::Between {
            negated: true,
            value: col("x"),
            low: num("1"),
            high: num("2")
        }
    );
    assert_eq!(
        ok("x in ('a', 'b',3)"),
        Expr::In {
            negated: false,
            value: col("x"),
            list: vec![text("a"), text("b"), num("3")]
        }
    );
    assert_eq!(
        ok("x NOT LIKE '%a\\_%' ESCAPE '\\'"),
        Expr::Like {
            negated: true,
            value: col("x"),
            pattern: text("%a\\_%"),
            escape: Some(text("\\"))
        }
    );
    for (src, negated, null) in [
        ("x IS NULL", false, true),
        ("x is not null", true, true),
        ("x IS EMPTY", false, false),
        ("x IS NOT EMPTY", true, false),
    ] {
        let value = col("x");
        assert_eq!(
            ok(src),
            Expr::IsEmpty {
                negated,
                value,
                null
            },
            "{src}"
        );
    }
}

#[test]
fn functions_and_casts() {
    let call = |f, x| Operand::Call(f, Box::new(x));
    assert_eq!(
        ok("lower(x) = 'a'"),
        cmp(Op::Eq, call(Function::Lower, col("x")), text("a"))
    );
    assert_eq!(
        ok("UPPER(TRIM(x)) = 'A'"),
        cmp(
            Op::Eq,
            call(Function::Upper, call(Function::Trim, col("x"))),
            text("A")
        )
    );
    assert_eq!(
        ok("CHARACTER_LENGTH(x) > 3"),
        cmp(Op::Gt, call(Function::CharLength, col("x")), num("3"))
    );
    for (ty, want) in [
        ("DECIMAL", Type::Decimal),
        ("int", Type::Int),
        ("String", Type::String),
    ] {
        assert_eq!(
            ok(&format!("CAST(x AS {ty}) = 1")),
            cmp(Op::Eq, Operand::Cast(Box::new(col("x")), want), num("1"))
        );
    }
}

/// The message and the column it points at.
fn err(src: &str) -> (String, usize) {
    let e = parse(src).expect_err(src);
    (e.message, e.col)
}

#[test]
fn every_parse_error_says_where_and_what() {
    let cases: &[(&str, &str, usize)] = &[
        ("", "the expression is empty", 1),
        ("x = 'abc", "this string is never closed", 5),
        ("\"abc = 1", "this quoted name is never closed", 1),
        ("\"\" = 1", "a quoted column name is empty", 1),
        ("x = 1e", "an exponent needs digits (1e3, 2.5e-3)", 6),
        ("x = 1abc", "a name cannot start with a digit: put it in double quotes", 5),
        ("x = 1 ; y", "unexpected character ';'", 7),
        ("x = 1)", "this parenthesis closes nothing", 6),
        ("x = 1 y", "expected AND, OR or the end of the expression, found \"y\"", 7),
        ("(x = 1", "expected \")\" to close the parenthesis, found the end of the expression", 7),
        ("x IS 1", "expected NULL or EMPTY after IS, found 1", 6),
        ("x NOT = 1", "expected BETWEEN, IN or LIKE after NOT, found \"=\"", 7),
        ("x", "expected a comparison (= != <> < <= > >=), BETWEEN, IN, LIKE or IS, found the end of the expression", 2),
        ("x BETWEEN 1 OR 2", "expected AND, found \"OR\"", 13),
        ("x IN 1", "expected \"(\", found 1", 6),
        ("x IN ('a' 'b')", "expected \",\" or \")\" in the IN list, found 'b'", 11),
        ("x = ", "expected a column, a 'string', a number or a function, found the end of the expression", 5),
        ("x = -'a'", "\"-\" must be followed by a number", 5),
        ("foo(x) = 1", "unknown function \"foo\" (there are LOWER, UPPER, TRIM, CHAR_LENGTH and CAST)", 1),
        ("x = and", "and is a keyword, not a value (a column of that name goes in double quotes)", 5),
        ("_0 = 1", "column positions start at _1", 1),
        ("CAST(x AS date) = 1", "expected a type: DECIMAL, INT or STRING, found \"date\"", 11),
        ("CAST(x DECIMAL) = 1", "expected AS, found \"DECIMAL\"", 8),
        ("LOWER(x = 1", "expected \")\", found \"=\"", 9),
    ];
    for &(src, message, col) in cases {
        assert_eq!(err(src), (message.to_string(), col), "{src}");
    }
}

#[test]
fn errors_point_with_a_caret_on_the_right_line() {
    let e = parse("a = 1\n  AND région = 'x' AND\n  b").expect_err("bad");
    assert_eq!((e.line, e.col), (3, 4));
    assert_eq!(e.source, "  b");
    let e = parse("a = 1 AND é ! 2").expect_err("bad");
    assert_eq!(e.col, 13, "columns count characters");
    assert_eq!(
        e.to_string(),
        "--where: line 1, col 13: unexpected character '!'\n  a = 1 AND é ! 2\n              ^"
    );
}

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn gen_operand(r: &mut Rng, depth: usize) -> Operand {
    let names = ["value", "Ship Mode", "a\"b", "x_1", "AND", "_7", "région"];
    match r.below(if depth == 0 { 4 } else { 6 }) {
        0 => {
            let name = names[r.below(names.len())].to_string();
            let quoted = !super::lex::is_plain_name(&name) || r.below(2) == 0;
            Operand::Column {
                name,
                quoted,
                at: At(0),
            }
        }
        1 => Operand::Position {
            index: 1 + r.below(20),
            at: At(0),
        },
        2 => Operand::Text(["", "it's", "a%b_", "West", "''"][r.below(5)].into()),
        3 => Operand::Number(["0", "-4.70", ".5", "5.", "1e3", "-2.5E-3", "12"][r.below(7)].into()),
        4 => {
            let f = [
                Function::Lower,
                Function::Upper,
                Function::Trim,
                Function::CharLength,
            ];
            Operand::Call(f[r.below(4)], Box::new(gen_operand(r, depth - 1)))
        }
        _ => {
            let t = [Type::Decimal, Type::Int, Type::String][r.below(3)];
            Operand::Cast(Box::new(gen_operand(r, depth - 1)), t)
        }
    }
}

fn gen_expr(r: &mut Rng, depth: usize) -> Expr {
    let o = |r: &mut Rng| gen_operand(r, 2);
    let leaf = depth == 0;
    match r.below(if leaf { 5 } else { 8 }) {
        0 => {
            let ops = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];
            Expr::Compare(ops[r.below(6)], o(r), o(r))
        }
        1 => Expr::Between {
            negated: r.below(2) == 0,
            value: o(r),
            low: o(r),
            high: o(r),
        },
        2 => {
            let list = (0..1 + r.below(3)).map(|_| o(r)).collect();
            Expr::In {
                negated: r.below(2) == 0,
                value: o(r),
                list,
            }
        }
        3 => {
            let escape = (r.below(2) == 0).then(|| text("\\"));
            Expr::Like {
                negated: r.below(2) == 0,
                value: o(r),
                pattern: o(r),
                escape,
            }
        }
        4 => Expr::IsEmpty {
            negated: r.below(2) == 0,
            value: o(r),
            null: r.below(2) == 0,
        },
        5 => Expr::Or(
            Box::new(gen_expr(r, depth - 1)),
            Box::new(gen_expr(r, depth - 1)),
        ),
        6 => Expr::And(
            Box::new(gen_expr(r, depth - 1)),
            Box::new(gen_expr(r, depth - 1)),
        ),
        _ => Expr::Not(Box::new(gen_expr(r, depth - 1))),
    }
}

#[test]
fn printing_then_parsing_gives_the_same_tree() {
    let mut r = Rng(0x005E_ED0F_1A5C);
    for _ in 0..5_000 {
        let tree = gen_expr(&mut r, 4);
        let printed = tree.to_string();
        let again = parse(&printed).unwrap_or_else(|e| panic!("{printed}\n{e}"));
        assert_eq!(again, tree, "{printed}");
        assert_eq!(again.to_string(), printed);
    }
}
