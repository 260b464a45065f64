//! `--where/--select` against DuckDB: generated files × generated
//! expressions, each run through the engine with a projection, and
//! DuckDB's answer for the same condition spelt in SQL with our rules.

use crate::util::{text, TempDir};
use sluice_engine::{Dialect, Engine, Expr, Filter, FilterOptions, Function, Op, Operand, Type};
use std::fmt::Write as _;
use std::process::Command;

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
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const COLUMNS: [&str; 6] = ["id", "amount", "region", "Ship Mode", "note", "code"];
const NUMERIC: [&str; 2] = ["amount", "code"];
const TEXTS: [&str; 3] = ["region", "Ship Mode", "note"];
const WORDS: &[&str] = &[
    "West",
    "west",
    "East",
    "North",
    "Ship, Co",
    "say \"hi\"",
    "multi\nline",
    " padded ",
    "",
    "Éva",
    "a%b",
    "a_b",
    "x\\y",
    "12",
    "4.7",
    "NaN",
    "First Class",
];

/// A number in one of the ways files write them, all exact in DuckDB's
/// DECIMAL(38,12): signs, zeros, missing digits around the point,
/// exponents, spaces, quotes, twenty digits.
fn number(r: &mut Rng) -> String {
    let int = r.below(1000);
    let frac = format!("{:04}", r.below(10_000));
    let frac = &frac[..r.below(5)];
    let sign = r.pick(&["", "", "-", "+"]);
    match r.below(9) {
        0 => format!("{sign}{int}.{frac}000"),
        1 if int == 0 => format!("{sign}.{}", if frac.is_empty() { "5" } else { frac }),
        2 if frac.is_empty() => format!("{sign}{int}."),
        3 => format!("{sign}{int}{frac}e-{}", frac.len()),
        4 => format!("{sign}0.{int:03}{frac}E+3"),
        5 => format!(" {sign}{int} "),
        6 => "12345678901234567890".to_string(),
        7 => format!("{sign}00{int}"),
        _ if frac.is_empty() => format!("{sign}{int}"),
        _ => format!("{sign}{int}.{frac}"),
    }
}

fn cell(r: &mut Rng, column: &str) -> String {
    let numeric = NUMERIC.contains(&column);
    let value = match r.below(10) {
        0 => r
            .pick(&["", "NaN", "n/a", "1,234", "4.7.1", "-", "1e", "inf"])
            .to_string(),
        1..=6 if numeric => number(r),
        _ => r.pick(WORDS).to_string(),
    };
    let must = value.contains([',', '"', '\n']);
    if must || r.below(6) == 0 {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn gen_file(r: &mut Rng, rows: usize) -> String {
    let mut s = String::from("id,amount,region,\"Ship Mode\",note,code\n");
    for id in 1..=rows {
        let _ = write!(s, "{id}");
        for c in &COLUMNS[1..] {
            s.push(',');
            s.push_str(&cell(r, c));
        }
        s.push('\n');
    }
    s
}

fn column(name: &str) -> Operand {
    Operand::Column {
        name: name.into(),
        quoted: name.contains(' '),
        at: Default::default(),
    }
}

fn constant(r: &mut Rng) -> Operand {
    let k = [
        "4.7", "4.70", "0", "-1", "12", "100.5", "1e2", "-0.5", ".5", "5.", "999", "2.5E-1",
    ];
    Operand::Number(r.pick(&k).into())
}

fn word(r: &mut Rng) -> Operand {
    Operand::Text(r.pick(WORDS).into())
}

fn op(r: &mut Rng) -> Op {
    [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge][r.below(6)]
}

fn pattern(r: &mut Rng) -> String {
    let pieces = [
        "%", "_", "a", "e", "West", ",", "\"", " ", "\\%", "\\_", "é", "1", ".",
    ];
    (0..1 + r.below(4)).map(|_| r.pick(&pieces)).collect()
}

fn predicate(r: &mut Rng) -> Expr {
    let num_col = |r: &mut Rng| column(r.pick(&NUMERIC));
    let text_col = |r: &mut Rng| column(r.pick(&TEXTS));
    let any_col = |r: &mut Rng| column(r.pick(&COLUMNS));
    let negated = r.below(3) == 0;
    match r.below(12) {
        0 | 1 => Expr::Compare(op(r), num_col(r), constant(r)),
        2 => Expr::Compare(op(r), constant(r), num_col(r)),
        3 => Expr::Compare(op(r), text_col(r), word(r)),
        4 => Expr::Compare(op(r), any_col(r), any_col(r)),
        5 => Expr::Between {
            negated,
            value: num_col(r),
            low: constant(r),
            high: constant(r),
        },
        6 => Expr::In {
            negated,
            value: text_col(r),
            list: (0..1 + r.below(3)).map(|_| word(r)).collect(),
        },
        7 => Expr::In {
            negated,
            value: any_col(r),
            list: vec![constant(r), constant(r), word(r)],
        },
        8 => {
            let value = match r.below(2) {
                0 => any_col(r),
                _ => Operand::Call(Function::Lower, Box::new(text_col(r))),
            };
            let escape = (r.below(2) == 0).then(|| Operand::Text("\\".into()));
            Expr::Like {
                negated,
                value,
                pattern: Operand::Text(pattern(r)),
                escape,
            }
        }
        9 => {
            let value = match r.below(2) {
                0 => any_col(r),
                _ => Operand::Cast(Box::new(any_col(r)), Type::Decimal),
            };
            Expr::IsEmpty {
                negated,
                value,
                null: r.below(2) == 0,
            }
        }
        10 => {
            let f = [Function::Lower, Function::Upper, Function::Trim][r.below(3)];
            Expr::Compare(op(r), Operand::Call(f, Box::new(text_col(r))), word(r))
        }
        _ => match r.below(3) {
            0 => Expr::Compare(
                op(r),
                Operand::Call(Function::CharLength, Box::new(any_col(r))),
                constant(r),
            ),
            1 => Expr::Compare(
                op(r),
                Operand::Cast(Box::new(num_col(r)), Type::Int),
                constant(r),
            ),
            _ => Expr::Compare(
                op(r),
                Operand::Cast(Box::new(num_col(r)), Type::Decimal),
                Operand::Cast(Box::new(any_col(r)), Type::Decimal),
            ),
        },
    }
}

fn expression(r: &mut Rng, depth: usize) -> Expr {
    if depth == 0 || r.below(3) == 0 {
        return predicate(r);
    }
    let sub = |r: &mut Rng| Box::new(expression(r, depth - 1));
    match r.below(5) {
        0 | 1 => Expr::And(sub(r), sub(r)),
        2 | 3 => Expr::Or(sub(r), sub(r)),
        _ => Expr::Not(sub(r)),
    }
}

fn is_number(o: &Operand) -> bool {
    match o {
        Operand::Number(_) => true,
        Operand::Call(f, _) => *f == Function::CharLength,
        Operand::Cast(_, t) => *t != Type::String,
        _ => false,
    }
}

fn quote_sql(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The text value in SQL: an empty cell is '' (DuckDB reads it as NULL).
fn text_sql(o: &Operand) -> String {
    match o {
        Operand::Column { name, .. } => format!("coalesce(\"{name}\", '')"),
        Operand::Text(s) => quote_sql(s),
        Operand::Call(f, x) => format!("{}({})", f.name().to_lowercase(), text_sql(x)),
        Operand::Cast(x, Type::String) => text_sql(x),
        other => unreachable!("not generated: {other}"),
    }
}

/// The numeric value in SQL: NULL when the text is no number by our rule.
fn number_sql(o: &Operand) -> String {
    match o {
        Operand::Number(n) => format!("CAST({} AS DECIMAL(38,12))", quote_sql(n)),
        Operand::Call(Function::CharLength, x) => {
            format!("CAST(length({}) AS DECIMAL(38,12))", text_sql(x))
        }
        Operand::Cast(x, Type::Decimal) => number_sql(x),
        Operand::Cast(x, Type::Int) => format!("trunc({})", number_sql(x)),
        text => {
            let t = format!("trim({})", text_sql(text));
            format!(
                "(CASE WHEN regexp_full_match({t}, '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?') THEN TRY_CAST({t} AS DECIMAL(38,12)) END)"
            )
        }
    }
}

fn compare_sql(op: Op, l: &Operand, r: &Operand) -> String {
    let sym = if op == Op::Ne { "<>" } else { op.symbol() };
    if is_number(l) || is_number(r) {
        format!("coalesce({} {sym} {}, false)", number_sql(l), number_sql(r))
    } else {
        format!("({} {sym} {})", text_sql(l), text_sql(r))
    }
}

fn not_sql(negated: bool, s: String) -> String {
    if negated {
        format!("(NOT {s})")
    } else {
        s
    }
}

/// The condition in DuckDB's SQL, with our rules spelt out.
fn sql(e: &Expr) -> String {
    match e {
        Expr::Or(a, b) => format!("({} OR {})", sql(a), sql(b)),
        Expr::And(a, b) => format!("({} AND {})", sql(a), sql(b)),
        Expr::Not(a) => format!("(NOT {})", sql(a)),
        Expr::Compare(op, l, r) => compare_sql(*op, l, r),
        Expr::Between {
            negated,
            value,
            low,
            high,
        } => not_sql(
            *negated,
            format!(
                "({} AND {})",
                compare_sql(Op::Ge, value, low),
                compare_sql(Op::Le, value, high)
            ),
        ),
        Expr::In {
            negated,
            value,
            list,
        } => {
            let each: Vec<String> = list.iter().map(|i| compare_sql(Op::Eq, value, i)).collect();
            not_sql(*negated, format!("({})", each.join(" OR ")))
        }
        Expr::Like {
            negated,
            value,
            pattern,
            escape,
        } => {
            // `~` is in no pattern: an escape that never fires.
            let esc = match escape {
                Some(Operand::Text(e)) => e.clone(),
                _ => "~".into(),
            };
            let like = format!(
                "({} LIKE {} ESCAPE {})",
                text_sql(value),
                text_sql(pattern),
                quote_sql(&esc)
            );
            not_sql(*negated, like)
        }
        Expr::IsEmpty { negated, value, .. } if is_number(value) => {
            not_sql(*negated, format!("({} IS NULL)", number_sql(value)))
        }
        Expr::IsEmpty { negated, value, .. } => {
            not_sql(*negated, format!("({} = '')", text_sql(value)))
        }
    }
}

fn run_engine(input: &str, expression: &str, select: &[String]) -> String {
    let options = FilterOptions {
        expression: Some(expression.into()),
        select: select.to_vec(),
        ..Default::default()
    };
    let mut engine = Engine::new(Dialect::default(), Filter::new(options));
    engine
        .feed(input.as_bytes())
        .unwrap_or_else(|e| panic!("{expression}: {e}"));
    engine
        .finish()
        .unwrap_or_else(|e| panic!("{expression}: {e}"));
    String::from_utf8(engine.output().to_vec()).unwrap()
}

/// The data rows of a generated file as written, by id (a row's id is
/// its first field, and ids count from 1).
fn raw_rows(input: &str) -> Vec<&str> {
    let mut rows = Vec::new();
    let mut start = input.find('\n').unwrap() + 1;
    let mut quoted = false;
    for (i, b) in input.bytes().enumerate().skip(start) {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                rows.push(&input[start..=i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    rows
}

#[test]
fn where_and_select_agree_with_duckdb() {
    let python =
        std::env::var("SLUICE_TEST_PYTHON").expect("SLUICE_TEST_PYTHON is set by scripts/test.sh");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/where.py");
    let tmp = TempDir::new("where-diff");
    let mut r = Rng(0x0D0C_DB00_5EED);
    let mut cases = String::new();
    let mut exprs = Vec::new();
    for f in 0..8 {
        let input = gen_file(&mut r, 150);
        let path = tmp.file(&format!("gen-{f}.csv"), &input);
        let rows = raw_rows(&input);
        for _ in 0..500 {
            let e = expression(&mut r, 3);
            let text = e.to_string();
            let mut select = vec!["id".to_string()];
            for _ in 0..r.below(3) {
                let c = r.below(COLUMNS.len());
                select.push(if r.below(2) == 0 {
                    COLUMNS[c].to_string()
                } else {
                    (c + 1).to_string()
                });
            }
            let ours = run_engine(&input, &text, &select);
            let names: Vec<&str> = select
                .iter()
                .map(|s| s.parse::<usize>().map_or(s.as_str(), |i| COLUMNS[i - 1]))
                .collect();
            // Without --select, the same rows, byte for byte.
            let ids = ours
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').next()?.parse::<usize>().ok());
            let whole: String = ids.map(|id| rows[id - 1]).collect();
            let plain = run_engine(&input, &text, &[]);
            assert_eq!(
                plain,
                format!("{}{whole}", &input[..input.find('\n').unwrap() + 1]),
                "{text}"
            );
            let case = serde_json::json!({
                "file": path.to_str().unwrap(), "columns": COLUMNS, "where": sql(&e),
                "select": names, "ours": ours,
            });
            cases.push_str(&case.to_string());
            cases.push('\n');
            exprs.push(text);
        }
    }
    let cases_path = tmp.file("cases.jsonl", &cases);
    let out = Command::new(&python)
        .arg(script)
        .arg(&cases_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (mut checked, mut some) = (0, 0);
    for line in text(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let i = v["i"].as_u64().unwrap() as usize;
        assert_eq!(v["ours"], v["duck"], "case {i}: --where {}", exprs[i]);
        checked += 1;
        let n = v["ours"].as_array().unwrap().len();
        some += usize::from(n > 0 && n < 150);
    }
    assert_eq!(checked, exprs.len());
    // Most expressions keep some rows and drop others: the test tells.
    assert!(some * 2 > checked, "{some} of {checked} cases discriminate");
}
