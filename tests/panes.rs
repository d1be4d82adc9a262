#![allow(clippy::unwrap_used)]
//! Each pane as a widget over a snapshot made by hand (no CSV, no engine):
//! the figures it is given are the figures it draws, and an empty snapshot
//! draws dashes, never a panic.

use holdfast::app::state::Against;
use holdfast::metrics::{AtRisk, Customers, Kpis, Nps, Period, PeriodJson, PeriodKpis, Snapshot};
use holdfast::ui::Theme;
use holdfast::ui::panes;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

fn text(widget: impl Widget, w: u16, h: u16) -> String {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    widget.render(area, &mut buf);
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn snapshot() -> Snapshot {
    let mut s = Snapshot::empty(&Period::parse("2026-03").unwrap());
    s.kpis = Kpis {
        customers: Customers {
            start: 40,
            end: 44,
            new: 9,
            new_at_end: 8,
            retained: 30,
            won_back: 6,
            lost: 10,
        },
        nps: Some(Nps {
            score: Some(25.0),
            margin: Some(12.5),
            responses: 20,
            promoters: 9,
            passives: 7,
            detractors: 4,
            ..Nps::default()
        }),
        ..Kpis::default()
    };
    s.churn_risk = vec![AtRisk {
        customer: 0,
        customer_id: "c-0042".into(),
        overdue: 2.5,
        revenue_at_stake: 1234.5,
        last_nps: Some(3),
        open_tickets: Some(1),
        p_alive: Some(0.42),
        expected_purchases: Some(0.3),
    }]
    .into();
    s
}

#[test]
fn customers_pane_draws_the_counts_it_is_given() {
    let s = snapshot();
    let theme = Theme::DARK;
    let out = text(
        panes::Customers {
            snapshot: &s,
            theme: &theme,
            text: theme.text(),
        },
        60,
        10,
    );
    for figure in ["40", "44", "30", "10"] {
        assert!(out.contains(figure), "{figure} missing:\n{out}");
    }
}

#[test]
fn nps_pane_draws_score_margin_and_responses() {
    let s = snapshot();
    let theme = Theme::DARK;
    let out = text(
        panes::Nps {
            snapshot: &s,
            scroll: 0,
            theme: &theme,
            text: theme.text(),
        },
        60,
        10,
    );
    assert!(out.contains("NPS 25.0 ± 12.5 (20 responses)"), "{out}");
}

#[test]
fn risk_pane_lists_the_customer_it_is_given() {
    let s = snapshot();
    let theme = Theme::DARK;
    let rows: Vec<&AtRisk> = s.churn_risk.iter().collect();
    let out = text(
        panes::Risk {
            snapshot: &s,
            rows: &rows,
            by_alive: false,
            selected: 0,
            focused: true,
            theme: &theme,
            text: theme.text(),
        },
        80,
        6,
    );
    assert!(out.contains("c-0042"), "{out}");
    assert!(out.contains("2.5"), "{out}");
    // The BG/NBD columns: P(alive) 42 %, 0.3 purchases expected; no fit yet.
    assert!(out.contains("42%") && out.contains("0.3"), "{out}");
    assert!(
        out.contains("1 at risk · P(alive): fitting… · by revenue at stake"),
        "{out}"
    );
}

#[test]
fn an_empty_snapshot_draws_every_pane_without_a_panic() {
    let s = Snapshot::empty(&Period::parse("2026-03").unwrap());
    let theme = Theme::LIGHT;
    let text_style = theme.text();
    for (w, h) in [(1, 1), (20, 3), (80, 24)] {
        text(
            panes::Customers {
                snapshot: &s,
                theme: &theme,
                text: text_style,
            },
            w,
            h,
        );
        text(
            panes::Nps {
                snapshot: &s,
                scroll: 3,
                theme: &theme,
                text: text_style,
            },
            w,
            h,
        );
        text(
            panes::Tickets {
                snapshot: &s,
                scroll: 0,
                theme: &theme,
                text: text_style,
            },
            w,
            h,
        );
        text(
            panes::Cohorts {
                snapshot: &s,
                scroll: 9,
                first_age: 40,
                theme: &theme,
                revenue: w > 20,
            },
            w,
            h,
        );
        text(
            panes::Risk {
                snapshot: &s,
                rows: &[],
                by_alive: true,
                selected: 5,
                focused: false,
                theme: &theme,
                text: text_style,
            },
            w,
            h,
        );
        text(
            panes::Compare {
                snapshot: &s,
                against: Against::Previous,
                other: None,
                theme: &theme,
            },
            w,
            h,
        );
    }
}

#[test]
fn tiles_mark_rates_from_small_samples_and_show_revenue_with_nrr() {
    use holdfast::app::state::{Choices, State};
    use holdfast::metrics::Query;
    let mut s = snapshot();
    s.kpis.retained_rate = Some(75.0);
    s.kpis.churn_rate = Some(25.0);
    s.kpis.revenue = 48_534.33;
    s.kpis.revenue_retention.nrr = Some(103.4);
    let state = State::new(
        Query::new(Period::parse("2026-03").unwrap()),
        Choices::default(),
        None,
    );
    let theme = Theme::DARK;
    let draw = |s: &Snapshot, w| {
        text(
            panes::Tiles {
                snapshot: s,
                state: &state,
                theme: &theme,
            },
            w,
            4,
        )
    };
    // S = 40 and 20 NPS responses: only NPS is from fewer than 30.
    let out = draw(&s, 160);
    assert!(out.contains("n=20"), "{out}");
    assert!(!out.contains("n=40"), "{out}");
    assert!(out.contains("48,534.33"), "{out}");
    assert!(out.contains("NRR 103%"), "{out}");
    // Nine customers at the start: retention and churn say so.
    s.kpis.customers.start = 9;
    let out = draw(&s, 160);
    assert_eq!(out.matches("n=9").count(), 2, "{out}");
    // Under 100 columns: four tiles, revenue kept, CSAT left to the NPS pane.
    let out = draw(&s, 80);
    assert!(out.contains("Revenue") && !out.contains("CSAT"), "{out}");
    // No rate, no mark.
    s.kpis.nps = None;
    assert!(!draw(&s, 160).contains("n=20"));
}

#[test]
fn compare_sets_the_period_against_the_previous_one_or_a_year_ago_tickets_included() {
    let mut s = snapshot();
    let block = |label: &str, start: u64, backlog: u64| PeriodKpis {
        period: PeriodJson::from(&Period::parse(label).unwrap()),
        kpis: Kpis {
            customers: Customers {
                start,
                ..Customers::default()
            },
            tickets: Some(holdfast::metrics::Tickets {
                backlog,
                ..Default::default()
            }),
            ..Kpis::default()
        },
    };
    s.previous = Some(block("2026-02", 31, 7));
    s.year_ago = Some(block("2025-03", 23, 11));
    s.kpis.tickets = Some(holdfast::metrics::Tickets {
        backlog: 5,
        ..Default::default()
    });
    let theme = Theme::DARK;
    let mut pro = snapshot();
    pro.filters.segment = Some("plan=pro".into());
    pro.kpis.customers.start = 17;
    let draw = |against| {
        text(
            panes::Compare {
                snapshot: &s,
                against,
                other: Some(&pro),
                theme: &theme,
            },
            160,
            40,
        )
    };
    let line = |out: &str, name: &str| -> String {
        out.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no {name} in\n{out}"))
            .to_string()
    };
    let prev = draw(Against::Previous);
    assert!(prev.contains("Compare with the previous period"), "{prev}");
    assert!(prev.contains("2026-02"), "{prev}");
    assert!(line(&prev, "Customers at start").contains("31"), "{prev}");
    assert!(line(&prev, "Backlog").contains('7'), "{prev}");
    let ago = draw(Against::YearAgo);
    assert!(ago.contains("Compare with a year ago"), "{ago}");
    assert!(ago.contains("2025-03"), "{ago}");
    assert!(line(&ago, "Customers at start").contains("23"), "{ago}");
    assert!(line(&ago, "Backlog").contains("11"), "{ago}");
    for name in ["First response", "Resolution"] {
        line(&ago, name);
    }
    // Two segment values side by side for the same period.
    let seg = draw(Against::Segment);
    assert!(
        seg.contains("Compare all customers with plan=pro in 2026-03"),
        "{seg}"
    );
    let start = line(&seg, "Customers at start");
    assert!(start.contains("40") && start.contains("17"), "{seg}");
    // Any other period: the other column is that period's snapshot.
    let mut jan = snapshot();
    jan.period = holdfast::metrics::PeriodJson::from(&Period::parse("2026-01").unwrap());
    jan.kpis.customers.start = 12;
    let period = text(
        panes::Compare {
            snapshot: &s,
            against: Against::Period,
            other: Some(&jan),
            theme: &theme,
        },
        160,
        40,
    );
    assert!(period.contains("Compare 2026-03 with 2026-01"), "{period}");
    assert!(
        line(&period, "Customers at start").contains("12"),
        "{period}"
    );
    // The values sit beside their names, not at the far side of a wide screen.
    let row = line(&ago, "Customers at start");
    let at = row.find("40").unwrap();
    assert!(at < 60, "{row}");
}
