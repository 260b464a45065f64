//! The groups rolled up to each report's key and written as CSV. Groups
//! are rolled up by value ids, so `West` and `"West"` — two raw keys, one
//! value — meet here; names are compared only through their ranks, and
//! copied only into the output. The largest roll-up, by sub-category, is
//! a sorted array of 16 bytes a group, merged in place: its memory is
//! bounded by the groups' whatever the number of distinct values.

use super::groups::{Groups, Interner, Totals};
use super::profit::PROFIT_SCALE;
use crate::csv::write_csv_field;
use crate::number::write_fixed;
use std::collections::{HashMap, HashSet};

/// The groups rolled up to each report's key, each in its report's order;
/// [`Rollup::csv`] writes one report at a time, so only one is held.
pub struct Rollup<'a> {
    strings: &'a Interner,
    /// Region id and totals: most profitable first, equal profits by name.
    regions: Vec<(u32, Totals)>,
    /// Category id and its most used ship mode with its orders, if any, by
    /// category name.
    top_modes: Vec<(u32, Option<(u32, u64)>)>,
    /// (Category id, sub-category id) and orders, by names.
    subs: Vec<((u32, u32), u64)>,
}

impl<'a> Rollup<'a> {
    /// Rolls `groups` up; `missing` says which ship-mode values mean none.
    pub(super) fn new(groups: &'a Groups, missing: impl Fn(&[u8]) -> bool) -> Self {
        let strings = &groups.values;
        let ranks = strings.ranks();
        let rank = |id: u32| ranks[id as usize];
        let mut regions: HashMap<u32, Totals> = HashMap::new();
        let mut modes: HashMap<(u32, u32), u64> = HashMap::new();
        let mut categories = HashSet::new();
        let mut subs = Vec::with_capacity(groups.len());
        for ([region, category, sub, mode], t) in groups.iter() {
            let by_region = regions.entry(region).or_default();
            by_region.orders += t.orders;
            by_region.profit += t.profit;
            categories.insert(category);
            if !missing(strings.get(mode)) {
                *modes.entry((category, mode)).or_default() += t.orders;
            }
            subs.push(((category, sub), t.orders));
        }
        let mut regions: Vec<_> = regions.into_iter().collect();
        regions
            .sort_unstable_by(|a, b| b.1.profit.cmp(&a.1.profit).then(rank(a.0).cmp(&rank(b.0))));
        // The first of the most used modes in name order wins a tie.
        let mut top: HashMap<u32, (u32, u64)> = HashMap::new();
        for ((category, mode), n) in modes {
            let best = top.entry(category).or_insert((mode, n));
            if n > best.1 || (n == best.1 && rank(mode) < rank(best.0)) {
                *best = (mode, n);
            }
        }
        let mut top_modes: Vec<_> = categories
            .into_iter()
            .map(|c| (c, top.get(&c).copied()))
            .collect();
        top_modes.sort_unstable_by_key(|&(c, _)| rank(c));
        subs.sort_unstable_by_key(|&((c, s), _)| (rank(c), rank(s)));
        subs.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        subs.shrink_to_fit();
        Rollup {
            strings,
            regions,
            top_modes,
            subs,
        }
    }

    fn field(&self, out: &mut Vec<u8>, id: u32) {
        write_csv_field(out, self.strings.get(id));
    }

    /// Report `index` of [`super::REPORT_NAMES`] as CSV.
    pub fn csv(&self, index: usize) -> Vec<u8> {
        match index {
            0 => self.profit_by_region(),
            1 => self.top_ship_mode_by_category(),
            _ => self.orders_by_category(),
        }
    }

    fn profit_by_region(&self) -> Vec<u8> {
        let mut out = b"region,profit,orders\n".to_vec();
        for &(region, t) in &self.regions {
            self.field(&mut out, region);
            out.push(b',');
            write_fixed(&mut out, t.profit, PROFIT_SCALE, 2);
            out.extend_from_slice(format!(",{}\n", t.orders).as_bytes());
        }
        out
    }

    fn top_ship_mode_by_category(&self) -> Vec<u8> {
        let mut out = b"category,ship_mode,orders\n".to_vec();
        for &(category, top) in &self.top_modes {
            self.field(&mut out, category);
            out.push(b',');
            let orders = match top {
                Some((mode, orders)) => {
                    self.field(&mut out, mode);
                    orders
                }
                None => 0,
            };
            out.extend_from_slice(format!(",{orders}\n").as_bytes());
        }
        out
    }

    fn orders_by_category(&self) -> Vec<u8> {
        let mut out = b"category,sub_category,orders\n".to_vec();
        for &((category, sub), orders) in &self.subs {
            self.field(&mut out, category);
            out.push(b',');
            self.field(&mut out, sub);
            out.extend_from_slice(format!(",{orders}\n").as_bytes());
        }
        out
    }
}
