//! Every preset fixture loaded and checked to the exact canonical rows, and
//! every bad input with its exact message and counts.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::{Path, PathBuf};

use holdfast::data::parse::{DateOrder, DecimalStyle};
use holdfast::data::schema::Survey;
use holdfast::data::source::Encoding;
use holdfast::data::{
    FeedbackRow, LoadError, LoadReport, Loaded, OrderRow, Scales, SourceKind, SourceOptions,
    SourceSpec, TicketRow, load_source,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load_with(kind: SourceKind, name: &str, options: SourceOptions) -> Result<Loaded, LoadError> {
    let spec = SourceSpec {
        kind,
        name: name.to_string(),
        origin: holdfast::data::Origin::Path(fixture(name)),
        options,
    };
    load_source(&spec, Scales::default())
}

fn load(kind: SourceKind, name: &str) -> Loaded {
    match load_with(kind, name, SourceOptions::default()) {
        Ok(l) => l,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn err(kind: SourceKind, name: &str, options: SourceOptions) -> String {
    match load_with(kind, name, options) {
        Ok(_) => panic!("{name} loaded"),
        Err(e) => e.to_string(),
    }
}

fn segs(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(String::from)))
        .collect()
}

fn order(
    customer: &str,
    date: &str,
    amount: f64,
    id: Option<&str>,
    line: u64,
    s: &[(&str, Option<&str>)],
) -> OrderRow {
    OrderRow {
        customer_id: customer.into(),
        order_date: date.into(),
        amount,
        order_id: id.map(String::from),
        line,
        segments: segs(s),
    }
}

fn rejected(report: &LoadReport) -> Vec<(&str, u64)> {
    report
        .rejected
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect()
}

#[test]
fn shopify_multi_row_orders_refunds_and_skipped_statuses() {
    let l = load(SourceKind::Orders, "shopify_orders.csv");
    let s = |src, country, tags: Option<&'static str>, code: Option<&'static str>| {
        vec![
            ("Source", Some(src)),
            ("Billing Country", Some(country)),
            ("Tags", tags),
            ("Discount Code", code),
            ("Currency", Some("EUR")),
        ]
    };
    assert_eq!(
        l.order_rows(),
        vec![
            // Total 45.00 on the first row; the line-item row adds nothing.
            order(
                "alice@example.com",
                "2025-10-07",
                45.0,
                Some("#1001"),
                2,
                &s("web", "DE", Some("vip"), Some("WELCOME10"))
            ),
            order(
                "alice@example.com",
                "2025-10-07",
                0.0,
                Some("#1001"),
                3,
                &s("web", "DE", Some("vip"), Some("WELCOME10"))
            ),
            // Total 80.00 − Refunded Amount 30.00.
            order(
                "bob@example.com",
                "2025-10-08",
                50.0,
                Some("#1002"),
                4,
                &s("pos", "FR", None, None)
            ),
            // Fully refunded: 25 − 25; the date is the one in its own offset (-0500).
            order(
                "dave@example.com",
                "2025-10-10",
                0.0,
                Some("#1005"),
                8,
                &s("web", "US", None, None)
            ),
            order(
                "erin@example.com",
                "2025-10-12",
                1250.0,
                Some("#1007"),
                10,
                &s("web", "SE", Some("wholesale"), None)
            ),
        ]
    );
    assert_eq!(l.report.preset, "Shopify orders");
    assert_eq!((l.report.rows, l.report.kept), (9, 5));
    assert_eq!(
        rejected(&l.report),
        vec![
            ("missing customer_id", 1),
            ("not a purchase (status pending)", 1),
            ("not a purchase (status voided)", 2),
        ]
    );
    assert_eq!(l.report.examples, vec![5, 6, 7, 9]);
}

#[test]
fn stripe_legacy_keeps_paid_charges_net_of_refunds() {
    let l = load(SourceKind::Orders, "stripe_legacy.csv");
    let s = |brand, country: Option<&'static str>| {
        vec![
            ("Currency", Some("usd")),
            ("Card Brand", Some(brand)),
            ("Card Address Country", country),
        ]
    };
    assert_eq!(
        l.order_rows(),
        vec![
            order(
                "cus_A1",
                "2024-03-01",
                29.0,
                Some("ch_3Oa1"),
                2,
                &s("Visa", Some("US"))
            ),
            // 1,200.00 − 200.00 refunded.
            order(
                "cus_B2",
                "2024-03-03",
                1000.0,
                Some("ch_3Oa3"),
                4,
                &s("MasterCard", Some("GB"))
            ),
            // No Customer ID: the email stands in.
            order(
                "cleo@example.com",
                "2024-03-04",
                50.0,
                Some("ch_3Oa4"),
                5,
                &s("Visa", None)
            ),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        vec![("not a purchase (status failed)", 1)]
    );
    assert_eq!(l.report.examples, vec![3]);
}

#[test]
fn stripe_unified_keeps_succeeded_payments() {
    let l = load(SourceKind::Orders, "stripe_unified.csv");
    let rows = l.order_rows();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0].customer_id.as_str(),
            rows[0].amount,
            rows[0].order_id.as_deref()
        ),
        ("cus_X", 19.99, Some("pi_1"))
    );
    assert_eq!(
        (rows[1].customer_id.as_str(), rows[1].order_date.as_str()),
        ("z@example.com", "2024-05-03")
    );
    assert_eq!(
        rejected(&l.report),
        vec![("not a purchase (status requires_payment_method)", 1)]
    );
}

#[test]
fn woocommerce_guests_and_month_first_dates() {
    let l = load(SourceKind::Orders, "woocommerce.csv");
    let s = |c| {
        vec![
            ("billing_country", Some(c)),
            (
                "payment_method",
                Some(if c == "CA" { "paypal" } else { "stripe" }),
            ),
        ]
    };
    assert_eq!(
        l.order_rows(),
        vec![
            order("12", "2024-03-01", 45.5, Some("101"), 2, &s("US")),
            // customer_id 0 is a guest: the email stands in.
            order(
                "guest@example.com",
                "2024-03-13",
                30.0,
                Some("102"),
                3,
                &s("CA")
            ),
            order("12", "2024-04-02", 12.0, Some("104"), 5, &s("US")),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        vec![
            ("not a purchase (status cancelled)", 1),
            ("not a purchase (status wc-failed)", 1)
        ]
    );
}

#[test]
fn generic_orders_by_header_names() {
    let l = load(SourceKind::Orders, "generic_orders.csv");
    assert_eq!(
        l.order_rows(),
        vec![
            order(
                "c1",
                "2024-03-01",
                10.0,
                Some("A1"),
                2,
                &[("plan", Some("basic"))]
            ),
            order(
                "c1",
                "2024-03-01",
                5.5,
                Some("A1"),
                3,
                &[("plan", Some("basic"))]
            ),
            order("c2", "2024-03-02", 7.25, None, 4, &[("plan", Some("pro"))]),
            // Unix seconds 1709424000 = 2024-03-03T00:00:00Z; a refund row.
            order("c2", "2024-03-03", -2.0, None, 5, &[("plan", Some("pro"))]),
            order("c3", "2024-03-05", 100.0, Some("A2"), 6, &[("plan", None)]),
        ]
    );
    assert_eq!(l.report.preset, "header names");
    assert_eq!(
        l.report
            .date_range
            .as_ref()
            .map(|r| (r.first.as_str(), r.last.as_str())),
        Some(("2024-03-01", "2024-03-05"))
    );
}

#[test]
fn european_orders_semicolons_comma_decimals_day_first() {
    let l = load(SourceKind::Orders, "eu_orders.csv");
    assert_eq!(
        l.order_rows(),
        vec![
            order(
                "c1",
                "2024-01-31",
                1234.5,
                Some("A1"),
                2,
                &[("country", Some("DE"))]
            ),
            order(
                "c1",
                "2024-02-01",
                12.0,
                Some("A2"),
                3,
                &[("country", Some("DE"))]
            ),
            order(
                "c2",
                "2024-02-15",
                -5.0,
                Some("A3"),
                4,
                &[("country", Some("FR"))]
            ),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        vec![
            ("missing amount", 1),
            ("missing customer_id", 1),
            ("unparseable amount", 1),
            ("unparseable order_date", 1),
            ("wrong number of fields", 1),
        ]
    );
    assert_eq!(l.report.examples, vec![5, 6, 7, 8, 9]);
    assert_eq!(
        l.report.examples_by_reason["unparseable order_date"],
        vec![7]
    );
}

fn fb(
    date: &str,
    score: f64,
    survey: &str,
    customer: Option<&str>,
    comment: Option<&str>,
    line: u64,
    s: &[(&str, Option<&str>)],
) -> FeedbackRow {
    FeedbackRow {
        responded_at: date.into(),
        score,
        survey: survey.into(),
        customer_id: customer.map(String::from),
        comment: comment.map(String::from),
        line,
        segments: segs(s),
    }
}

#[test]
fn surveymonkey_second_header_row_and_recommend_column() {
    let l = load(SourceKind::Feedback, "surveymonkey.csv");
    let s = [("Custom Data 1", None)];
    assert_eq!(
        l.feedback_rows(),
        vec![
            fb(
                "2024-03-01",
                10.0,
                "nps",
                Some("ann@example.com"),
                Some("Great service, fast delivery"),
                3,
                &s
            ),
            fb(
                "2024-03-02",
                3.0,
                "nps",
                Some("ben@example.com"),
                Some("Slow support"),
                4,
                &s
            ),
            fb("2024-03-15", 8.0, "nps", None, None, 5, &s),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        vec![("missing score", 1), ("score out of range", 1)]
    );
    assert_eq!(l.report.examples, vec![6, 7]);
}

#[test]
fn qualtrics_three_header_rows_and_nps_group_companion() {
    let l = load(SourceKind::Feedback, "qualtrics.csv");
    let s = |c| {
        [
            ("DistributionChannel", Some(c)),
            ("UserLanguage", Some("EN")),
        ]
    };
    assert_eq!(
        l.feedback_rows(),
        vec![
            fb(
                "2024-03-01",
                9.0,
                "nps",
                Some("ann@example.com"),
                Some("Love it"),
                4,
                &s("email")
            ),
            // No recipient email: the external reference; a comment over two lines.
            fb(
                "2024-03-02",
                6.0,
                "nps",
                Some("C-77"),
                Some("Too slow,\nand pricey"),
                5,
                &s("anonymous")
            ),
        ]
    );
    assert_eq!(rejected(&l.report), vec![("missing score", 1)]);
    assert_eq!(l.report.examples, vec![7]);
}

#[test]
fn typeform_partial_responses_without_score_are_counted() {
    let l = load(SourceKind::Feedback, "typeform.csv");
    assert_eq!(
        l.feedback_rows(),
        vec![
            fb(
                "2024-04-01",
                9.0,
                "nps",
                Some("ann@example.com"),
                Some("Nothing"),
                2,
                &[]
            ),
            fb(
                "2024-04-03",
                0.0,
                "nps",
                Some("ben@example.com"),
                Some("Everything"),
                4,
                &[]
            ),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        vec![("partial response (not submitted)", 1)]
    );
}

#[test]
fn delighted_json_with_person_and_properties() {
    let l = load(SourceKind::Feedback, "delighted.json");
    assert_eq!(
        l.feedback_rows(),
        vec![
            fb(
                "2024-03-01",
                9.0,
                "nps",
                Some("ann@example.com"),
                Some("Great"),
                1,
                &[("plan", Some("pro")), ("region", Some("europe"))]
            ),
            fb(
                "2024-03-02",
                2.0,
                "csat",
                Some("9002"),
                None,
                2,
                &[("plan", Some("basic")), ("region", None)]
            ),
            fb(
                "2024-03-03",
                6.0,
                "ces",
                Some("cleo@example.com"),
                Some("Easy enough"),
                3,
                &[("plan", None), ("region", None)]
            ),
        ]
    );
    assert_eq!(l.report.format, "json");
    assert_eq!(rejected(&l.report), vec![("unknown survey", 1)]);
}

type Times<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>);
type Who<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, u64);

/// A ticket row: (id, created, first response, solved), (customer, category, satisfaction, line).
fn ticket((id, created, first, solved): Times, (customer, category, sat, line): Who) -> TicketRow {
    let o = |v: Option<&str>| v.map(String::from);
    TicketRow {
        ticket_id: id.into(),
        created_at: created.into(),
        first_response_at: o(first),
        solved_at: o(solved),
        customer_id: o(customer),
        category: o(category),
        satisfaction: o(sat),
        line,
        segments: Vec::new(),
    }
}

fn without_segments(rows: Vec<TicketRow>) -> Vec<TicketRow> {
    rows.into_iter()
        .map(|t| TicketRow {
            segments: Vec::new(),
            ..t
        })
        .collect()
}

#[test]
fn zendesk_minutes_after_creation_satisfaction_and_duplicates() {
    let l = load(SourceKind::Tickets, "zendesk.csv");
    assert_eq!(
        without_segments(l.ticket_rows()),
        vec![
            // Ticket type empty: the group is the category; Offered means no rating.
            ticket(
                (
                    "102",
                    "2024-03-03 10:00:00",
                    Some("2024-03-03 10:30:00"),
                    None
                ),
                (Some("ben@example.com"), Some("Billing"), None, 3)
            ),
            // No requester id: the email; no first reply; Unoffered.
            ticket(
                (
                    "104",
                    "2024-03-05 08:00:00",
                    None,
                    Some("2024-03-05 20:00:00")
                ),
                (Some("dan@example.com"), Some("incident"), None, 5)
            ),
            // The last row of ticket 101 wins: 60 minutes to first reply, "Bad, with comment".
            ticket(
                (
                    "101",
                    "2024-03-01 09:00:00",
                    Some("2024-03-01 10:00:00"),
                    Some("2024-03-02 12:00:00")
                ),
                (Some("ann@example.com"), Some("problem"), Some("bad"), 6)
            ),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        vec![("duplicate ticket_id", 1), ("solved before creation", 1)]
    );
    assert_eq!(l.report.examples, vec![2, 4]);
}

#[test]
fn freshdesk_hours_after_creation() {
    let l = load(SourceKind::Tickets, "freshdesk.csv");
    assert_eq!(
        without_segments(l.ticket_rows()),
        vec![
            ticket(
                (
                    "5001",
                    "2024-06-01 08:00:00",
                    Some("2024-06-01 09:30:00"),
                    Some("2024-06-01 20:00:00")
                ),
                (Some("77001"), Some("Account"), None, 2)
            ),
            // 00:45:00 as hours:minutes:seconds; not resolved, not closed.
            ticket(
                (
                    "5002",
                    "2024-06-02 09:00:00",
                    Some("2024-06-02 09:45:00"),
                    None
                ),
                (Some("77002"), Some("Billing"), None, 3)
            ),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        vec![("unparseable first_response_at", 1)]
    );
    assert_eq!(l.report.segments, vec!["Source", "Priority", "Group"]);
}

#[test]
fn feedback_row_rejections() {
    let l = load(SourceKind::Feedback, "bad/feedback_rows.csv");
    assert_eq!(
        l.feedback_rows(),
        vec![
            fb("2024-01-01", 9.0, "nps", Some("c1"), Some("good"), 2, &[]),
            fb("2024-01-05", 7.0, "ces", Some("c5"), None, 6, &[]),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        vec![
            ("missing responded_at", 1),
            ("missing survey", 1),
            ("score out of range", 2),
            ("unknown survey", 1),
            ("unparseable score", 1),
        ]
    );
    assert_eq!(
        l.report.examples_by_reason["score out of range"],
        vec![5, 7]
    );
    assert_eq!((l.report.rows, l.report.kept), (8, 2));
}

#[test]
fn ticket_row_rejections() {
    let l = load(SourceKind::Tickets, "bad/tickets_rows.csv");
    assert_eq!(
        without_segments(l.ticket_rows()),
        vec![ticket(
            (
                "t5",
                "2024-01-02 10:00:00",
                Some("2024-01-02 11:00:00"),
                Some("2024-01-04 10:00:00")
            ),
            (Some("c5"), Some("shipping"), None, 7)
        )]
    );
    assert_eq!(
        rejected(&l.report),
        vec![
            ("duplicate ticket_id", 1),
            ("first response before creation", 1),
            ("missing ticket_id", 1),
            ("solved before creation", 1),
            ("unparseable created_at", 1),
        ]
    );
    assert_eq!(l.report.examples, vec![2, 3, 4, 5, 6]);
}

#[test]
fn whole_file_errors_have_clear_messages() {
    let d = SourceOptions::default;
    assert_eq!(
        err(SourceKind::Orders, "bad/empty.csv", d()),
        "bad/empty.csv: the file is empty (not even a header line)"
    );
    assert_eq!(
        err(SourceKind::Orders, "bad/missing_column.csv", d()),
        "bad/missing_column.csv: missing required column `amount` for orders (looked for amount, total, ordertotal, totalamount, revenue, grandtotal ...); headers found: \"customer\", \"date\", \"totl\"; closest: \"totl\"; map it under `[orders.columns]` in the config file: amount = \"totl\""
    );
    assert_eq!(
        err(SourceKind::Orders, "bad/latin1.csv", d()),
        "bad/latin1.csv: not UTF-8 text (first bad byte at offset 52, line 2); set `encoding = \"latin1\"` for this source in the config file if it is Latin-1"
    );
    assert_eq!(
        err(SourceKind::Orders, "bad/mixed_decimals.csv", d()),
        "bad/mixed_decimals.csv, column \"amount\": amounts mix decimal styles: line 3 writes 1,234.50 and line 2 writes 1.234,50"
    );
    assert_eq!(
        err(SourceKind::Orders, "bad/ambiguous_decimals.csv", d()),
        "bad/ambiguous_decimals.csv, column \"amount\": cannot tell the decimal style of amounts like \"1,234\" (line 2): 1,234 could be one thousand or one point two; set `decimal = \"dot\"` or `\"comma\"` for this source in the config file"
    );
    assert_eq!(
        err(SourceKind::Orders, "bad/ambiguous_dates.csv", d()),
        "bad/ambiguous_dates.csv, column \"date\": dates like \"01/02/2024\" (line 2) could be day/month or month/day and no value tells which; set `date_format = \"dmy\"` or `\"mdy\"` for this source in the config file"
    );
    assert_eq!(
        err(SourceKind::Orders, "bad/mixed_dates.csv", d()),
        "bad/mixed_dates.csv, column \"date\": dates mix day/month (line 2) and month/day (line 3) order; fix the file or set `date_format` for this source in the config file"
    );
    assert_eq!(
        err(
            SourceKind::Feedback,
            "bad/feedback_ambiguous_survey.csv",
            d()
        ),
        "bad/feedback_ambiguous_survey.csv: cannot tell which survey the scores belong to (scores 3..7 fit neither NPS 0..10 nor CSAT 1..5 alone); add a survey column or set `survey = \"nps\"`, `\"csat\"` or `\"ces\"` for this source in the config file"
    );
    assert_eq!(
        err(SourceKind::Orders, "bad/not_objects.json", d()),
        "bad/not_objects.json, line 1: expected a JSON object for each record"
    );
    assert!(
        err(SourceKind::Orders, "bad/object_not_array.json", d())
            .contains("expected a JSON array of records")
    );
    assert_eq!(
        err(SourceKind::Orders, "no/such/file.csv", d())
            .split(": ")
            .next(),
        Some("no/such/file.csv")
    );
}

#[test]
fn config_options_resolve_what_the_data_cannot() {
    let o = SourceOptions {
        encoding: Encoding::Latin1,
        ..Default::default()
    };
    let l = load_with(SourceKind::Orders, "bad/latin1.csv", o).unwrap();
    assert_eq!(
        l.order_rows()[0].segments,
        segs(&[("city", Some("Zürich"))])
    );

    let o = SourceOptions {
        decimal: DecimalStyle::Comma,
        ..Default::default()
    };
    let rows = load_with(SourceKind::Orders, "bad/ambiguous_decimals.csv", o)
        .unwrap()
        .order_rows();
    assert_eq!(
        rows.iter().map(|r| r.amount).collect::<Vec<_>>(),
        vec![1.234, 2.5]
    );

    let o = SourceOptions {
        date_format: DateOrder::Dmy,
        ..Default::default()
    };
    let rows = load_with(SourceKind::Orders, "bad/ambiguous_dates.csv", o)
        .unwrap()
        .order_rows();
    assert_eq!(
        rows.iter()
            .map(|r| r.order_date.as_str())
            .collect::<Vec<_>>(),
        vec!["2024-02-01", "2024-04-03"]
    );

    let o = SourceOptions {
        survey: Some(Survey::Ces),
        ..Default::default()
    };
    let rows = load_with(SourceKind::Feedback, "bad/feedback_ambiguous_survey.csv", o)
        .unwrap()
        .feedback_rows();
    assert_eq!(
        rows.iter().map(|r| r.survey.as_str()).collect::<Vec<_>>(),
        vec!["ces"; 3]
    );

    let mut o = SourceOptions::default();
    o.columns.insert("amount".into(), "totl".into());
    let rows = load_with(SourceKind::Orders, "bad/missing_column.csv", o.clone()).unwrap();
    assert_eq!(rows.report.preset, "header names + config");
    assert_eq!(rows.order_rows()[0].amount, 5.0);

    let o = SourceOptions {
        amount_units: holdfast::data::mapping::Units::Minor,
        ..Default::default()
    };
    let rows = load_with(SourceKind::Orders, "generic_orders.csv", o)
        .unwrap()
        .order_rows();
    assert_eq!(rows[0].amount, 0.1);
}

#[test]
fn header_only_file_is_a_valid_empty_source() {
    let l = load(SourceKind::Orders, "bad/header_only.csv");
    assert_eq!(
        (l.report.rows, l.report.kept, l.report.rejected_total()),
        (0, 0, 0)
    );
    assert!(l.order_rows().is_empty());
    assert_eq!(l.report.date_range, None);
}

#[test]
fn parquet_sources_load_through_the_same_mapping() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.parquet");
    let mut df = df!(
        "customer_id" => ["c1", "c2"],
        "order_date" => ["2024-03-01", "2024-03-02T10:00:00Z"],
        "amount" => [12.5f64, -3.0],
        "region" => [Some("eu"), None],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let spec = SourceSpec::path(SourceKind::Orders, &path, SourceOptions::default());
    let l = load_source(&spec, Scales::default()).unwrap();
    assert_eq!(l.report.format, "parquet");
    let rows = l.order_rows();
    assert_eq!(
        rows.iter()
            .map(|r| (r.customer_id.as_str(), r.order_date.as_str(), r.amount))
            .collect::<Vec<_>>(),
        vec![("c1", "2024-03-01", 12.5), ("c2", "2024-03-02", -3.0)]
    );
    assert_eq!(rows[1].segments, segs(&[("region", None)]));
}

#[test]
fn source_files_are_never_written() {
    let before: Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> = std::fs::read_dir(fixture(""))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.path(),
                std::fs::read(e.path()).unwrap(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect();
    for (path, _, _) in &before {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for kind in [
            SourceKind::Orders,
            SourceKind::Feedback,
            SourceKind::Tickets,
        ] {
            let _ = load_with(kind, &name, SourceOptions::default());
        }
    }
    for (path, bytes, mtime) in before {
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    }
}

/// The bundled sample's orders copied into a temporary folder: the folder,
/// a cache folder in it, and the copy's source.
fn sample_orders_copy() -> (tempfile::TempDir, std::path::PathBuf, SourceSpec) {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let src = dir.path().join("orders.csv");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/orders.csv");
    std::fs::copy(sample, &src).unwrap();
    let spec = SourceSpec::path(SourceKind::Orders, &src, SourceOptions::default());
    (dir, cache, spec)
}

#[test]
fn parse_cache_keeps_segments_as_codes_and_misses_when_their_values_do_not_fit() {
    use holdfast::data::load_source_cached;
    let (_dir, cache, spec) = sample_orders_copy();
    let first = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    let names: Vec<&str> = first
        .segment_values
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["plan", "region", "channel"]);
    assert!(first.frame.column("segcode:region").is_ok());
    assert!(first.frame.column("seg:region").is_err());
    // The rows read as text are the loader's, segments included.
    let text = holdfast::data::load_source(&spec, Scales::default()).unwrap();
    assert!(text.segment_values.is_empty() && text.frame.column("seg:region").is_ok());
    assert_eq!(first.order_rows(), text.order_rows());
    assert!(
        first.order_rows()[0]
            .segments
            .iter()
            .all(|(_, v)| v.is_some())
    );
    let second = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    assert_eq!(second.segment_values, first.segment_values);
    assert_eq!(second.order_rows(), text.order_rows());
    // Values cut short (a damaged entry that still parses), or gone: a miss,
    // never a wrong or missing segment value.
    let edit = |change: &dyn Fn(&mut serde_json::Value)| {
        for e in std::fs::read_dir(&cache).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "json") {
                let mut entry: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                change(&mut entry);
                std::fs::write(&path, serde_json::to_vec(&entry).unwrap()).unwrap();
            }
        }
    };
    edit(&|e| {
        let values = e["segments"][1][1].as_array_mut().expect("region values");
        assert!(values.len() > 1);
        values.truncate(1);
    });
    let cut = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    assert_eq!(cut.order_rows(), text.order_rows());
    edit(&|e| {
        e.as_object_mut().unwrap().remove("segments");
    });
    let gone = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    assert_eq!(gone.order_rows(), text.order_rows());
    assert_eq!(gone.segment_values, first.segment_values);
}

/// A load writes an orders file's parse cache after the orders, beside the
/// feedback and tickets, only when it will parse the file: `will_parse`.
#[test]
fn will_parse_tells_a_file_without_its_entry() {
    use holdfast::data::{cache::will_parse, load_source_cached};
    let (dir, cache, spec) = sample_orders_copy();
    let src = dir.path().join("orders.csv");
    assert!(will_parse(&cache, &spec, Scales::default()));
    load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    assert!(!will_parse(&cache, &spec, Scales::default()));
    // Another scale, or a changed file, is another entry.
    let other = Scales {
        csat: 10,
        ..Scales::default()
    };
    assert!(will_parse(&cache, &spec, other));
    let mut text = std::fs::read_to_string(&src).unwrap();
    let row = text.lines().nth(1).unwrap().to_string();
    text.push_str(&row);
    text.push('\n');
    std::fs::write(&src, text).unwrap();
    assert!(will_parse(&cache, &spec, Scales::default()));
    // Not a file: nothing is cached, nothing parsed for the cache.
    let memory = SourceSpec {
        origin: holdfast::data::Origin::Memory(std::sync::Arc::new(b"a,b\n".to_vec())),
        ..spec
    };
    assert!(!will_parse(&cache, &memory, Scales::default()));
}

#[test]
fn parse_cache_hits_misses_on_change_and_survives_corruption() {
    use holdfast::data::load_source_cached;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let src = dir.path().join("orders.csv");
    std::fs::copy(fixture("eu_orders.csv"), &src).unwrap();
    let spec = SourceSpec::path(SourceKind::Orders, &src, SourceOptions::default());
    let first = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    let entries = || std::fs::read_dir(&cache).map(|d| d.count()).unwrap_or(0);
    assert_eq!(entries(), 2, "a Parquet table and a JSON report");
    let second = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    assert_eq!(second.order_rows(), first.order_rows());
    // The customers come back as the loader coded them: no id hashed again.
    assert!(first.customers.is_some() && first.row_customers.is_some());
    assert_eq!(second.customers, first.customers);
    assert_eq!(second.row_customers, first.row_customers);
    assert_eq!(
        second.report, first.report,
        "the cached report is the same, rejections included"
    );
    // A corrupt entry is ignored and rebuilt.
    for e in std::fs::read_dir(&cache).unwrap() {
        std::fs::write(e.unwrap().path(), b"garbage").unwrap();
    }
    let third = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    assert_eq!(third.order_rows(), first.order_rows());
    // A list of ids shorter than the codes need (a damaged entry that still
    // parses) is a miss too, not a wrong customer.
    for e in std::fs::read_dir(&cache).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            let mut entry: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let ids = entry["customers"].as_array_mut().expect("coded customers");
            assert!(ids.len() > 1);
            ids.truncate(1);
            std::fs::write(&path, serde_json::to_vec(&entry).unwrap()).unwrap();
        }
    }
    let fourth = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    assert_eq!(fourth.order_rows(), first.order_rows());
    // A changed file is parsed again.
    std::fs::write(
        &src,
        "customer;date;total\nz9;01/02/2024;1,00\nz9;31/01/2024;2,00\n",
    )
    .unwrap();
    let changed = load_source_cached(&spec, Scales::default(), Some(&cache)).unwrap();
    assert_eq!(
        changed
            .order_rows()
            .iter()
            .map(|r| r.customer_id.as_str())
            .collect::<Vec<_>>(),
        vec!["z9", "z9"]
    );
    // Other options, other entry: month-first, 01/02 is January 2nd and 31/01 no date.
    let mdy = SourceOptions {
        date_format: DateOrder::Mdy,
        ..Default::default()
    };
    let spec2 = SourceSpec::path(SourceKind::Orders, &src, mdy);
    let month_first = load_source_cached(&spec2, Scales::default(), Some(&cache)).unwrap();
    assert_eq!(month_first.order_rows()[0].order_date, "2024-01-02");
    assert_eq!(
        rejected(&month_first.report),
        vec![("unparseable order_date", 1)]
    );
}

/// Loads the three files through the caches in `cache`, returning the
/// dataset and the steps the load went through; the index store (written
/// beside what follows the load) is finished.
fn load_cached(
    sources: &holdfast::data::Sources,
    cache: &Path,
) -> (std::sync::Arc<holdfast::data::Dataset>, Vec<String>) {
    let mut steps = Vec::new();
    let ds =
        holdfast::data::load_with_progress(sources, Scales::default(), Some(cache), &mut |s| {
            steps.push(s.to_string())
        })
        .unwrap();
    holdfast::data::finish_writes();
    (ds, steps)
}

fn comparable(ix: &holdfast::data::index::Index) -> holdfast::data::index::Index {
    ix.comparable()
}

#[test]
fn index_cache_reopens_the_same_index_and_survives_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    for f in ["orders.csv", "feedback.csv", "tickets.csv"] {
        std::fs::copy(sample.join(f), dir.path().join(f)).unwrap();
    }
    let spec =
        |kind, f: &str| SourceSpec::path(kind, &dir.path().join(f), SourceOptions::default());
    let sources = holdfast::data::Sources::new(
        spec(SourceKind::Orders, "orders.csv"),
        Some(spec(SourceKind::Feedback, "feedback.csv")),
        Some(spec(SourceKind::Tickets, "tickets.csv")),
    );
    let snapshots = || {
        std::fs::read_dir(&cache)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".bin"))
            .collect::<Vec<_>>()
    };
    let (fresh, steps) = load_cached(&sources, &cache);
    assert!(steps.contains(&"indexing".to_string()), "{steps:?}");
    assert_eq!(snapshots().len(), 1);
    // Each file's parse cache too (the orders' written while the feedback
    // and tickets load).
    let parsed = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .filter(|e| e.path().to_string_lossy().ends_with(".parquet"))
        .count();
    assert_eq!(parsed, 3, "a parse cache per file");
    let snapshot = snapshots().remove(0);

    // Reopened: no file is parsed, nothing is indexed, the index is identical.
    let (again, steps) = load_cached(&sources, &cache);
    assert_eq!(steps, ["reading the index cache", "indexed"]);
    assert_eq!(comparable(again.index()), comparable(fresh.index()));
    assert_eq!(again.reports, fresh.reports);
    assert_eq!(again.order_count(), fresh.order_count());
    assert!(again.index().has_feedback() && again.index().has_tickets());
    assert!(again.index().customer_index("C00625").is_some());
    assert_eq!(
        again.index().customer_index("C00625"),
        fresh.index().customer_index("C00625")
    );

    // Damaged entries are ignored (the files are read again) and rewritten.
    // One byte flipped anywhere (the header, each part read on its own
    // thread, the table of parts at the end), or the file cut short.
    let bytes = std::fs::read(&snapshot).unwrap();
    let flipped_at = |at: usize| {
        let mut b = bytes.clone();
        b[at] ^= 0x40;
        b
    };
    let mut damaged_entries: Vec<Vec<u8>> = (0..40)
        .map(|k| flipped_at(k * (bytes.len() - 1) / 39))
        .collect();
    damaged_entries.extend([
        flipped_at(12),
        flipped_at(bytes.len() - 9),
        bytes[..bytes.len() / 3].to_vec(),
        bytes[..bytes.len() - 1].to_vec(),
        b"garbage".to_vec(),
        Vec::new(),
    ]);
    for damaged in damaged_entries {
        std::fs::write(&snapshot, &damaged).unwrap();
        let (ds, steps) = load_cached(&sources, &cache);
        assert!(steps.contains(&"indexing".to_string()), "{steps:?}");
        assert_eq!(comparable(ds.index()), comparable(fresh.index()));
        assert_eq!(std::fs::read(&snapshot).unwrap(), bytes, "rewritten whole");
    }

    // A changed source misses, and the entry for the same paths is replaced.
    let tickets = dir.path().join("tickets.csv");
    let text = std::fs::read_to_string(&tickets).unwrap();
    let kept: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&tickets, kept.join("\n") + "\n").unwrap();
    let (changed, steps) = load_cached(&sources, &cache);
    assert!(steps.contains(&"indexing".to_string()), "{steps:?}");
    assert_eq!(changed.index().tickets().len(), 2);
    assert_eq!(snapshots().len(), 1, "one entry per set of files");
    let (reopened, steps) = load_cached(&sources, &cache);
    assert_eq!(steps, ["reading the index cache", "indexed"]);
    assert_eq!(reopened.index().tickets().len(), 2);
}

/// Refund amounts wait beside the rows that have one: rows with and without
/// a refund, and a rejected row between them, each get their own.
#[test]
fn refunds_stay_with_their_own_rows() {
    let header = "id,Description,Seller Message,Created (UTC),Amount,Amount Refunded,Currency,Converted Amount,Converted Amount Refunded,Fee,Tax,Converted Currency,Mode,Status,Statement Descriptor,Customer ID,Customer Description,Customer Email,Captured,Card ID,Card Last4,Card Brand,Card Funding,Card Address Country";
    let row = |id: &str, date: &str, amount: &str, refunded: &str, status: &str| {
        format!(
            "{id},x,x,{date},{amount},{refunded},usd,{amount},{refunded},0,0,usd,Live,{status},X,cus_{id},n,{id}@example.com,true,card,4242,Visa,credit,US"
        )
    };
    let text = [
        header.to_string(),
        row("a", "2024-03-01 10:00", "29.00", "", "Paid"),
        row("b", "2024-03-02 10:00", "100.00", "40.00", "Paid"),
        row("c", "2024-03-03 10:00", "oops", "1.00", "Paid"),
        row("d", "2024-03-04 10:00", "10.00", "", "Paid"),
        row("e", "2024-03-05 10:00", "50.00", "5.00", "Paid"),
        row("f", "2024-03-06 10:00", "70.00", "", "Paid"),
    ]
    .join("\n");
    let spec = SourceSpec::memory(SourceKind::Orders, "refunds.csv", text);
    let l = load_source(&spec, Scales::default()).unwrap();
    let got: Vec<(String, f64, u64)> = l
        .order_rows()
        .into_iter()
        .map(|r| (r.customer_id, r.amount, r.line))
        .collect();
    assert_eq!(
        got,
        vec![
            ("cus_a".to_string(), 29.0, 2),
            ("cus_b".to_string(), 60.0, 3),
            ("cus_d".to_string(), 10.0, 5),
            ("cus_e".to_string(), 45.0, 6),
            ("cus_f".to_string(), 70.0, 7),
        ]
    );
    assert_eq!(rejected(&l.report), vec![("unparseable amount", 1)]);
}

#[test]
fn tickets_and_answers_are_indexed_in_order_per_customer() {
    // Tickets out of creation order, two created at the same instant (file
    // order kept between them), categories coded in file order, a ticket
    // without a customer and one whose customer never ordered; NPS answers
    // by customer in file order.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let orders = write(
        "orders.csv",
        "order_id,customer_id,order_date,amount\nO1,A,2024-01-01,10\nO2,B,2024-01-02,20\nO3,A,2024-01-05,5\n",
    );
    let tickets = write(
        "tickets.csv",
        "ticket_id,customer_id,created_at,first_response_at,solved_at,category\n\
         T1,B,2024-01-03 10:00:00,,2024-01-04 09:00:00,billing\n\
         T2,A,2024-01-02 08:00:00,,,shipping\n\
         T3,,2024-01-03 10:00:00,,2024-01-03 12:00:00,billing\n\
         T4,A,2024-01-01 09:00:00,,2024-01-06 09:00:00,returns\n\
         T5,Z,2024-01-02 08:00:00,,,\n",
    );
    let feedback = write(
        "feedback.csv",
        "responded_at,customer_id,survey,score\n2024-01-04,B,nps,9\n2024-01-02,A,nps,3\n2024-01-03,A,csat,4\n2024-01-06,A,nps,10\n",
    );
    let spec = |kind, p: &Path| SourceSpec::path(kind, p, SourceOptions::default());
    let sources = holdfast::data::Sources::new(
        spec(SourceKind::Orders, &orders),
        Some(spec(SourceKind::Feedback, &feedback)),
        Some(spec(SourceKind::Tickets, &tickets)),
    );
    let ds = holdfast::data::load(&sources, Scales::default()).unwrap();
    let ix = ds.index();
    let ids: Vec<&str> = ix.tickets().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["T4", "T2", "T5", "T1", "T3"]);
    assert_eq!(ix.categories(), ["billing", "shipping", "returns"]);
    let cats: Vec<Option<u32>> = ix.tickets().iter().map(|t| t.category).collect();
    assert_eq!(cats, [Some(2), Some(1), None, Some(0), Some(0)]);
    // Solved ones by solving instant: T3 (3rd, 12:00), T1 (4th), T4 (6th).
    assert_eq!(ix.solved_order(), [4, 3, 0]);
    let (a, b) = (
        ix.customer_index("A").unwrap() as usize,
        ix.customer_index("B").unwrap() as usize,
    );
    assert_eq!(ix.tickets_of(a), [0, 1]);
    assert_eq!(ix.tickets_of(b), [3]);
    assert_eq!(
        ix.nps_of(a).iter().map(|x| x.1).collect::<Vec<_>>(),
        [3.0, 10.0]
    );
    assert_eq!(ix.nps_of(b).iter().map(|x| x.1).collect::<Vec<_>>(), [9.0]);
    let customers = ix.customer_count();
    assert_eq!(customers, 2);
    assert!(ix.nps_of(customers).is_empty() && ix.tickets_of(customers).is_empty());
}
