//! `--select`: the chosen columns of each selected row, in the order
//! given, each field written with RFC 4180 quoting only where its value
//! needs it (a delimiter, a quote or a line ending in it).

use super::columns::column_index;
use crate::csv::unquote_into;
use crate::error::JobError;
use crate::job::{Header, Row};

#[derive(Clone, Debug)]
pub(super) struct Select {
    /// Field indices, in output order.
    pub(super) fields: Vec<usize>,
    delimiter: u8,
    buf: Vec<u8>,
}

impl Select {
    /// Resolves the tokens (header names, else 1-based indices) and writes
    /// the projected header.
    pub(super) fn begin(
        tokens: &[String],
        delimiter: u8,
        header: Option<&Header>,
        out: &mut Vec<u8>,
    ) -> Result<Select, JobError> {
        let mut fields = Vec::with_capacity(tokens.len());
        for token in tokens {
            match column_index(token, header, "--select column")? {
                Some(i) => fields.push(i),
                None => {
                    return Err(JobError::header(format!(
                        "--select {token:?}: without a header, columns are 1-based indices"
                    )))
                }
            }
        }
        let select = Select {
            fields,
            delimiter,
            buf: Vec::new(),
        };
        if let Some(h) = header {
            for (n, &i) in select.fields.iter().enumerate() {
                if n > 0 {
                    out.push(delimiter);
                }
                let name = h.names.get(i).map_or(&[][..], Vec::as_slice);
                write_field(out, name, delimiter);
            }
            out.extend_from_slice(line_ending(&h.raw));
        }
        Ok(select)
    }

    /// Writes the row's chosen fields (an absent one is empty), ended as the
    /// row was.
    pub(super) fn row(&mut self, row: &Row<'_>, out: &mut Vec<u8>) {
        for (n, &i) in self.fields.iter().enumerate() {
            if n > 0 {
                out.push(self.delimiter);
            }
            let raw = row.field(i).unwrap_or_default();
            if raw.first() == Some(&b'"') {
                self.buf.clear();
                unquote_into(raw, &mut self.buf);
                write_field(out, &self.buf, self.delimiter);
            } else {
                write_field(out, raw, self.delimiter);
            }
        }
        out.extend_from_slice(line_ending(row.bytes));
    }

    /// One past the highest field written.
    pub(super) fn width(&self) -> usize {
        self.fields.iter().map(|&i| i + 1).max().unwrap_or(0)
    }
}

/// The line ending a row ends with, if any.
fn line_ending(row: &[u8]) -> &[u8] {
    let content = row.iter().rposition(|&b| b != b'\n' && b != b'\r');
    &row[content.map_or(0, |i| i + 1)..]
}

/// Appends `value` as one field, in quotes only when a reader would
/// otherwise misread it.
fn write_field(out: &mut Vec<u8>, value: &[u8], delimiter: u8) {
    let needs = value
        .iter()
        .any(|&b| b == delimiter || matches!(b, b'"' | b'\n' | b'\r'));
    if needs {
        crate::csv::write_quoted(out, value);
    } else {
        out.extend_from_slice(value);
    }
}
