//! The errors that stop a run, each with the line it happened on.

use std::fmt;

/// Errors that stop a run. Each names the line it happened on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The 1-based line, when the error has one.
    pub line: Option<u64>,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// The kinds of [`Error`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A quoted field is still open at the end of the input.
    UnclosedQuote,
    /// A single row is longer than the configured limit.
    RecordTooLong { limit: usize },
    /// The job refused the input (for example a missing column).
    Job(JobError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match &self.kind {
            ErrorKind::UnclosedQuote => {
                f.write_str("a quoted field opened in this row is never closed")
            }
            ErrorKind::RecordTooLong { limit } => write!(
                f,
                "row is longer than {limit} bytes (an unclosed quote?); raise the record limit if it is real"
            ),
            ErrorKind::Job(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

/// Why a job refused its input before any row was read: a column its
/// options name is missing, or the header cannot be used. Each says what
/// to change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobError {
    /// A column the options name is not in the header.
    MissingColumn {
        /// How the options call it: `column`, `the key column`, ...
        role: String,
        /// The name as given.
        column: String,
        /// The header's names, for the message (see `Header::listing`).
        header: String,
        /// More about the header, when it explains the miss.
        note: Option<String>,
    },
    /// No column of the header matches the name a role is given (a job
    /// that finds its columns by role, like the report's).
    MissingRole {
        /// The role's key (`ship_mode`).
        role: String,
        /// The name looked for.
        column: String,
        /// The header's names.
        header: String,
    },
    /// A column index that cannot be one (indices start at 1).
    BadIndex(String),
    /// The header cannot be used as the job needs it: not UTF-8, a name
    /// missing or repeated, no header at all.
    BadHeader {
        /// The byte of the input where the problem is, when known.
        offset: Option<u64>,
        /// What is wrong and what to do.
        message: String,
    },
    /// A `--where` expression that does not parse, or names a column the
    /// header does not have.
    Where(crate::jobs::filter::expr::ExprError),
    /// The report job met more distinct keys than its cap
    /// (`ReportOptions::max_groups`): the run stops rather than outgrow
    /// its memory.
    TooManyGroups {
        /// The cap.
        cap: usize,
        /// Distinct keys seen when it stopped.
        seen: usize,
    },
}

impl JobError {
    /// A header problem without a known offset.
    pub fn header(message: impl Into<String>) -> Self {
        JobError::BadHeader {
            offset: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::MissingColumn {
                role,
                column,
                header,
                note,
            } => {
                write!(f, "{role} {column:?} is not in the header: {header}")?;
                if let Some(note) = note {
                    write!(f, " ({note})")?;
                }
                Ok(())
            }
            JobError::MissingRole {
                role,
                column,
                header,
            } => write!(
                f,
                "the header has no {column:?} column (the {role} column; header: {header})"
            ),
            JobError::BadIndex(index) => {
                write!(f, "column index {index} is invalid: indices start at 1")
            }
            JobError::BadHeader { message, .. } => f.write_str(message),
            JobError::Where(e) => e.fmt(f),
            JobError::TooManyGroups { cap, seen } => write!(
                f,
                "{seen} distinct (region, category, sub-category, ship mode) keys, over the cap of {cap} \
                 (about {} bytes of memory each)",
                crate::jobs::report::GROUP_BYTES
            ),
        }
    }
}

impl std::error::Error for JobError {}
