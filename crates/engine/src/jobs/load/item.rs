//! An accepted row as an item: its typed cells, borrowed from the job's
//! buffers.

/// An attribute value, borrowed from the job's buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string.
    S(&'a str),
    /// A number, in text as DynamoDB accepts it.
    N(&'a str),
    /// A boolean.
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    S,
    N,
    Bool(bool),
}

/// One typed cell: a column and a value range in the text buffer.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cell {
    pub(super) column: usize,
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    /// Its name and value as DynamoDB counts them towards the item size.
    pub(super) size: usize,
}

/// One row as an item; see [`Load::items`](super::Load::items).
#[derive(Clone, Copy, Debug)]
pub struct Item<'a> {
    /// The 1-based line on which the row starts.
    pub line: u64,
    /// The partition key value (for a number key, as DynamoDB accepts it).
    pub key: &'a str,
    /// The sort key value, when the table has one.
    pub sort_key: Option<&'a str>,
    /// The item's size as DynamoDB counts it, in bytes.
    pub size: usize,
    /// The row as it came in, without its line ending: for the rejects,
    /// should a write refuse the item.
    pub raw: &'a [u8],
    pub(super) cells: &'a [Cell],
    pub(super) text: &'a str,
    pub(super) names: &'a [String],
}

impl<'a> Item<'a> {
    /// The non-key attributes in column order: column index, name, value.
    pub fn attributes(&self) -> impl Iterator<Item = (usize, &'a str, Value<'a>)> + 'a {
        let (text, names) = (self.text, self.names);
        self.cells.iter().map(move |c| {
            let s = &text[c.start..c.end];
            let value = match c.kind {
                Kind::S => Value::S(s),
                Kind::N => Value::N(s),
                Kind::Bool(b) => Value::Bool(b),
            };
            (c.column, names[c.column].as_str(), value)
        })
    }

    /// The size of each non-key attribute (name and value, as DynamoDB
    /// counts them), in the order of [`Item::attributes`]; the key's are
    /// the rest of [`Item::size`].
    pub fn attribute_sizes(&self) -> impl Iterator<Item = usize> + 'a {
        self.cells.iter().map(|c| c.size)
    }
}
