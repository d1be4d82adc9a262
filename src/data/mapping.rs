//! Column mapping in three layers: export presets chosen by fingerprint
//! (../shared/export-formats.md), header-name detection by synonyms, and the
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

/// One source's section of the config file (`[orders]`, `[feedback]`, `[tickets]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceOptions {
    /// The file to load.
    pub path: Option<PathBuf>,
    /// Canonical column -> header in the file; overrides presets and detection.
    pub columns: BTreeMap<String, String>,
    /// Segment columns to keep (default: the preset's, or every unmapped column).
    pub segments: Option<Vec<String>>,
    pub date_format: DateOrder,
    pub decimal: DecimalStyle,
    pub amount_units: Units,
    pub encoding: Encoding,
    /// Feedback only: the survey of every row when the file has no survey column.
    pub survey: Option<Survey>,
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
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Preset {
    ShopifyOrders,
    StripeLegacy,
    StripeUnified,
    WooCommerce,
    SurveyMonkey,
    Qualtrics,
    Typeform,
    Delighted,
    Zendesk,
    Freshdesk,
}

impl Preset {
    pub const ALL: [Preset; 10] = [
        Preset::ShopifyOrders,
        Preset::StripeLegacy,
        Preset::StripeUnified,
        Preset::WooCommerce,
        Preset::SurveyMonkey,
        Preset::Qualtrics,
        Preset::Typeform,
        Preset::Delighted,
        Preset::Zendesk,
        Preset::Freshdesk,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::ShopifyOrders => "Shopify orders",
            Preset::StripeLegacy => "Stripe payments (legacy export)",
            Preset::StripeUnified => "Stripe payments (unified export)",
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
            | Preset::WooCommerce => SourceKind::Orders,
            Preset::SurveyMonkey | Preset::Qualtrics | Preset::Typeform | Preset::Delighted => {
                SourceKind::Feedback
            }
            Preset::Zendesk | Preset::Freshdesk => SourceKind::Tickets,
        }
    }

    fn fingerprint(self) -> &'static [&'static str] {
        match self {
            Preset::ShopifyOrders => &[
                "Name",
                "Financial Status",
                "Lineitem quantity",
                "Created at",
            ],
            Preset::StripeLegacy => &["Seller Message", "Created (UTC)", "Amount Refunded"],
            Preset::StripeUnified => &["PaymentIntent ID", "Created date (UTC)"],
            Preset::WooCommerce => &["order_id", "order_total", "customer_email"],
            Preset::SurveyMonkey => &["Respondent ID", "Collector ID"],
            Preset::Qualtrics => &["ResponseId", "RecordedDate", "Duration (in seconds)"],
            Preset::Typeform => &["#", "Submit Date (UTC)", "Network ID"],
            Preset::Delighted => &["survey_type", "score", "permalink"],
            Preset::Zendesk => &[
                "Requester id",
                "Satisfaction Score",
                "First reply time in minutes",
            ],
            Preset::Freshdesk => &["Ticket ID", "Created time", "First response time (in hrs)"],
        }
    }

    /// The preset whose fingerprint the headers contain, if any.
    pub fn detect(headers: &[String]) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| {
            p.fingerprint()
                .iter()
                .all(|f| header_exact(headers, f).is_some())
        })
    }
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
    pub keep: Option<&'static [&'static str]>,
    /// These statuses are skipped (lower case).
    pub skip: &'static [&'static str],
}

impl StatusRule {
    /// `None` when the row is kept, else the reason it is skipped.
    pub fn skip_reason(&self, rec: &StringRecord) -> Option<String> {
        let status = rec.get(self.col).unwrap_or("").trim().to_lowercase();
        let kept = match self.keep {
            Some(keep) => keep.contains(&status.as_str()),
            None => !self.skip.contains(&status.as_str()),
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

/// How the columns of one file become canonical columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub kind: SourceKind,
    pub preset: Option<Preset>,
    /// What chose the columns: the preset's name, "header names", plus "config" when it overrode any.
    pub mapping: String,
    /// Extra header rows after the first (SurveyMonkey 1, Qualtrics 2).
    pub skip_rows: usize,
    pub date_order: DateOrder,
    /// Canonical column -> source column(s): the first non-empty cell wins.
    pub fields: BTreeMap<&'static str, Vec<usize>>,
    pub first_response: Option<Timing>,
    /// Orders: amount minus this column (Shopify refunds, Stripe refunds).
    pub amount_minus: Option<usize>,
    pub status: Option<StatusRule>,
    /// Customer id cells equal to "0" count as empty (WooCommerce guests).
    pub zero_is_empty: bool,
    /// Shopify: rows after an order's first carry only line items.
    pub continuation_rows: bool,
    /// Tickets: a tags column whose first tag is the category fallback.
    pub tags: Option<usize>,
    pub survey: Option<Survey>,
    pub segments: Vec<(String, usize)>,
}

impl Plan {
    pub fn col(&self, name: &str) -> Option<usize> {
        self.fields.get(name).and_then(|v| v.first().copied())
    }

    /// The header name of a canonical column, for messages.
    pub fn header<'h>(&self, headers: &'h [String], name: &'h str) -> &'h str {
        self.col(name)
            .and_then(|i| headers.get(i))
            .map(String::as_str)
            .unwrap_or(name)
    }

    /// The first non-empty cell among the columns mapped to `name`.
    pub fn cell<'r>(&self, rec: &'r StringRecord, name: &str) -> Option<&'r str> {
        self.fields.get(name)?.iter().find_map(|&i| {
            let v = rec.get(i)?.trim();
            let empty =
                v.is_empty() || (self.zero_is_empty && name == schema::CUSTOMER_ID && v == "0");
            (!empty).then_some(v)
        })
    }
}

fn header_exact(headers: &[String], name: &str) -> Option<usize> {
    let want = name.trim().to_lowercase();
    headers.iter().position(|h| h.trim().to_lowercase() == want)
}

fn header_norm(headers: &[String], name: &str) -> Option<usize> {
    let want = normalize(name);
    header_exact(headers, name).or_else(|| headers.iter().position(|h| normalize(h) == want))
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
        ],
        (SourceKind::Orders, schema::ORDER_ID) => &[
            "orderid",
            "ordernumber",
            "orderno",
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
    if has(SourceKind::Orders, schema::AMOUNT) {
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

/// Builds the plan for a file: preset, else header detection; then the
/// config mapping on top. `peek` holds the first records (extra header rows).
pub fn plan(
    file: &str,
    kind: SourceKind,
    headers: &[String],
    peek: &[StringRecord],
    options: &SourceOptions,
) -> Result<Plan, LoadError> {
    let preset = Preset::detect(headers).filter(|p| p.kind() == kind);
    let mut plan = Plan {
        kind,
        preset,
        mapping: preset.map_or("header names", Preset::name).to_string(),
        skip_rows: 0,
        date_order: DateOrder::Auto,
        fields: BTreeMap::new(),
        first_response: None,
        amount_minus: None,
        status: None,
        zero_is_empty: false,
        continuation_rows: false,
        tags: None,
        survey: None,
        segments: Vec::new(),
    };
    let mut preset_segments: Option<Vec<usize>> = None;
    if let Some(p) = preset {
        preset_segments = Some(apply_preset(p, &mut plan, headers, peek));
    }
    // Header detection fills what the preset left open.
    let taken = |plan: &Plan| plan.fields.values().flatten().copied().collect::<Vec<_>>();
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
    for (column, header) in &options.columns {
        let i = header_exact(headers, header).ok_or_else(|| LoadError::MappedHeaderMissing {
            file: file.to_string(),
            column: column.clone(),
            header: header.clone(),
            found: list(headers),
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
            c => {
                if c == schema::FIRST_RESPONSE_AT {
                    plan.first_response = Some(Timing::At(i));
                }
                if c == schema::AMOUNT {
                    plan.amount_minus = None;
                }
                plan.fields.insert(c, vec![i]);
            }
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
    for &col in required(kind) {
        if !plan.fields.contains_key(col) {
            return Err(missing(file, kind, col, headers));
        }
    }
    // Segments: configured, else the preset's, else every column not mapped.
    let used = taken(&plan);
    let extra_used: Vec<usize> = [
        plan.amount_minus,
        plan.status.as_ref().map(|s| s.col),
        plan.tags,
        match plan.first_response {
            Some(Timing::MinutesAfterCreation(i) | Timing::HoursAfterCreation(i)) => Some(i),
            _ => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect();
    let seg_cols: Vec<usize> = match (&options.segments, preset_segments) {
        (Some(names), _) => names
            .iter()
            .map(|n| {
                header_exact(headers, n).ok_or_else(|| LoadError::MappedHeaderMissing {
                    file: file.to_string(),
                    column: "segments".into(),
                    header: n.clone(),
                    found: list(headers),
                })
            })
            .collect::<Result<_, _>>()?,
        (None, Some(cols)) => cols,
        (None, None) => (0..headers.len())
            .filter(|i| {
                !used.contains(i) && !extra_used.contains(i) && !headers[*i].trim().is_empty()
            })
            .collect(),
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
    match p {
        Preset::ShopifyOrders => {
            set(plan, schema::ORDER_ID, &["Name"]);
            set(plan, schema::CUSTOMER_ID, &["Email"]);
            set(plan, schema::ORDER_DATE, &["Created at"]);
            set(plan, schema::AMOUNT, &["Total"]);
            plan.amount_minus = h("Refunded Amount");
            plan.status = h("Financial Status").map(|col| StatusRule {
                col,
                keep: Some(&["paid", "partially_paid", "partially_refunded", "refunded"]),
                skip: &[],
            });
            plan.continuation_rows = true;
            segs(&["Source", "Billing Country", "Tags", "Discount Code"])
        }
        Preset::StripeLegacy => {
            set(plan, schema::ORDER_ID, &["id"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["Customer ID", "Customer Email"],
            );
            set(plan, schema::ORDER_DATE, &["Created (UTC)"]);
            set(plan, schema::AMOUNT, &["Amount"]);
            plan.amount_minus = h("Amount Refunded");
            plan.status = h("Status").map(|col| StatusRule {
                col,
                keep: Some(&["paid"]),
                skip: &[],
            });
            segs(&["Currency", "Card Brand", "Card Address Country"])
        }
        Preset::StripeUnified => {
            set(plan, schema::ORDER_ID, &["PaymentIntent ID"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["Customer ID", "Customer Email"],
            );
            set(plan, schema::ORDER_DATE, &["Created date (UTC)"]);
            set(plan, schema::AMOUNT, &["Amount"]);
            plan.status = h("Status").map(|col| StatusRule {
                col,
                keep: Some(&["succeeded", "paid"]),
                skip: &[],
            });
            segs(&[
                "Currency",
                "Card Brand",
                "Card Address Country",
                "Payment Method Type",
            ])
        }
        Preset::WooCommerce => {
            set(plan, schema::ORDER_ID, &["order_id"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["customer_id", "customer_email"],
            );
            plan.zero_is_empty = true;
            set(plan, schema::ORDER_DATE, &["order_date"]);
            set(plan, schema::AMOUNT, &["order_total"]);
            plan.status = h("status").map(|col| StatusRule {
                col,
                keep: None,
                skip: &["cancelled", "failed", "wc-cancelled", "wc-failed"],
            });
            plan.date_order = DateOrder::Mdy;
            segs(&[
                "billing_country",
                "shipping_country",
                "payment_method",
                "payment_method_title",
                "created_via",
            ])
        }
        Preset::SurveyMonkey => {
            plan.skip_rows = 1;
            plan.date_order = DateOrder::Mdy;
            plan.survey = Some(Survey::Nps);
            set(plan, schema::RESPONDED_AT, &["End Date", "Start Date"]);
            set(plan, schema::CUSTOMER_ID, &["Email Address"]);
            let score = headers
                .iter()
                .position(|x| x.to_lowercase().contains("recommend"));
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
            let import_row = peek
                .get(1)
                .and_then(|r| r.get(0))
                .is_some_and(|c| c.trim_start().starts_with("{\"ImportId\""))
                || peek
                    .get(1)
                    .is_some_and(|r| r.iter().any(|c| c.contains("\"ImportId\"")));
            plan.skip_rows = if import_row { 2 } else { 1 };
            plan.survey = Some(Survey::Nps);
            set(plan, schema::RESPONDED_AT, &["RecordedDate", "EndDate"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &[
                    "RecipientEmail",
                    "ExternalReference",
                    "ExternalDataReference",
                ],
            );
            let labels = peek.first();
            let label = |i: usize| labels.and_then(|r| r.get(i)).unwrap_or("").to_lowercase();
            let score = headers
                .iter()
                .find_map(|x| {
                    x.strip_suffix("_NPS_GROUP")
                        .and_then(|base| header_exact(headers, base))
                })
                .or_else(|| (0..headers.len()).find(|&i| label(i).contains("recommend")));
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
            segs(&["DistributionChannel", "UserLanguage"])
        }
        Preset::Typeform => {
            set(plan, schema::RESPONDED_AT, &["Submit Date (UTC)"]);
            if let Some(s) = headers
                .iter()
                .position(|x| x.to_lowercase().contains("recommend"))
            {
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
            set(plan, schema::TICKET_ID, &["Id"]);
            set(plan, schema::CREATED_AT, &["Created at"]);
            set(plan, schema::SOLVED_AT, &["Solved at"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["Requester id", "Requester email"],
            );
            set(plan, schema::CATEGORY, &["Ticket type", "Group"]);
            set(plan, schema::SATISFACTION, &["Satisfaction Score"]);
            plan.tags = h("Tags");
            plan.first_response =
                h("First reply time in minutes").map(Timing::MinutesAfterCreation);
            segs(&["Priority", "Via", "Group", "Brand", "Ticket type"])
        }
        Preset::Freshdesk => {
            set(plan, schema::TICKET_ID, &["Ticket ID"]);
            set(plan, schema::CREATED_AT, &["Created time"]);
            set(plan, schema::SOLVED_AT, &["Resolved time", "Closed time"]);
            set(
                plan,
                schema::CUSTOMER_ID,
                &["Contact ID", "Requester email", "Email"],
            );
            set(plan, schema::CATEGORY, &["Type"]);
            plan.first_response = h("First response time (in hrs)").map(Timing::HoursAfterCreation);
            segs(&["Source", "Priority", "Group"])
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

fn missing(file: &str, kind: SourceKind, column: &str, headers: &[String]) -> LoadError {
    let tried: Vec<&str> = synonyms(kind, column).iter().take(8).copied().collect();
    let closest = closest_header(column, synonyms(kind, column), headers);
    LoadError::MissingColumn(Box::new(super::error::MissingColumn {
        file: file.to_string(),
        kind: kind.name().to_string(),
        column: column.to_string(),
        tried: format!("{} ...", tried.join(", ")),
        found: list(headers),
        hint: match closest {
            Some(h) => format!(
                "; closest: \"{h}\" (map it with `[{}.columns] {column} = \"{h}\"` in the config file)",
                kind.name()
            ),
            None => format!(
                "; map it with `[{}.columns] {column} = \"HEADER\"` in the config file",
                kind.name()
            ),
        },
    }))
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

    #[test]
    fn header_detection_prefers_ids_to_emails() {
        let h = hs(&["Email", "Client ID", "Order Date", "Total ($)"]);
        let p = plan(
            "f.csv",
            SourceKind::Orders,
            &h,
            &[],
            &SourceOptions::default(),
        )
        .unwrap();
        assert_eq!(p.col(schema::CUSTOMER_ID), Some(1));
        assert_eq!(p.col(schema::ORDER_DATE), Some(2));
        assert_eq!(p.col(schema::AMOUNT), Some(3));
        assert_eq!(p.mapping, "header names");
        assert_eq!(p.segments, vec![("Email".to_string(), 0)]);
    }

    #[test]
    fn missing_column_names_headers_and_closest() {
        let h = hs(&["customer", "date", "totl"]);
        let err = plan(
            "f.csv",
            SourceKind::Orders,
            &h,
            &[],
            &SourceOptions::default(),
        )
        .unwrap_err();
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
