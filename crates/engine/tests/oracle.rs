//! The scanner against the `csv` crate as an oracle, on generated inputs
//! fed in every possible two-chunk split and in small random chunks.

use sluice_engine::{
    unquote, Dialect, Engine, Filter, FilterOptions, Flow, Header, Job, Outcome, Row, Threshold,
    Verdict,
};

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
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A field as a messy real file may hold it.
fn gen_field(rng: &mut Rng, delim: char) -> String {
    let plain = [
        "", "a", "4.8", "4.7", "-1", "12", "x y", ".5", "5.", "1e1", " 5 ", "NaN", "0",
    ];
    match rng.below(10) {
        0..=4 => rng.pick(&plain).to_string(),
        5..=7 => {
            // Quoted, with delimiters, quotes, line endings inside.
            let parts = ["a", "\"\"", "\n", "\r\n", "\r", " ", "4.9", "b c"];
            let mut s = String::from("\"");
            for _ in 0..rng.below(5) {
                s.push_str(rng.pick(&parts));
                if rng.chance(30) {
                    s.push(delim);
                }
            }
            s.push('"');
            if rng.chance(10) {
                s.push_str("tail"); // text after the closing quote
            }
            s
        }
        8 => {
            // A stray quote inside an unquoted field: `5" pipe`.
            let s = rng.pick(&["5\" pipe", "a\"b", "x\"\"y", "9\"", "1 \"q\""]);
            s.to_string()
        }
        _ => "7".repeat(rng.below(90)), // long fields cross block boundaries
    }
}

fn gen_input(rng: &mut Rng, delim: char) -> String {
    let mut s = String::new();
    if rng.chance(10) {
        s.push('\u{feff}');
    }
    let rows = 1 + rng.below(14);
    let width = 1 + rng.below(5);
    for r in 0..rows {
        let n = if rng.chance(15) {
            1 + rng.below(6)
        } else {
            width
        };
        let fields: Vec<String> = (0..n).map(|_| gen_field(rng, delim)).collect();
        s.push_str(&fields.join(&delim.to_string()));
        let last = r + 1 == rows;
        if !last || rng.chance(70) {
            s.push_str(rng.pick(&["\n", "\n", "\r\n", "\r"]));
        }
        if !last && rng.chance(8) {
            s.push('\n'); // a blank line
        }
    }
    s
}

/// Every row and field as the scanner hands them over.
#[derive(Default)]
struct Collect {
    header: Option<Vec<Vec<u8>>>,
    header_raw: Vec<u8>,
    current: Vec<Vec<u8>>,
    rows: Vec<(Vec<Vec<u8>>, Vec<u8>, u64)>,
    /// Read up to this many fields from the row ([`Job::fields_in_row`])
    /// instead of taking them one by one.
    in_row: Option<usize>,
}

impl Job for Collect {
    fn begin(
        &mut self,
        header: Option<&Header>,
        _: &mut Vec<u8>,
    ) -> Result<(), sluice_engine::JobError> {
        self.header = header.map(|h| h.names.clone());
        self.header_raw = header.map(|h| h.raw.clone()).unwrap_or_default();
        Ok(())
    }
    fn fields_wanted(&self) -> usize {
        self.in_row.unwrap_or(usize::MAX)
    }
    fn fields_in_row(&self) -> bool {
        self.in_row.is_some()
    }
    fn field(&mut self, index: usize, raw: &[u8]) -> Flow {
        assert!(
            self.in_row.is_none(),
            "no field calls for a job reading in the row"
        );
        if index == 0 {
            self.current.clear();
        }
        assert_eq!(index, self.current.len(), "fields arrive in order");
        self.current.push(unquote(raw).into_owned());
        Flow::Next
    }
    fn row(&mut self, row: &Row<'_>, _: &mut Vec<u8>) -> Outcome {
        if let Some(wanted) = self.in_row {
            let n = row.fields.min(wanted);
            self.current = (0..n)
                .map(|i| unquote(row.field(i).expect("a wanted field")).into_owned())
                .collect();
            assert_eq!(row.field(n), None, "no field past the row or the wanted");
        }
        assert_eq!(row.fields.min(self.fields_wanted()), self.current.len());
        let fields = std::mem::take(&mut self.current);
        self.rows.push((fields, row.bytes.to_vec(), row.line));
        Outcome::Selected
    }
}

struct Expected {
    records: Vec<Vec<Vec<u8>>>,
    /// Byte offset and line of each record.
    starts: Vec<(u64, u64)>,
}

fn oracle(input: &[u8], delim: u8) -> Expected {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(input);
    let mut records = Vec::new();
    let mut starts = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).unwrap() {
        let pos = record.position().unwrap();
        starts.push((pos.byte(), pos.line()));
        records.push(record.iter().map(|f| f.to_vec()).collect());
    }
    Expected { records, starts }
}

fn run_collect(input: &[u8], delim: u8, splits: &[usize]) -> Collect {
    run_collect_in_row(input, delim, splits, None)
}

fn run_collect_in_row(input: &[u8], delim: u8, splits: &[usize], in_row: Option<usize>) -> Collect {
    let dialect = Dialect {
        delimiter: delim,
        ..Dialect::default()
    };
    let job = Collect {
        in_row,
        ..Collect::default()
    };
    let mut engine = Engine::new(dialect, job);
    let mut at = 0;
    for &s in splits {
        engine.feed(&input[at..s]).unwrap();
        at = s;
    }
    engine.feed(&input[at..]).unwrap();
    engine.finish().unwrap();
    std::mem::take(engine.job_mut())
}

fn check(input: &[u8], delim: u8, got: &Collect, context: &str) {
    let want = oracle(input, delim);
    let mut records = want.records.iter();
    let header = records.next();
    assert_eq!(
        got.header.as_ref(),
        header,
        "header, {context}\ninput: {:?}",
        String::from_utf8_lossy(input)
    );
    let data: Vec<_> = records.collect();
    assert_eq!(
        got.rows.len(),
        data.len(),
        "row count, {context}\ninput: {:?}",
        String::from_utf8_lossy(input)
    );
    let lone_cr = input.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n');
    for (i, ((fields, bytes, line), expected)) in got.rows.iter().zip(data).enumerate() {
        assert_eq!(
            fields,
            expected,
            "row {i}, {context}\ninput: {:?}",
            String::from_utf8_lossy(input)
        );
        let (mut byte, _) = want.starts[i + 1];
        // The oracle's offset may point at the `\n` of a `\r\n` or at
        // blank lines before the record; rows never start with those.
        while matches!(input.get(byte as usize), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        // The row's bytes start where the oracle's record does and hold
        // exactly that record.
        assert!(
            input[byte as usize..].starts_with(bytes),
            "row {i} bytes at {byte}: {:?}, {context}\ninput: {:?}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(input)
        );
        assert_eq!(
            &oracle(bytes, delim).records,
            &vec![expected.clone()],
            "row {i} alone, {context}"
        );
        if !lone_cr {
            let lines_before = input[..byte as usize]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            assert_eq!(*line, lines_before as u64 + 1, "row {i} line, {context}");
        }
    }
}

#[test]
fn matches_csv_crate_at_every_two_chunk_split() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for case in 0..300 {
        let delim = if case % 5 == 4 { ';' } else { ',' };
        let input = gen_input(&mut rng, delim);
        let input = input.as_bytes();
        let whole = run_collect(input, delim as u8, &[]);
        check(input, delim as u8, &whole, &format!("case {case}, whole"));
        for split in 0..=input.len() {
            let got = run_collect(input, delim as u8, &[split]);
            assert_eq!(got.rows, whole.rows, "case {case}, split at {split}");
            assert_eq!(got.header, whole.header, "case {case}, split at {split}");
        }
    }
}

#[test]
fn fields_read_in_the_row_are_the_fields_handed_one_by_one() {
    let mut rng = Rng(0x1A_B0E5_0000_0003);
    for case in 0..300 {
        let delim = if case % 5 == 4 { b';' } else { b',' };
        let input = gen_input(&mut rng, delim as char);
        let input = input.as_bytes();
        let whole = run_collect(input, delim, &[]);
        // Every field, and only the first two (ragged rows included).
        for wanted in [usize::MAX, 2] {
            let expected: Vec<_> = whole
                .rows
                .iter()
                .map(|(fields, bytes, line)| {
                    let n = fields.len().min(wanted);
                    (fields[..n].to_vec(), bytes.clone(), *line)
                })
                .collect();
            for split in 0..=input.len() {
                let got = run_collect_in_row(input, delim, &[split], Some(wanted));
                assert_eq!(
                    got.rows,
                    expected,
                    "case {case}, wanted {wanted}, split at {split}\ninput: {:?}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }
}

#[test]
fn fields_read_in_the_row_after_a_bom_without_a_header() {
    let input = b"\xEF\xBB\xBFabcdef,x\ncd,e\n\"q\",r\n";
    let dialect = Dialect {
        has_header: false,
        ..Dialect::default()
    };
    let run = |in_row| {
        let mut engine = Engine::new(
            dialect.clone(),
            Collect {
                in_row,
                ..Collect::default()
            },
        );
        engine.feed(input).unwrap();
        engine.finish().unwrap();
        std::mem::take(engine.job_mut()).rows
    };
    let one_by_one = run(None);
    let fields: Vec<_> = one_by_one.iter().map(|(f, _, _)| f.clone()).collect();
    assert_eq!(
        fields,
        [["abcdef", "x"], ["cd", "e"], ["q", "r"]]
            .map(|r| r.map(|f| f.as_bytes().to_vec()).to_vec())
    );
    assert_eq!(run(Some(usize::MAX)), one_by_one);
}

#[test]
fn wide_rows_read_in_the_row_match_too() {
    // 40 one-byte fields: a block holds more than 16 delimiters at once.
    let row = |n: usize, c: char| vec![c.to_string(); n].join(",") + "\n";
    // A 300-field row makes the starts grow past their first room.
    let input = row(40, 'h') + &row(40, 'x') + &row(45, 'y') + "\"q,r\",s,t\n" + &row(300, 'z');
    let input = input.as_bytes();
    let whole = run_collect(input, b',', &[]);
    assert_eq!(whole.rows.len(), 4);
    for split in 0..=input.len() {
        let got = run_collect_in_row(input, b',', &[split], Some(usize::MAX));
        assert_eq!(got.rows, whole.rows, "split at {split}");
        let got = run_collect_in_row(input, b',', &[split], Some(33));
        assert_eq!(got.rows[1].0.len(), 33, "split at {split}");
        assert_eq!(got.rows[1].0[..], whole.rows[1].0[..33], "split at {split}");
    }
}

#[test]
fn matches_csv_crate_in_small_random_chunks() {
    let mut rng = Rng(0xC0FF_EE00_0000_0042);
    for case in 0..500 {
        let input = gen_input(&mut rng, ',');
        let input = input.as_bytes();
        let mut splits = Vec::new();
        let mut at = 0;
        while at < input.len() {
            at = (at + 1 + rng.below(9)).min(input.len());
            splits.push(at);
        }
        let got = run_collect(input, b',', &splits);
        check(
            input,
            b',',
            &got,
            &format!("case {case}, chunks {splits:?}"),
        );
    }
}

/// The filter as a reader of whole records would do it.
fn reference_filter(
    input: &[u8],
    threshold: &Threshold,
    columns: Option<&[usize]>,
    all: bool,
) -> Vec<usize> {
    let want = oracle(input, b',');
    let width = want.records.first().map_or(0, |h| h.len());
    want.records
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| r.len() == width)
        .filter(|(_, r)| {
            let verdicts: Vec<Verdict> = r
                .iter()
                .enumerate()
                .filter(|(i, _)| columns.is_none_or(|c| c.contains(i)))
                .map(|(_, f)| {
                    // The oracle has unquoted the field already; quote it back
                    // so the judgement sees what a file would hold.
                    let mut raw = vec![b'"'];
                    for &b in f.iter() {
                        if b == b'"' {
                            raw.push(b'"');
                        }
                        raw.push(b);
                    }
                    raw.push(b'"');
                    threshold.judge(&raw)
                })
                .filter(|v| *v != Verdict::NotNumeric)
                .collect();
            if all {
                !verdicts.is_empty() && verdicts.iter().all(|v| *v == Verdict::Above)
            } else {
                verdicts.contains(&Verdict::Above)
            }
        })
        .map(|(i, _)| i - 1)
        .collect()
}

#[test]
fn filter_selects_what_the_reference_selects_byte_for_byte() {
    let mut rng = Rng(0xF117_E400_0000_0007);
    let threshold: Threshold = "4.7".parse().unwrap();
    for case in 0..400 {
        let input = gen_input(&mut rng, ',');
        let input = input.as_bytes();
        let collected = run_collect(input, b',', &[]);
        // Cycle through any-column, first-two-columns and all-must-exceed.
        let (columns, tokens, all): (Option<&[usize]>, Vec<String>, bool) = match case % 3 {
            0 => (None, vec![], false),
            1 => (Some(&[0, 1]), vec!["1".into(), "2".into()], false),
            _ => (None, vec![], true),
        };
        let selected = reference_filter(input, &threshold, columns, all);
        let mut expected = collected.header_raw.clone();
        for (i, (_, bytes, _)) in collected.rows.iter().enumerate() {
            if selected.contains(&i) {
                expected.extend_from_slice(bytes);
            }
        }
        let rows = &collected.rows;
        for split in 0..=input.len() {
            let options = FilterOptions {
                columns: tokens.clone(),
                all,
                ..FilterOptions::default()
            };
            let mut engine = Engine::new(Dialect::default(), Filter::new(options));
            engine.feed(&input[..split]).unwrap();
            engine.feed(&input[split..]).unwrap();
            let counts = engine.finish().unwrap();
            let out = engine.output();
            assert_eq!(
                String::from_utf8_lossy(out),
                String::from_utf8_lossy(&expected),
                "case {case} split {split}\ninput: {:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(counts.selected as usize, selected.len(), "case {case}");
            assert_eq!(counts.rows as usize, rows.len(), "case {case}");
            assert_eq!(
                counts.rows,
                counts.selected + counts.dropped + counts.rejected
            );
        }
    }
}
