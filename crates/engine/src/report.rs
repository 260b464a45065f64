//! The report job: order analytics in one streaming pass.
//!
//! Each row is grouped once, on the raw values of its finest key (region,
//! category, sub-category, ship mode), with its order count and exact
//! profit; the three reports are rolled up from those groups at the end.
//! Memory grows with the number of distinct keys, never with rows.

use crate::fixed::{parse_plain, write_fixed, Dec, DecError};
use crate::job::{Flow, Header, Job, Outcome, Reason, Row};
use crate::scan::{unquote, write_csv_field};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

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

    /// Text roles form the group key, in this order.
    fn text_slot(self) -> Option<usize> {
        match self {
            Role::Region => Some(0),
            Role::Category => Some(1),
            Role::SubCategory => Some(2),
            Role::ShipMode => Some(3),
            _ => None,
        }
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
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            columns: Role::ALL.map(|r| r.default_column().to_string()),
            missing: vec!["Not Available".to_string()],
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

/// Profit is kept with this many decimal places; each row's profit is
/// rounded to it (half away from zero) before it is summed.
const PROFIT_SCALE: u32 = 8;

/// One group of the finest key: orders and profit.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    orders: u64,
    /// Profit × 10^PROFIT_SCALE.
    profit: i128,
}

/// The report job. Needs a header.
#[derive(Debug)]
pub struct OrderReports {
    options: ReportOptions,
    /// The role of each column of the header, `None` for unused ones.
    roles: Vec<Option<Role>>,
    /// Header names of the roles, for messages.
    names: [String; 8],
    wanted: usize,
    /// The current row: its text values, length-prefixed, in the file's
    /// column order (the same for every row).
    key: Vec<u8>,
    /// The current row's plain numbers (mantissa, scale), indexed by role.
    plain: [(u64, u32); 8],
    /// A bit per role whose value is not a plain number: signed, with an
    /// exponent, quoted, or not a number at all; its text is in `other`.
    not_plain: u8,
    /// Where each text value of the current row lies in `key`, by slot.
    spans: [(u32, u32); 4],
    /// The text of the values that are not plain numbers, by role.
    other: [Vec<u8>; 8],
    /// The order text roles appear in the key.
    key_order: Vec<usize>,
    groups: HashMap<Box<[u8]>, Totals, BuildHasherDefault<KeyHasher>>,
}

impl OrderReports {
    pub fn new(options: ReportOptions) -> Self {
        OrderReports {
            options,
            roles: Vec::new(),
            names: Default::default(),
            wanted: 0,
            key: Vec::with_capacity(256),
            plain: [(0, 0); 8],
            not_plain: 0,
            other: Default::default(),
            spans: [(0, 0); 4],
            key_order: Vec::new(),
            groups: HashMap::default(),
        }
    }

    /// How many distinct (region, category, sub-category, ship mode)
    /// groups were seen.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// The three reports as CSV, named as in [`REPORT_NAMES`].
    pub fn reports(&self) -> [(&'static str, Vec<u8>); 3] {
        let rollup = self.rollup();
        [
            (REPORT_NAMES[0], profit_by_region(&rollup)),
            (REPORT_NAMES[1], top_ship_mode_by_category(&rollup)),
            (REPORT_NAMES[2], orders_by_category(&rollup)),
        ]
    }

    fn rollup(&self) -> Rollup {
        let mut r = Rollup::default();
        for (key, t) in &self.groups {
            let parts = self.split_key(key);
            let [region, category, sub, mode] = parts;
            let by_region = r.regions.entry(region.to_vec()).or_default();
            by_region.orders += t.orders;
            by_region.profit += t.profit;
            let modes = r.modes.entry(category.to_vec()).or_default();
            if !self.is_missing(mode) {
                *modes.entry(mode.to_vec()).or_default() += t.orders;
            }
            *r.subs.entry((category.to_vec(), sub.to_vec())).or_default() += t.orders;
        }
        r
    }

    /// The text values of a group key, in role order.
    fn split_key<'k>(&self, mut key: &'k [u8]) -> [&'k [u8]; 4] {
        let mut parts: [&[u8]; 4] = [b""; 4];
        for &slot in &self.key_order {
            let (len, rest) = key.split_at(4);
            let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
            parts[slot] = &rest[..len];
            key = &rest[len..];
        }
        parts
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

    /// Appends a text value of the current row to its group key.
    #[inline(always)]
    fn push_text(&mut self, slot: usize, value: &[u8]) {
        self.key
            .extend_from_slice(&(value.len() as u32).to_le_bytes());
        let start = self.key.len() as u32;
        self.key.extend_from_slice(value);
        self.spans[slot] = (start, self.key.len() as u32);
    }

    /// A field that was quoted, given its value.
    #[cold]
    fn quoted_field(&mut self, role: Role, value: &[u8]) {
        match role.text_slot() {
            Some(slot) => self.push_text(slot, value),
            None => self.push_other(role, value),
        }
    }

    /// Keeps a number field that is not plain for [`Self::number`].
    #[cold]
    fn push_other(&mut self, role: Role, value: &[u8]) {
        let i = role.index();
        self.not_plain |= 1 << i;
        self.other[i].clear();
        self.other[i].extend_from_slice(value);
    }

    /// The current row's number for `role`, or why it has none.
    #[inline]
    fn number(&self, role: Role) -> Result<Dec, Reason> {
        let i = role.index();
        if self.not_plain & (1 << i) == 0 {
            let (mantissa, scale) = self.plain[i];
            return Ok(Dec {
                mantissa: i128::from(mantissa),
                scale,
            });
        }
        Dec::parse(&self.other[i]).map_err(|e| {
            let name = &self.names[i];
            let value = String::from_utf8_lossy(&self.other[i]);
            Reason::Other(match e {
                DecError::Empty => format!("{name}: missing value"),
                DecError::NotANumber => format!("{name}: {value:?} is not a number"),
                DecError::OutOfRange => format!("{name}: {value:?} is out of range"),
            })
        })
    }

    /// Why the current row cannot be used, if it cannot.
    fn problem(&self, row: &Row<'_>) -> Option<Reason> {
        if let Some(reason) = row.field_count_problem() {
            return Some(reason);
        }
        for slot in 0..3 {
            let (start, end) = self.spans[slot];
            if self.key[start as usize..end as usize]
                .trim_ascii()
                .is_empty()
            {
                let role = Role::ALL[slot];
                let name = &self.names[role.index()];
                return Some(Reason::Other(format!("{name}: missing value")));
            }
        }
        None
    }

    /// The current row's profit × 10^PROFIT_SCALE.
    fn profit(&self) -> Result<i128, Reason> {
        let list = self.number(Role::ListPrice)?;
        let discount = self.number(Role::DiscountPercent)?;
        let cost = self.number(Role::CostPrice)?;
        let quantity = self.number(Role::Quantity)?;
        profit(list, discount, cost, quantity)
            .ok_or_else(|| Reason::Other("profit out of range".to_string()))
    }
}

/// Profit of one row, (list × (1 − discount/100) − cost) × quantity, with
/// PROFIT_SCALE decimals; `None` on overflow.
#[inline]
fn profit(list: Dec, discount: Dec, cost: Dec, quantity: Dec) -> Option<i128> {
    const LIMIT: i128 = 1_000_000_000;
    let small = |d: Dec| d.mantissa.abs() < LIMIT && d.scale <= 6;
    if small(list) && small(discount) && small(cost) && small(quantity) {
        Some(profit_small(list, discount, cost, quantity))
    } else {
        profit_checked(list, discount, cost, quantity)
    }
}

/// [`profit`] for mantissas below 10^9 and at most 6 decimals, where no
/// step can overflow an i128 (the largest intermediate is about 10^31).
#[inline]
fn profit_small(list: Dec, discount: Dec, cost: Dec, quantity: Dec) -> i128 {
    let pow = |n: u32| crate::fixed::pow10(n).expect("small powers fit");
    let kept = pow(discount.scale) * 100 - discount.mantissa;
    let scale1 = list.scale + discount.scale;
    let s1 = scale1.max(cost.scale);
    let x = list.mantissa * kept * pow(s1 - scale1) - cost.mantissa * 100 * pow(s1 - cost.scale);
    let y = x * quantity.mantissa;
    let scale = s1 + quantity.scale + 2;
    if scale <= PROFIT_SCALE {
        y * pow(PROFIT_SCALE - scale)
    } else {
        Dec { mantissa: y, scale }
            .rescale(PROFIT_SCALE)
            .expect("dividing cannot overflow")
    }
}

/// [`profit`] with every step checked.
fn profit_checked(list: Dec, discount: Dec, cost: Dec, quantity: Dec) -> Option<i128> {
    // 100 × (list × (100 − discount)/100 − cost), at scale s1.
    let pow = crate::fixed::pow10;
    let kept = pow(discount.scale)?
        .checked_mul(100)?
        .checked_sub(discount.mantissa)?;
    let term1 = list.mantissa.checked_mul(kept)?;
    let scale1 = list.scale + discount.scale;
    let s1 = scale1.max(cost.scale);
    let x = term1.checked_mul(pow(s1 - scale1)?)?.checked_sub(
        cost.mantissa
            .checked_mul(100)?
            .checked_mul(pow(s1 - cost.scale)?)?,
    )?;
    let y = x.checked_mul(quantity.mantissa)?;
    Dec {
        mantissa: y,
        scale: s1 + quantity.scale + 2,
    }
    .rescale(PROFIT_SCALE)
}

impl Job for OrderReports {
    fn begin(&mut self, header: Option<&Header>, _out: &mut Vec<u8>) -> Result<(), String> {
        let header = header.ok_or("the report job needs a header row")?;
        let wanted: Vec<String> = self.options.columns.iter().map(|c| normal(c)).collect();
        self.roles = vec![None; header.names.len()];
        for (role, want) in Role::ALL.into_iter().zip(&wanted) {
            let found = header
                .names
                .iter()
                .position(|n| normal(&String::from_utf8_lossy(n)) == *want);
            let Some(index) = found else {
                return Err(format!(
                    "the header has no {:?} column (the {} column; header: {})",
                    self.options.columns[role.index()],
                    role.key(),
                    header.listing()
                ));
            };
            self.roles[index] = Some(role);
            self.names[role.index()] = String::from_utf8_lossy(&header.names[index]).into_owned();
            self.wanted = self.wanted.max(index + 1);
        }
        self.key_order = self
            .roles
            .iter()
            .flatten()
            .filter_map(|r| r.text_slot())
            .collect();
        Ok(())
    }

    fn fields_wanted(&self) -> usize {
        self.wanted
    }

    #[inline(always)]
    fn field(&mut self, index: usize, raw: &[u8]) -> Flow {
        if index == 0 {
            self.key.clear();
        }
        let Some(&Some(role)) = self.roles.get(index) else {
            return Flow::Next;
        };
        if raw.first() == Some(&b'"') {
            self.quoted_field(role, &unquote(raw));
        } else if let Some(slot) = role.text_slot() {
            self.push_text(slot, raw);
        } else if let Some(number) = parse_plain(raw) {
            self.plain[role.index()] = number;
            self.not_plain &= !(1 << role.index());
        } else {
            self.push_other(role, raw);
        }
        Flow::Next
    }

    fn row(&mut self, row: &Row<'_>, _out: &mut Vec<u8>) -> Outcome {
        if let Some(reason) = self.problem(row) {
            return Outcome::Rejected(reason);
        }
        let profit = match self.profit() {
            Ok(p) => p,
            Err(reason) => return Outcome::Rejected(reason),
        };
        let totals = match self.groups.get_mut(&self.key[..]) {
            Some(t) => t,
            None => self
                .groups
                .entry(self.key.clone().into_boxed_slice())
                .or_default(),
        };
        totals.orders += 1;
        totals.profit += profit;
        Outcome::Selected
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

/// The groups rolled up to each report's key, sorted by it.
#[derive(Default)]
struct Rollup {
    regions: BTreeMap<Vec<u8>, Totals>,
    /// Category → ship mode → orders (missing modes left out).
    modes: BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, u64>>,
    subs: BTreeMap<(Vec<u8>, Vec<u8>), u64>,
}

fn profit_by_region(r: &Rollup) -> Vec<u8> {
    let mut rows: Vec<_> = r.regions.iter().collect();
    // Most profitable first; equal profits by region name.
    rows.sort_by(|a, b| b.1.profit.cmp(&a.1.profit).then(a.0.cmp(b.0)));
    let mut out = b"region,profit,orders\n".to_vec();
    for (region, t) in rows {
        write_csv_field(&mut out, region);
        out.push(b',');
        write_fixed(&mut out, t.profit, PROFIT_SCALE, 2);
        out.extend_from_slice(format!(",{}\n", t.orders).as_bytes());
    }
    out
}

fn top_ship_mode_by_category(r: &Rollup) -> Vec<u8> {
    let mut out = b"category,ship_mode,orders\n".to_vec();
    for (category, modes) in &r.modes {
        // The first of the most used modes in name order wins a tie.
        let top = modes
            .iter()
            .fold(None::<(&Vec<u8>, u64)>, |best, (m, &n)| match best {
                Some((_, b)) if b >= n => best,
                _ => Some((m, n)),
            });
        write_csv_field(&mut out, category);
        out.push(b',');
        let (mode, orders) = top.map_or((&b""[..], 0), |(m, n)| (&m[..], n));
        write_csv_field(&mut out, mode);
        out.extend_from_slice(format!(",{orders}\n").as_bytes());
    }
    out
}

fn orders_by_category(r: &Rollup) -> Vec<u8> {
    let mut out = b"category,sub_category,orders\n".to_vec();
    for ((category, sub), orders) in &r.subs {
        write_csv_field(&mut out, category);
        out.push(b',');
        write_csv_field(&mut out, sub);
        out.extend_from_slice(format!(",{orders}\n").as_bytes());
    }
    out
}

/// A fast hasher for group keys (short byte strings, few distinct): eight
/// bytes at a time, multiply-mixed. Not for keys an attacker chooses to
/// collide, which costs time here, never correctness.
#[derive(Default)]
pub struct KeyHasher(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let half = |at: usize| {
            u64::from(u32::from_le_bytes(
                bytes[at..at + 4].try_into().expect("4 bytes"),
            ))
        };
        let mut h = self.0;
        let (a, b) = if n >= 16 {
            let mut at = 0;
            while at + 16 < n {
                h = mix(word(at) ^ K, word(at + 8) ^ h);
                at += 16;
            }
            // The last 16 bytes, overlapping the previous ones; the length
            // is hashed too, so no two keys read alike.
            (word(n - 16), word(n - 8))
        } else if n >= 8 {
            (word(0), word(n - 8))
        } else if n >= 4 {
            (half(0), half(n - 4))
        } else if n > 0 {
            let (first, mid, last) = (bytes[0], bytes[n / 2], bytes[n - 1]);
            (
                u64::from(first) | u64::from(mid) << 8 | u64::from(last) << 16,
                0,
            )
        } else {
            (0, 0)
        };
        self.0 = mix(a ^ K, b ^ h);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = mix(self.0 ^ n as u64, K);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The folded 128-bit product: high-quality mixing for one multiply.
#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
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

    #[test]
    fn profit_is_exact_with_decimals_and_exponents() {
        let d = |s: &str| Dec::parse(s.as_bytes()).unwrap();
        // (19.99 × 0.875 − 10.005) × 3 = (17.49125 − 10.005) × 3 = 22.45875
        assert_eq!(
            profit(d("19.99"), d("12.5"), d("10.005"), d("3")),
            Some(2_245_875_000)
        );
        // (1e2 × 1 − 0.1) × 0.5 = 49.95
        assert_eq!(
            profit(d("1e2"), d("0"), d("0.1"), d("0.5")),
            Some(4_995_000_000)
        );
        assert_eq!(profit(d("1e30"), d("0"), d("0"), d("1e9")), None);
    }
}
