//! Writes a generated orders export to stdout, for the report job's
//! benchmark and differential test: the 16 columns of the default layout,
//! random values, quoted fields (cities and products with commas and
//! doubled quotes), `Not Available` and empty ship modes, decimal prices
//! and discounts.
//!
//!     cargo run --release -p sluice-engine --example gen_orders_csv -- BYTES [SEED [GROUPS [PER_SUB]]] > orders.csv
//!
//! With GROUPS, row `n` belongs to group `n % GROUPS`, so the file holds
//! exactly that many distinct (region, category, sub-category, ship mode)
//! keys once it has as many rows: the report job's memory test. Each
//! sub-category (`Sub-0000042`) then spans PER_SUB groups (default 30:
//! every region and ship mode of one product line; 1 gives every group a
//! sub-category of its own, the most distinct strings).

use std::io::{BufWriter, Write};

const MODES: [&str; 4] = ["Standard Class", "Second Class", "First Class", "Same Day"];
const REGIONS: [&str; 5] = ["West", "East", "Central", "South", "North \"Upper\""];
const CATEGORIES: [(&str, &[&str]); 3] = [
    (
        "Furniture",
        &["Bookcases", "Chairs", "Furnishings", "Tables"],
    ),
    (
        "Office Supplies",
        &[
            "Appliances",
            "Art",
            "Binders",
            "Envelopes",
            "Fasteners",
            "Labels",
            "Paper",
            "Storage",
            "Supplies",
        ],
    ),
    (
        "Technology",
        &["Accessories", "Copiers", "Machines", "Phones, Mobile"],
    ),
];
const CITIES: [&str; 5] = [
    "San Francisco,California,94109",
    "\"Washington, D.C.\",District of Columbia,20001",
    "Austin,Texas,78701",
    "\"Boise \"\"City\"\"\",Idaho,83702",
    "New York City,New York,10024",
];

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let target: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1 << 30);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let groups: Option<u64> = args.next().and_then(|s| s.parse().ok()).filter(|&g| g > 0);
    let per_sub: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
        .max(1);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let header = "Order Id,Order Date,Ship Mode,Segment,Country,City,State,Postal Code,Region,Category,Sub Category,Product Id,cost price,List Price,Quantity,Discount Percent\n";
    out.write_all(header.as_bytes())?;
    let mut written = header.len() as u64;
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ seed.wrapping_mul(0xA24B_AED4_963E_E407);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut line = Vec::with_capacity(256);
    let mut n = 0u64;
    while written < target {
        line.clear();
        let r = next();
        let (mode, region, category, sub) = match groups {
            Some(g) => group_key(n % g, per_sub),
            None => random_key(r),
        };
        let list = 100 + next() % 90_000; // cents
        let cost = list * (60 + next() % 50) / 100;
        let quantity = 1 + (r >> 28) % 10;
        let discount = (r >> 32) % 6;
        write!(
            line,
            "CA-2023-{n},2023-{:02}-{:02},{mode},Consumer,United States,{},{},{},{},FUR-{:08},",
            1 + (r >> 36) % 12,
            1 + (r >> 40) % 28,
            CITIES[(r >> 44) as usize % 5],
            field(region),
            field(category),
            field(&sub),
            r >> 48,
        )?;
        money(&mut line, cost, r >> 52 & 1 == 0)?;
        line.push(b',');
        money(&mut line, list, r >> 53 & 1 == 0)?;
        write!(line, ",{quantity},")?;
        if r >> 54 & 3 == 0 {
            writeln!(line, "{discount}.5")?;
        } else {
            writeln!(line, "{discount}")?;
        }
        out.write_all(&line)?;
        written += line.len() as u64;
        n += 1;
    }
    out.flush()
}

/// The key of a row of a random group (of about 500).
fn random_key(r: u64) -> (&'static str, &'static str, &'static str, String) {
    let mode = match r % 40 {
        0 => "Not Available",
        1 => "",
        m => MODES[(m % 4) as usize],
    };
    let (category, subs) = CATEGORIES[(r >> 8) as usize % 3];
    let sub = subs[(r >> 12) as usize % subs.len()];
    (
        mode,
        REGIONS[(r >> 20) as usize % 5],
        category,
        sub.to_string(),
    )
}

/// The key of group `k`: distinct for every `k`, its ship mode, region and
/// category cycling fastest, `per_sub` groups to a sub-category.
fn group_key(k: u64, per_sub: u64) -> (&'static str, &'static str, &'static str, String) {
    let modes = ["Not Available", "", MODES[0], MODES[1], MODES[2], MODES[3]];
    let mode = modes[(k % 6) as usize];
    let region = REGIONS[(k / 6 % 5) as usize];
    let category = CATEGORIES[(k / 30 % 3) as usize].0;
    // k % 90 fixes the other three; any run of at most 90 consecutive
    // groups meets each of those once, so the sub-category tells k apart.
    let sub = format!("Sub-{:07}", k / per_sub.min(90));
    (mode, region, category, sub)
}

/// A value as one CSV field, quoted when it must be.
fn field(value: &str) -> String {
    if value.contains([',', '"']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// An amount in cents: as dollars with cents, or rounded to whole dollars.
fn money(line: &mut Vec<u8>, cents: u64, whole: bool) -> std::io::Result<()> {
    if whole {
        write!(line, "{}", cents / 100)
    } else {
        write!(line, "{}.{:02}", cents / 100, cents % 100)
    }
}
