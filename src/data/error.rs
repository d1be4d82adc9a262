//! Errors that stop a whole file from loading. Row-level problems are not
//! errors: they are counted in the file's `LoadReport`.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum LoadError {
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },

    #[error("{file}: the file is empty (not even a header line)")]
    Empty { file: String },

    #[error(
        "{file}: not UTF-8 text (first bad byte at offset {offset}, line {line}); set `encoding = \"latin1\"` for this source in the config file if it is Latin-1"
    )]
    Encoding {
        file: String,
        offset: u64,
        line: u64,
    },

    #[error("{file}, line {line}: {message}")]
    Parse {
        file: String,
        line: u64,
        message: String,
    },

    #[error("{0}")]
    MissingColumn(Box<MissingColumn>),

    #[error(
        "{file}: the config maps `{column}` to header \"{header}\", which is not in the file; headers found: {found}"
    )]
    MappedHeaderMissing {
        file: String,
        column: String,
        header: String,
        found: String,
    },

    #[error(
        "{file}, column \"{column}\": dates like \"{example}\" (line {line}) could be day/month or month/day and no value tells which; set `date_format = \"dmy\"` or `\"mdy\"` for this source in the config file"
    )]
    AmbiguousDates {
        file: String,
        column: String,
        example: String,
        line: u64,
    },

    #[error(
        "{file}, column \"{column}\": dates mix day/month (line {dmy_line}) and month/day (line {mdy_line}) order; fix the file or set `date_format` for this source in the config file"
    )]
    MixedDates {
        file: String,
        column: String,
        dmy_line: u64,
        mdy_line: u64,
    },

    #[error(
        "{file}, column \"{column}\": amounts mix decimal styles: line {dot_line} writes 1,234.50 and line {comma_line} writes 1.234,50"
    )]
    MixedDecimals {
        file: String,
        column: String,
        dot_line: u64,
        comma_line: u64,
    },

    #[error(
        "{file}, column \"{column}\": cannot tell the decimal style of amounts like \"{example}\" (line {line}): 1,234 could be one thousand or one point two; set `decimal = \"dot\"` or `\"comma\"` for this source in the config file"
    )]
    AmbiguousDecimals {
        file: String,
        column: String,
        example: String,
        line: u64,
    },

    #[error(
        "{file}: cannot tell which survey the scores belong to (scores {low}..{high} fit neither NPS 0..10 nor CSAT 1..5 alone); add a survey column or set `survey = \"nps\"`, `\"csat\"` or `\"ces\"` for this source in the config file"
    )]
    AmbiguousSurvey { file: String, low: f64, high: f64 },

    #[error(
        "{file}: cannot tell whether this is orders, feedback or tickets (headers: {found}); pass it with --orders, --feedback or --tickets"
    )]
    UnknownKind { file: String, found: String },

    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl LoadError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            LoadError::Io { file, .. }
            | LoadError::Empty { file }
            | LoadError::Encoding { file, .. }
            | LoadError::Parse { file, .. }
            | LoadError::MappedHeaderMissing { file, .. }
            | LoadError::AmbiguousDates { file, .. }
            | LoadError::MixedDates { file, .. }
            | LoadError::MixedDecimals { file, .. }
            | LoadError::AmbiguousDecimals { file, .. }
            | LoadError::AmbiguousSurvey { file, .. }
            | LoadError::UnknownKind { file, .. }
            | LoadError::Invalid { file, .. } => file,
            LoadError::MissingColumn(m) => &m.file,
        }
    }
}

/// Required columns that neither the preset, the header names nor the
/// config mapping found (boxed: it is the largest error).
#[derive(Debug, Error, Clone, PartialEq)]
#[error(
    "{file}: missing required {columns} for {kind} (looked for {looked}); headers found: {found}{hint}"
)]
pub struct MissingColumn {
    pub file: String,
    pub kind: String,
    /// "column `amount` (looked for ...)" or "columns `a` (...), `b` (...)".
    pub columns: String,
    pub looked: String,
    pub found: String,
    pub hint: String,
}
