//! Column mapping in three layers: export presets chosen by fingerprint
//! (docs/exports.md), header-name detection by synonyms, and the
//! per-source mapping of the config file, which overrides both.

use std::collections::BTreeMap;
use std::path::PathBuf;

use csv::StringRecord;
use serde::{Deserialize, Serialize};

use super::error::LoadError;
use super::parse::{DateOrder, DecimalStyle};
use super::schema::{self, SourceKind, Survey, normalize};
use super::source::Encoding;

/// Whether amounts are written in major units (12.50) or minor units (1250).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Units {
    #[default]
    Major,
    Minor,
}

/// One path or several (`path = "a.csv"` or `path = ["jan.csv", "feb.csv"]`);
/// each may be a file, a folder or a glob.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathList {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl PathList {
    pub fn paths(&self) -> Vec<PathBuf> {
        match self {
            PathList::One(p) => vec![p.clone()],
            PathList::Many(v) => v.clone(),
        }
    }
}

/// One source's section of the config file (`[orders]`, `[feedback]`, `[tickets]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceOptions {
    /// The file(s) to load: a path, a folder, a glob, or a list of them.
    pub path: Option<PathList>,
    /// Canonical column -> header in the file; overrides presets and detection.
    pub columns: BTreeMap<String, String>,
    /// Segment columns to keep (default: the preset's, or the categorical
    /// columns among those not mapped).
    pub segments: Option<Vec<String>>,
    pub date_format: DateOrder,
    pub decimal: DecimalStyle,
    pub amount_units: Units,
    pub encoding: Encoding,
    /// Feedback only: the survey of every row when the file has no survey column.
    pub survey: Option<Survey>,
    /// Orders only: the statuses that count as purchases (replaces the preset's list).
    pub purchase_statuses: Option<Vec<String>>,
    /// Spreadsheets: the sheet to read (default: the first).
    pub sheet: Option<String>,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            path: None,
            columns: BTreeMap::new(),
            segments: None,
            date_format: DateOrder::Auto,
            decimal: DecimalStyle::Auto,
            amount_units: Units::Major,
            encoding: Encoding::Utf8,
            survey: None,
            purchase_statuses: None,
            sheet: None,
        }
    }
}

listed_enum! {
    /// The exports recognised by their columns; `ALL` (declaration order) is
    /// the order they are tried in: most specific first.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    pub enum Preset {
        ShopifyOrders,
        StripeUnified,
        StripeLegacy,
        StripeInvoices,
        StripePayments,
        WooCommerce,
        SurveyMonkey,
        Qualtrics,
        Typeform,
        Delighted,
        Zendesk,
        Freshdesk,
    }
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::ShopifyOrders => "Shopify orders",
            Preset::StripeLegacy => "Stripe payments (legacy export)",
            Preset::StripeUnified => "Stripe payments (unified export)",
            Preset::StripePayments => "Stripe payments",
            Preset::StripeInvoices => "Stripe invoices",
            Preset::WooCommerce => "WooCommerce orders",
            Preset::SurveyMonkey => "SurveyMonkey responses",
            Preset::Qualtrics => "Qualtrics responses",
            Preset::Typeform => "Typeform responses",
            Preset::Delighted => "Delighted responses",
            Preset::Zendesk => "Zendesk tickets",
            Preset::Freshdesk => "Freshdesk tickets",
        }
    }

    pub fn kind(self) -> SourceKind {
        match self {
            Preset::ShopifyOrders
            | Preset::StripeLegacy
            | Preset::StripeUnified
            | Preset::StripePayments
            | Preset::StripeInvoices
            | Preset::WooCommerce => SourceKind::Orders,
            Preset::SurveyMonkey | Preset::Qualtrics | Preset::Typeform | Preset::Delighted => {
                SourceKind::Feedback
            }
            Preset::Zendesk | Preset::Freshdesk => SourceKind::Tickets,
        }
    }

    /// The columns the tool always writes, whatever the user chose to
    /// export: every group must be present, any one header of a group will do.
    fn fingerprint(self) -> &'static [&'static [&'static str]] {
        match self {
            Preset::ShopifyOrders => &[&["Name"], &["Financial Status"], &["Created at"]],
            Preset::StripeLegacy => &[&["Created (UTC)"], &["Amount"], &["id"]],
            Preset::StripeUnified => &[&["PaymentIntent ID"], &["Created date (UTC)"]],
            Preset::StripePayments => &[
                &["Created date (UTC)"],
                &["Amount"],
                &["id"],
                &[
                    "Seller Message",
                    "Amount Refunded",
                    "Captured",
                    "Card ID",
                    "Customer ID",
                    "Customer Email",
                    "Status",
                ],
            ],
            Preset::StripeInvoices => &[&["Amount Paid"], &["Date (UTC)"], &["id", "Number"]],
            Preset::WooCommerce => &[&["order_id"], &["order_total"], &["order_date"]],
            Preset::SurveyMonkey => &[&["Respondent ID"], &["Collector ID"]],
            Preset::Qualtrics => &[&["ResponseId", "ResponseID"], &["RecordedDate", "EndDate"]],
            Preset::Typeform => &[&["#"], &["Submit Date (UTC)"]],
            Preset::Delighted => &[&["survey_type"], &["score"], &["permalink"]],
            Preset::Zendesk => &[&["Id", "Ticket ID"], &["Requester id"], &["Created at"]],
            Preset::Freshdesk => &[&["Ticket ID"], &["Created time"]],
        }
    }

    /// The preset whose fingerprint the headers contain, if any.
    pub fn detect(headers: &[String]) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| {
            p.fingerprint()
                .iter()
                .all(|group| group.iter().any(|f| header_norm(headers, f).is_some()))
        })
    }
}

/// Exports of these tools that are not orders, feedback or tickets: told
/// apart with a message saying which export to bring instead.
fn not_a_source(headers: &[String]) -> Option<&'static str> {
    let has = |n: &str| header_exact(headers, n).is_some();
    if has("Total Spend") && (has("Payment Count") || has("Delinquent")) {
        return Some(
            "this is a Stripe customers export (one row per customer, with totals), not payments; export Payments (or Invoices) from the Stripe dashboard and pass that file as orders",
        );
    }
    if has("Current Period Start (UTC)") && has("Status") && !has("Amount Paid") {
        return Some(
            "this is a Stripe subscriptions export, not payments; export Payments or Invoices from the Stripe dashboard and pass that file as orders",
        );
    }
    None
}

/// Where a ticket's first response time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    At(usize),
    MinutesAfterCreation(usize),
    HoursAfterCreation(usize),
}

/// Keeps or skips rows by a status column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRule {
    pub col: usize,
    /// When set, only these statuses are kept (lower case).
    pub keep: Option<Vec<String>>,
    /// These statuses are skipped (lower case).
    pub skip: Vec<String>,
}

fn lower_all(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

impl StatusRule {
    fn keep(col: usize, keep: &[&str]) -> Self {
        StatusRule {
            col,
            keep: Some(lower_all(keep)),
            skip: Vec::new(),
        }
    }

    fn skip(col: usize, skip: &[&str]) -> Self {
        StatusRule {
            col,
            keep: None,
            skip: lower_all(skip),
        }
    }

    /// `None` when the row is kept, else the reason it is skipped.
    pub fn skip_reason(&self, rec: &StringRecord) -> Option<String> {
        let status = rec.get(self.col).unwrap_or("").trim().to_lowercase();
        let kept = match &self.keep {
            Some(keep) => keep.contains(&status),
            None => !self.skip.contains(&status),
        };
        (!kept).then(|| {
            if status.is_empty() {
                "not a purchase (no status)".to_string()
            } else {
                format!("not a purchase (status {status})")
            }
        })
    }
}

/// Rows a survey tool writes that are not responses (Qualtrics previews and
/// unfinished responses): a column, the values that mark such a row, and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowFilter {
    pub col: usize,
    pub values: Vec<String>,
    pub reason: &'static str,
}

/// How the columns of one file become canonical columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub kind: SourceKind,
    pub preset: Option<Preset>,
    /// What chose the columns: the preset's name, "header names", plus "config" when it overrode any.
    pub mapping: String,
    /// Extra header rows after the first (SurveyMonkey 1, Qualtrics 2).
    pub skip_rows: usize,
    /// The header names, when they are not on the first line (Qualtrics'
    /// legacy export puts `V1…` there and the names on the second).
    pub headers: Option<Vec<String>>,
    pub date_order: DateOrder,
    /// Canonical column -> source column(s): the first non-empty cell wins.
    pub fields: BTreeMap<&'static str, Vec<usize>>,
    pub first_response: Option<Timing>,
    /// Orders: amount minus this column (Shopify refunds, Stripe refunds).
    pub amount_minus: Option<usize>,
    /// Orders: amount = quantity × unit price (line-item files).
    pub quantity: Option<usize>,
    pub status: Option<StatusRule>,
    /// Rows that are not records (survey previews, unfinished responses).
    pub row_filters: Vec<RowFilter>,
    /// Customer id cells equal to "0" count as empty (WooCommerce guests).
    pub zero_is_empty: bool,
    /// Shopify: rows after an order's first carry only line items.
    pub continuation_rows: bool,
    /// Orders: an order id starting with this letter is a cancellation (UCI's `C`).
    pub cancel_prefix: Option<char>,
    /// Tickets: a tags column whose first tag is the category fallback.
    pub tags: Option<usize>,
    pub survey: Option<Survey>,
    pub segments: Vec<(String, usize)>,
    /// Segments chosen by header names only: kept when their values turn out
    /// to be categories (few distinct values, not free text or ids).
    pub segments_auto: bool,
}

/// The source columns of one canonical field (`Plan::field`).
#[derive(Clone, Copy, Debug)]
pub struct Field<'p> {
    cols: &'p [usize],
    /// A customer id "0" is no customer (`Plan::zero_is_empty`).
    zero_is_empty: bool,
}

impl Field<'_> {
    /// The first non-empty cell among the field's columns.
    pub fn cell<'r>(&self, rec: &'r StringRecord) -> Option<&'r str> {
        self.cols.iter().find_map(|&i| {
            let v = clean_cell(rec.get(i)?)?;
            (!(self.zero_is_empty && v == "0")).then_some(v)
        })
    }

    /// Like `cell`, trying the columns from the last: the other reading of
    /// a customer when a file has both an e-mail and an id.
    pub fn cell_last_first<'r>(&self, rec: &'r StringRecord) -> Option<&'r str> {
        self.cols
            .iter()
            .rev()
            .find_map(|&i| clean_cell(rec.get(i)?))
    }

    /// Whether the field is read from more than one column.
    pub fn has_alternative(&self) -> bool {
        self.cols.len() > 1
    }
}

/// Cells a tool writes for "no value": read as empty, never rejected.
pub fn is_placeholder(v: &str) -> bool {
    const PLACEHOLDERS: [&str; 14] = [
        "-",
        "--",
        "\u{2013}",
        "\u{2014}",
        "n/a",
        "na",
        "#n/a",
        "null",
        "none",
        "(none)",
        "nan",
        "nil",
        "undefined",
        "(blank)",
    ];
    // Checked on every cell: no allocation; most cells leave on their length
    // or first byte.
    v.len() <= 9
        && matches!(
            v.as_bytes().first(),
            Some(b'-' | 0xE2 | b'n' | b'N' | b'#' | b'(' | b'u' | b'U')
        )
        && PLACEHOLDERS.iter().any(|p| v.eq_ignore_ascii_case(p))
}

/// `v.trim()`, without decoding a character when the cell starts and ends
/// with a printable ASCII byte (nearly every cell: called on every one).
fn trim_cell(v: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    if plain(v.as_bytes().first()) && plain(v.as_bytes().last()) {
        v
    } else {
        v.trim()
    }
}

/// A cell as read: trimmed, an Excel text-marker apostrophe dropped
/// (`'4001`), placeholders and blanks as `None`.
pub fn clean_cell(v: &str) -> Option<&str> {
    let v = trim_cell(v);
    let v = match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit() || c == '+') => rest,
        _ => v,
    };
    (!v.is_empty() && !is_placeholder(v)).then_some(v)
}

impl Plan {
    pub fn col(&self, name: &str) -> Option<usize> {
        self.fields.get(name).and_then(|v| v.first().copied())
    }

    /// The header name of a canonical column, for messages.
    pub fn header<'h>(&'h self, headers: &'h [String], name: &'h str) -> &'h str {
        let headers = self.headers.as_deref().unwrap_or(headers);
        self.col(name)
            .and_then(|i| headers.get(i))
            .map(String::as_str)
            .unwrap_or(name)
    }

    /// The first non-empty cell among the columns mapped to `name`.
    pub fn cell<'r>(&self, rec: &'r StringRecord, name: &str) -> Option<&'r str> {
        self.field(name).cell(rec)
    }

    /// The columns mapped to `name`, looked up once: a loader reading
    /// millions of rows takes its cells through these rather than `cell`,
    /// which finds the name among the plan's fields for every cell.
    pub fn field(&self, name: &str) -> Field<'_> {
        Field {
            cols: self.fields.get(name).map_or(&[], Vec::as_slice),
            zero_is_empty: self.zero_is_empty && name == schema::CUSTOMER_ID,
        }
    }

    /// Whether a file offers two readings of its customers (`cell_last_first`).
    pub fn has_alt_customer(&self) -> bool {
        self.field(schema::CUSTOMER_ID).has_alternative()
    }

    /// Why a row is not a record at all (a survey preview, ...), if it is not.
    pub fn filtered_out(&self, rec: &StringRecord) -> Option<&'static str> {
        self.row_filters.iter().find_map(|f| {
            let v = rec.get(f.col)?.trim().to_lowercase();
            f.values.contains(&v).then_some(f.reason)
        })
    }

    /// Canonical column -> header(s), for the load report.
    pub fn column_headers(&self, headers: &[String]) -> BTreeMap<String, String> {
        let headers = self.headers.as_deref().unwrap_or(headers);
        let name = |i: usize| headers.get(i).cloned().unwrap_or_default();
        let mut out: BTreeMap<String, String> = self
            .fields
            .iter()
            .map(|(k, v)| {
                let names: Vec<String> = v.iter().map(|&i| name(i)).collect();
                (k.to_string(), names.join(" | "))
            })
            .collect();
        if let Some(amount) = out.get_mut(schema::AMOUNT) {
            if let Some(q) = self.quantity {
                *amount = format!("{} × {}", name(q), amount);
            }
            if let Some(m) = self.amount_minus {
                *amount = format!("{} − {}", amount, name(m));
            }
        }
        match self.first_response {
            Some(Timing::MinutesAfterCreation(i)) => {
                out.insert(
                    schema::FIRST_RESPONSE_AT.into(),
                    format!("created + {} (minutes)", name(i)),
                );
            }
            Some(Timing::HoursAfterCreation(i)) => {
                out.insert(
                    schema::FIRST_RESPONSE_AT.into(),
                    format!("created + {} (hours)", name(i)),
                );
            }
            _ => {}
        }
        if let Some(s) = &self.status {
            out.insert("status".into(), name(s.col));
        }
        out
    }
}

fn header_exact(headers: &[String], name: &str) -> Option<usize> {
    let want = name.trim().to_lowercase();
    headers.iter().position(|h| h.trim().to_lowercase() == want)
}

fn header_norm(headers: &[String], name: &str) -> Option<usize> {
    let want = normalize(name);
    header_exact(headers, name).or_else(|| {
        (!want.is_empty()).then(|| headers.iter().position(|h| normalize(h) == want))?
    })
}

/// Synonyms for header detection, best first (compared after `normalize`).
fn synonyms(kind: SourceKind, column: &str) -> &'static [&'static str] {
    const CUSTOMER: &[&str] = &[
        "customerid",
        "customer",
        "clientid",
        "client",
        "customernumber",
        "customerno",
        "userid",
        "user",
        "accountid",
        "account",
        "buyerid",
        "buyer",
        "memberid",
        "contactid",
        "requesterid",
        "customeremail",
        "clientemail",
        "email",
        "emailaddress",
        "requesteremail",
        "contactemail",
        "phone",
        "customerphone",
        "phonenumber",
    ];
    match (kind, column) {
        (_, schema::CUSTOMER_ID) => CUSTOMER,
        (SourceKind::Orders, schema::ORDER_DATE) => &[
            "orderdate",
            "orderedat",
            "date",
            "createdat",
            "created",
            "purchasedate",
            "purchasedat",
            "transactiondate",
            "paidat",
            "datetime",
            "timestamp",
            "orderdatetime",
            "createddate",
            "invoicedate",
            "time",
            "day",
            // Warehouse and dbt models' names (`order_ts`, `order_placed_at`).
            "orderts",
            "ordertimestamp",
            "ordertime",
            "orderplacedat",
            "placedat",
            "ordercreatedat",
            "createdts",
            "purchasets",
            "transactionts",
            "transactiontimestamp",
            "txndate",
        ],
        (SourceKind::Orders, schema::AMOUNT) => &[
            "amount",
            "total",
            "ordertotal",
            "totalamount",
            "revenue",
            "grandtotal",
            "netamount",
            "net",
            "totalprice",
            "amountpaid",
            "paid",
            "price",
            "value",
            "sales",
            "subtotal",
            "dollarvalue",
            "dollars",
            "spend",
            "amountspent",
            // Warehouse and dbt models' names.
            "orderamount",
            "ordervalue",
            "amountusd",
            "totalusd",
            "revenueusd",
            "grossamount",
            "grossrevenue",
            "netrevenue",
            "totalsales",
        ],
        (SourceKind::Orders, schema::QUANTITY) => &["quantity", "qty", "units", "numberofitems"],
        (SourceKind::Orders, schema::UNIT_PRICE) => {
            &["unitprice", "priceeach", "itemprice", "unitcost", "price"]
        }
        (SourceKind::Orders, schema::ORDER_ID) => &[
            "orderid",
            "ordernumber",
            "orderno",
            "invoiceno",
            "order",
            "invoiceid",
            "invoicenumber",
            "invoice",
            "transactionid",
            "paymentid",
            "chargeid",
            "id",
        ],
        (SourceKind::Feedback, schema::RESPONDED_AT) => &[
            "respondedat",
            "responsedate",
            "date",
            "createdat",
            "created",
            "submittedat",
            "submitdate",
            "submitted",
            "timestamp",
            "datetime",
            "enddate",
            "recordeddate",
            "surveydate",
            "answeredat",
            "time",
        ],
        (SourceKind::Feedback, schema::SCORE) => &[
            "score",
            "rating",
            "npsscore",
            "nps",
            "csat",
            "csatscore",
            "ces",
            "cesscore",
            "value",
            "answer",
        ],
        (SourceKind::Feedback, schema::SURVEY) => &[
            "survey",
            "surveytype",
            "type",
            "kind",
            "metric",
            "questiontype",
        ],
        (SourceKind::Feedback, schema::COMMENT) => &[
            "comment", "comments", "feedback", "text", "verbatim", "reason", "why", "remarks",
            "note", "notes",
        ],
        (SourceKind::Tickets, schema::TICKET_ID) => &[
            "ticketid",
            "ticket",
            "ticketnumber",
            "ticketno",
            "id",
            "number",
            "caseid",
            "casenumber",
            "issueid",
            "conversationid",
        ],
        (SourceKind::Tickets, schema::CREATED_AT) => &[
            "createdat",
            "created",
            "createdtime",
            "createddate",
            "datecreated",
            "openedat",
            "opened",
            "submittedat",
            "date",
            "timestamp",
        ],
        (SourceKind::Tickets, schema::FIRST_RESPONSE_AT) => &[
            "firstresponseat",
            "firstrepliedat",
            "firstreplyat",
            "firstrespondedat",
            "firstresponsedate",
            "firstresponsetime",
            "respondedat",
        ],
        (SourceKind::Tickets, "first_response_minutes") => &[
            "firstreplytimeinminutes",
            "firstresponsetimeinminutes",
            "firstresponseminutes",
            "firstreplyminutes",
        ],
        (SourceKind::Tickets, "first_response_hours") => &[
            "firstresponsetimeinhrs",
            "firstresponsetimeinhours",
            "firstresponsehours",
            "firstreplyhours",
        ],
        (SourceKind::Tickets, schema::SOLVED_AT) => &[
            "solvedat",
            "resolvedat",
            "closedat",
            "solved",
            "resolved",
            "closed",
            "resolvedtime",
            "solvedtime",
            "closedtime",
            "resolutiondate",
            "dateresolved",
            "dateclosed",
        ],
        (SourceKind::Tickets, schema::CATEGORY) => &[
            "category",
            "tickettype",
            "type",
            "topic",
            "issuetype",
            "ticketform",
            "form",
            "tag",
            "tags",
            "group",
        ],
        (SourceKind::Tickets, schema::SATISFACTION) => &[
            "satisfaction",
            "satisfactionscore",
            "satisfactionrating",
            "customersatisfaction",
            "csat",
            "rating",
        ],
        _ => &[],
    }
}

/// Finds the best header for a canonical column by synonyms.
fn detect(kind: SourceKind, headers: &[String], column: &str, taken: &[usize]) -> Option<usize> {
    let norm: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    synonyms(kind, column)
        .iter()
        .find_map(|syn| (0..headers.len()).find(|i| !taken.contains(i) && norm[*i] == *syn))
}

/// Guesses the kind of a file from its headers (for bare `check` arguments).
pub fn guess_kind(headers: &[String]) -> Option<SourceKind> {
    if let Some(p) = Preset::detect(headers) {
        return Some(p.kind());
    }
    if not_a_source(headers).is_some() {
        return Some(SourceKind::Orders);
    }
    let has = |kind, col| detect(kind, headers, col, &[]).is_some();
    let norm: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let ticket_id = ["ticketid", "ticket", "ticketnumber", "caseid", "casenumber"]
        .iter()
        .any(|s| norm.iter().any(|h| h == s));
    if ticket_id
        || (has(SourceKind::Tickets, schema::CREATED_AT)
            && (has(SourceKind::Tickets, schema::SOLVED_AT)
                || has(SourceKind::Tickets, schema::FIRST_RESPONSE_AT)
                || has(SourceKind::Tickets, "first_response_minutes")
                || has(SourceKind::Tickets, "first_response_hours")))
    {
        return Some(SourceKind::Tickets);
    }
    if has(SourceKind::Feedback, schema::SCORE) {
        return Some(SourceKind::Feedback);
    }
    if has(SourceKind::Orders, schema::AMOUNT)
        || (has(SourceKind::Orders, schema::QUANTITY)
            && has(SourceKind::Orders, schema::UNIT_PRICE))
    {
        return Some(SourceKind::Orders);
    }
    None
}

fn required(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::Orders => &[schema::CUSTOMER_ID, schema::ORDER_DATE, schema::AMOUNT],
        SourceKind::Feedback => &[schema::RESPONDED_AT, schema::SCORE],
        SourceKind::Tickets => &[schema::TICKET_ID, schema::CREATED_AT],
    }
}

fn optional(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::Orders => &[schema::ORDER_ID],
        SourceKind::Feedback => &[schema::SURVEY, schema::CUSTOMER_ID, schema::COMMENT],
        SourceKind::Tickets => &[
            schema::FIRST_RESPONSE_AT,
            schema::SOLVED_AT,
            schema::CUSTOMER_ID,
            schema::CATEGORY,
            schema::SATISFACTION,
        ],
    }
}

/// Qualtrics' legacy export: `V1, V2, …` on the first line and the column
/// names (`ResponseID`, …) on the second. Returns the real names.
pub fn legacy_qualtrics_headers(headers: &[String], peek: &[StringRecord]) -> Option<Vec<String>> {
    let names = peek.first()?;
    let v_codes = headers.first().is_some_and(|h| h.trim() == "V1")
        && headers.get(1).is_some_and(|h| h.trim() == "V2");
    let response_id = names.iter().any(|c| c.trim() == "ResponseID");
    (v_codes && response_id).then(|| names.iter().map(|c| c.trim().to_string()).collect())
}

/// Whether a survey question asks how likely one is to recommend (the NPS
/// question), in the languages surveys are written in.
pub fn is_nps_question(text: &str) -> bool {
    let l = text.to_lowercase();
    [
        "recommend",
        "recommand",
        "recomend",
        "raccomand",
        "empfehlen",
        "weiterempfehl",
        "aanbevelen",
        "aanraden",
        "rekommendera",
        "anbefale",
        "suosittel",
        "polecił",
        "polecil",
        "net promoter",
    ]
    .iter()
    .any(|k| l.contains(k))
}

/// Header names that are never segments: contact details, ids, free text, times.
fn never_a_segment(header: &str) -> bool {
    let n = normalize(header);
    if n.is_empty() {
        return true;
    }
    let words = [
        "email",
        "phone",
        "mobile",
        "address",
        "street",
        "zip",
        "postal",
        "postcode",
        "subject",
        "description",
        "comment",
        "note",
        "message",
        "body",
        "summary",
        "url",
        "link",
        "ip",
        "name",
        "title",
        "time",
        "date",
        "at",
        "id",
        "number",
        "count",
        "amount",
        "price",
        "total",
        "tax",
        "fee",
        "reopens",
        "replies",
    ];
    let lower = header.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let trimmed = header.trim();
    tokens.iter().any(|t| words.contains(t))
        || trimmed.ends_with("ID")
        || trimmed.ends_with("Id")
        || lower.ends_with("_id")
        || n.ends_with("email")
        || n.ends_with("code")
        || n.ends_with("sku")
        || n.starts_with("unnamed")
        || n.ends_with("phone")
        || n.ends_with("minutes")
        || n.ends_with("hours")
        || n.ends_with("seconds")
}

/// Builds the plan for a file: preset, else header detection; then the
/// config mapping on top. `peek` holds the first records (extra header rows).
pub fn plan(
    file: &str,
    kind: SourceKind,
    headers: &[String],
    peek: &[StringRecord],
    options: &SourceOptions,
) -> Result<Plan, LoadError> {
    if kind == SourceKind::Orders
        && let Some(message) = not_a_source(headers)
    {
        return Err(LoadError::Invalid {
            file: file.to_string(),
            message: message.to_string(),
        });
    }
    let legacy = legacy_qualtrics_headers(headers, peek);
    let (headers, peek): (&[String], &[StringRecord]) = match &legacy {
        Some(names) => (names, &peek[1..]),
        None => (headers, peek),
    };
    let preset = Preset::detect(headers).filter(|p| p.kind() == kind);
    let mut plan = Plan {
        kind,
        preset,
        mapping: preset.map_or("header names", Preset::name).to_string(),
        skip_rows: 0,
        headers: None,
        date_order: DateOrder::Auto,
        fields: BTreeMap::new(),
        first_response: None,
        amount_minus: None,
        quantity: None,
        status: None,
        row_filters: Vec::new(),
        zero_is_empty: false,
        continuation_rows: false,
        cancel_prefix: None,
        tags: None,
        survey: None,
        segments: Vec::new(),
        segments_auto: false,
    };
    let mut preset_segments: Option<Vec<usize>> = None;
    if let Some(p) = preset {
        preset_segments = Some(apply_preset(p, &mut plan, headers, peek, legacy.is_some()));
    }
    if legacy.is_some() {
        plan.headers = legacy.clone();
        plan.skip_rows = 1;
        plan.mapping = format!("{} (legacy export)", plan.mapping);
    }
    // Header detection fills what the preset left open.
    let taken = |plan: &Plan| {
        plan.fields
            .values()
            .flatten()
            .copied()
            .chain(plan.quantity)
            .chain(plan.amount_minus)
            .collect::<Vec<_>>()
    };
    for &col in required(kind).iter().chain(optional(kind)) {
        if plan.fields.contains_key(col) {
            continue;
        }
        if col == schema::FIRST_RESPONSE_AT && plan.first_response.is_some() {
            continue;
        }
        if let Some(i) = detect(kind, headers, col, &taken(&plan)) {
            plan.fields.insert(col, vec![i]);
        }
    }
    // Line-item files (UCI Online Retail): amount = quantity × unit price.
    // A `Price` next to a `Quantity` is a unit price, not the amount.
    let unit_price_as_amount = plan.preset.is_none()
        && plan.col(schema::AMOUNT).is_some_and(|i| {
            matches!(
                normalize(&headers[i]).as_str(),
                "price" | "unitprice" | "priceeach" | "itemprice" | "unitcost"
            )
        });
    if unit_price_as_amount {
        plan.fields.remove(schema::AMOUNT);
    }
    if kind == SourceKind::Orders && !plan.fields.contains_key(schema::AMOUNT) {
        let t = taken(&plan);
        if let (Some(q), Some(p)) = (
            detect(kind, headers, schema::QUANTITY, &t),
            detect(kind, headers, schema::UNIT_PRICE, &t),
        ) {
            plan.quantity = Some(q);
            plan.fields.insert(schema::AMOUNT, vec![p]);
            plan.cancel_prefix = Some('C');
        } else if unit_price_as_amount {
            // No quantity after all: the price is the amount.
            if let Some(p) = detect(kind, headers, schema::AMOUNT, &t) {
                plan.fields.insert(schema::AMOUNT, vec![p]);
            }
        }
    }
    if kind == SourceKind::Tickets && plan.first_response.is_none() {
        let t = taken(&plan);
        plan.first_response = plan
            .col(schema::FIRST_RESPONSE_AT)
            .map(Timing::At)
            .or_else(|| {
                detect(kind, headers, "first_response_minutes", &t)
                    .map(Timing::MinutesAfterCreation)
            })
            .or_else(|| {
                detect(kind, headers, "first_response_hours", &t).map(Timing::HoursAfterCreation)
            });
    }
    // The config mapping overrides both.
    let mut overridden = false;
    let mut unit_price = None;
    for (column, header) in &options.columns {
        let i = header_exact(headers, header).ok_or_else(|| LoadError::MappedHeaderMissing {
            file: file.to_string(),
            column: column.clone(),
            header: header.clone(),
            found: list_short(headers),
        })?;
        let column = kind
            .mappable_columns()
            .iter()
            .find(|c| **c == column.as_str())
            .ok_or_else(|| LoadError::Invalid {
                file: file.to_string(),
                message: format!(
                    "the config maps unknown column `{column}` for {kind}; known: {}",
                    kind.mappable_columns().join(", ")
                ),
            })?;
        overridden = true;
        match *column {
            "first_response_minutes" => plan.first_response = Some(Timing::MinutesAfterCreation(i)),
            "first_response_hours" => plan.first_response = Some(Timing::HoursAfterCreation(i)),
            schema::QUANTITY => plan.quantity = Some(i),
            schema::UNIT_PRICE => unit_price = Some(i),
            c => {
                if c == schema::FIRST_RESPONSE_AT {
                    plan.first_response = Some(Timing::At(i));
                }
                if c == schema::AMOUNT {
                    plan.amount_minus = None;
                    plan.quantity = None;
                }
                plan.fields.insert(c, vec![i]);
            }
        }
    }
    if let Some(p) = unit_price {
        plan.fields.insert(schema::AMOUNT, vec![p]);
        plan.amount_minus = None;
        if plan.quantity.is_none() {
            plan.quantity = detect(kind, headers, schema::QUANTITY, &[]);
        }
    }
    if overridden {
        plan.mapping = format!("{} + config", plan.mapping);
    }
    if options.date_format != DateOrder::Auto {
        plan.date_order = options.date_format;
    }
    if options.survey.is_some() {
        plan.survey = options.survey;
    }
    if let Some(statuses) = &options.purchase_statuses {
        let col = plan.status.as_ref().map(|s| s.col).or_else(|| {
            [
                "status",
                "financialstatus",
                "orderstatus",
                "paymentstatus",
                "state",
            ]
            .iter()
            .find_map(|n| headers.iter().position(|h| normalize(h) == *n))
        });
        if let Some(col) = col {
            plan.status = Some(StatusRule {
                col,
                keep: Some(statuses.iter().map(|s| s.trim().to_lowercase()).collect()),
                skip: Vec::new(),
            });
        }
    } else if kind == SourceKind::Orders && plan.preset.is_none() && plan.status.is_none() {
        // A generic export with an order status: cancelled and failed orders are no purchase.
        plan.status = ["status", "orderstatus", "paymentstatus", "financialstatus"]
            .iter()
            .find_map(|n| headers.iter().position(|h| normalize(h) == *n))
            .map(|col| {
                StatusRule::skip(
                    col,
                    &[
                        "cancelled",
                        "canceled",
                        "failed",
                        "void",
                        "voided",
                        "declined",
                        "draft",
                        "abandoned",
                        "pending",
                        "pending payment",
                        "unpaid",
                        "expired",
                        "trash",
                        "wc-pending",
                        "wc-cancelled",
                        "wc-failed",
                        "checkout-draft",
                    ],
                )
            });
    }
    let missing_cols: Vec<&str> = required(kind)
        .iter()
        .copied()
        .filter(|c| !plan.fields.contains_key(c))
        .collect();
    if !missing_cols.is_empty() {
        return Err(missing(file, kind, &missing_cols, headers));
    }
    // Segments: configured, else the preset's, else the columns not mapped
    // whose names could be categories (their values are checked at load).
    let used = taken(&plan);
    let extra_used: Vec<usize> = [
        plan.status.as_ref().map(|s| s.col),
        plan.tags,
        match plan.first_response {
            Some(Timing::MinutesAfterCreation(i) | Timing::HoursAfterCreation(i)) => Some(i),
            _ => None,
        },
    ]
    .into_iter()
    .flatten()
    .chain(plan.row_filters.iter().map(|f| f.col))
    .collect();
    let seg_cols: Vec<usize> = match (&options.segments, preset_segments) {
        (Some(names), _) => names
            .iter()
            .map(|n| {
                header_exact(headers, n).ok_or_else(|| LoadError::MappedHeaderMissing {
                    file: file.to_string(),
                    column: "segments".into(),
                    header: n.clone(),
                    found: list_short(headers),
                })
            })
            .collect::<Result<_, _>>()?,
        (None, Some(cols)) => cols,
        (None, None) => {
            plan.segments_auto = true;
            (0..headers.len())
                .filter(|i| {
                    !used.contains(i) && !extra_used.contains(i) && !never_a_segment(&headers[*i])
                })
                .collect()
        }
    };
    let mut seen = std::collections::HashSet::new();
    plan.segments = seg_cols
        .into_iter()
        .filter(|i| seen.insert(headers[*i].trim().to_string()))
        .map(|i| {
            let h = headers[i].trim();
            // Delighted: `person_properties.plan` is the segment `plan`.
            (
                h.strip_prefix("person_properties.")
                    .unwrap_or(h)
                    .to_string(),
                i,
            )
        })
        .collect();
    Ok(plan)
}

/// Sets the preset's columns; returns its segment columns.
fn apply_preset(
    p: Preset,
    plan: &mut Plan,
    headers: &[String],
    peek: &[StringRecord],
    legacy: bool,
) -> Vec<usize> {
    let h = |name: &str| header_norm(headers, name);
    let set = |plan: &mut Plan, col: &'static str, names: &[&str]| {
        let idx: Vec<usize> = names
            .iter()
            .filter_map(|n| header_norm(headers, n))
            .collect();
        if !idx.is_empty() {
            plan.fields.insert(col, idx);
        }
    };
    let segs = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| header_norm(headers, n))
            .collect::<Vec<_>>()
    };
    let stripe_payment = |plan: &mut Plan, id: &[&str]| {
        set(plan, schema::ORDER_ID, id);
        set(
            plan,
            schema::CUSTOMER_ID,
            &["Customer ID", "Customer Email"],
        );
        set(
            plan,
            schema::ORDER_DATE,
            &["Created date (UTC)", "Created (UTC)"],
        );
        set(plan, schema::AMOUNT, &["Amount"]);
        plan.amount_minus = h("Amount Refunded");
        // A charge refunded later was a purchase: its refund is in the amount.
        plan.status = h("Status").map(|col| {
            StatusRule::keep(
                col,
                &[
                    "paid",
                    "succeeded",
                    "refunded",
                    "partially refunded",
                    "partially_refunded",
                ],
            )
        });
        segs(&[
            "Currency",
            "Card Brand",
            "Card Address Country",
            "Payment Method Type",
        ])
    };
    match p {
        Preset::ShopifyOrders => {
            set(plan, schema::ORDER_ID, &["Name"]);
            // Phone-only and point-of-sale customers have no e-mail.
            set(
                plan,
                schema::CUSTOMER_ID,
                &["Email", "Phone", "Billing Phone", "Shipping Phone"],
            );
            set(plan, schema::ORDER_DATE, &["Created at"]);
            set(plan, schema::AMOUNT, &["Total"]);
            plan.amount_minus = h("Refunded Amount");
            plan.status = h("Financial Status").map(|col| {
                StatusRule::keep(
                    col,
                    &["paid", "partially_paid", "partially_refunded", "refunded"],
                )
            });
            plan.continuation_rows = true;
            segs(&[
                "Source",
                "Billing Country",
                "Tags",
                "Discount Code",
                "Currency",
            ])
        }
        Preset::StripeLegacy | Preset::StripePayments => stripe_payment(plan, &["id"]),
        Preset::StripeUnified => stripe_payment(plan, &["PaymentIntent ID", "id"]),
        Preset::StripeInvoices => {
            set(plan, schema::ORDER_ID, &["id", "Number"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["Customer", "Customer ID", "Customer Email"],
            );
            set(plan, schema::ORDER_DATE, &["Date (UTC)", "Created (UTC)"]);
            set(plan, schema::AMOUNT, &["Amount Paid"]);
            plan.status = h("Status")
                .map(|col| StatusRule::keep(col, &["paid"]))
                .or_else(|| h("Paid").map(|col| StatusRule::keep(col, &["true"])));
            segs(&["Currency", "Billing"])
        }
        Preset::WooCommerce => {
            set(plan, schema::ORDER_ID, &["order_id"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["customer_id", "customer_email", "billing_email"],
            );
            plan.zero_is_empty = true;
            set(plan, schema::ORDER_DATE, &["order_date"]);
            set(plan, schema::AMOUNT, &["order_total"]);
            plan.amount_minus = h("order_refund").or_else(|| h("refund_total"));
            plan.status = h("status").or_else(|| h("order_status")).map(|col| {
                StatusRule::skip(
                    col,
                    &[
                        "cancelled",
                        "failed",
                        "wc-cancelled",
                        "wc-failed",
                        "pending",
                        "wc-pending",
                        "draft",
                        "checkout-draft",
                        "trash",
                    ],
                )
            });
            plan.date_order = DateOrder::Mdy;
            segs(&[
                "billing_country",
                "shipping_country",
                "payment_method",
                "payment_method_title",
                "created_via",
                "order_currency",
            ])
        }
        Preset::SurveyMonkey => {
            plan.skip_rows = 1;
            plan.date_order = DateOrder::Mdy;
            plan.survey = Some(Survey::Nps);
            set(plan, schema::RESPONDED_AT, &["End Date", "Start Date"]);
            set(plan, schema::CUSTOMER_ID, &["Email Address", "Email"]);
            let score = headers.iter().position(|x| is_nps_question(x));
            if let Some(s) = score {
                plan.fields.insert(schema::SCORE, vec![s]);
                let sub = peek.first();
                let comment = (0..headers.len()).find(|&i| {
                    i != s
                        && (is_comment_question(&headers[i])
                            || (i == s + 1
                                && sub
                                    .and_then(|r| r.get(i))
                                    .is_some_and(|l| l.to_lowercase().contains("open-ended"))))
                });
                if let Some(c) = comment {
                    plan.fields.insert(schema::COMMENT, vec![c]);
                }
            }
            segs(&["Custom Data 1"])
        }
        Preset::Qualtrics => {
            let import_row = !legacy
                && (peek
                    .get(1)
                    .and_then(|r| r.get(0))
                    .is_some_and(|c| c.trim_start().starts_with("{\"ImportId\""))
                    || peek
                        .get(1)
                        .is_some_and(|r| r.iter().any(|c| c.contains("\"ImportId\""))));
            plan.skip_rows = if import_row { 2 } else { 1 };
            plan.survey = Some(Survey::Nps);
            set(plan, schema::RESPONDED_AT, &["RecordedDate", "EndDate"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &[
                    "RecipientEmail",
                    "EmailAddress",
                    "ExternalReference",
                    "ExternalDataReference",
                ],
            );
            // The question text: on the second line, or (legacy) the header itself.
            let labels = (!legacy).then(|| peek.first()).flatten();
            let label = |i: usize| match labels {
                Some(r) => r.get(i).unwrap_or("").to_string(),
                None => headers[i].clone(),
            };
            let is_aux = |i: usize| {
                let h = headers[i].as_str();
                h.ends_with("_NPS_GROUP") || h.ends_with("_TEXT") || h.ends_with("_DO")
            };
            let score = headers
                .iter()
                .find_map(|x| {
                    x.strip_suffix("_NPS_GROUP")
                        .and_then(|base| header_exact(headers, base))
                })
                .or_else(|| (0..headers.len()).find(|&i| !is_aux(i) && is_nps_question(&label(i))));
            if let Some(s) = score {
                plan.fields.insert(schema::SCORE, vec![s]);
                let comment = (0..headers.len()).find(|&i| {
                    i != s
                        && !headers[i].ends_with("_NPS_GROUP")
                        && (is_comment_question(&label(i))
                            || i == s + 1 && headers[i].ends_with("_TEXT"))
                });
                if let Some(c) = comment {
                    plan.fields.insert(schema::COMMENT, vec![c]);
                }
            }
            if let Some(col) = h("Finished") {
                plan.row_filters.push(RowFilter {
                    col,
                    values: lower_all(&["False", "0"]),
                    reason: "unfinished response",
                });
            }
            // Status 1 (legacy and numeric exports) or "Survey Preview": a test run.
            if let Some(col) = h("Status") {
                plan.row_filters.push(RowFilter {
                    col,
                    values: lower_all(&[
                        "Survey Preview",
                        "1",
                        "Survey Test",
                        "2",
                        "Spam",
                        "8",
                        "Preview Spam",
                        "9",
                    ]),
                    reason: "survey preview or test",
                });
            }
            if let Some(col) = h("DistributionChannel") {
                plan.row_filters.push(RowFilter {
                    col,
                    values: lower_all(&["preview", "test"]),
                    reason: "survey preview or test",
                });
            }
            segs(&["DistributionChannel", "UserLanguage"])
        }
        Preset::Typeform => {
            set(plan, schema::RESPONDED_AT, &["Submit Date (UTC)"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["email", "Email", "hidden_email"],
            );
            if let Some(col) = h("Response Type") {
                plan.row_filters.push(RowFilter {
                    col,
                    values: lower_all(&["partial"]),
                    reason: "partial response (not submitted)",
                });
            }
            if let Some(s) = headers.iter().position(|x| is_nps_question(x)) {
                plan.fields.insert(schema::SCORE, vec![s]);
                plan.survey = Some(Survey::Nps);
                if let Some(c) =
                    (0..headers.len()).find(|&i| i != s && is_comment_question(&headers[i]))
                {
                    plan.fields.insert(schema::COMMENT, vec![c]);
                }
            }
            Vec::new()
        }
        Preset::Delighted => {
            set(plan, schema::SURVEY, &["survey_type"]);
            set(plan, schema::SCORE, &["score"]);
            set(plan, schema::RESPONDED_AT, &["created_at"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["person.email", "person.id", "person"],
            );
            set(plan, schema::COMMENT, &["comment"]);
            (0..headers.len())
                .filter(|&i| headers[i].starts_with("person_properties."))
                .collect()
        }
        Preset::Zendesk => {
            set(plan, schema::TICKET_ID, &["Id", "Ticket ID"]);
            set(plan, schema::CREATED_AT, &["Created at"]);
            set(plan, schema::SOLVED_AT, &["Solved at"]);
            // An e-mail matches the orders' customers; a Zendesk id never does.
            set(
                plan,
                schema::CUSTOMER_ID,
                &["Requester email", "Requester id"],
            );
            set(plan, schema::CATEGORY, &["Ticket type", "Group"]);
            set(plan, schema::SATISFACTION, &["Satisfaction Score"]);
            plan.tags = h("Tags");
            plan.first_response = h("First reply time in minutes")
                .or_else(|| h("First reply time in minutes within business hours"))
                .map(Timing::MinutesAfterCreation);
            segs(&["Priority", "Via", "Group", "Brand", "Ticket type"])
        }
        Preset::Freshdesk => {
            set(plan, schema::TICKET_ID, &["Ticket ID"]);
            set(plan, schema::CREATED_AT, &["Created time"]);
            set(plan, schema::SOLVED_AT, &["Resolved time", "Closed time"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["Email", "Requester email", "Contact ID"],
            );
            set(plan, schema::CATEGORY, &["Type"]);
            set(
                plan,
                schema::SATISFACTION,
                &["Satisfaction rating", "Customer satisfaction"],
            );
            plan.first_response = h("First response time (in hrs)").map(Timing::HoursAfterCreation);
            segs(&["Source", "Priority", "Group", "Product"])
        }
    }
}

fn is_comment_question(header: &str) -> bool {
    let l = header.to_lowercase();
    [
        "why",
        "reason",
        "comment",
        "feedback",
        "tell us",
        "anything else",
        "improve",
        "better",
        "grund",
        "warum",
        "kommentar",
        "pourquoi",
        "raison",
        "commentaire",
        "motivo",
        "por qué",
        "comentario",
        "perché",
        "waarom",
    ]
    .iter()
    .any(|k| l.contains(k))
}

fn list(headers: &[String]) -> String {
    if headers.is_empty() {
        return "(none)".into();
    }
    headers
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn missing(file: &str, kind: SourceKind, columns: &[&str], headers: &[String]) -> LoadError {
    let looked = |column: &str| {
        let tried: Vec<&str> = synonyms(kind, column).iter().take(6).copied().collect();
        if columns.len() == 1 {
            format!("{} ...", tried.join(", "))
        } else {
            format!("{column}: {} ...", tried.join(", "))
        }
    };
    let looked = columns
        .iter()
        .map(|c| looked(c))
        .collect::<Vec<_>>()
        .join("; ");
    let word = if columns.len() == 1 {
        "column"
    } else {
        "columns"
    };
    let what = columns
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let maps: Vec<String> = columns
        .iter()
        .map(|c| match closest_header(c, synonyms(kind, c), headers) {
            Some(h) => format!("{c} = \"{h}\""),
            None => format!("{c} = \"HEADER\""),
        })
        .collect();
    let closest: Vec<String> = columns
        .iter()
        .filter_map(|c| closest_header(c, synonyms(kind, c), headers).map(|h| format!("\"{h}\"")))
        .collect();
    let hint = format!(
        "{}; map {} under `[{}.columns]` in the config file: {}",
        if closest.is_empty() {
            String::new()
        } else {
            format!("; closest: {}", closest.join(", "))
        },
        if columns.len() == 1 { "it" } else { "them" },
        kind.name(),
        maps.join(", ")
    );
    LoadError::MissingColumn(Box::new(super::error::MissingColumn {
        file: file.to_string(),
        kind: kind.name().to_string(),
        columns: format!("{word} {what}"),
        looked,
        found: list_short(headers),
        hint,
    }))
}

/// At most ten headers, then how many more.
fn list_short(headers: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut s = list(&headers[..headers.len().min(SHOWN)]);
    if headers.len() > SHOWN {
        s.push_str(&format!(" and {} more", headers.len() - SHOWN));
    }
    s
}

/// The header nearest to the column's name or synonyms by edit distance.
fn closest_header(column: &str, syns: &[&str], headers: &[String]) -> Option<String> {
    let mut wanted: Vec<String> = syns.iter().map(|s| s.to_string()).collect();
    wanted.push(normalize(column));
    headers
        .iter()
        .filter(|h| !normalize(h).is_empty())
        .map(|h| {
            let n = normalize(h);
            let d = wanted
                .iter()
                .map(|w| levenshtein(&n, w))
                .min()
                .unwrap_or(usize::MAX);
            (d, h)
        })
        .filter(|(d, h)| *d <= (normalize(h).len() / 2).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, h)| h.clone())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cell_is_trimmed_as_str_trim_trims_it() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::default();
        // Printable ASCII, ASCII and Unicode white space, DEL and other
        // characters, at either end.
        let cell = proptest::string::string_regex(
            "[ \t\r\n\u{0b}\u{0c}\u{7f}\u{a0}\u{85}\u{2003}\u{3000}a-z0-9'.,é€-]{0,8}",
        )
        .expect("a pattern");
        runner
            .run(&cell, |v| {
                prop_assert_eq!(super::trim_cell(&v), v.trim());
                Ok(())
            })
            .expect("trim_cell agrees with str::trim");
    }

    use super::*;

    fn hs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn presets_by_fingerprint() {
        let shopify = hs(&[
            "Name",
            "Email",
            "Financial Status",
            "Created at",
            "Lineitem quantity",
            "Total",
        ]);
        assert_eq!(Preset::detect(&shopify), Some(Preset::ShopifyOrders));
        assert_eq!(Preset::detect(&hs(&["Name", "Total"])), None);
        let zendesk = hs(&[
            "Id",
            "Requester id",
            "Satisfaction Score",
            "First reply time in minutes",
            "Created at",
        ]);
        assert_eq!(guess_kind(&zendesk), Some(SourceKind::Tickets));
    }

    /// The plan of an orders file `f.csv` with these headers and no config.
    fn orders_plan(headers: &[String]) -> Result<Plan, LoadError> {
        plan(
            "f.csv",
            SourceKind::Orders,
            headers,
            &[],
            &SourceOptions::default(),
        )
    }

    #[test]
    fn header_detection_prefers_ids_to_emails() {
        let h = hs(&["Email", "Client ID", "Order Date", "Total ($)"]);
        let p = orders_plan(&h).unwrap();
        assert_eq!(p.col(schema::CUSTOMER_ID), Some(1));
        assert_eq!(p.col(schema::ORDER_DATE), Some(2));
        assert_eq!(p.col(schema::AMOUNT), Some(3));
        assert_eq!(p.mapping, "header names");
        assert!(p.segments.is_empty(), "contact details are never segments");
    }

    #[test]
    fn warehouse_model_names_are_found() {
        // A dbt model or a warehouse table unloaded to Parquet.
        for (date, amount) in [
            ("order_ts", "order_amount"),
            ("order_placed_at", "amount_usd"),
            ("ORDER_TIMESTAMP", "GROSS_REVENUE"),
        ] {
            let h = hs(&["order_key", "customer_id", date, amount, "status"]);
            let p = orders_plan(&h).unwrap();
            assert_eq!(p.col(schema::ORDER_DATE), Some(2), "{date}");
            assert_eq!(p.col(schema::AMOUNT), Some(3), "{amount}");
        }
    }

    #[test]
    fn missing_column_names_headers_and_closest() {
        let h = hs(&["customer", "date", "totl"]);
        let err = orders_plan(&h).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("f.csv: missing required column `amount` for orders"),
            "{msg}"
        );
        assert!(
            msg.contains("headers found: \"customer\", \"date\", \"totl\""),
            "{msg}"
        );
        assert!(msg.contains("closest: \"totl\""), "{msg}");
    }

    #[test]
    fn config_overrides_detection() {
        let h = hs(&["Client", "When", "Sum", "amount"]);
        let mut o = SourceOptions::default();
        o.columns.insert("order_date".into(), "When".into());
        o.columns.insert("amount".into(), "Sum".into());
        let p = plan("f.csv", SourceKind::Orders, &h, &[], &o).unwrap();
        assert_eq!(p.col(schema::AMOUNT), Some(2));
        assert_eq!(p.col(schema::ORDER_DATE), Some(1));
        assert_eq!(p.mapping, "header names + config");
        o.columns.insert("amount".into(), "Nope".into());
        let err = plan("f.csv", SourceKind::Orders, &h, &[], &o).unwrap_err();
        assert!(matches!(err, LoadError::MappedHeaderMissing { .. }));
        let mut o = SourceOptions::default();
        o.columns.insert("revenue".into(), "Sum".into());
        let err = plan("f.csv", SourceKind::Orders, &h, &[], &o).unwrap_err();
        assert!(
            err.to_string().contains("unknown column `revenue`"),
            "{err}"
        );
    }

    #[test]
    fn levenshtein_basics() {
        assert_eq!(levenshtein("amount", "amont"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
    }
}
