//! The `load` job: each row becomes a typed item for a DynamoDB table.
//!
//! The header names the attributes and must hold the key column(s). Every
//! other non-empty cell becomes an attribute whose type is inferred from
//! its text: a number DynamoDB can hold is `N` (its text as written), `true`
//! or `false` (any case) is `BOOL`, anything else is `S`; with
//! [`LoadOptions::strings`] every value is `S`. Key values take the type
//! of the table's key. A row is rejected, with its line and a reason, when
//! its field count differs from the header's, its key is empty, not a
//! number for a number key, or longer than DynamoDB allows, a value is not
//! UTF-8, or the item would exceed 400 KB.
//!
//! The job writes no output bytes: it keeps the items of the rows it has
//! seen in reusable buffers — no allocation per row — and the caller takes
//! them with [`Load::items`] and [`Load::clear_items`] after each chunk.
//!
//! ```
//! use sluice_engine::{Dialect, Engine, Load, LoadOptions, Value};
//!
//! let mut engine = Engine::new(Dialect::default(), Load::new(LoadOptions::default()));
//! engine.feed(b"customer_id,visits,vip,name\nc1,12,true,\"Ada, L.\"\nc2,,false,Bob\n").unwrap();
//! engine.finish().unwrap();
//! let items: Vec<_> = engine.job().items().collect();
//! assert_eq!(items[0].key, "c1");
//! let attrs: Vec<_> = items[0].attributes().map(|(_, name, v)| (name, v)).collect();
//! assert_eq!(attrs, [("visits", Value::N("12")), ("vip", Value::Bool(true)), ("name", Value::S("Ada, L."))]);
//! assert_eq!(items[1].attributes().count(), 2); // the empty cell is left out
//! ```

mod item;

use crate::error::JobError;
use crate::job::{Flow, Header, Job, Outcome, Reason, Row};
use crate::number::write_dynamo_number;
use item::{Cell, Kind};
pub use item::{Item, Value};

/// The largest item DynamoDB stores, in bytes.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// The longest partition key value, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// The longest sort key value, in bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// The type of a key attribute, as the table declares it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyType {
    /// `S`: the cell's text as it is.
    #[default]
    String,
    /// `N`: the cell must be a number DynamoDB can hold.
    Number,
}

/// Settings of the `load` job.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The partition key column (default `customer_id`).
    pub key: String,
    /// The sort key column, when the table has one.
    pub sort_key: Option<String>,
    /// The partition key's type in the table.
    pub key_type: KeyType,
    /// The sort key's type in the table.
    pub sort_key_type: KeyType,
    /// Every non-key value is a string: no number or boolean inference.
    pub strings: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            key: "customer_id".into(),
            sort_key: None,
            key_type: KeyType::String,
            sort_key_type: KeyType::String,
            strings: false,
        }
    }
}

/// A committed row: its line, its cells, its key ranges.
#[derive(Clone, Copy, Debug)]
struct Entry {
    line: u64,
    /// Its range in the cells buffer.
    cells: (usize, usize),
    key: (usize, usize),
    sort_key: Option<(usize, usize)>,
    /// The end of its values in the text buffer.
    text_end: usize,
    size: usize,
    /// The row as it came in, in the raw buffer.
    raw: (usize, usize),
}

/// Per-row state while its fields arrive.
#[derive(Clone, Copy, Debug, Default)]
struct RowState {
    key: Option<(usize, usize)>,
    sort_key: Option<(usize, usize)>,
    size: usize,
    /// The first problem found in a field: column and what.
    problem: Option<(usize, Problem)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    NotUtf8,
    KeyNotNumber,
}

/// The `load` job. See the [module docs](self).
#[derive(Debug)]
pub struct Load {
    options: LoadOptions,
    names: Vec<String>,
    key_column: usize,
    sort_column: Option<usize>,
    /// Values of the items taken so far, then of the row being read.
    text: Vec<u8>,
    cells: Vec<Cell>,
    entries: Vec<Entry>,
    /// The rows of the items taken so far, as they came in.
    raw: Vec<u8>,
    row: RowState,
    /// Reused while rewriting a number.
    scratch: Vec<u8>,
}

impl Load {
    /// A load job; the key columns are found in the header when the run
    /// begins.
    pub fn new(options: LoadOptions) -> Self {
        Load {
            options,
            names: Vec::new(),
            key_column: 0,
            sort_column: None,
            text: Vec::new(),
            cells: Vec::new(),
            entries: Vec::new(),
            raw: Vec::new(),
            row: RowState::default(),
            scratch: Vec::new(),
        }
    }

    /// The header's column names, once the run has begun.
    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// The items of the rows accepted since the last
    /// [`clear_items`](Load::clear_items), in input order.
    pub fn items(&self) -> impl Iterator<Item = Item<'_>> {
        // Committed values are valid UTF-8: each was checked on the way in.
        let text = std::str::from_utf8(&self.text[..self.committed().0]).expect("values are UTF-8");
        self.entries.iter().map(move |e| Item {
            line: e.line,
            key: &text[e.key.0..e.key.1],
            sort_key: e.sort_key.map(|(a, b)| &text[a..b]),
            size: e.size,
            raw: &self.raw[e.raw.0..e.raw.1],
            cells: &self.cells[e.cells.0..e.cells.1],
            text,
            names: &self.names,
        })
    }

    /// Forgets the items taken, keeping the buffers' capacity.
    pub fn clear_items(&mut self) {
        self.text.clear();
        self.cells.clear();
        self.entries.clear();
        self.raw.clear();
    }

    /// The end of the committed text and cells.
    fn committed(&self) -> (usize, usize) {
        match self.entries.last() {
            Some(e) => (e.text_end, e.cells.1),
            None => (0, 0),
        }
    }

    fn find_keys(&mut self, header: &Header) -> Result<(), JobError> {
        let find = |name: &str| {
            header
                .position(name)
                .ok_or_else(|| JobError::MissingColumn {
                    role: "the key column".into(),
                    column: name.to_string(),
                    header: header.listing(),
                    note: None,
                })
        };
        self.key_column = find(&self.options.key)?;
        self.sort_column = match &self.options.sort_key {
            Some(s) => Some(find(s)?),
            None => None,
        };
        Ok(())
    }

    /// Appends the value of `raw` to the text buffer: quotes removed,
    /// doubled quotes made single.
    fn push_value(&mut self, raw: &[u8]) {
        let [b'"', rest @ ..] = raw else {
            self.text.extend_from_slice(raw);
            return;
        };
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b'"' if rest.get(i + 1) == Some(&b'"') => {
                    self.text.push(b'"');
                    i += 2;
                }
                b'"' => {
                    self.text.extend_from_slice(&rest[i + 1..]);
                    return;
                }
                b => {
                    self.text.push(b);
                    i += 1;
                }
            }
        }
    }

    /// Types the value at `start..` of the text buffer, rewriting a number
    /// in DynamoDB's form; `None` when the value is a key of the wrong type.
    fn type_value(&mut self, start: usize, key_type: Option<KeyType>) -> Option<(Kind, usize)> {
        let wants_number = match key_type {
            Some(t) => t == KeyType::Number,
            None => !self.options.strings,
        };
        if wants_number {
            let mut number = std::mem::take(&mut self.scratch);
            number.clear();
            let written = write_dynamo_number(trim(&self.text[start..]), &mut number);
            if written.is_some() {
                self.text.truncate(start);
                self.text.extend_from_slice(&number);
            }
            self.scratch = number;
            if let Some(n) = written {
                return Some((Kind::N, n.size()));
            }
        }
        let size = self.text.len() - start;
        match key_type {
            Some(KeyType::Number) => None,
            Some(KeyType::String) => Some((Kind::S, size)),
            None if self.options.strings => Some((Kind::S, size)),
            None => match bool_kind(trim(&self.text[start..])) {
                Some(kind) => Some((kind, 1)),
                None => Some((Kind::S, size)),
            },
        }
    }

    fn key_type(&self, index: usize) -> Option<KeyType> {
        if index == self.key_column {
            Some(self.options.key_type)
        } else if Some(index) == self.sort_column {
            Some(self.options.sort_key_type)
        } else {
            None
        }
    }

    /// Why the current row cannot be loaded, if it cannot.
    fn row_problem(&self, row: &Row<'_>) -> Option<Reason> {
        if let Some(reason) = row.field_count_problem() {
            return Some(reason);
        }
        let name = |i: usize| &self.names[i];
        if let Some((column, problem)) = self.row.problem {
            return Some(Reason::Other(match problem {
                Problem::NotUtf8 => format!("{:?} is not valid UTF-8", name(column)),
                Problem::KeyNotNumber => {
                    format!("key {:?} is not a number DynamoDB can hold", name(column))
                }
            }));
        }
        let keys = [
            (
                Some(self.key_column),
                self.row.key,
                MAX_PARTITION_KEY_BYTES,
                "partition",
            ),
            (
                self.sort_column,
                self.row.sort_key,
                MAX_SORT_KEY_BYTES,
                "sort",
            ),
        ];
        for (column, range, limit, what) in keys {
            let Some(column) = column else { continue };
            let len = range.map_or(0, |(a, b)| b - a);
            if len == 0 {
                return Some(Reason::Other(format!("empty key {:?}", name(column))));
            }
            if len > limit {
                return Some(Reason::Other(format!(
                    "{what} key {:?} is {len} bytes, over DynamoDB's {limit}",
                    name(column)
                )));
            }
        }
        if self.row.size > MAX_ITEM_BYTES {
            return Some(Reason::Other(format!(
                "the item is {} bytes, over DynamoDB's 400 KB",
                self.row.size
            )));
        }
        None
    }
}

fn bool_kind(value: &[u8]) -> Option<Kind> {
    if value.eq_ignore_ascii_case(b"true") {
        Some(Kind::Bool(true))
    } else if value.eq_ignore_ascii_case(b"false") {
        Some(Kind::Bool(false))
    } else {
        None
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Checks the header's names: UTF-8, non-empty, each once.
fn column_names(header: &Header) -> Result<Vec<String>, JobError> {
    let mut names: Vec<String> = Vec::with_capacity(header.names.len());
    for (i, raw) in header.names.iter().enumerate() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| JobError::header(format!("header field {} is not valid UTF-8", i + 1)))?;
        if name.is_empty() {
            return Err(JobError::header(format!(
                "header field {} has no name: every column becomes an attribute and needs one (header: {})",
                i + 1,
                header.listing()
            )));
        }
        if names.iter().any(|n| n == name) {
            return Err(JobError::header(format!(
                "the header names column {name:?} twice"
            )));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

impl Job for Load {
    fn begin(&mut self, header: Option<&Header>, _out: &mut Vec<u8>) -> Result<(), JobError> {
        let header = header.ok_or_else(|| {
            JobError::header("the input has no header: load needs one naming the key column")
        })?;
        self.names = column_names(header)?;
        self.find_keys(header)
    }

    fn field(&mut self, index: usize, raw: &[u8]) -> Flow {
        if index == 0 {
            let (text, cells) = self.committed();
            self.text.truncate(text);
            self.cells.truncate(cells);
            self.row = RowState::default();
        }
        if index >= self.names.len() {
            return Flow::SkipRow; // the row is rejected for its field count
        }
        let start = self.text.len();
        self.push_value(raw);
        if std::str::from_utf8(&self.text[start..]).is_err() {
            self.row.problem.get_or_insert((index, Problem::NotUtf8));
            return Flow::Next;
        }
        let key_type = self.key_type(index);
        if self.text.len() == start {
            return Flow::Next; // empty: left out (an empty key is rejected)
        }
        let Some((kind, size)) = self.type_value(start, key_type) else {
            self.row
                .problem
                .get_or_insert((index, Problem::KeyNotNumber));
            return Flow::Next;
        };
        let range = (start, self.text.len());
        let size = self.names[index].len() + size;
        self.row.size += size;
        if index == self.key_column {
            self.row.key = Some(range);
        } else if Some(index) == self.sort_column {
            self.row.sort_key = Some(range);
        } else {
            self.cells.push(Cell {
                column: index,
                kind,
                start: range.0,
                end: range.1,
                size,
            });
        }
        Flow::Next
    }

    fn row(&mut self, row: &Row<'_>, _out: &mut Vec<u8>) -> Outcome {
        let (text_end, cells_end) = self.committed();
        if let Some(reason) = self.row_problem(row) {
            self.text.truncate(text_end);
            self.cells.truncate(cells_end);
            return Outcome::Rejected(reason);
        }
        let raw_start = self.raw.len();
        self.raw.extend_from_slice(row.content());
        self.entries.push(Entry {
            raw: (raw_start, self.raw.len()),
            line: row.line,
            cells: (cells_end, self.cells.len()),
            key: self.row.key.unwrap_or_default(),
            sort_key: self.row.sort_key,
            text_end: self.text.len(),
            size: self.row.size,
        });
        Outcome::Selected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dialect, Engine};

    /// Loads `csv`; the items as (line, key, sort key, attributes) and the rejects.
    fn load(options: LoadOptions, csv: &[u8]) -> (Vec<String>, String) {
        let mut engine = Engine::new(Dialect::default(), Load::new(options));
        engine.feed(csv).unwrap();
        engine.finish().unwrap();
        let items = engine.job().items().map(|i| describe(&i)).collect();
        (items, String::from_utf8(engine.rejects().to_vec()).unwrap())
    }

    fn describe(item: &Item<'_>) -> String {
        let attrs: Vec<String> = item
            .attributes()
            .map(|(_, name, v)| format!("{name}={v:?}"))
            .collect();
        format!(
            "{}:{}{} {}",
            item.line,
            item.key,
            item.sort_key.map(|s| format!("/{s}")).unwrap_or_default(),
            attrs.join(" ")
        )
    }

    fn key(name: &str) -> LoadOptions {
        LoadOptions {
            key: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn values_are_typed_by_their_text() {
        let csv = b"id,n,f,b,s,q,e,big,pad\n\
                    a,12,-0.50,TRUE,hello,\"1,5\",,123456789012345678901234567890123456789, 7 \n";
        let (items, rejects) = load(key("id"), csv);
        assert_eq!(
            items,
            [
                r#"2:a n=N("12") f=N("-0.50") b=Bool(true) s=S("hello") q=S("1,5") big=S("123456789012345678901234567890123456789") pad=N("7")"#
            ]
        );
        assert_eq!(rejects, "");
    }

    #[test]
    fn strings_option_keeps_every_value_a_string() {
        let options = LoadOptions {
            strings: true,
            ..key("id")
        };
        let (items, _) = load(options, b"id,n,b\n7,1.50,false\n");
        assert_eq!(items, [r#"2:7 n=S("1.50") b=S("false")"#]);
    }

    #[test]
    fn quoted_values_lose_their_quotes_and_keep_their_spaces() {
        let (items, _) = load(key("id"), b"id,s\n\"x\"\"y\",\" a b \"\n");
        assert_eq!(items, [r#"2:x"y s=S(" a b ")"#]);
    }

    #[test]
    fn key_columns_take_the_table_types() {
        let options = LoadOptions {
            key: "pk".into(),
            sort_key: Some("sk".into()),
            key_type: KeyType::Number,
            sort_key_type: KeyType::String,
            strings: false,
        };
        let csv = b"sk,pk,v\n10,+5,x\nb,abc,y\n";
        let (items, rejects) = load(options, csv);
        assert_eq!(items, [r#"2:5/10 v=S("x")"#]);
        assert_eq!(
            rejects,
            "line,reason,row\n3,\"key \"\"pk\"\" is not a number DynamoDB can hold\",\"b,abc,y\"\n"
        );
    }

    #[test]
    fn bad_rows_are_rejected_with_their_line_and_reason() {
        let long_key = "k".repeat(MAX_PARTITION_KEY_BYTES + 1);
        let huge = "v".repeat(MAX_ITEM_BYTES);
        let csv = format!("customer_id,v\n,1\nok,1\nshort\n{long_key},1\nbig,{huge}\nlast,X\n");
        let mut bytes = csv.into_bytes();
        // Make the last value invalid UTF-8.
        let at = bytes.len() - 2;
        bytes[at] = 0xff;
        let mut engine = Engine::new(Dialect::default(), Load::new(LoadOptions::default()));
        engine.feed(&bytes).unwrap();
        let counts = engine.finish().unwrap();
        let items: Vec<_> = engine.job().items().map(|i| describe(&i)).collect();
        assert_eq!(items, [r#"3:ok v=N("1")"#]);
        assert_eq!((counts.rows, counts.selected, counts.rejected), (6, 1, 5));
        let rejects = String::from_utf8_lossy(engine.rejects()).into_owned();
        let reasons: Vec<&str> = rejects
            .lines()
            .skip(1)
            .map(|l| &l[..l.len().min(60)])
            .collect();
        assert!(
            reasons[0].starts_with("2,\"empty key \"\"customer_id\"\"\""),
            "{reasons:?}"
        );
        assert!(
            reasons[1].starts_with("4,\"expected 2 fields, found 1\""),
            "{reasons:?}"
        );
        assert!(
            reasons[2].starts_with("5,\"partition key \"\"customer_id\"\" is 2049 bytes"),
            "{reasons:?}"
        );
        assert!(
            reasons[3].starts_with("6,\"the item is 409615 bytes"),
            "{reasons:?}"
        );
        assert!(
            reasons[4].starts_with("7,\"\"\"v\"\" is not valid UTF-8\""),
            "{reasons:?}"
        );
    }

    #[test]
    fn a_header_without_the_key_column_is_an_error_naming_both() {
        let mut engine = Engine::new(Dialect::default(), Load::new(LoadOptions::default()));
        let err = engine.feed(b"id,name\n1,a\n").unwrap_err().to_string();
        assert!(
            err.contains("the key column \"customer_id\" is not in the header: id, name"),
            "{err}"
        );
        assert_eq!(engine.job().items().count(), 0);
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_name() {
        let (items, _) = load(LoadOptions::default(), b"\xef\xbb\xbfcustomer_id,v\nc1,x\n");
        assert_eq!(items, [r#"2:c1 v=S("x")"#]);
    }

    #[test]
    fn rows_split_across_chunks_become_the_same_items() {
        let csv = b"customer_id,a,b\nc1,\"x\"\"y\",2.5\nc2,true,\nc3,,z\n";
        let whole = load(LoadOptions::default(), csv).0;
        for split in 1..csv.len() {
            let mut engine = Engine::new(Dialect::default(), Load::new(LoadOptions::default()));
            let mut items = Vec::new();
            for part in [&csv[..split], &csv[split..]] {
                engine.feed(part).unwrap();
                items.extend(engine.job().items().map(|i| describe(&i)));
                engine.job_mut().clear_items();
            }
            engine.finish().unwrap();
            items.extend(engine.job().items().map(|i| describe(&i)));
            assert_eq!(items, whole, "split at {split}");
        }
    }

    #[test]
    fn item_sizes_count_names_and_values() {
        let mut engine = Engine::new(Dialect::default(), Load::new(key("id")));
        engine
            .feed(b"id,name,n,ok\nabc,hello,12345,true\n")
            .unwrap();
        engine.finish().unwrap();
        let item = engine.job().items().next().unwrap();
        // id+abc, name+hello, n + 3 bytes for five digits, ok + 1.
        assert_eq!(item.size, (2 + 3) + (4 + 5) + (1 + 4) + (2 + 1));
    }

    #[test]
    fn a_header_must_name_every_column_once() {
        for (csv, want) in [
            (&b"customer_id,,x\n"[..], "header field 2 has no name"),
            (b"customer_id,x,x\n", "names column \"x\" twice"),
        ] {
            let mut engine = Engine::new(Dialect::default(), Load::new(LoadOptions::default()));
            let err = engine
                .feed(csv)
                .and_then(|()| engine.finish().map(|_| ()))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{err}");
        }
    }
}
