//! Exports in the layouts the tools really write (tests/fixtures/real/README.md
//! lists each fixture and the quirks it carries), loaded to exact canonical
//! rows and exact load reports; XLSX, gzip, folders, stdin, identity across
//! sources and currencies.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use holdfast::data::{
    self, LoadError, LoadReport, Loaded, Scales, SourceKind, SourceOptions, SourceSpec,
};

fn real(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name)
}

fn load_with(kind: SourceKind, path: &Path, options: SourceOptions) -> Result<Loaded, LoadError> {
    let spec = SourceSpec {
        kind,
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        origin: data::Origin::Path(path.to_path_buf()),
        options,
    };
    data::load_source(&spec, Scales::default())
}

fn load(kind: SourceKind, name: &str) -> Loaded {
    load_with(kind, &real(name), SourceOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn rejected(r: &LoadReport) -> Vec<(String, u64, Vec<u64>)> {
    r.rejected
        .iter()
        .map(|(k, v)| (k.clone(), *v, r.examples_by_reason[k].clone()))
        .collect()
}

fn rej(v: &[(&str, u64, &[u64])]) -> Vec<(String, u64, Vec<u64>)> {
    v.iter()
        .map(|(k, n, l)| (k.to_string(), *n, l.to_vec()))
        .collect()
}

/// (customer, day, amount, order id, line) of each order row.
fn orders(l: &Loaded) -> Vec<(String, String, f64, Option<String>, u64)> {
    l.order_rows()
        .into_iter()
        .map(|r| (r.customer_id, r.order_date, r.amount, r.order_id, r.line))
        .collect()
}

fn o(
    c: &str,
    d: &str,
    a: f64,
    id: Option<&str>,
    line: u64,
) -> (String, String, f64, Option<String>, u64) {
    (c.into(), d.into(), a, id.map(String::from), line)
}

/// (day, score, survey, customer, comment, line) of each response.
type Resp = (String, f64, String, Option<String>, Option<String>, u64);

fn responses(l: &Loaded) -> Vec<Resp> {
    l.feedback_rows()
        .into_iter()
        .map(|r| {
            (
                r.responded_at,
                r.score,
                r.survey,
                r.customer_id,
                r.comment,
                r.line,
            )
        })
        .collect()
}

fn r(d: &str, s: f64, c: Option<&str>, comment: Option<&str>, line: u64) -> Resp {
    (
        d.into(),
        s,
        "nps".into(),
        c.map(String::from),
        comment.map(String::from),
        line,
    )
}

/// (id, created, first response, solved, customer, category, satisfaction, line).
type Tick = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    u64,
);

fn tickets(l: &Loaded) -> Vec<Tick> {
    l.ticket_rows()
        .into_iter()
        .map(|t| {
            (
                t.ticket_id,
                t.created_at,
                t.first_response_at,
                t.solved_at,
                t.customer_id,
                t.category,
                t.satisfaction,
                t.line,
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn t(
    id: &str,
    created: &str,
    first: Option<&str>,
    solved: Option<&str>,
    customer: Option<&str>,
    category: Option<&str>,
    sat: Option<&str>,
    line: u64,
) -> Tick {
    let s = |v: Option<&str>| v.map(String::from);
    (
        id.into(),
        created.into(),
        s(first),
        s(solved),
        s(customer),
        s(category),
        s(sat),
        line,
    )
}

#[test]
fn shopify_2024_layout_line_items_phone_customers_refunds_crlf() {
    let l = load(SourceKind::Orders, "shopify_orders_2024.csv");
    assert_eq!(l.report.preset, "Shopify orders");
    assert_eq!(
        orders(&l),
        vec![
            // Total 450; the notes span lines 2–3 (CRLF file, LF inside quotes).
            o("alice@example.com", "2024-03-04", 450.0, Some("#1001"), 2),
            // Line items repeat Name, Created at and Email: part of #1001.
            o("alice@example.com", "2024-03-04", 0.0, Some("#1001"), 4),
            o("alice@example.com", "2024-03-04", 0.0, Some("#1001"), 5),
            // No e-mail: the phone ('+27… with Excel's apostrophe) is the customer.
            o("+27821234567", "2024-03-05", 199.99, Some("#1002"), 6),
            // partially_refunded: 300 − 50.
            o("bob@example.com", "2024-03-09", 250.0, Some("#1003"), 7),
            // refunded: 120 − 120, still a purchase.
            o("alice@example.com", "2024-03-28", 0.0, Some("#1005"), 10),
        ]
    );
    assert_eq!((l.report.rows, l.report.kept), (9, 6));
    assert_eq!(
        rejected(&l.report),
        rej(&[
            ("not a purchase (status pending)", 1, &[11]),
            ("not a purchase (status voided)", 2, &[8, 9]),
        ])
    );
    assert_eq!(
        l.report.segments,
        vec![
            "Source",
            "Billing Country",
            "Tags",
            "Discount Code",
            "Currency"
        ]
    );
    assert_eq!(
        l.report.columns.get("customer_id").map(String::as_str),
        Some("Email | Phone | Billing Phone | Shipping Phone")
    );
    assert_eq!(
        l.report.columns.get("amount").map(String::as_str),
        Some("Total − Refunded Amount")
    );
}

#[test]
fn a_cash_on_delivery_store_says_so_and_loads_with_purchase_statuses() {
    let err = load_with(
        SourceKind::Orders,
        &real("shopify_cod.csv"),
        SourceOptions::default(),
    )
    .err()
    .expect("refused");
    assert_eq!(
        err.to_string(),
        "shopify_cod.csv: no row is a purchase: every row's \"Financial Status\" is a status that is not counted (pending: 4); if these are sales (cash on delivery, for one), set `[orders] purchase_statuses = [\"paid\", \"pending\"]` in the config file"
    );
    let options = SourceOptions {
        purchase_statuses: Some(vec!["paid".into(), "Pending".into()]),
        ..SourceOptions::default()
    };
    let l = load_with(SourceKind::Orders, &real("shopify_cod.csv"), options).unwrap();
    assert_eq!(
        orders(&l),
        vec![
            o("ama@example.com", "2024-01-03", 1250.0, Some("#2001"), 2),
            o("ama@example.com", "2024-01-03", 0.0, Some("#2001"), 3),
            o("bina@example.com", "2024-01-04", 800.0, Some("#2002"), 4),
            o("ama@example.com", "2024-02-11", 450.0, Some("#2003"), 5),
        ]
    );
    assert_eq!(l.report.rejected_total(), 0);
}

#[test]
fn stripe_current_payments_export() {
    let l = load(SourceKind::Orders, "stripe_payments.csv");
    assert_eq!(l.report.preset, "Stripe payments");
    assert_eq!(
        orders(&l),
        vec![
            o("cus_A", "2024-05-01", 50.0, Some("ch_3P1a"), 2),
            // Refunded later: the purchase and its refund both count.
            o("cus_B", "2024-05-03", 0.0, Some("ch_3P1c"), 4),
            // No Customer ID: the e-mail; 15.50 − 5.50 refunded.
            o("cleo@example.com", "2024-05-04", 10.0, Some("py_3P1d"), 5),
            o("cus_E", "2024-05-06", 40.0, Some("ch_3P1f"), 7),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        rej(&[
            ("not a purchase (status failed)", 1, &[3]),
            ("not a purchase (status requires_payment_method)", 1, &[6]),
        ])
    );
    assert_eq!(l.report.segments, vec!["Currency"]);
}

#[test]
fn stripe_invoices_export() {
    let l = load(SourceKind::Orders, "stripe_invoices.csv");
    assert_eq!(l.report.preset, "Stripe invoices");
    assert_eq!(
        orders(&l),
        vec![
            o("cus_A", "2024-06-01", 29.0, Some("in_1A"), 2),
            o("cus_C", "2024-07-02", 99.0, Some("in_1D"), 5),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        rej(&[
            ("not a purchase (status draft)", 1, &[7]),
            ("not a purchase (status open)", 1, &[3]),
            ("not a purchase (status uncollectible)", 1, &[6]),
            ("not a purchase (status void)", 1, &[4]),
        ])
    );
}

#[test]
fn stripe_customers_export_is_told_apart() {
    let err = load_with(
        SourceKind::Orders,
        &real("stripe_customers.csv"),
        SourceOptions::default(),
    )
    .err()
    .unwrap();
    assert_eq!(
        err.to_string(),
        "stripe_customers.csv: this is a Stripe customers export (one row per customer, with totals), not payments; export Payments (or Invoices) from the Stripe dashboard and pass that file as orders"
    );
}

fn zendesk_expected() -> Vec<Tick> {
    vec![
        t(
            "5001",
            "2024-04-01 09:00:00",
            Some("2024-04-01 10:00:00"),
            Some("2024-04-01 17:00:00"),
            Some("10300000000001"),
            Some("Support"),
            Some("good"),
            2,
        ),
        // Solved at 1900-01-01: open, not "solved before creation"; "-" is no group.
        t(
            "5002",
            "2024-04-02 10:00:00",
            None,
            None,
            Some("10300000000002"),
            None,
            None,
            3,
        ),
        t(
            "5003",
            "2024-04-03 11:00:00",
            Some("2024-04-03 11:15:00"),
            None,
            Some("10300000000001"),
            Some("Billing"),
            None,
            4,
        ),
        t(
            "5004",
            "2024-04-04 08:00:00",
            Some("2024-04-04 10:00:00"),
            Some("2024-04-05 08:00:00"),
            Some("10300000000003"),
            Some("Support"),
            Some("bad"),
            5,
        ),
    ]
}

#[test]
fn zendesk_explore_placeholders_are_no_value() {
    let l = load(SourceKind::Tickets, "zendesk_explore.csv");
    assert_eq!(l.report.preset, "Zendesk tickets");
    assert_eq!(tickets(&l), zendesk_expected());
    assert_eq!(l.report.rejected_total(), 0);
    // Updated at, Reopens, Resolution time … are not segments.
    assert_eq!(l.report.segments, vec!["Priority", "Via", "Group"]);
}

/// The same Explore report as Excel writes it: numbers as numbers (a
/// 14-digit id), times as Excel dates, 1900-01-01 as serial 1.
#[test]
fn zendesk_explore_xlsx_reads_like_its_csv() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("explore.xlsx");
    let csv = std::fs::read_to_string(real("zendesk_explore.csv")).unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Tickets").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (r, line) in csv.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (r, c) = (r as u32, c as u16);
            if cell.is_empty() {
                continue;
            }
            if r > 0 && cell.len() == 19 && cell.as_bytes()[4] == b'-' {
                let d = ExcelDateTime::parse_from_str(cell).unwrap();
                sheet.write_datetime_with_format(r, c, &d, &date).unwrap();
            } else if let (true, Ok(n)) = (r > 0, cell.parse::<f64>()) {
                sheet.write_number(r, c, n).unwrap();
            } else {
                sheet.write_string(r, c, cell).unwrap();
            }
        }
    }
    book.save(&path).unwrap();
    let l = load_with(SourceKind::Tickets, &path, SourceOptions::default()).unwrap();
    assert_eq!(l.report.format, "xlsx");
    assert_eq!(tickets(&l), zendesk_expected());
    // A report title and a blank row above the table: the lines are the sheet's rows.
    let titled = dir.path().join("titled.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 0, "Tickets created last 30 days")
        .unwrap();
    for (r, line) in csv.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            sheet.write_string(r as u32 + 2, c as u16, cell).unwrap();
        }
    }
    book.save(&titled).unwrap();
    let l = load_with(SourceKind::Tickets, &titled, SourceOptions::default()).unwrap();
    let shifted: Vec<Tick> = zendesk_expected()
        .into_iter()
        .map(|mut t| {
            t.7 += 2;
            t
        })
        .collect();
    assert_eq!(tickets(&l), shifted);
    // A sheet that is not there is named with the sheets there are.
    let options = SourceOptions {
        sheet: Some("Data".into()),
        ..SourceOptions::default()
    };
    let err = load_with(SourceKind::Tickets, &path, options)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "explore.xlsx: cannot read the spreadsheet: no sheet named \"Data\"; sheets: \"Tickets\""
    );
    // The kind is told from the sheet's headers.
    let kind = data::detect_kind(
        "explore.xlsx",
        &data::Origin::Path(path),
        &SourceOptions::default(),
    );
    assert_eq!(kind, Ok(SourceKind::Tickets));
}

#[test]
fn freshdesk_export_with_chosen_fields() {
    let l = load(SourceKind::Tickets, "freshdesk_chosen_fields.csv");
    assert_eq!(l.report.preset, "Freshdesk tickets");
    assert_eq!(
        tickets(&l),
        vec![
            // The description spans lines 2–4.
            t(
                "1",
                "2024-02-01 09:00:00",
                None,
                Some("2024-02-01 12:00:00"),
                Some("ann@example.com"),
                Some("Question"),
                None,
                2
            ),
            // No e-mail: the contact id.
            t(
                "2",
                "2024-02-02 10:30:00",
                None,
                None,
                Some("43000000002"),
                Some("Refund"),
                None,
                5
            ),
            t(
                "3",
                "2024-02-03 14:00:00",
                None,
                Some("2024-02-04 09:30:00"),
                Some("cleo@example.com"),
                Some("Problem"),
                None,
                6
            ),
        ]
    );
    // Subject, Description, Email, Mobile phone … are not segments.
    assert_eq!(l.report.segments, vec!["Priority"]);
}

#[test]
fn qualtrics_german_survey_previews_and_unfinished_responses() {
    let l = load(SourceKind::Feedback, "qualtrics_de.csv");
    assert_eq!(l.report.preset, "Qualtrics responses");
    assert_eq!(
        responses(&l),
        vec![
            r(
                "2024-05-01",
                9.0,
                Some("anna@example.com"),
                Some("Sehr schnelle Lieferung"),
                5
            ),
            r(
                "2024-05-03",
                3.0,
                Some("dora@example.com"),
                Some("Zu teuer"),
                8
            ),
            r("2024-05-04", 7.0, None, None, 9),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        rej(&[
            ("survey preview or test", 1, &[6]),
            ("unfinished response", 1, &[7]),
        ])
    );
    assert_eq!(
        l.report.segments,
        vec!["DistributionChannel", "UserLanguage"]
    );
}

#[test]
fn qualtrics_legacy_export() {
    let l = load(SourceKind::Feedback, "qualtrics_legacy.csv");
    assert_eq!(l.report.preset, "Qualtrics responses (legacy export)");
    assert_eq!(
        responses(&l),
        vec![
            r(
                "2016-03-01",
                10.0,
                Some("jane@example.com"),
                Some("Great support"),
                3
            ),
            r("2016-03-03", 6.0, Some("rick@example.com"), Some("Slow"), 6),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        rej(&[
            ("survey preview or test", 1, &[4]),
            ("unfinished response", 1, &[5]),
        ])
    );
}

#[test]
fn surveymonkey_two_header_rows_and_short_us_dates() {
    let l = load(SourceKind::Feedback, "surveymonkey_nps.csv");
    assert_eq!(
        responses(&l),
        vec![
            r(
                "2022-08-22",
                9.0,
                Some("amy@example.com"),
                Some("Fast shipping"),
                3
            ),
            r("2022-08-23", 10.0, None, None, 4),
            r(
                "2022-08-24",
                0.0,
                Some("bo@example.com"),
                Some("Broken on arrival"),
                5
            ),
        ]
    );
}

#[test]
fn typeform_partial_responses_are_counted_not_lost() {
    let l = load(SourceKind::Feedback, "typeform_nps.csv");
    assert_eq!(
        responses(&l),
        vec![
            r("2024-07-01", 8.0, None, Some("Cheaper shipping"), 2),
            r("2024-07-03", 10.0, None, None, 4),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        rej(&[("partial response (not submitted)", 1, &[3])])
    );
}

#[test]
fn uci_online_retail_quantity_times_price_and_cancellations() {
    let l = load(SourceKind::Orders, "uci_online_retail.csv");
    assert_eq!(
        orders(&l),
        vec![
            o("17850", "2010-12-01", 15.3, Some("536365"), 2),
            o("17850", "2010-12-01", 20.34, Some("536365"), 3),
            o("17850", "2010-12-01", 11.1, Some("536366"), 4),
            // A C-invoice is a cancellation: a refund.
            o("14527", "2010-12-01", -27.5, Some("C536379"), 5),
            o("15311", "2010-12-13", 97.75, Some("536381"), 7),
        ]
    );
    // CustomerID NA is no value: the row cannot be attributed.
    assert_eq!(
        rejected(&l.report),
        rej(&[("missing customer_id", 1, &[6])])
    );
    assert_eq!(
        l.report.columns.get("amount").map(String::as_str),
        Some("Quantity × UnitPrice")
    );
    // StockCode and Description are not segments; the R row-number column is ignored.
    assert_eq!(l.report.segments, vec!["Country"]);
}

#[test]
fn cdnow_whitespace_separated_without_header() {
    let l = load(SourceKind::Orders, "cdnow_sample.txt");
    assert_eq!(
        orders(&l),
        vec![
            o("00001", "1997-01-01", 11.77, None, 1),
            o("00001", "1997-01-18", 20.76, None, 2),
            o("00002", "1997-01-12", 25.76, None, 3),
            o("00002", "1997-01-12", 13.97, None, 4),
            o("00003", "1997-01-02", 16.99, None, 5),
        ]
    );
    assert_eq!(
        l.report.preset,
        "no header line: columns told by their values (header names)"
    );
}

#[test]
fn crlf_and_cr_files_report_physical_lines() {
    let dir = tempfile::tempdir().unwrap();
    for (name, eol) in [("crlf.csv", "\r\n"), ("cr.csv", "\r"), ("lf.csv", "\n")] {
        let text = [
            "customer_id,order_date,amount,note",
            "c1,2024-01-05,10,\"two",
            "lines\"",
            "c2,not a date,20,x",
            "",
            "c3,2024-01-07,oops,y",
            "c4,2024-01-08,5,z",
        ]
        .join(eol)
            + eol;
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let l = load_with(SourceKind::Orders, &p, SourceOptions::default()).unwrap();
        assert_eq!(
            rejected(&l.report),
            rej(&[
                ("unparseable amount", 1, &[6]),
                ("unparseable order_date", 1, &[4]),
            ]),
            "{name}"
        );
        let lines: Vec<u64> = l.order_rows().iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 7], "{name}");
    }
}

#[test]
fn gzip_files_read_like_the_file_inside() {
    use flate2::write::GzEncoder;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("stripe_payments.csv.gz");
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&std::fs::read(real("stripe_payments.csv")).unwrap())
        .unwrap();
    std::fs::write(&p, enc.finish().unwrap()).unwrap();
    let gz = load_with(SourceKind::Orders, &p, SourceOptions::default()).unwrap();
    let plain = load(SourceKind::Orders, "stripe_payments.csv");
    assert_eq!(gz.order_rows(), plain.order_rows());
    assert_eq!(gz.report.rejected, plain.report.rejected);
}

#[test]
fn binary_files_of_other_kinds_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, what) in [
        (
            "report.pdf",
            &b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj"[..],
            "a PDF document",
        ),
        (
            "export.zip",
            &b"PK\x03\x04\x14\x00\x00\x00\x08\x00"[..],
            "a ZIP archive",
        ),
        (
            "orders.csv",
            &b"\x00\x01\x02binary\x00"[..],
            "a binary file",
        ),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let err = load_with(SourceKind::Orders, &p, SourceOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            format!(
                "{name}: this looks like {what}, not a CSV, JSON or spreadsheet export; export the data as CSV or XLSX"
            )
        );
    }
}

fn spec(kind: SourceKind, path: PathBuf) -> SourceSpec {
    SourceSpec::path(kind, &path, SourceOptions::default())
}

#[test]
fn a_folder_of_monthly_exports_counts_an_overlapping_order_once() {
    let files = holdfast::sources::expand(&real("monthly")).unwrap();
    assert_eq!(files.len(), 3);
    let sources = data::Sources {
        orders: files
            .into_iter()
            .map(|p| spec(SourceKind::Orders, p))
            .collect(),
        ..Default::default()
    };
    let ds = data::load(&sources, Scales::default()).unwrap();
    // 3 + 2 + 2 rows, O-105 twice: 6 orders.
    assert_eq!(ds.order_count(), 6);
    let jan = &ds.reports[0];
    assert!(jan.file.ends_with("orders-2024-01.csv"), "{}", jan.file);
    assert_eq!((jan.rows, jan.kept), (3, 2));
    assert_eq!(
        rejected(jan),
        rej(&[("duplicate order (also in a later file)", 1, &[4])])
    );
    assert_eq!(ds.reports[1].kept, 2);
    assert_eq!(ds.reports[2].kept, 2);
    // `check` on the folder says the same, file by file.
    let (out, err, code) = holdfast(&["check", "--orders", "tests/fixtures/real/monthly"], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("orders-2024-01.csv\n  kind:      orders (csv)\n  mapping:   header names\n  rows:      3 read, 2 kept, 1 rejected\n    duplicate order (also in a later file): 1 (line 4)\n"),
        "{out}"
    );
}

fn holdfast(args: &[&str], stdin: Option<&[u8]>) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("holdfast-test-no-cache"),
        )
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn revenue(json: &str) -> f64 {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["kpis"]["revenue"]
        .as_f64()
        .or_else(|| v["revenue"]["revenue"].as_f64())
        .or_else(|| v["revenue"].as_f64())
        .unwrap_or_else(|| panic!("no revenue in {json}"))
}

#[test]
fn report_on_a_folder_a_glob_repeated_flags_and_stdin() {
    let jan = |args: &[&str], stdin: Option<&[u8]>| {
        let mut a = vec![
            "--no-cache",
            "report",
            "--period",
            "2024-01",
            "--format",
            "json",
        ];
        a.extend_from_slice(args);
        let (out, err, code) = holdfast(&a, stdin);
        assert_eq!(code, 0, "{err}");
        revenue(&out)
    };
    // January: O-101 10 + O-102 20 + O-105 30, once.
    assert_eq!(
        jan(&["--orders", "tests/fixtures/real/monthly"], None),
        60.0
    );
    assert_eq!(
        jan(
            &["--orders", "tests/fixtures/real/monthly/orders-2024-0*.csv"],
            None
        ),
        60.0
    );
    assert_eq!(
        jan(
            &[
                "--orders",
                "tests/fixtures/real/monthly/orders-2024-01.csv",
                "--orders",
                "tests/fixtures/real/monthly/orders-2024-02.csv"
            ],
            None
        ),
        60.0
    );
    let bytes = std::fs::read(real("monthly/orders-2024-01.csv")).unwrap();
    assert_eq!(jan(&["--orders", "-"], Some(&bytes)), 60.0);
    let (_, err, code) = holdfast(
        &["--orders", "tests/fixtures/real/monthly/*.tsv", "report"],
        None,
    );
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "holdfast: tests/fixtures/real/monthly/*.tsv: no file matches this pattern"
    );
}

#[test]
fn check_says_how_many_tickets_match_an_order_customer() {
    let (out, err, code) = holdfast(
        &[
            "check",
            "--orders",
            "tests/fixtures/real/shopify_orders_2024.csv",
            "--tickets",
            "tests/fixtures/real/zendesk_explore.csv",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tickets = &v[1];
    assert_eq!(
        tickets["customer_match"],
        serde_json::json!({"rows": 4, "matched": 0})
    );
    assert_eq!(
        tickets["warnings"][0],
        "0 of 4 tickets with a customer match a customer of the orders: \"Requester id\" holds ids like \"10300000000001\", the orders ids like \"alice@example.com\"; map the column that holds the same ids as the orders, e.g. `[tickets.columns] customer_id = \"Requester email\"` in the config file"
    );
    assert_eq!(v[0]["columns"]["order_date"], "Created at");
}

#[test]
fn mixed_currencies_are_never_added_silently() {
    let (out, err, code) = holdfast(
        &[
            "check",
            "--orders",
            "tests/fixtures/real/stripe_payments.csv",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("  warning:   amounts are in 2 currencies (usd: 3 rows, gbp: 1 row); revenue, LTV and MRR add them up only within one currency: filter one with `--segment Currency=usd` (or `s` in the dashboard)\n"),
        "{out}"
    );
    // Filtered to one currency, the figures are in that currency.
    let (out, err, code) = holdfast(
        &[
            "--no-cache",
            "--orders",
            "tests/fixtures/real/stripe_payments.csv",
            "report",
            "--period",
            "2024-05",
            "--segment",
            "Currency=gbp",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(revenue(&out), 40.0);
    let table = |segment: Option<&str>| {
        let mut a = vec![
            "--no-cache",
            "--orders",
            "tests/fixtures/real/stripe_payments.csv",
            "report",
            "--period",
            "2024-05",
            "--format",
            "table",
        ];
        if let Some(s) = segment {
            a.extend(["--segment", s]);
        }
        let (out, err, code) = holdfast(&a, None);
        assert_eq!(code, 0, "{err}");
        out.lines().nth(1).unwrap_or_default().to_string()
    };
    assert_eq!(
        table(None),
        "⚠ amounts are in several currencies and are added up as they are; pick one with --segment Currency=CODE"
    );
    assert_eq!(table(Some("Currency=usd")), "amounts in usd");
}

#[test]
fn messages_stay_short_and_name_every_missing_column() {
    let dir = tempfile::tempdir().unwrap();
    // A survey export with 300 question columns and no score.
    let headers: Vec<String> = (1..=300)
        .map(|i| format!("Question {i} about the product"))
        .collect();
    let p = dir.path().join("survey.csv");
    std::fs::write(
        &p,
        format!(
            "Date,{}\n2024-01-01,{}\n",
            headers.join(","),
            vec!["x"; 300].join(",")
        ),
    )
    .unwrap();
    let err = load_with(SourceKind::Feedback, &p, SourceOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.len() < 700, "{} characters: {err}", err.len());
    assert!(err.contains("and 291 more"), "{err}");
    assert!(
        err.starts_with("survey.csv: missing required column `score` for feedback"),
        "{err}"
    );
    // Two columns missing: both named in one message.
    let p = dir.path().join("orders.csv");
    std::fs::write(&p, "Client,When\nc1,2024-01-01\n").unwrap();
    let err = load_with(SourceKind::Orders, &p, SourceOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "orders.csv: missing required columns `order_date`, `amount` for orders (looked for order_date: orderdate, orderedat, date, createdat, created, purchasedate ...; amount: amount, total, ordertotal, totalamount, revenue, grandtotal ...); headers found: \"Client\", \"When\"; map them under `[orders.columns]` in the config file: order_date = \"HEADER\", amount = \"HEADER\""
    );
    // Every date unparseable: one line naming the column.
    let p = dir.path().join("dates.csv");
    std::fs::write(
        &p,
        "customer_id,order_date,amount\r\nc1,soon,10\r\nc2,later,20\r\n",
    )
    .unwrap();
    let err = load_with(SourceKind::Orders, &p, SourceOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "dates.csv: column \"order_date\" (order_date): no row has a value that can be read (2 rows, the first at line 2); write dates as 2024-03-05, or map the date column with `[orders.columns] order_date = \"HEADER\"` in the config file"
    );
}

#[test]
fn ticket_satisfaction_zero_is_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    std::fs::write(
        &p,
        "ticket_id,created_at,satisfaction\n1,2024-01-01 10:00,0\n2,2024-01-02 10:00,5\n3,2024-01-03 10:00,-\n",
    )
    .unwrap();
    let l = load_with(SourceKind::Tickets, &p, SourceOptions::default()).unwrap();
    assert_eq!(
        rejected(&l.report),
        rej(&[("satisfaction out of range", 1, &[2])])
    );
    let sats: Vec<Option<String>> = l
        .ticket_rows()
        .into_iter()
        .map(|t| t.satisfaction)
        .collect();
    assert_eq!(sats, vec![Some("5".to_string()), None]);
}

/// A ticket file with both `Requester email` and `Requester id`: the reading
/// that matches the orders' customers is kept.
#[test]
fn tickets_with_an_email_and_an_id_follow_the_orders_customers() {
    let tickets = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zendesk.csv");
    let customers_of = |orders: &str| {
        let sources = data::Sources::new(
            SourceSpec::memory(SourceKind::Orders, "orders.csv", orders.to_string()),
            None,
            Some(spec(SourceKind::Tickets, tickets.clone())),
        );
        let ds = data::load(&sources, Scales::default()).unwrap();
        let r = ds.reports.last().unwrap().clone();
        (
            r.columns.get("customer_id").cloned().unwrap_or_default(),
            r.customer_match.map(|m| (m.matched, m.rows)),
        )
    };
    // Orders keyed by e-mail: the e-mail.
    assert_eq!(
        customers_of(
            "customer_id,order_date,amount\nann@example.com,2024-03-01,10\nben@example.com,2024-03-02,20\n"
        ),
        ("Requester email | Requester id".to_string(), Some((2, 3)))
    );
    // Orders keyed by the helpdesk's user id: the id, the e-mail where it is missing.
    assert_eq!(
        customers_of("customer_id,order_date,amount\n361001,2024-03-01,10\n361002,2024-03-02,20\n"),
        ("Requester id | Requester email".to_string(), Some((2, 3)))
    );
}

/// UCI Online Retail II names its columns `Invoice`, `Price`, `Customer ID`:
/// a price beside a quantity is a unit price.
#[test]
fn online_retail_ii_price_beside_quantity_is_a_unit_price() {
    let text = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n\
                489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n\
                C489449,22087,PAPER BUNTING WHITE LACE,-12,2009-12-01 10:33:00,2.95,16321.0,Australia\n";
    let spec = SourceSpec::memory(SourceKind::Orders, "online_retail_II.csv", text.into());
    let l = data::load_source(&spec, Scales::default()).unwrap();
    assert_eq!(
        orders(&l),
        vec![
            o("13085.0", "2009-12-01", 83.4, Some("489434"), 2),
            o("16321.0", "2009-12-01", -35.4, Some("C489449"), 3),
        ]
    );
    // Without a quantity, a price is the amount.
    let text = "customer,date,price\nc1,2024-01-01,9.99\n";
    let spec = SourceSpec::memory(SourceKind::Orders, "prices.csv", text.into());
    let l = data::load_source(&spec, Scales::default()).unwrap();
    assert_eq!(orders(&l), vec![o("c1", "2024-01-01", 9.99, None, 2)]);
}

/// `quantity` and `unit_price` can be mapped in the config like any column.
#[test]
fn quantity_and_unit_price_from_the_config() {
    let text = "Client;Day;Units;Each\nc1;2024-01-01;3;2,50\n";
    let mut options = SourceOptions::default();
    for (k, v) in [
        ("customer_id", "Client"),
        ("order_date", "Day"),
        ("quantity", "Units"),
        ("unit_price", "Each"),
    ] {
        options.columns.insert(k.into(), v.into());
    }
    let spec = SourceSpec {
        options,
        ..SourceSpec::memory(SourceKind::Orders, "units.csv", text.into())
    };
    let l = data::load_source(&spec, Scales::default()).unwrap();
    assert_eq!(orders(&l), vec![o("c1", "2024-01-01", 7.5, None, 2)]);
    assert_eq!(l.report.columns["amount"], "Units × Each");
}

/// A small gzip file that inflates past the memory bound stops with a message.
#[test]
fn a_gzip_bomb_stops_at_the_memory_bound() {
    use flate2::write::GzEncoder;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("orders.csv.gz");
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"customer_id,order_date,amount\n").unwrap();
    let row = b"c1,2024-01-01,10\n".repeat(1000);
    for _ in 0..100 {
        enc.write_all(&row).unwrap();
    }
    let gz = enc.finish().unwrap();
    assert!(gz.len() < 20_000, "{}", gz.len());
    std::fs::write(&p, gz).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .args(["check", "--orders"])
        .arg(&p)
        .env("HOLDFAST_MEMORY_AVAILABLE", "4000000")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("decompressed, the file holds more than 1 MB, more than fits in memory; export a shorter date range, or split the file"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// A Zendesk export opened and saved in Excel: the 14-digit requester ids
/// became `1.03E+13`. They load, and the report says why they cannot match.
#[test]
fn ids_rounded_by_a_spreadsheet_are_pointed_out() {
    let text = "Id,Requester id,Created at,Solved at\r\n1,1.03E+13,2024-04-01 09:00,1900-01-01 00:00\r\n2,1.03E+13,2024-04-02 09:00,2024-04-02 10:00\r\n3,10300000000003,2024-04-03 09:00,\r\n";
    let spec = SourceSpec::memory(SourceKind::Tickets, "explore.csv", text.into());
    let l = data::load_source(&spec, Scales::default()).unwrap();
    assert_eq!(l.report.kept, 3);
    assert_eq!(
        l.report.warnings,
        vec!["2 customer ids in \"Requester id\" are numbers in scientific notation (\"1.03E+13\"): a spreadsheet rounded them, so they cannot match; export the file again from the tool (CSV or XLSX) without opening it in a spreadsheet".to_string()]
    );
}

/// A CSV saved for Excel starts with `sep=;`: the delimiter it names is used,
/// the line is not a header, and line numbers stay physical.
#[test]
fn excel_sep_line_names_the_delimiter() {
    for eol in ["\n", "\r\n"] {
        let text = [
            "sep=;",
            "customer_id;order_date;amount",
            "c1;2024-01-05;10,50",
            "c2;oops;3",
        ]
        .join(eol)
            + eol;
        let spec = SourceSpec::memory(SourceKind::Orders, "excel.csv", text);
        let l = data::load_source(&spec, Scales::default()).unwrap();
        assert_eq!(orders(&l), vec![o("c1", "2024-01-05", 10.5, None, 3)]);
        assert_eq!(
            rejected(&l.report),
            rej(&[("unparseable order_date", 1, &[4])])
        );
    }
}

/// WooCommerce exports whose plugin writes title-case headers (`Order ID`,
/// `Order Total`) are the WooCommerce preset too; pending payments and
/// cancelled orders are no purchase.
#[test]
fn woocommerce_title_case_headers_and_statuses() {
    let text = "Order ID,Order Date,Order Status,Order Total,Customer ID,Customer Email,Billing Country\n\
                501,2024-05-02 10:00:00,wc-completed,45.00,0,guest@example.com,US\n\
                502,2024-05-03 11:00:00,wc-pending,20.00,17,kim@example.com,US\n\
                503,2024-05-04 12:00:00,wc-processing,30.00,17,kim@example.com,CA\n\
                504,2024-05-05 13:00:00,wc-cancelled,12.00,18,lee@example.com,CA\n";
    let spec = SourceSpec::memory(SourceKind::Orders, "woo.csv", text.into());
    let l = data::load_source(&spec, Scales::default()).unwrap();
    assert_eq!(l.report.preset, "WooCommerce orders");
    // A guest (customer id 0) is their e-mail.
    assert_eq!(
        orders(&l),
        vec![
            o("guest@example.com", "2024-05-02", 45.0, Some("501"), 2),
            o("17", "2024-05-04", 30.0, Some("503"), 4),
        ]
    );
    assert_eq!(
        rejected(&l.report),
        rej(&[
            ("not a purchase (status wc-cancelled)", 1, &[5]),
            ("not a purchase (status wc-pending)", 1, &[3]),
        ])
    );
}
