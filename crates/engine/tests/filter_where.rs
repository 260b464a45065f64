//! The filter job with `--where` and `--select`: what rows an expression
//! keeps, the errors it gives against the header, projection, and the
//! threshold options against the expression they stand for.

use sluice_engine::{Dialect, Engine, ErrorKind, Filter, FilterOptions, Header, JobError};

fn run(options: FilterOptions, input: &str) -> Result<String, sluice_engine::Error> {
    let mut engine = Engine::new(Dialect::default(), Filter::new(options));
    engine.feed(input.as_bytes())?;
    engine.finish()?;
    Ok(String::from_utf8(engine.output().to_vec()).unwrap())
}

fn filter(expr: &str, input: &str) -> String {
    let options = FilterOptions {
        expression: Some(expr.into()),
        ..Default::default()
    };
    run(options, input).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

/// The data rows kept, by their first field.
fn kept(expr: &str, input: &str) -> Vec<String> {
    let out = filter(expr, input);
    let mut rdr = csv::ReaderBuilder::new().from_reader(out.as_bytes());
    rdr.records().map(|r| r.unwrap()[0].to_string()).collect()
}

const PEOPLE: &str = "id,name,region,amount,note\n\
    1,Ann,West,4.70,\n\
    2,\"Bob, Jr.\",East,12,\"said \"\"hi\"\"\"\n\
    3,carl,West,n/a, x \n\
    4,Dana,\"West\",\" 100.5 \",late\n\
    5,Éva,North,-3e1,lost\n";

#[test]
fn comparisons_of_numbers_are_exact_and_false_for_text() {
    assert_eq!(kept("amount = 4.7", PEOPLE), ["1"]);
    assert_eq!(kept("amount > 4.7", PEOPLE), ["2", "4"]);
    assert_eq!(kept("amount <= 4.7", PEOPLE), ["1", "5"]);
    assert_eq!(kept("NOT amount <= 4.7", PEOPLE), ["2", "3", "4"]);
    assert_eq!(kept("amount != 12", PEOPLE), ["1", "4", "5"]);
    assert_eq!(kept("-30 = amount", PEOPLE), ["5"]);
    assert_eq!(kept("amount BETWEEN 4.7 AND 12", PEOPLE), ["1", "2"]);
    assert_eq!(
        kept("amount NOT BETWEEN 4.7 AND 12", PEOPLE),
        ["3", "4", "5"]
    );
    assert_eq!(kept("CAST(amount AS DECIMAL) IS NULL", PEOPLE), ["3"]);
    assert_eq!(kept("CAST(amount AS INT) = 100", PEOPLE), ["4"]);
    assert_eq!(kept("CAST(amount AS INT) = 4", PEOPLE), ["1"]);
    assert_eq!(
        kept("amount > id", PEOPLE),
        ["1", "3"],
        "text against text is byte-wise"
    );
    assert_eq!(
        kept("CAST(amount AS DECIMAL) > CAST(id AS DECIMAL)", PEOPLE),
        ["1", "2", "4"]
    );
    assert_eq!(kept("'12' = amount", PEOPLE), ["2"]);
}

#[test]
fn strings_quoting_and_functions() {
    assert_eq!(kept("region = 'West'", PEOPLE), ["1", "3", "4"]);
    assert_eq!(kept("name = 'Bob, Jr.'", PEOPLE), ["2"]);
    assert_eq!(kept("note = 'said \"hi\"'", PEOPLE), ["2"]);
    assert_eq!(kept("region IN ('East', 'North')", PEOPLE), ["2", "5"]);
    assert_eq!(kept("region NOT IN ('West')", PEOPLE), ["2", "5"]);
    assert_eq!(kept("id IN (1, 3.0, '4')", PEOPLE), ["1", "3", "4"]);
    assert_eq!(kept("name < 'C'", PEOPLE), ["1", "2"]);
    assert_eq!(kept("name LIKE '%,%'", PEOPLE), ["2"]);
    assert_eq!(kept("name LIKE '_va'", PEOPLE), ["5"]);
    assert_eq!(kept("note LIKE '%\"hi\"'", PEOPLE), ["2"]);
    assert_eq!(
        kept("LOWER(name) LIKE 'c%' OR UPPER(name) = 'ÉVA'", PEOPLE),
        ["3", "5"]
    );
    assert_eq!(kept("TRIM(note) = 'x'", PEOPLE), ["3"]);
    assert_eq!(kept("note = ' x '", PEOPLE), ["3"]);
    assert_eq!(kept("CHAR_LENGTH(name) = 3", PEOPLE), ["1", "5"]);
    assert_eq!(kept("note IS NULL", PEOPLE), ["1"]);
    assert_eq!(kept("note IS NOT EMPTY AND _1 >= 4", PEOPLE), ["4", "5"]);
    assert_eq!(
        kept("\"region\" = 'West' and REGION = 'West' and Id = 1", PEOPLE),
        ["1"]
    );
    assert_eq!(
        kept("CAST(CHAR_LENGTH(name) AS STRING) = '3'", PEOPLE),
        ["1", "5"]
    );
}

#[test]
fn kept_rows_are_written_byte_for_byte() {
    let input = "a,b\r\n\"x\",1\r\ny,2";
    assert_eq!(filter("b >= 1", input), input);
    assert_eq!(filter("b = 2", input), "a,b\r\ny,2");
}

fn where_error(expr: &str, input: &str) -> (String, usize) {
    let options = FilterOptions {
        expression: Some(expr.into()),
        ..Default::default()
    };
    match run(options, input).expect_err(expr).kind {
        ErrorKind::Job(JobError::Where(e)) => (e.message, e.col),
        other => panic!("{expr}: {other:?}"),
    }
}

#[test]
fn columns_are_checked_against_the_header_before_any_row() {
    let header = "id, name, region, amount, note";
    let cases: Vec<(&str, String, usize)> = vec![
        (
            "region = 'x' AND regoin = 'y'",
            format!("unknown column \"regoin\"; did you mean \"region\"? (header: {header})"),
            18,
        ),
        (
            "\"Region\" = 1",
            format!("unknown column \"Region\"; did you mean \"region\"? (header: {header})"),
            1,
        ),
        (
            "zzz = 1",
            format!("unknown column \"zzz\" (header: {header})"),
            1,
        ),
        (
            "_6 = 1",
            "_6 is past the last column (the header has 5)".into(),
            1,
        ),
        (
            "amount = 1e",
            "an exponent needs digits (1e3, 2.5e-3)".into(),
            11,
        ),
        (
            "CAST(amount AS INT) LIKE '1%'",
            "LIKE takes text: write CAST(… AS STRING) for a number".into(),
            1,
        ),
        (
            "name LIKE region",
            "a LIKE pattern is a 'string'".into(),
            11,
        ),
        (
            "name LIKE 'a' ESCAPE 'ab'",
            "ESCAPE takes one character in quotes, like '\\'".into(),
            22,
        ),
        (
            "name LIKE 'a!' ESCAPE '!'",
            "the pattern ends with its escape character".into(),
            11,
        ),
        (
            "lower(CHAR_LENGTH(name)) = '3'",
            "LOWER takes text: write CAST(… AS STRING) for a number".into(),
            7,
        ),
    ];
    for (expr, message, col) in cases {
        // A bad second row shows nothing was read past the header.
        let input = format!("{}\n1,\"open", header.replace(' ', ""));
        assert_eq!(where_error(expr, &input), (message, col), "{expr}");
    }
}

#[test]
fn without_a_header_columns_are_positions() {
    let options = FilterOptions {
        expression: Some("_2 > 1".into()),
        select: vec!["2".into(), "1".into()],
        ..Default::default()
    };
    let mut engine = Engine::new(
        Dialect {
            has_header: false,
            ..Dialect::default()
        },
        Filter::new(options),
    );
    engine.feed(b"a,1\nb,2\n\"c,d\",3\n").unwrap();
    engine.finish().unwrap();
    assert_eq!(engine.output(), b"2,b\n3,\"c,d\"\n");
}

#[test]
fn without_a_header_names_are_refused() {
    let no_header = Dialect {
        has_header: false,
        ..Dialect::default()
    };
    let select = FilterOptions {
        select: vec!["name".into()],
        ..Default::default()
    };
    let mut engine = Engine::new(no_header.clone(), Filter::new(select));
    let err = engine.feed(b"a,1\n").expect_err("a name").to_string();
    assert_eq!(
        err,
        "line 1: --select \"name\": without a header, columns are 1-based indices"
    );
    // An expression's names have nothing to match: their cells are empty
    // (the command line refuses them before the run, see cli_where.rs).
    let named = FilterOptions {
        expression: Some("name IS EMPTY AND _2 = 1".into()),
        ..Default::default()
    };
    let mut engine = Engine::new(no_header, Filter::new(named));
    engine.feed(b"a,1\nb,2\n").unwrap();
    engine.finish().unwrap();
    assert_eq!(engine.output(), b"a,1\n");
}

#[test]
fn select_projects_and_quotes_only_where_needed() {
    let options = FilterOptions {
        expression: Some("id >= 2".into()),
        select: vec!["note".into(), "2".into(), "id".into()],
        ..Default::default()
    };
    assert_eq!(
        run(options, PEOPLE).unwrap(),
        "note,name,id\n\
         \"said \"\"hi\"\"\",\"Bob, Jr.\",2\n \
         x ,carl,3\n\
         late,Dana,4\n\
         lost,Éva,5\n"
    );
    let semicolons = FilterOptions {
        select: vec!["b".into(), "a".into()],
        delimiter: b';',
        expression: Some("a LIKE '%'".into()),
        ..Default::default()
    };
    let mut engine = Engine::new(
        Dialect {
            delimiter: b';',
            ..Dialect::default()
        },
        Filter::new(semicolons),
    );
    engine.feed(b"a;b\n\"x;y\";\"p,q\"\r\n").unwrap();
    engine.finish().unwrap();
    assert_eq!(engine.output(), b"b;a\np,q;\"x;y\"\r\n");
}

#[test]
fn select_errors_name_the_column() {
    let options = FilterOptions {
        select: vec!["nmae".into()],
        ..Default::default()
    };
    let err = run(options, PEOPLE).expect_err("unknown").to_string();
    assert_eq!(
        err,
        "line 1: --select column \"nmae\" is not in the header: id, name, region, amount, note (did you mean \"name\"?)"
    );
}

/// xorshift64*, as in the other generated tests.
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

fn gen_file(r: &mut Rng, cols: usize) -> String {
    let cells = [
        "",
        "4.7",
        "4.70",
        "4.71",
        "5",
        "-1",
        "0",
        "\" 6 \"",
        "1e1",
        "x",
        "\"a,b\"",
        "NaN",
        ".5",
        "47e-1",
        "\"4.8\"",
        "\"\"\"9\"\"\"",
        "12345678901234567890.5",
    ];
    let mut s: String = (1..=cols)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for _ in 0..r.below(30) {
        let row: Vec<&str> = (0..cols).map(|_| cells[r.below(cells.len())]).collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

#[test]
fn threshold_options_mean_the_expression_they_stand_for() {
    let mut r = Rng(0xF117_E125);
    let thresholds = ["4.7", "0", "-1", "5", "1e1", "4.700"];
    for _ in 0..2_000 {
        let cols = 1 + r.below(5);
        let input = gen_file(&mut r, cols);
        let mut columns = Vec::new();
        for i in 1..=cols {
            match r.below(3) {
                0 => columns.push(format!("c{i}")),
                1 => columns.push(i.to_string()),
                _ => {}
            }
        }
        let options = FilterOptions {
            threshold: thresholds[r.below(thresholds.len())].parse().unwrap(),
            columns,
            all: r.below(2) == 0,
            ..Default::default()
        };
        let header = Header {
            raw: Vec::new(),
            names: (1..=cols).map(|i| format!("c{i}").into_bytes()).collect(),
        };
        let expr = options.threshold_expression(&header).unwrap();
        let fast = run(options.clone(), &input).unwrap();
        let by_expr = FilterOptions {
            expression: Some(expr.clone()),
            ..options.clone()
        };
        assert_eq!(run(by_expr, &input).unwrap(), fast, "{expr}\n{input}");
        // The same rule as an instruction, when rows are projected.
        let all: Vec<String> = (1..=cols).map(|i| i.to_string()).collect();
        let projected = FilterOptions {
            select: all,
            ..options.clone()
        };
        let reparsed = |s: &str| -> Vec<Vec<String>> {
            let mut rdr = csv::ReaderBuilder::new().from_reader(s.as_bytes());
            rdr.records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect()
        };
        let selected = run(projected, &input).unwrap();
        assert_eq!(reparsed(&selected), reparsed(&fast), "{expr}\n{input}");
    }
}

#[test]
fn any_split_of_the_input_gives_the_same_output() {
    let exprs = [
        "amount > 4.7",
        "note IS EMPTY",
        "name LIKE '%,%' OR region = 'West'",
        "LOWER(name) < 'd' AND amount IS NOT NULL",
    ];
    for expr in exprs {
        for select in [vec![], vec!["note".to_string(), "1".to_string()]] {
            let options = FilterOptions {
                expression: Some(expr.into()),
                select,
                ..Default::default()
            };
            let whole = run(options.clone(), PEOPLE).unwrap();
            for at in 0..=PEOPLE.len() {
                let mut engine = Engine::new(Dialect::default(), Filter::new(options.clone()));
                engine.feed(&PEOPLE.as_bytes()[..at]).unwrap();
                engine.feed(&PEOPLE.as_bytes()[at..]).unwrap();
                engine.finish().unwrap();
                assert_eq!(engine.output(), whole.as_bytes(), "{expr} split at {at}");
            }
        }
    }
}
