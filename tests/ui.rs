//! The dashboard drawn into ratatui's TestBackend from the bundled sample:
//! each pane asserted, whole screens as insta snapshots at 80×24, 120×40 and
//! 160×48 for every mode, and every size from 1×1 up drawn without a panic.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::sync::{Arc, LazyLock};

use holdfast::app::action::Action;
use holdfast::app::keymap::Keymap;
use holdfast::app::state::{Choices, Mode, Pane, State, View};
use holdfast::app::update::update;
use holdfast::app::worker::choices;
use holdfast::data::{self, Dataset, Scales};
use holdfast::metrics::customer::customer_view;
use holdfast::metrics::{Engine, Granularity, Period, Query};
use holdfast::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

static DATA: LazyLock<Dataset> =
    LazyLock::new(|| data::load(&holdfast::sources::sample(), Scales::default()).unwrap());
static ENGINE: LazyLock<Engine<'static>> = LazyLock::new(|| Engine::new(&DATA));

fn state_for(label: &str) -> State {
    let q = Query::new(Period::parse(label).unwrap());
    let mut s = State::new(
        q.clone(),
        choices(&DATA, Granularity::Month),
        holdfast::metrics::data_range(&DATA),
    );
    // The demo's goals and the default alert rules: every pane has content.
    let watch = holdfast::app::worker::Watch {
        goals: holdfast::app::demo::goals(),
        rules: Default::default(),
        followups: holdfast::app::demo::followups(),
        ..Default::default()
    };
    let mut view: View = holdfast::app::worker::view(&ENGINE, 0, &q, &watch).unwrap();
    // The whole trend, then the BG/NBD columns, as the worker's fitter
    // sends them after the view.
    assert_eq!(view.trend.labels.len(), holdfast::app::worker::TREND_FIRST);
    view.trend = ENGINE
        .trend(&q, holdfast::app::worker::TREND_PERIODS)
        .unwrap();
    let prediction = ENGINE.predict(&q).unwrap();
    view.snapshot = ENGINE.with_prediction(view.snapshot, &prediction);
    // And the follow-up lists, which it sends too.
    assert!(view.followups.is_none(), "listed after the view");
    view.followups = Some(
        ENGINE
            .followups(&q, &view.snapshot.churn_risk, &watch.followups)
            .unwrap(),
    );
    s.view = Some(Arc::new(view));
    s
}

/// A dataset of one orders file.
fn orders_only(path: &std::path::Path) -> Dataset {
    let sources = data::Sources::new(
        data::SourceSpec::path(data::SourceKind::Orders, path, Default::default()),
        None,
        None,
    );
    data::load(&sources, Scales::default()).unwrap()
}

fn state() -> State {
    state_for("2026-03")
}

fn draw(state: &State, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, state, &Theme::MONO, &Keymap::default()))
        .unwrap();
    draw_buffer_text(t.backend().buffer(), w, h)
}

#[test]
fn header_and_tiles() {
    let out = draw(&state(), 120, 40);
    assert!(
        out.contains(
            "holdfast   2026-03 (month)  filters: none  ⚠ 16 alerts  data 2023-10-01 .. 2026-09-30"
        ),
        "{out}"
    );
    // At 80 columns the alerts stay whole; the data range is what is cut.
    let narrow = draw(&state(), 80, 24);
    assert!(
        narrow
            .lines()
            .next()
            .unwrap_or_default()
            .contains("⚠ 16 alerts"),
        "{narrow}"
    );
    for t in ["Retention", "Churn", "NPS", "CSAT", "Revenue"] {
        assert!(out.contains(&format!("┌ {t} ")), "{t}");
    }
    assert!(out.contains("shorter than 3 purchase cycles"));
}

#[test]
fn every_pane_draws_its_numbers() {
    let s = state();
    let snap = s.snapshot().unwrap().clone();
    let out = draw(&s, 160, 48);
    // Trends: the current values next to the sparklines.
    let retention = format!("{:.1}%", snap.kpis.retention_rate.unwrap());
    assert!(out.contains(&retention), "retention {retention}");
    // As many periods as fit, from the first with data (2023-10), each
    // line with its own range.
    assert!(out.contains("30 periods: 2023-10 .. 2026-03 (each from its low to its high)"));
    let revenue = out.lines().find(|l| l.contains("│Revenue ")).unwrap();
    assert!(revenue.contains(" 1,749–68,106 "), "{revenue}");
    // Customers and revenue.
    let start = holdfast::ui::format::count(snap.kpis.customers.start);
    assert!(
        out.lines()
            .any(|l| l.contains("At start") && l.contains(&start)),
        "S = {start}"
    );
    assert!(out.contains(&holdfast::ui::format::money(Some(snap.kpis.revenue))));
    // NPS breakdown.
    let n = snap.kpis.nps.as_ref().unwrap();
    assert!(out.contains(&format!("promoters {} (", n.promoters)));
    assert!(out.contains(&format!("detractors {} (", n.detractors)));
    // Tickets.
    let t = snap.kpis.tickets.as_ref().unwrap();
    assert!(out.contains(&format!("tickets {}", t.count)));
    assert!(out.contains(&format!("  {:<18}", t.top_categories[0].category)));
    // Cohorts: the oldest cohort row.
    assert!(out.contains(&format!("{:<9}", snap.cohorts.rows[0].cohort)));
    // Churn risk: the first customer at risk.
    assert!(out.contains(&snap.churn_risk[0].customer_id));
}

#[test]
fn small_terminals_show_the_focused_pane_and_tiny_ones_a_notice() {
    let mut s = state();
    let out = draw(&s, 80, 24);
    assert!(out.contains("┌ Trends "));
    assert!(!out.contains("┌ Churn risk "));
    update(&mut s, Action::FocusPrev);
    assert!(draw(&s, 80, 24).contains("┌ Follow-ups "));
    update(&mut s, Action::FocusPrev);
    assert!(draw(&s, 80, 24).contains("┌ Alerts "));
    update(&mut s, Action::FocusPrev);
    assert!(draw(&s, 80, 24).contains("┌ Goals "));
    update(&mut s, Action::FocusPrev);
    assert!(draw(&s, 80, 24).contains("┌ Cohort retention "));
    for _ in 0..3 {
        update(&mut s, Action::FocusPrev);
    }
    assert!(draw(&s, 80, 24).contains("┌ Churn risk "));
    assert_eq!(
        draw(&s, 30, 10).lines().next(),
        Some("holdfast needs 40×12; this")
    );
}

#[test]
fn sizes_from_1x1_to_200x60_never_panic() {
    let base = state();
    let mut modes: Vec<State> = vec![base.clone()];
    for a in [
        Action::Help,
        Action::Definitions,
        Action::DataQuality,
        Action::SegmentPicker,
        Action::CohortPicker,
        Action::Find,
        Action::Compare,
    ] {
        let mut s = base.clone();
        update(&mut s, a);
        modes.push(s);
    }
    let mut c = base.clone();
    let v = customer_view(&DATA, &c.query, "C00063").unwrap().unwrap();
    c.mode = Mode::Customer(Box::new(v));
    modes.push(c);
    modes.push(State::new(
        Query::new(Period::parse("2026-03").unwrap()),
        Choices::default(),
        None,
    ));
    for s in &modes {
        for w in (1..=200)
            .step_by(7)
            .chain([1, 2, 39, 40, 79, 80, 99, 100, 200])
        {
            for h in (1..=60).step_by(5).chain([1, 11, 12, 23, 24, 35, 36, 60]) {
                draw(s, w, h);
            }
        }
    }
}

fn snap_modes() -> Vec<(&'static str, State)> {
    let base = state();
    let with = |a: Action| {
        let mut s = base.clone();
        update(&mut s, a);
        s
    };
    let mut customer = base.clone();
    customer.mode = Mode::Customer(Box::new(
        customer_view(&DATA, &customer.query, "C00063")
            .unwrap()
            .unwrap(),
    ));
    let mut risk = base.clone();
    risk.focus = Pane::Risk;
    let mut goals = base.clone();
    goals.focus = Pane::Goals;
    let mut revenue = base.clone();
    revenue.focus = Pane::Revenue;
    let mut revenue_cohorts = base.clone();
    revenue_cohorts.focus = Pane::Cohorts;
    update(&mut revenue_cohorts, Action::CohortRevenue);
    let mut followups = base.clone();
    followups.focus = Pane::Followups;
    let mut by_alive = base.clone();
    by_alive.focus = Pane::Risk;
    update(&mut by_alive, Action::RiskOrder);
    let mut alerts = base.clone();
    alerts.focus = Pane::Alerts;
    // One demo frame: the third step (the NPS pane) with its caption.
    let mut demo = base.clone();
    demo.demo = Some(holdfast::app::demo::Demo::start());
    holdfast::app::demo::step(&mut demo);
    holdfast::app::demo::step(&mut demo);
    vec![
        ("goals_focus", goals),
        ("alerts_focus", alerts),
        ("demo", demo),
        ("dashboard", base.clone()),
        ("help", with(Action::Help)),
        ("customer", customer),
        ("data_quality", with(Action::DataQuality)),
        ("compare", with(Action::Compare)),
        ("find_as_you_type", {
            let mut s = base.clone();
            s.mode = Mode::Find("c014".into());
            let ids = holdfast::metrics::customer::find_customers(&DATA, "c014", 9);
            s.find_matches = Some(("c014".into(), ids.into_iter().map(String::from).collect()));
            s
        }),
        ("drill_down_lost", {
            let mut s = base.clone();
            let rows = ENGINE
                .customer_list(&s.query, holdfast::metrics::lists::CustomerSet::Lost)
                .unwrap();
            let mut list = holdfast::app::state::CustomerList::new(
                holdfast::metrics::lists::CustomerSet::Lost,
                rows,
            );
            list.selected = 3;
            s.mode = Mode::List(Box::new(list));
            s
        }),
        ("compare_year_ago", {
            let mut s = with(Action::Compare);
            update(&mut s, Action::Compare);
            s
        }),
        ("definitions", with(Action::Definitions)),
        ("risk_focus", risk),
        ("revenue_focus", revenue),
        ("revenue_cohorts", revenue_cohorts),
        ("risk_by_alive", by_alive),
        ("followups_focus", followups),
    ]
}

#[test]
fn screens() {
    for (name, s) in snap_modes() {
        for (w, h) in [(80, 24), (120, 40), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(&s, w, h));
        }
    }
    insta::assert_snapshot!("tiny_30x10", draw(&state(), 30, 10));
    // The widest size for the screens a manager meets first.
    for (name, s) in snap_modes() {
        if ["dashboard", "compare_year_ago", "drill_down_lost", "help"].contains(&name) {
            insta::assert_snapshot!(format!("{name}_200x60"), draw(&s, 200, 60));
        }
    }
}

/// Every size used: three panes to a row from 180 columns, two from 100,
/// and under 100 one pane with tabs saying which of how many.
#[test]
fn wide_screens_use_three_columns_and_narrow_ones_show_tabs() {
    let s = state();
    let wide = draw(&s, 200, 60);
    let row = wide
        .lines()
        .find(|l| l.contains("┌ Trends"))
        .unwrap_or_default();
    assert!(
        row.contains("┌ Customers & revenue") && row.contains("┌ Revenue retention"),
        "{wide}"
    );
    let mid = draw(&s, 160, 48);
    let row = mid
        .lines()
        .find(|l| l.contains("┌ Trends"))
        .unwrap_or_default();
    assert!(
        row.contains("┌ Customers") && !row.contains("┌ Revenue retention"),
        "{mid}"
    );
    let narrow = draw(&s, 80, 24);
    assert!(
        narrow.contains(" pane 1/10  Trends │ Customers & revenue"),
        "{narrow}"
    );
    let mut third = s.clone();
    update(&mut third, Action::FocusNext);
    update(&mut third, Action::FocusNext);
    assert!(draw(&third, 80, 24).contains(" pane 3/10  Revenue retention │"));
}

#[test]
fn computing_keeps_the_previous_numbers() {
    let mut s = state();
    let before = draw(&s, 120, 40);
    update(&mut s, Action::NextPeriod);
    let during = draw(&s, 120, 40);
    assert!(during.contains("⟳ computing"));
    assert!(
        during.contains("2026-04 (month)"),
        "the header shows the requested period"
    );
    // The tiles still show March's numbers until April's arrive.
    let retention_line = |t: &str| t.lines().nth(3).unwrap_or("").to_string();
    assert_eq!(retention_line(&before), retention_line(&during));
}

#[test]
fn export_writes_csv_and_json() {
    let s = state();
    let dir = tempfile::tempdir().unwrap();
    let msg = holdfast::app::export(&s, dir.path()).unwrap();
    assert!(msg.contains("holdfast-2026-03.csv") && msg.contains("holdfast-2026-03.json"));
    let csv = std::fs::read_to_string(dir.path().join("holdfast-2026-03.csv")).unwrap();
    assert!(csv.starts_with("kpi,value,previous,year_ago\nRetention (retained share),"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("holdfast-2026-03.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["period"]["label"], "2026-03");
}

#[test]
fn no_color_theme_has_no_colours() {
    let s = state();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| ui::render(f, &s, &Theme::MONO, &Keymap::default()))
        .unwrap();
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

#[test]
fn before_the_first_result_the_header_shows_the_load_step() {
    let mut s = State::new(
        Query::new(Period::parse("1970-01").unwrap()),
        Choices::default(),
        None,
    );
    s.loading = Some("reading orders.csv".into());
    let out = draw(&s, 100, 30);
    assert!(
        out.lines()
            .next()
            .unwrap_or("")
            .contains("loading: reading orders.csv"),
        "{out}"
    );
    assert!(!out.contains("1970"), "no placeholder period:\n{out}");
    assert!(out.contains("Loading…"));
}

/// Orders in two currencies: the header asks for one until it is picked,
/// and the segment picker offers each currency with its customers.
#[test]
fn mixed_currencies_are_flagged_in_the_header_until_one_is_picked() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real/stripe_payments.csv");
    let ds = orders_only(&path);
    let engine = Engine::new(&ds);
    let watch = holdfast::app::worker::Watch {
        goals: Vec::new(),
        rules: Default::default(),
        ..Default::default()
    };
    let screen = |segment: Option<(&str, &str)>| {
        let mut q = Query::new(Period::parse("2024-05").unwrap());
        q.segment = segment.map(|(c, v)| (c.to_string(), v.to_string()));
        let mut s = State::new(
            q.clone(),
            choices(&ds, Granularity::Month),
            holdfast::metrics::data_range(&ds),
        );
        s.view = Some(Arc::new(
            holdfast::app::worker::view(&engine, 0, &q, &watch).unwrap(),
        ));
        (draw(&s, 160, 48), s)
    };
    let (all, mut s) = screen(None);
    assert!(
        all.contains("⚠ amounts are in several currencies and are added up as they are: press s and pick one Currency"),
        "{all}"
    );
    update(&mut s, Action::SegmentPicker);
    let Mode::SegmentPicker(p) = &s.mode else {
        panic!()
    };
    let labels: Vec<&str> = p.items.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "(all customers)",
            "Currency = gbp  (1 customer)",
            "Currency = usd  (3 customers)"
        ]
    );
    let (gbp, _) = screen(Some(("Currency", "gbp")));
    assert!(!gbp.contains("several currencies"), "{gbp}");
    assert!(gbp.contains("Currency=gbp"), "{gbp}");
    // Amounts carry their currency once it is one; never a symbol over a sum of several.
    assert!(!all.contains('$') && !all.contains('£'), "{all}");
    let revenue_tile = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("Revenue ─"))
            .map(|_| screen.lines().nth(3).unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    assert!(revenue_tile(&gbp).contains('£'), "{gbp}");
    let (usd, _) = screen(Some(("Currency", "usd")));
    assert!(revenue_tile(&usd).contains('$'), "{usd}");
    assert!(!usd.contains('£'), "{usd}");
}

/// Every amount on screen carries the orders' currency: the tile, the trend,
/// the revenue bridge, the churn-risk stakes, the compare view, a customer.
#[test]
fn every_money_cell_carries_its_currency() {
    // The bundled orders as a shop in euros exports them: a currency column.
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/orders.csv"),
    )
    .unwrap();
    let mut lines = sample.lines();
    let mut csv = format!("{},currency\n", lines.next().unwrap());
    for l in lines {
        csv.push_str(l);
        csv.push_str(",EUR\n");
    }
    let path = dir.path().join("orders.csv");
    std::fs::write(&path, csv).unwrap();
    let ds = orders_only(&path);
    let engine = Engine::new(&ds);
    let q = Query::new(Period::parse("2026-03").unwrap());
    let mut view = holdfast::app::worker::view(&engine, 0, &q, &Default::default()).unwrap();
    view.snapshot = engine.with_prediction(view.snapshot, &engine.predict(&q).unwrap());
    assert_eq!(view.snapshot.currency.as_deref(), Some("EUR"));
    let mut s = State::new(
        q.clone(),
        choices(&ds, Granularity::Month),
        holdfast::metrics::data_range(&ds),
    );
    s.view = Some(Arc::new(view));
    let snap = s.snapshot().unwrap().clone();
    let ratios: Vec<String> = holdfast::metrics::kpi::ALL
        .iter()
        .filter(|k| k.unit == holdfast::metrics::kpi::Unit::Ratio)
        .flat_map(|k| {
            let blocks = [
                Some(&snap.kpis),
                snap.previous.as_ref().map(|p| &p.kpis),
                snap.year_ago.as_ref().map(|p| &p.kpis),
            ];
            blocks
                .into_iter()
                .flatten()
                .filter_map(|b| (k.get)(b))
                .map(|v| format!("{v:.2}"))
                .collect::<Vec<_>>()
        })
        .collect();
    let is_amount = |w: &&str| {
        let digits = w.trim_start_matches(['-', '€']).replace(',', "");
        digits.split_once('.').is_some_and(|(i, f)| {
            !i.is_empty() && f.len() == 2 && i.chars().chain(f.chars()).all(|c| c.is_ascii_digit())
        })
    };
    let words = |screen: &str| -> Vec<String> {
        let tokens: Vec<&str> = screen
            .split(|c: char| c.is_whitespace() || c == '│')
            .filter(|w| !w.is_empty())
            .collect();
        // Ratios with two decimals (lost per new, the quick ratio) are not amounts.
        tokens
            .into_iter()
            .filter(|w| !ratios.contains(&w.to_string()))
            .filter(is_amount)
            .map(str::to_string)
            .collect()
    };
    // Every figure with two decimals on these screens is an amount: each in euros.
    let mut screens = vec![draw(&s, 160, 48)];
    update(&mut s, Action::Compare);
    screens.push(draw(&s, 120, 40));
    update(&mut s, Action::Back);
    s.focus = Pane::Cohorts;
    update(&mut s, Action::CohortRevenue);
    screens.push(draw(&s, 120, 40));
    for screen in &screens {
        let amounts = words(screen);
        assert!(amounts.len() >= 3, "{screen}");
        for a in &amounts {
            assert!(
                a.starts_with('€') || a.starts_with("-€"),
                "{a} in\n{screen}"
            );
        }
    }
    assert!(screens[0].contains("Revenue ─"), "{}", screens[0]);
    let customer = customer_view(&ds, &q, "C00428").unwrap().unwrap();
    assert_eq!(customer.currency.as_deref(), Some("EUR"));
    assert!(holdfast::report::customer_text(&customer).contains("revenue €"));
    let table = holdfast::report::to_table(&holdfast::metrics::Report {
        snapshot: s.snapshot().unwrap().clone(),
        goals: Vec::new(),
        alerts: Vec::new(),
    });
    let revenue = table.lines().find(|l| l.starts_with("Revenue")).unwrap();
    assert_eq!(revenue.matches('€').count(), 3, "{table}");
}

/// The sample ends on 2026-09-30: the year 2026 is counted to date and the
/// header says so; a whole month does not.
#[test]
fn the_header_says_when_a_period_is_counted_to_date() {
    let year = draw(&state_for("2026"), 160, 48);
    let header = year.lines().next().unwrap_or_default();
    assert!(
        header.contains("2026 (year) to date: to 2026-09-30, compared day for day"),
        "{header}"
    );
    let month = draw(&state_for("2026-09"), 160, 48);
    assert!(!month.lines().next().unwrap_or_default().contains("to date"));
    // Wide tiles name the days compared: 2025's Jan 1 to Sep 30.
    let wide = draw(&state_for("2026"), 200, 60);
    assert!(wide.contains("vs Jan 1–Sep 30"), "{wide}");
    // Header and tiles of a period to date, compared with 2025's first 273 days.
    let screen = draw(&state_for("2026"), 120, 40);
    let top: Vec<&str> = screen.lines().take(6).collect();
    insta::assert_snapshot!("year_to_date_header_and_tiles_120x40", top.join("\n"));
}

#[test]
fn the_fit_arrives_after_the_view_and_only_for_its_generation() {
    let q = Query::new(Period::parse("2026-03").unwrap());
    let watch = holdfast::app::worker::Watch {
        goals: Vec::new(),
        rules: Default::default(),
        ..Default::default()
    };
    // A fresh engine: the view comes before its fit.
    let engine = Engine::new(&DATA);
    let mut s = state();
    let mut view = holdfast::app::worker::view(&engine, 7, &q, &watch).unwrap();
    assert!(view.snapshot.predicted.is_none());
    assert!(view.snapshot.churn_risk.iter().all(|r| r.p_alive.is_none()));
    view.generation = s.generation;
    s.view = Some(Arc::new(view));
    s.focus = Pane::Risk;
    assert!(draw(&s, 120, 40).contains("P(alive): fitting…"));
    let fitted = engine.with_prediction(engine.compute(&q).unwrap(), &engine.predict(&q).unwrap());
    let reply = |generation| holdfast::app::worker::Reply::Predicted {
        generation,
        predicted: fitted.predicted.clone().unwrap(),
        churn_risk: fitted.churn_risk.clone(),
    };
    // A fit for an older view is dropped.
    let generation = s.generation;
    holdfast::app::update::on_reply(&mut s, reply(generation.wrapping_sub(1)));
    assert!(s.snapshot().unwrap().predicted.is_none());
    holdfast::app::update::on_reply(&mut s, reply(generation));
    assert!(s.snapshot().unwrap().predicted.is_some());
    let out = draw(&s, 120, 40);
    assert!(
        out.contains("97 at risk · expected active 1,102 of 1,549"),
        "{out}"
    );
    // Once fitted, the next view of the same query carries it at once.
    assert!(
        holdfast::app::worker::view(&engine, 8, &q, &watch)
            .unwrap()
            .snapshot
            .predicted
            .is_some()
    );
}

#[test]
fn risk_order_and_cohort_toggles() {
    let mut s = state();
    s.focus = Pane::Risk;
    let by_stake: Vec<String> = s
        .risk_rows()
        .iter()
        .map(|r| r.customer_id.clone())
        .collect();
    update(&mut s, Action::RiskOrder);
    let by_alive: Vec<String> = s
        .risk_rows()
        .iter()
        .map(|r| r.customer_id.clone())
        .collect();
    assert_ne!(by_stake, by_alive);
    let keys: Vec<f64> = s
        .risk_rows()
        .iter()
        .map(|r| r.p_alive.unwrap() * r.revenue_at_stake)
        .collect();
    assert!(keys.windows(2).all(|w| w[0] >= w[1]), "{keys:?}");
    // Enter opens the customer on the line shown, in the order shown.
    update(&mut s, Action::Down);
    let effect = update(&mut s, Action::Enter);
    assert!(
        format!("{effect:?}").contains(&by_alive[1]),
        "{effect:?} should open {}",
        by_alive[1]
    );
    // The cohort table by revenue and back.
    let mut c = state();
    c.focus = Pane::Cohorts;
    assert!(draw(&c, 120, 40).contains("cohort     size"));
    update(&mut c, Action::CohortRevenue);
    let out = draw(&c, 160, 48);
    assert!(out.contains("revenue       first"), "{out}");
    update(&mut c, Action::CohortRevenue);
    assert!(!draw(&c, 160, 48).contains("revenue       first"));
}

#[test]
fn the_data_quality_view_says_why_a_figure_is_undefined() {
    use holdfast::data::{SourceKind, SourceOptions, SourceSpec, Sources};
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/revenue/orders.csv");
    let ds = data::load(
        &Sources::new(
            SourceSpec::path(SourceKind::Orders, &path, SourceOptions::default()),
            None,
            None,
        ),
        Scales::default(),
    )
    .unwrap();
    let engine = Engine::new(&ds);
    // December 2023: no fit (11 customers, none repeat) and no revenue before it.
    let q = Query::new(Period::parse("2023-12").unwrap());
    let watch = holdfast::app::worker::Watch {
        goals: Vec::new(),
        rules: Default::default(),
        ..Default::default()
    };
    let mut view = holdfast::app::worker::view(&engine, 0, &q, &watch).unwrap();
    view.snapshot = engine.with_prediction(view.snapshot, &engine.predict(&q).unwrap());
    let mut s = State::new(q, choices(&ds, Granularity::Month), None);
    s.view = Some(Arc::new(view));
    s.mode = Mode::DataQuality;
    let out = draw(&s, 160, 48);
    assert!(
        out.contains("P(alive): no prediction: 0 customers with a repeat purchase; the model needs at least 30"),
        "{out}"
    );
    assert!(
        out.contains("NRR and GRR: no revenue from the previous period's customers to retain"),
        "{out}"
    );
}

#[test]
fn find_matches_part_of_an_id_in_any_case_and_stays_open_on_a_miss() {
    use holdfast::metrics::customer::find_customers;
    assert_eq!(find_customers(&DATA, "C00145", 6), ["C00145"]);
    assert_eq!(find_customers(&DATA, "c00145", 6), ["C00145"]);
    let part = find_customers(&DATA, "c0014", 6);
    assert_eq!(part.len(), 6);
    assert!(part.iter().all(|id| id.starts_with("C0014")));
    assert!(find_customers(&DATA, "nobody", 6).is_empty());
    // A miss opens the box again with the text typed.
    let mut s = state();
    update(&mut s, Action::Find);
    for c in "nobody".chars() {
        holdfast::app::update::input(&mut s, holdfast::app::update::Input::Type(c));
    }
    update(&mut s, Action::Enter);
    assert_eq!(s.mode, Mode::Dashboard);
    holdfast::app::update::on_reply(
        &mut s,
        holdfast::app::worker::Reply::Customer(Err("no customer id contains \"nobody\"".into())),
    );
    assert_eq!(s.mode, Mode::Find("nobody".into()));
    assert_eq!(
        s.status.as_deref(),
        Some("no customer id contains \"nobody\"")
    );
}

#[test]
fn the_follow_up_lists_arrive_after_the_view() {
    let q = Query::new(Period::parse("2026-03").unwrap());
    let watch = holdfast::app::worker::Watch {
        followups: holdfast::app::demo::followups(),
        ..Default::default()
    };
    let mut s = state();
    let mut view = holdfast::app::worker::view(&ENGINE, 0, &q, &watch).unwrap();
    assert!(view.followups.is_none());
    view.generation = s.generation;
    s.view = Some(Arc::new(view));
    s.focus = Pane::Followups;
    assert!(draw(&s, 120, 40).contains("listing…"));
    let lists = ENGINE
        .followups(&q, &s.snapshot().unwrap().churn_risk, &watch.followups)
        .unwrap();
    let generation = s.generation;
    holdfast::app::update::on_reply(
        &mut s,
        holdfast::app::worker::Reply::Followups {
            generation: generation.wrapping_sub(1),
            lists: lists.clone(),
        },
    );
    assert!(
        s.view.as_ref().unwrap().followups.is_none(),
        "an older view's lists are dropped"
    );
    holdfast::app::update::on_reply(
        &mut s,
        holdfast::app::worker::Reply::Followups { generation, lists },
    );
    assert!(draw(&s, 120, 40).contains("thank-you 30 · detractors 9 · at-risk 97"));
    // Without [[followups]] there is nothing to wait for.
    let none = holdfast::app::worker::Watch::default();
    let v = holdfast::app::worker::view(&ENGINE, 0, &q, &none).unwrap();
    assert_eq!(v.followups, Some(Vec::new()));
}

/// The view carries the last 12 periods (a key press stays within a
/// frame); the whole trend arrives after it, for that view only, and the
/// sparklines widen to the pane.
#[test]
fn the_whole_trend_arrives_after_the_view() {
    use holdfast::app::worker::{Reply, TREND_FIRST, TREND_PERIODS};
    let q = Query::new(Period::parse("2026-03").unwrap());
    let mut s = state();
    let mut view = holdfast::app::worker::view(&ENGINE, 0, &q, &Default::default()).unwrap();
    assert_eq!(view.trend.labels.len(), TREND_FIRST);
    view.generation = s.generation;
    s.view = Some(Arc::new(view));
    assert!(draw(&s, 160, 48).contains("12 periods: 2025-04 .. 2026-03"));
    let trend = ENGINE.trend(&q, TREND_PERIODS).unwrap();
    let generation = s.generation;
    holdfast::app::update::on_reply(
        &mut s,
        Reply::Trend {
            generation: generation.wrapping_sub(1),
            trend: trend.clone(),
        },
    );
    assert_eq!(s.view.as_ref().unwrap().trend.labels.len(), TREND_FIRST);
    holdfast::app::update::on_reply(&mut s, Reply::Trend { generation, trend });
    assert_eq!(s.view.as_ref().unwrap().trend.labels.len(), TREND_PERIODS);
    assert!(draw(&s, 160, 48).contains("30 periods: 2023-10 .. 2026-03"));
}

#[test]
fn after_a_load_the_status_line_keeps_the_key_hints_and_the_load_time_is_in_data_quality() {
    let mut s = state();
    s.requested_period = Some(Period::parse("2026-03").unwrap());
    holdfast::app::update::on_reply(
        &mut s,
        holdfast::app::worker::Reply::Loaded {
            choices: Default::default(),
            data_range: holdfast::metrics::data_range(&DATA),
            bounds: holdfast::metrics::data_bounds(&DATA),
            reports: Vec::new(),
            took: std::time::Duration::from_millis(32),
        },
    );
    assert_eq!(s.status, None);
    let out = draw(&s, 120, 40);
    assert!(out.lines().last().unwrap().contains("? help"), "{out}");
    update(&mut s, Action::DataQuality);
    assert!(draw(&s, 120, 40).contains("loaded in 32.0ms"));
}

#[test]
fn help_scrolls_to_its_last_key_and_back() {
    let mut s = state();
    update(&mut s, Action::Help);
    let top = draw(&s, 60, 18);
    assert!(top.contains("previous period"), "{top}");
    assert!(!top.contains("quit"), "the last keys are below: {top}");
    assert!(
        top.contains("scroll"),
        "the footer says there is more: {top}"
    );
    for _ in 0..6 {
        update(&mut s, Action::PageDown);
    }
    let bottom = draw(&s, 60, 18);
    assert!(bottom.contains("quit"), "{bottom}");
    assert!(!bottom.contains("previous period"), "{bottom}");
    // Back at the top: as many Up as it takes, never below 0.
    for _ in 0..100 {
        update(&mut s, Action::Up);
    }
    assert_eq!(s.overlay_scroll, 0);
    assert!(draw(&s, 60, 18).contains("previous period"));
    // Another overlay opens at its top.
    update(&mut s, Action::PageDown);
    update(&mut s, Action::Back);
    update(&mut s, Action::DataQuality);
    assert_eq!(s.overlay_scroll, 0);
}

/// Without goals in the config the Goals pane gives its place: the Alerts
/// and Follow-ups panes share its row; with the focus on it, it shows.
#[test]
fn an_empty_goals_pane_gives_its_place_to_the_panes_after_it() {
    let mut s = state();
    if let Some(v) = s.view.as_mut() {
        Arc::make_mut(v).goals.clear();
    }
    s.focus = Pane::Alerts;
    let out = draw(&s, 120, 40);
    let row = out
        .lines()
        .find(|l| l.contains("┌ Alerts"))
        .unwrap_or_default();
    assert!(row.contains("┌ Follow-ups"), "{out}");
    assert!(!out.contains("┌ Goals"), "{out}");
    s.focus = Pane::Goals;
    assert!(draw(&s, 120, 40).contains("┌ Goals"));
}

/// `>` scrolls the cohort table on to its later ages until the last one
/// sits at the right edge, and no further; `<` comes back to +0. The
/// heading's ◀ and ▶ say there are ages to either side.
#[test]
fn the_cohort_table_scrolls_to_its_last_age_and_back() {
    let mut s = state_for("2026-09");
    s.screen = (120, 40);
    let longest = s
        .snapshot()
        .unwrap()
        .cohorts
        .rows
        .iter()
        .map(|r| r.retention.len())
        .max()
        .unwrap();
    assert!(longest > 30, "{longest}");
    update(&mut s, Action::CohortEarlierAges);
    assert_eq!(s.focus, Pane::Cohorts);
    let start = draw(&s, 120, 40);
    let heading = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("cohort") && l.contains("size"))
            .unwrap()
            .to_string()
    };
    let h = heading(&start);
    assert!(
        h.contains("+0") && h.contains('▶') && !h.contains('◀'),
        "{h}"
    );
    let mut firsts = vec![s.cohort_first_age];
    for _ in 0..40 {
        update(&mut s, Action::CohortLaterAges);
        firsts.push(s.cohort_first_age);
    }
    let end = draw(&s, 120, 40);
    let h = heading(&end);
    assert!(h.contains('◀') && !h.contains('▶'), "{h}");
    // The last age is the last column, and the columns are full up to it.
    let last = format!("+{}", longest - 1);
    assert!(h.trim_end_matches(['│', ' ']).ends_with(&last), "{h}");
    let shown = holdfast::ui::cohort_ages_shown(&s);
    assert_eq!(s.cohort_first_age, longest - shown);
    // It moved by half a table per key and stopped at the end.
    assert_eq!(firsts[1], shown / 2);
    assert!(firsts.windows(2).all(|w| w[1] >= w[0]));
    insta::assert_snapshot!("cohorts_last_ages_120x40", end);
    for _ in 0..40 {
        update(&mut s, Action::CohortEarlierAges);
    }
    assert_eq!(s.cohort_first_age, 0);
    assert_eq!(draw(&s, 120, 40), start);
    // On a wider screen than the scroll was made on, no blank columns.
    s.cohort_first_age = longest - 1;
    let wide = draw(&s, 200, 60);
    assert!(heading(&wide).contains(&last), "{wide}");
}

/// `/` in a drill-down list narrows it to the ids holding the text.
#[test]
fn a_drill_down_list_filters_as_you_type() {
    let mut s = state();
    let rows = ENGINE
        .customer_list(&s.query, holdfast::metrics::lists::CustomerSet::Lost)
        .unwrap();
    let all = rows.len();
    s.mode = Mode::List(Box::new(holdfast::app::state::CustomerList::new(
        holdfast::metrics::lists::CustomerSet::Lost,
        rows,
    )));
    update(&mut s, Action::Find);
    for c in "c01".chars() {
        holdfast::app::update::input(&mut s, holdfast::app::update::Input::Type(c));
    }
    let Mode::List(list) = &s.mode else { panic!() };
    let kept = list.shown().len();
    assert!(kept > 0 && kept < all, "{kept} of {all}");
    assert!(list.shown().all(|r| r.customer_id.contains("C01")));
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = draw(&s, w, h);
        assert!(
            screen.contains(&format!("/ c01▏  {kept} of {all} (Enter keeps, Esc drops)")),
            "{screen}"
        );
        insta::assert_snapshot!(format!("drill_down_filtered_{w}x{h}"), screen);
    }
}

/// The screen with its colours: the text, then each line's runs of cells
/// of one style (`x0-x1 fg/bg modifiers`).
fn draw_styled(state: &State, w: u16, h: u16, theme: &Theme) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, state, theme, &Keymap::default()))
        .unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = draw_buffer_text(&buf, w, h);
    out.push_str("\n--- styles ---");
    for y in 0..h {
        let mut runs: Vec<String> = Vec::new();
        let mut x = 0;
        while x < w {
            let style = |x: u16| {
                let c = &buf[(x, y)];
                (c.fg, c.bg, c.modifier)
            };
            let (fg, bg, m) = style(x);
            let start = x;
            while x < w && style(x) == (fg, bg, m) {
                x += 1;
            }
            let mods = if m.is_empty() {
                String::new()
            } else {
                format!(" {m:?}")
            };
            runs.push(format!("{start}-{} {fg:?}/{bg:?}{mods}", x - 1));
        }
        out.push_str(&format!("\n{y}: {}", runs.join(", ")));
    }
    out
}

fn draw_buffer_text(buf: &ratatui::buffer::Buffer, w: u16, h: u16) -> String {
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The light theme (with its colours) and the help scrolled down, at every
/// size a manager meets.
#[test]
fn light_theme_and_help_scrolled_at_every_size() {
    for (w, h) in [(80, 24), (120, 40), (160, 48), (200, 60)] {
        let light = draw_styled(&state(), w, h, &Theme::LIGHT);
        assert!(
            !light.contains("Reset/Reset"),
            "the light theme paints every cell"
        );
        insta::assert_snapshot!(format!("light_dashboard_{w}x{h}"), light);
        let mut s = state();
        update(&mut s, Action::Help);
        update(&mut s, Action::PageDown);
        let help = draw(&s, w, h);
        insta::assert_snapshot!(format!("help_scrolled_{w}x{h}"), help);
    }
}
