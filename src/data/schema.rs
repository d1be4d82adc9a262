//! Canonical column names (kpi-spec §1) and the source kinds.
//!
//! Dates are stored as `Int32` day numbers (days since 1970-01-01), instants as
//! `Int64` seconds since the epoch, amounts as `Int64` ten-thousandths of the
//! currency unit (see `parse::AMOUNT_SCALE`). Segment columns keep their
//! header name behind `SEGMENT_PREFIX`.

use serde::Serialize;

pub const CUSTOMER_ID: &str = "customer_id";
/// Feedback and tickets with both an e-mail and an id column: the customer
/// read id-first, kept until the load knows which matches the orders.
pub const CUSTOMER_ALT: &str = "customer_id_alt";
pub const ORDER_DATE: &str = "order_date";
pub const AMOUNT: &str = "amount";
pub const ORDER_ID: &str = "order_id";
/// Line-item files: amount = quantity × unit price (never stored).
pub const QUANTITY: &str = "quantity";
pub const UNIT_PRICE: &str = "unit_price";

pub const RESPONDED_AT: &str = "responded_at";
pub const SCORE: &str = "score";
pub const SURVEY: &str = "survey";
pub const COMMENT: &str = "comment";

pub const TICKET_ID: &str = "ticket_id";
pub const CREATED_AT: &str = "created_at";
pub const CREATED_DAY: &str = "created_day";
pub const FIRST_RESPONSE_AT: &str = "first_response_at";
pub const SOLVED_AT: &str = "solved_at";
pub const SOLVED_DAY: &str = "solved_day";
pub const CATEGORY: &str = "category";
pub const SATISFACTION: &str = "satisfaction";

/// The physical line of the row in its file (record number for JSON/Parquet).
pub const LINE: &str = "line";
pub const SEGMENT_PREFIX: &str = "seg:";
/// An orders segment column as value codes (`u32`, `NO_VALUE` for none)
/// into the list in `Loaded::segment_values`: the loader's form, which the
/// index takes as it is (`Loaded::as_text` makes the `SEGMENT_PREFIX` column).
pub const SEGMENT_CODE_PREFIX: &str = "segcode:";
/// Several orders files merged as codes (`data::unify_codes`): each row's
/// customer as a code into the files' customers together, while the
/// tables are merged (a row without an order id is told by it).
pub const MERGE_CUSTOMER_CODE: &str = "__merge_customer_code";

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Orders,
    Feedback,
    Tickets,
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Orders => "orders",
            SourceKind::Feedback => "feedback",
            SourceKind::Tickets => "tickets",
        }
    }

    /// The canonical columns a config mapping may name for this kind.
    pub fn mappable_columns(self) -> &'static [&'static str] {
        match self {
            SourceKind::Orders => &[
                CUSTOMER_ID,
                ORDER_DATE,
                AMOUNT,
                ORDER_ID,
                QUANTITY,
                UNIT_PRICE,
            ],
            SourceKind::Feedback => &[RESPONDED_AT, SCORE, SURVEY, CUSTOMER_ID, COMMENT],
            SourceKind::Tickets => &[
                TICKET_ID,
                CREATED_AT,
                FIRST_RESPONSE_AT,
                "first_response_minutes",
                "first_response_hours",
                SOLVED_AT,
                CUSTOMER_ID,
                CATEGORY,
                SATISFACTION,
            ],
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The survey a feedback response belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Survey {
    Nps,
    Csat,
    Ces,
}

impl Survey {
    pub fn name(self) -> &'static str {
        match self {
            Survey::Nps => "nps",
            Survey::Csat => "csat",
            Survey::Ces => "ces",
        }
    }

    /// Reads a survey cell (`NPS`, `csat`, `Customer Effort Score`, ...).
    pub fn parse(cell: &str) -> Option<Survey> {
        let n = normalize(cell);
        match n.as_str() {
            "nps" | "npsscore" | "netpromoter" | "netpromoterscore" => Some(Survey::Nps),
            "csat"
            | "csatscore"
            | "satisfaction"
            | "customersatisfaction"
            | "customersatisfactionscore" => Some(Survey::Csat),
            "ces" | "cesscore" | "effort" | "customereffort" | "customereffortscore" => {
                Some(Survey::Ces)
            }
            _ => None,
        }
    }
}

/// Lower-case letters and digits only: how headers and keywords are compared.
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}
