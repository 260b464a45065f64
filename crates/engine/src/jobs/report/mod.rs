//! The report job: order analytics in one streaming pass.
//!
//! Each row is grouped once, on the raw values of its finest key (region,
//! category, sub-category, ship mode), with its order count and exact
//! profit; the three reports are rolled up from those groups at the end.
//! Memory grows with the number of distinct keys, never with rows: about
//! 60 bytes a group besides its raw key's bytes (see [`groups`]), up to
//! [`ReportOptions::max_groups`] groups.

mod groups;
mod profit;
mod rollup;

use crate::csv::{is_blank, unquote};
use crate::error::JobError;
use crate::job::{Header, Job, Outcome, Reason, Row};
use crate::number::{Dec, DecError};
use groups::{Groups, Packed};
use profit::{profit_plain, rescale, scaled_profit};
pub use rollup::Rollup;

/// What a column is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Region,
    Category,
    SubCategory,
    ShipMode,
    CostPrice,
    ListPrice,
    Quantity,
    DiscountPercent,
}

impl Role {
    /// Every role, in the order of [`ReportOptions::columns`].
    pub const ALL: [Role; 8] = [
        Role::Region,
        Role::Category,
        Role::SubCategory,
        Role::ShipMode,
        Role::CostPrice,
        Role::ListPrice,
        Role::Quantity,
        Role::DiscountPercent,
    ];

    /// The role's name in options: `region`, `sub_category`, ...
    pub fn key(self) -> &'static str {
        match self {
            Role::Region => "region",
            Role::Category => "category",
            Role::SubCategory => "sub_category",
            Role::ShipMode => "ship_mode",
            Role::CostPrice => "cost_price",
            Role::ListPrice => "list_price",
            Role::Quantity => "quantity",
            Role::DiscountPercent => "discount_percent",
        }
    }

    /// The column it is read from unless configured otherwise.
    pub fn default_column(self) -> &'static str {
        match self {
            Role::Region => "Region",
            Role::Category => "Category",
            Role::SubCategory => "Sub Category",
            Role::ShipMode => "Ship Mode",
            Role::CostPrice => "cost price",
            Role::ListPrice => "List Price",
            Role::Quantity => "Quantity",
            Role::DiscountPercent => "Discount Percent",
        }
    }

    /// The role named `key`, if any.
    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Options of the report job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportOptions {
    /// The header name of each role's column, indexed like [`Role::ALL`].
    /// Names match ignoring case, surrounding spaces, and `_`/`-` versus
    /// space.
    pub columns: [String; 8],
    /// Ship-mode values that mean "no ship mode" (besides an empty value),
    /// matched ignoring case and surrounding spaces.
    pub missing: Vec<String>,
    /// The most distinct (region, category, sub-category, ship mode) keys
    /// a run may hold; one more stops it with
    /// [`JobError::TooManyGroups`]. Memory is about
    /// [`GROUP_BYTES`] a group.
    pub max_groups: usize,
}

/// What one group of the finest key costs at most, in bytes, for keys of
/// usual length (tens of bytes): the figure to size
/// [`ReportOptions::max_groups`] from the memory at hand.
pub const GROUP_BYTES: usize = 200;

/// [`ReportOptions::max_groups`] unless told otherwise: ten million
/// groups, about 2 GB.
pub const DEFAULT_MAX_GROUPS: usize = 10_000_000;

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            columns: Role::ALL.map(|r| r.default_column().to_string()),
            missing: vec!["Not Available".to_string()],
            max_groups: DEFAULT_MAX_GROUPS,
        }
    }
}

/// The file names of the three reports, in the order [`OrderReports::reports`]
/// returns them.
pub const REPORT_NAMES: [&str; 3] = [
    "profit_by_region",
    "top_ship_mode_by_category",
    "orders_by_category",
];

/// The text roles, in group-key order.
const KEY_ROLES: [Role; 4] = [
    Role::Region,
    Role::Category,
    Role::SubCategory,
    Role::ShipMode,
];

/// The most runs of adjacent key columns.
const MAX_RUNS: usize = KEY_ROLES.len();

/// The number roles, in the order [`scaled_profit`] takes them.
const NUMBER_ROLES: [Role; 4] = [
    Role::ListPrice,
    Role::DiscountPercent,
    Role::CostPrice,
    Role::Quantity,
];

/// The report job. Needs a header.
///
/// It reads its eight fields from the whole row ([`Job::fields_in_row`]),
/// so the scanner only notes where fields start. A row is grouped on the
/// raw bytes of its key fields as they lie in the input, quotes and all;
/// key columns next to each other are taken as one run of bytes. Groups
/// whose raw keys differ but whose values are equal (`West` and
/// `"West"`) are merged when the reports are rolled up.
#[derive(Debug)]
pub struct OrderReports {
    options: ReportOptions,
    /// The column index of each role, indexed like [`Role::ALL`].
    columns: [usize; 8],
    /// Header names of the roles, for messages.
    names: [String; 8],
    wanted: usize,
    /// The key columns as runs of adjacent columns, first and last.
    runs: Vec<(usize, usize)>,
    groups: Groups,
    /// The line of the first new key past the cap on groups.
    over: Option<u64>,
}

impl OrderReports {
    pub fn new(options: ReportOptions) -> Self {
        OrderReports {
            options,
            columns: [0; 8],
            names: Default::default(),
            wanted: 0,
            runs: Vec::new(),
            groups: Groups::default(),
            over: None,
        }
    }

    /// How many distinct raw (region, category, sub-category, ship mode)
    /// keys were seen.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// The three reports as CSV, named as in [`REPORT_NAMES`].
    pub fn reports(&self) -> [(&'static str, Vec<u8>); 3] {
        let rollup = self.rollup();
        [0, 1, 2].map(|i| (REPORT_NAMES[i], rollup.csv(i)))
    }

    /// The groups rolled up, to write the reports one at a time
    /// ([`Rollup::csv`]) and hold only one.
    pub fn rollup(&self) -> Rollup<'_> {
        Rollup::new(&self.groups, |mode| self.is_missing(mode))
    }

    fn is_missing(&self, mode: &[u8]) -> bool {
        let mode = mode.trim_ascii();
        mode.is_empty()
            || self
                .options
                .missing
                .iter()
                .any(|m| m.trim().as_bytes().eq_ignore_ascii_case(mode))
    }

    /// Adds a row to its group, or says why it cannot be used.
    #[inline]
    fn take(&mut self, row: &Row<'_>) -> Result<(), Reason> {
        if let Some(reason) = row.field_count_problem() {
            return Err(reason);
        }
        // The row has every column (its field count is right).
        let span = |column: usize| row.field_range(column).unwrap_or(0..0);
        let field = |role: Role| &row.bytes[span(self.columns[role.index()])];
        for role in [Role::Region, Role::Category, Role::SubCategory] {
            if is_blank(field(role)) {
                return Err(self.missing(role));
            }
        }
        let mut key = [Packed::default(); MAX_RUNS];
        let mut texts = [&b""[..]; MAX_RUNS];
        for (run, &(first, last)) in self.runs.iter().enumerate() {
            let (start, end) = (span(first).start, span(last).end);
            key[run] = Packed::new(row.bytes, start, end - start);
            texts[run] = &row.bytes[start..end];
        }
        let [list, discount, cost, quantity] = NUMBER_ROLES;
        let profit = self.profit([field(list), field(discount), field(cost), field(quantity)])?;
        let runs = self.runs.len();
        if !self.groups.add(&key[..runs], &texts[..runs], profit) {
            self.new_group(row, &key[..runs], &texts[..runs], profit);
        }
        Ok(())
    }

    /// Adds the group of a row whose key is new, unless that passes the
    /// cap: then the run is stopped (see [`Job::halt`]).
    #[cold]
    fn new_group(&mut self, row: &Row<'_>, key: &[Packed], texts: &[&[u8]], profit: i128) {
        if self.groups.len() >= self.options.max_groups {
            self.over.get_or_insert(row.line);
            return;
        }
        let field = |role: Role| {
            let span = row.field_range(self.columns[role.index()]);
            unquote(&row.bytes[span.unwrap_or(0..0)])
        };
        let values = KEY_ROLES.map(field);
        let values = [0, 1, 2, 3].map(|i| &*values[i]);
        self.groups.insert(key, texts, values, profit);
    }

    /// The reason for a row without a value for `role`.
    #[cold]
    fn missing(&self, role: Role) -> Reason {
        Reason::Other(format!("{}: missing value", self.names[role.index()]))
    }

    /// The profit × 10^PROFIT_SCALE of a row with these raw number fields
    /// (as in [`NUMBER_ROLES`]).
    #[inline]
    fn profit(&self, raw: [&[u8]; 4]) -> Result<i128, Reason> {
        match profit_plain(raw) {
            Some(profit) => Ok(profit),
            None => self.profit_general(raw),
        }
    }

    /// [`Self::profit`] for numbers that are not plain (signed, quoted,
    /// with an exponent, not numbers at all) or large.
    #[cold]
    fn profit_general(&self, raw: [&[u8]; 4]) -> Result<i128, Reason> {
        let mut numbers = [(0i128, 0u32); 4];
        for ((role, raw), number) in NUMBER_ROLES.into_iter().zip(raw).zip(&mut numbers) {
            let d = self.number(role, raw)?;
            *number = (d.mantissa, d.scale);
        }
        let [list, discount, cost, quantity] = numbers;
        scaled_profit(list, discount, cost, quantity)
            .and_then(|(y, scale)| rescale(y, scale))
            .ok_or_else(|| Reason::Other("profit out of range".to_string()))
    }

    /// The number in a raw field for `role`, or why it has none.
    fn number(&self, role: Role, raw: &[u8]) -> Result<Dec, Reason> {
        let value = unquote(raw);
        Dec::parse(&value).map_err(|e| {
            let name = &self.names[role.index()];
            let value = String::from_utf8_lossy(&value);
            Reason::Other(match e {
                DecError::Empty => format!("{name}: missing value"),
                DecError::NotANumber => format!("{name}: {value:?} is not a number"),
                DecError::OutOfRange => format!("{name}: {value:?} is out of range"),
            })
        })
    }
}

impl Job for OrderReports {
    fn begin(&mut self, header: Option<&Header>, _out: &mut Vec<u8>) -> Result<(), JobError> {
        let header = header.ok_or_else(|| JobError::header("the report job needs a header row"))?;
        for role in Role::ALL {
            let want = normal(&self.options.columns[role.index()]);
            let found = header
                .names
                .iter()
                .position(|n| normal(&String::from_utf8_lossy(n)) == want);
            let Some(index) = found else {
                return Err(JobError::MissingRole {
                    role: role.key().to_string(),
                    column: self.options.columns[role.index()].clone(),
                    header: header.listing(),
                });
            };
            self.columns[role.index()] = index;
            self.names[role.index()] = String::from_utf8_lossy(&header.names[index]).into_owned();
            self.wanted = self.wanted.max(index + 1);
        }
        let mut key_columns = KEY_ROLES.map(|role| self.columns[role.index()]);
        key_columns.sort_unstable();
        self.runs.clear();
        for column in key_columns {
            match self.runs.last_mut() {
                Some((_, last)) if *last + 1 == column => *last = column,
                _ => self.runs.push((column, column)),
            }
        }
        Ok(())
    }

    fn fields_wanted(&self) -> usize {
        self.wanted
    }

    fn fields_in_row(&self) -> bool {
        true
    }

    fn row(&mut self, row: &Row<'_>, _out: &mut Vec<u8>) -> Outcome {
        match self.take(row) {
            Ok(()) => Outcome::Selected,
            Err(reason) => Outcome::Rejected(reason),
        }
    }

    fn halt(&mut self) -> Option<(u64, JobError)> {
        let line = self.over?;
        let cap = self.options.max_groups;
        Some((line, JobError::TooManyGroups { cap, seen: cap + 1 }))
    }
}

/// A column name made comparable: trimmed, lowercase, `_` and `-` as space.
fn normal(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '_' | '-' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dialect, Engine};

    const HEADER: &str = "Order Id,Order Date,Ship Mode,Segment,Country,City,State,Postal Code,Region,Category,Sub Category,Product Id,cost price,List Price,Quantity,Discount Percent\n";

    /// One order row; the columns the job ignores are filled in.
    fn order(r: &[&str; 8]) -> String {
        let [mode, region, cat, sub, cost, list, qty, disc] = r;
        format!("CA-1,2023-09-05,{mode},Consumer,United States,Austin,Texas,78701,{region},{cat},{sub},P-1,{cost},{list},{qty},{disc}\n")
    }

    fn run(input: &str) -> (Engine<OrderReports>, crate::Counts) {
        let mut engine = Engine::new(
            Dialect::default(),
            OrderReports::new(ReportOptions::default()),
        );
        engine.feed(input.as_bytes()).unwrap();
        let counts = engine.finish().unwrap();
        (engine, counts)
    }

    fn reports(engine: &Engine<OrderReports>) -> Vec<String> {
        engine
            .job()
            .reports()
            .into_iter()
            .map(|(_, r)| String::from_utf8(r).unwrap())
            .collect()
    }

    /// Worked by hand: profit = (list × (1 − disc/100) − cost) × qty.
    ///  West:  (260×0.98 − 240)×2 = 29.60;  (100×0.9 − 50)×1 = 40;  (10 − 12.5)×3 = −7.50  → 62.10, 3 orders
    ///  East:  (80×0.95 − 70)×4 = 24;  (30 − 20)×1 = 10  → 34.00, 2 orders
    ///  South: (5 − 1)×10 = 40 → 40.00, 1 order
    /// Furniture modes: Standard 2, Second 2 (tie → "Second Class"), "Not Available" 1 (not a mode).
    const SAMPLE: &[&[&str; 8]] = &[
        &[
            "Standard Class",
            "West",
            "Furniture",
            "Bookcases",
            "240",
            "260",
            "2",
            "2",
        ],
        &[
            "Second Class",
            "West",
            "Furniture",
            "Chairs",
            "50",
            "100",
            "1",
            "10",
        ],
        &[
            "Second Class",
            "East",
            "Furniture",
            "Chairs",
            "70",
            "80",
            "4",
            "5",
        ],
        &[
            "Standard Class",
            "East",
            "Furniture",
            "Tables",
            "20",
            "30",
            "1",
            "0",
        ],
        &[
            "Not Available",
            "West",
            "Furniture",
            "Chairs",
            "12.5",
            "10",
            "3",
            "0",
        ],
        &[
            "not available ",
            "South",
            "Office Supplies",
            "Paper",
            "1",
            "5",
            "10",
            "0",
        ],
    ];

    fn sample() -> String {
        let mut s = HEADER.to_string();
        for r in SAMPLE {
            s += &order(r);
        }
        s
    }

    #[test]
    fn reports_match_a_hand_computed_file() {
        let (engine, counts) = run(&sample());
        assert_eq!((counts.rows, counts.selected, counts.rejected), (6, 6, 0));
        let r = reports(&engine);
        assert_eq!(
            r[0],
            "region,profit,orders\nWest,62.10,3\nSouth,40.00,1\nEast,34.00,2\n"
        );
        assert_eq!(
            r[1],
            "category,ship_mode,orders\nFurniture,Second Class,2\nOffice Supplies,,0\n"
        );
        assert_eq!(
            r[2],
            "category,sub_category,orders\nFurniture,Bookcases,1\nFurniture,Chairs,3\nFurniture,Tables,1\nOffice Supplies,Paper,1\n"
        );
    }

    #[test]
    fn groups_grow_with_distinct_keys_not_rows() {
        let mut s = HEADER.to_string();
        for i in 0..3000 {
            let region = ["West", "East", "\"West\""][i % 3];
            s += &order(&["Air", region, "C", "S", "1", "2", "1", "0"]);
        }
        let (engine, counts) = run(&s);
        assert_eq!(counts.selected, 3000);
        // `West` and `"West"` are two raw keys, merged in the reports.
        assert_eq!(engine.job().groups(), 3);
        assert_eq!(
            reports(&engine)[0],
            "region,profit,orders\nWest,2000.00,2000\nEast,1000.00,1000\n"
        );
    }

    #[test]
    fn a_new_key_past_the_cap_stops_the_run_with_its_line() {
        let mut s = HEADER.to_string();
        for region in ["A", "B", "A", "\"A\"", "C", "D"] {
            s += &order(&["Air", region, "C", "S", "1", "2", "1", "0"]);
        }
        let options = ReportOptions {
            max_groups: 3,
            ..ReportOptions::default()
        };
        let mut engine = Engine::new(Dialect::default(), OrderReports::new(options));
        let err = engine.feed(s.as_bytes()).unwrap_err();
        // A, B and "A" (another raw key) fill the cap; C on line 6 passes it.
        assert_eq!(err.line, Some(6));
        let want = JobError::TooManyGroups { cap: 3, seen: 4 };
        assert_eq!(err.kind, crate::error::ErrorKind::Job(want));
        assert!(err.to_string().contains("4 distinct"), "{err}");
        let mut under = Engine::new(
            Dialect::default(),
            OrderReports::new(ReportOptions {
                max_groups: 5,
                ..ReportOptions::default()
            }),
        );
        under.feed(s.as_bytes()).unwrap();
        assert_eq!(under.finish().unwrap().selected, 6);
    }

    #[test]
    fn equal_profits_are_ordered_by_region_name() {
        let mut s = HEADER.to_string();
        s += &order(&["A", "North", "C", "S", "0", "10", "1", "0"]);
        s += &order(&["A", "Central", "C", "S", "0", "10", "1", "0"]);
        let (engine, _) = run(&s);
        assert_eq!(
            reports(&engine)[0],
            "region,profit,orders\nCentral,10.00,1\nNorth,10.00,1\n"
        );
    }

    #[test]
    fn any_chunking_gives_the_same_reports() {
        let input = sample();
        let (whole, _) = run(&input);
        let expected = reports(&whole);
        for split in 0..=input.len() {
            let mut engine = Engine::new(
                Dialect::default(),
                OrderReports::new(ReportOptions::default()),
            );
            engine.feed(&input.as_bytes()[..split]).unwrap();
            engine.feed(&input.as_bytes()[split..]).unwrap();
            engine.finish().unwrap();
            assert_eq!(reports(&engine), expected, "split at {split}");
        }
    }

    #[test]
    fn columns_match_in_any_order_case_and_spacing_and_quotes_are_values() {
        let input = "\u{feff} quantity ,LIST_PRICE,Region,discount-percent,COST PRICE,ship mode,category,sub_category,extra\n\
                     2,\"1,000\",West,0,1,Air,\"Tech, Misc\",\"Pho\"\"nes\",x\n\
                     1,5,\"West\",0,1,Air,\"Tech, Misc\",\"Pho\"\"nes\",y\n";
        let (engine, counts) = run(input);
        assert_eq!(
            counts.rejected,
            1,
            "{}",
            String::from_utf8_lossy(engine.rejects())
        );
        assert!(String::from_utf8_lossy(engine.rejects())
            .contains("LIST_PRICE: \"\"1,000\"\" is not a number"));
        let r = reports(&engine);
        assert_eq!(r[0], "region,profit,orders\nWest,4.00,1\n");
        assert_eq!(
            r[2],
            "category,sub_category,orders\n\"Tech, Misc\",\"Pho\"\"nes\",1\n"
        );
    }

    #[test]
    fn unusable_rows_are_rejected_with_line_and_reason() {
        let mut s = HEADER.to_string();
        s += &order(&["Air", "West", "C", "S", "1", "abc", "1", "0"]); // line 2
        s += &order(&["Air", "", "C", "S", "1", "2", "1", "0"]); // line 3
        s += &order(&["Air", "West", "C", "S", "1", "2", "", "0"]); // line 4
        s += "CA-9,2023-01-01,Air\n"; // line 5
        s += &order(&["", "West", "C", "S", "1", "2", "1", "0"]); // line 6: no ship mode is fine
        let (engine, counts) = run(&s);
        assert_eq!((counts.rows, counts.selected, counts.rejected), (5, 1, 4));
        let rejects = String::from_utf8_lossy(engine.rejects()).into_owned();
        let lines: Vec<_> = rejects
            .lines()
            .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(","))
            .collect();
        assert_eq!(
            lines,
            [
                "line,reason",
                "2,\"List Price: \"\"abc\"\" is not a number\"",
                "3,Region: missing value",
                "4,Quantity: missing value",
                "5,\"expected 16 fields"
            ]
        );
        assert_eq!(reports(&engine)[1], "category,ship_mode,orders\nC,,0\n");
    }

    #[test]
    fn rejects_taken_chunk_by_chunk_have_one_header() {
        let bad = order(&["Air", "", "C", "S", "1", "2", "1", "0"]);
        let mut engine = Engine::new(
            Dialect::default(),
            OrderReports::new(ReportOptions::default()),
        );
        let mut all = Vec::new();
        let mut taken = Vec::new();
        for chunk in [HEADER.to_string() + &bad, bad.clone(), bad] {
            engine.feed(chunk.as_bytes()).unwrap();
            engine.take_rejects(&mut taken);
            all.extend_from_slice(&taken);
        }
        engine.finish().unwrap();
        let text = String::from_utf8(all).unwrap();
        assert_eq!(text.matches("line,reason,row").count(), 1, "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
    }

    #[test]
    fn a_missing_column_is_an_error_naming_it() {
        let mut engine = Engine::new(
            Dialect::default(),
            OrderReports::new(ReportOptions::default()),
        );
        let err = engine
            .feed(b"Region,Category,Sub Category,cost price,List Price,Quantity,Discount Percent\nW,C,S,1,2,1,0\n")
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"Ship Mode\" column"), "{msg}");
        assert!(msg.contains("header: Region, Category"), "{msg}");
    }

    /// The profit of a row's number fields through the job's own path.
    fn profit(list: &str, discount: &str, cost: &str, quantity: &str) -> Option<i128> {
        let job = OrderReports::new(ReportOptions::default());
        let raw = [list, discount, cost, quantity].map(str::as_bytes);
        job.profit(raw).ok()
    }

    #[test]
    fn profit_is_exact_with_decimals_and_exponents() {
        // (19.99 × 0.875 − 10.005) × 3 = (17.49125 − 10.005) × 3 = 22.45875
        assert_eq!(profit("19.99", "12.5", "10.005", "3"), Some(2_245_875_000));
        // (1e2 × 1 − 0.1) × 0.5 = 49.95
        assert_eq!(profit("1e2", "0", "0.1", "0.5"), Some(4_995_000_000));
        // Quoted numbers and signs take the general path, same result.
        assert_eq!(
            profit("\"19.99\"", "+12.5", "10.005", " 3"),
            Some(2_245_875_000)
        );
        assert_eq!(profit("1e30", "0", "0", "1e9"), None);
        assert_eq!(profit("abc", "0", "0", "1"), None);
    }

    #[test]
    fn profit_past_i64_is_computed_in_i128() {
        // 9999999999999 × 0.995 × 1000000 overflows i64 at the last step.
        assert_eq!(
            profit("9999999999999", "0.5", "0", "1000000"),
            Some(994_999_999_999_900_500_000_000_000)
        );
    }

    #[test]
    fn each_row_is_rounded_half_away_from_zero_to_eight_decimals() {
        assert_eq!(profit("0.123456789", "0", "0", "1"), Some(12_345_679));
        assert_eq!(profit("0.123456784", "0", "0", "1"), Some(12_345_678));
        assert_eq!(profit("0", "0", "0.000000005", "1"), Some(-1));
        assert_eq!(profit("0", "0", "0.000000004", "1"), Some(0));
    }
}
