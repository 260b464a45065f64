//! Items waiting to be written, keyed so that rows with the same key meet
//! (see the module docs of `load`).

use aws_sdk_dynamodb::types::AttributeValue;
use sluice_engine::{number_identity, Item, KeyType, LoadOptions, Value, MAX_ITEM_BYTES};
use std::collections::{HashMap, HashSet, VecDeque};

/// Items waiting for a request, at most; beyond, reading pauses.
pub(super) const WINDOW_ITEMS: usize = 1000;
/// Bytes of items waiting for a request, at most.
pub(super) const WINDOW_BYTES: usize = 4 << 20;

/// A row given back because merging it would make its item too large,
/// with the size it would have made.
pub(super) type TooLarge = Box<(Row, usize)>;

/// An item owned for writing.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Row {
    /// The line of the last row merged into it, for messages.
    pub(super) line: u64,
    pub(super) key: AttributeValue,
    pub(super) sort_key: Option<AttributeValue>,
    /// Non-key attributes by column index.
    pub(super) attributes: Vec<(usize, AttributeValue)>,
    /// The size of each attribute (name and value), as `attributes`.
    pub(super) sizes: Vec<usize>,
    /// The item's size as DynamoDB counts it.
    pub(super) bytes: usize,
    /// The rows in the item: line and row as it came in, for the rejects
    /// should the table refuse it.
    pub(super) sources: Vec<(u64, Vec<u8>)>,
}

impl Row {
    pub(super) fn from_item(item: &Item<'_>, options: &LoadOptions) -> Self {
        let key_value = |text: &str, t: KeyType| match t {
            KeyType::String => AttributeValue::S(text.to_string()),
            KeyType::Number => AttributeValue::N(text.to_string()),
        };
        Row {
            line: item.line,
            key: key_value(item.key, options.key_type),
            sort_key: item.sort_key.map(|s| key_value(s, options.sort_key_type)),
            attributes: item
                .attributes()
                .map(|(column, _, v)| (column, attribute(v)))
                .collect(),
            sizes: item.attribute_sizes().collect(),
            bytes: item.size,
            sources: vec![(item.line, item.raw.to_vec())],
        }
    }

    /// Takes in a later row with the same key: its attributes override
    /// these (merge), or replace them all (replace). A merge that would
    /// make the item larger than DynamoDB stores takes nothing and gives
    /// the row back with the size it would have made.
    pub(super) fn absorb(&mut self, later: Row, replace: bool) -> Result<(), TooLarge> {
        if replace {
            *self = later;
            return Ok(());
        }
        let mut size = self.bytes;
        for (&(column, _), &bytes) in later.attributes.iter().zip(&later.sizes) {
            let earlier = self.attributes.iter().position(|(c, _)| *c == column);
            size = size + bytes - earlier.map_or(0, |i| self.sizes[i]);
        }
        if size > MAX_ITEM_BYTES {
            return Err(Box::new((later, size)));
        }
        self.line = later.line;
        self.bytes = size;
        self.sources.extend(later.sources);
        for ((column, value), bytes) in later.attributes.into_iter().zip(later.sizes) {
            match self.attributes.iter().position(|(c, _)| *c == column) {
                Some(i) => (self.attributes[i].1, self.sizes[i]) = (value, bytes),
                None => {
                    self.attributes.push((column, value));
                    self.sizes.push(bytes);
                }
            }
        }
        Ok(())
    }
}

pub(super) fn attribute(v: Value<'_>) -> AttributeValue {
    match v {
        Value::S(s) => AttributeValue::S(s.to_string()),
        Value::N(n) => AttributeValue::N(n.to_string()),
        Value::Bool(b) => AttributeValue::Bool(b),
    }
}

/// The identity of an item's key: equal for equal keys as DynamoDB
/// compares them (`5` and `5.0` are one number key).
pub(super) fn key_identity(item: &Item<'_>, options: &LoadOptions) -> Vec<u8> {
    let mut id = Vec::with_capacity(item.key.len() + 8);
    push_identity(&mut id, item.key, options.key_type);
    if let Some(s) = item.sort_key {
        // 0xFF never occurs in UTF-8: the two parts cannot run together.
        id.push(0xff);
        push_identity(&mut id, s, options.sort_key_type);
    }
    id
}

pub(super) fn push_identity(id: &mut Vec<u8>, text: &str, t: KeyType) {
    if t == KeyType::String || !number_identity(text.as_bytes(), id) {
        id.extend_from_slice(text.as_bytes());
    }
}

/// Items waiting to be written, by key; see the module docs.
#[derive(Debug, Default)]
pub(super) struct Window {
    pub(super) pending: HashMap<Vec<u8>, Row>,
    /// Pending keys in the order they arrived.
    pub(super) order: VecDeque<Vec<u8>>,
    /// Keys with a write in flight.
    pub(super) busy: HashSet<Vec<u8>>,
    pub(super) replace: bool,
    pub(super) bytes: usize,
    /// Rows absorbed by an earlier pending row with the same key.
    pub(super) merged: u64,
}

impl Window {
    pub(super) fn new(replace: bool) -> Self {
        Window {
            replace,
            ..Default::default()
        }
    }

    /// Adds a row; one with the key of a pending row is merged into it.
    /// A row that would make that item too large is given back with the
    /// size it would have made (see [`Row::absorb`]).
    pub(super) fn push(&mut self, id: Vec<u8>, row: Row) -> Result<(), TooLarge> {
        match self.pending.get_mut(&id) {
            Some(earlier) => {
                let before = earlier.bytes;
                earlier.absorb(row, self.replace)?;
                self.bytes = self.bytes - before + earlier.bytes;
                self.merged += 1;
            }
            None => {
                self.bytes += row.bytes;
                self.order.push_back(id.clone());
                self.pending.insert(id, row);
            }
        }
        Ok(())
    }

    /// Takes up to `max` rows whose keys have no write in flight, oldest
    /// first, and marks their keys busy.
    pub(super) fn take_ready(&mut self, max: usize) -> Vec<(Vec<u8>, Row)> {
        let mut ready = Vec::new();
        let mut waiting = Vec::new();
        while ready.len() < max {
            let Some(id) = self.order.pop_front() else {
                break;
            };
            if self.busy.contains(&id) {
                waiting.push(id);
                continue;
            }
            let row = self.pending.remove(&id).expect("ordered keys are pending");
            self.bytes -= row.bytes;
            self.busy.insert(id.clone());
            ready.push((id, row));
        }
        for id in waiting.into_iter().rev() {
            self.order.push_front(id);
        }
        ready
    }

    /// The writes of these keys are done.
    pub(super) fn release(&mut self, ids: &[Vec<u8>]) {
        for id in ids {
            self.busy.remove(id);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    pub(super) fn is_full(&self) -> bool {
        self.len() >= WINDOW_ITEMS || self.bytes >= WINDOW_BYTES
    }
}
#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use sluice_engine::{Dialect, Engine, Load};

    pub(crate) fn rows(csv: &str, options: &LoadOptions) -> Vec<(Vec<u8>, Row)> {
        let mut engine = Engine::new(Dialect::default(), Load::new(options.clone()));
        engine.feed(csv.as_bytes()).unwrap();
        engine.finish().unwrap();
        engine
            .job()
            .items()
            .map(|i| (key_identity(&i, options), Row::from_item(&i, options)))
            .collect()
    }

    pub(crate) fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    pub(crate) fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.into())
    }

    #[test]
    fn rows_become_typed_attributes() {
        let options = LoadOptions::default();
        let r = rows("customer_id,age,vip,city\nc1,42,false,Oslo\n", &options);
        assert_eq!(r[0].1.key, s("c1"));
        assert_eq!(
            r[0].1.attributes,
            [
                (1, n("42")),
                (2, AttributeValue::Bool(false)),
                (3, s("Oslo"))
            ]
        );
    }

    #[test]
    fn a_later_row_overrides_an_earlier_one_with_the_same_key() {
        let options = LoadOptions::default();
        let input = "customer_id,a,b,c\nk,1,x,\nother,9,9,9\nk,,y,z\n";
        let mut merge = Window::new(false);
        let mut replace = Window::new(true);
        for (id, row) in rows(input, &options) {
            merge.push(id.clone(), row.clone()).unwrap();
            replace.push(id, row).unwrap();
        }
        assert_eq!((merge.len(), merge.merged), (2, 1));
        let merged = merge.take_ready(10);
        // Merge: a from the first row, b overridden, c added.
        assert_eq!(
            merged[0].1.attributes,
            [(1, n("1")), (2, s("y")), (3, s("z"))]
        );
        assert_eq!(merged[0].1.line, 4);
        // Replace: only the last row's attributes.
        let replaced = replace.take_ready(10);
        assert_eq!(replaced[0].1.attributes, [(2, s("y")), (3, s("z"))]);
        assert_eq!(replaced.len(), 2);
    }

    #[test]
    fn a_key_in_flight_is_not_sent_again_until_released() {
        let options = LoadOptions::default();
        let mut w = Window::new(false);
        let mut input = rows("customer_id,v\nk,1\nj,2\nk,3\n", &options).into_iter();
        let (k1, j) = (input.next().unwrap(), input.next().unwrap());
        w.push(k1.0.clone(), k1.1).unwrap();
        let first = w.take_ready(1);
        assert_eq!(first[0].1.attributes, [(1, n("1"))]);
        w.push(j.0, j.1).unwrap();
        let k3 = input.next().unwrap();
        w.push(k3.0, k3.1).unwrap();
        // k is in flight: only j is ready; k waits, in its place.
        let ready = w.take_ready(10);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].1.key, s("j"));
        assert!(w.take_ready(10).is_empty());
        w.release(&[first[0].0.clone()]);
        let later = w.take_ready(10);
        assert_eq!(later[0].1.attributes, [(1, n("3"))]);
    }

    #[test]
    fn number_keys_written_differently_are_one_key() {
        let options = LoadOptions {
            key_type: KeyType::Number,
            ..LoadOptions::default()
        };
        let r = rows("customer_id,v\n5,a\n5.0,b\n05,c\n6,d\n", &options);
        let mut w = Window::new(false);
        for (id, row) in r {
            w.push(id, row).unwrap();
        }
        assert_eq!((w.len(), w.merged), (2, 2));
    }

    #[test]
    fn a_merge_past_400_kb_gives_the_later_row_back_and_keeps_the_item() {
        let options = LoadOptions::default();
        let big = "x".repeat(150 << 10);
        let input = format!("customer_id,a,b,c\nk,{big},,\nk,{big},{big},\nk,,,{big}\nk,,small,\n");
        let mut w = Window::new(false);
        let mut refused = Vec::new();
        for (id, row) in rows(&input, &options) {
            if let Err(too_large) = w.push(id, row) {
                refused.push((too_large.0.line, too_large.1));
            }
        }
        // a and b make 300 KB; c would make 450 KB; b overridden is small.
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].0, 4);
        assert_eq!(
            refused[0].1,
            "k".len() + "customer_id".len() + 3 + 3 * (150 << 10)
        );
        let item = w.take_ready(1).remove(0).1;
        assert_eq!(item.attributes, [(1, s(&big)), (2, s("small"))]);
        assert_eq!(item.bytes, 12 + 1 + (150 << 10) + 1 + 5);
        let lines: Vec<_> = item.sources.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [2, 3, 5]);
    }

    #[test]
    fn the_window_fills_by_count_and_by_bytes() {
        let options = LoadOptions::default();
        let mut w = Window::new(false);
        for i in 0..WINDOW_ITEMS {
            let (id, row) = rows(&format!("customer_id\nk{i}\n"), &options).remove(0);
            assert!(!w.is_full());
            w.push(id, row).unwrap();
        }
        assert!(w.is_full());
        w.take_ready(1);
        assert!(!w.is_full());
        let mut w = Window::new(false);
        let big = "x".repeat(300 << 10);
        for i in 0..14 {
            let (id, row) = rows(&format!("customer_id,v\nk{i},{big}\n"), &options).remove(0);
            w.push(id, row).unwrap();
        }
        assert!(w.is_full(), "{} bytes", w.bytes);
    }
}
