//! `holdfast demo`: the dashboard presents itself. Each step focuses the next
//! pane with a caption in plain sentences built from the view on screen
//! (`caption`); after every round of
//! the panes the period steps back one (three times, then to the latest
//! again). Pure functions of the state, driven by the event loop's clock.

use super::action::Action;
use super::state::{Effect, Pane, State};
use crate::format;
use crate::metrics::goals::{Direction, Goal, GoalKpi};
use crate::metrics::{Period, Snapshot};

/// Periods stepped back, a round of the panes each, before the latest again.
const PERIODS_BACK: i32 = 3;

#[derive(Clone, Debug, PartialEq)]
pub struct Demo {
    /// Steps taken so far.
    pub step: usize,
    /// The period the demo started on (the latest of the data).
    pub home: Option<Period>,
    /// The pane the caption talks about (the caption itself is written
    /// from the view on screen when drawn: `caption`).
    pub pane: Pane,
}

impl Demo {
    pub fn start() -> Demo {
        Demo {
            step: 0,
            home: None,
            pane: Pane::ALL[0],
        }
    }
}

/// "March 2026" for a month, the label otherwise ("2026-Q1", "2026-W09").
fn period_name(s: &Snapshot) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let label = &s.period.label;
    match label.split_once('-') {
        Some((y, m)) if label.len() == 7 && !m.starts_with(['Q', 'W']) => m
            .parse::<usize>()
            .ok()
            .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
            .map_or(label.clone(), |name| format!("{name} {y}")),
        _ => label.clone(),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.0} %"))
}

fn hours(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1} hours"))
}

/// What a pane shows, in plain sentences with the figures on screen (or
/// what the figures mean, before the first view arrives).
pub fn caption(pane: Pane, view: Option<&Snapshot>) -> String {
    let sentence = match view {
        Some(s) => with_figures(pane, s),
        None => None,
    }
    .unwrap_or_else(|| without_figures(pane).to_string());
    format!("{} — {sentence}", pane.title())
}

fn with_figures(pane: Pane, s: &Snapshot) -> Option<String> {
    let k = &s.kpis;
    let when = period_name(s);
    let c = &k.customers;
    Some(match pane {
        Pane::Customers => format!(
            "Of the {} customers active at the start of {when}, {} were still active at the end; {} were new and {} came back after a lapse.",
            format::count(c.start),
            pct(k.retained_rate),
            format::count(c.new),
            format::count(c.won_back)
        ),
        Pane::Trends => format!(
            "Retention, churn, revenue, buyers and NPS over the last periods up to {when}; each line is scaled to its own lowest and highest value."
        ),
        Pane::Revenue => {
            let r = &k.revenue_retention;
            format!(
                "The customers who paid in the period before {when} brought back {} of their revenue (net revenue retention); new customers added {}.",
                pct(r.nrr),
                format::money_in(Some(r.new), s.currency.as_deref())
            )
        }
        Pane::Nps => {
            let n = k.nps.as_ref()?;
            format!(
                "In {when}, {} customers answered the NPS question: {} promoters (9–10), {} passives, {} detractors (0–6); NPS is the promoters' share minus the detractors': {}.",
                format::count(n.responses),
                format::count(n.promoters),
                format::count(n.passives),
                format::count(n.detractors),
                n.score.map_or("–".into(), |v| format!("{v:.0}"))
            )
        }
        Pane::Tickets => {
            let t = k.tickets.as_ref()?;
            format!(
                "{} tickets were opened in {when}; half had a first answer within {} and half were solved within {}; {} are still open.",
                format::count(t.count),
                hours(t.first_response_hours.median),
                hours(t.resolution_hours.median),
                format::count(t.backlog)
            )
        }
        Pane::Risk => format!(
            "{} customers are overdue for their next purchase by their own rhythm; those with the most revenue at stake come first.",
            format::count(s.churn_risk.len() as u64)
        ),
        _ => return None,
    })
}

fn without_figures(pane: Pane) -> &'static str {
    match pane {
        Pane::Trends => "the headline KPIs over the last periods.",
        Pane::Customers => "who stayed, who came, who left, and what they spent.",
        Pane::Revenue => "how last period's revenue moved: new, won back, grown, shrunk, lost.",
        Pane::Nps => "what customers say: NPS with promoters, passives and detractors, CSAT, CES.",
        Pane::Tickets => "how many tickets came in and how fast they were answered and solved.",
        Pane::Cohorts => {
            "each row is the customers who first bought in one period; each column, the share of them still buying that many periods later."
        }
        Pane::Risk => "who is about to leave, by revenue at stake.",
        Pane::Goals => "the targets set in the config file, and whether each is on track.",
        Pane::Alerts => "what needs attention now; Enter jumps to the pane it concerns.",
        Pane::Followups => {
            "who to thank, ask, or call back today, rule by rule; e exports the list."
        }
    }
}

/// The actions of the next step: the next pane, and after every round of
/// the panes one period back, or home again after `PERIODS_BACK` of them.
/// Only the demo's own counter and caption change here.
pub fn next_actions(state: &mut State) -> Vec<Action> {
    let current = state.query.period;
    let Some(demo) = state.demo.as_mut() else {
        return Vec::new();
    };
    let home = *demo.home.get_or_insert(current);
    demo.step += 1;
    let n = Pane::ALL.len();
    demo.pane = Pane::ALL[demo.step % n];
    let mut actions = Vec::new();
    // Leave the compare view (v steps through its two columns, then off).
    match state.compare {
        Some(crate::app::state::Against::Previous) => {
            actions.extend([Action::Compare, Action::Compare])
        }
        Some(
            crate::app::state::Against::YearAgo
            | crate::app::state::Against::Segment
            | crate::app::state::Against::Period,
        ) => actions.push(Action::Compare),
        None => {}
    }
    actions.push(Action::FocusNext);
    if demo.step % n == 0 {
        if (demo.step / n) as i32 % (PERIODS_BACK + 1) == 0 {
            let back = current.steps_to(&home).max(0) as usize;
            actions.extend(std::iter::repeat_n(Action::NextPeriod, back));
        } else {
            actions.push(Action::PrevPeriod);
        }
    }
    actions
}

/// Takes the next step through `update`, as keys would: the effect of the
/// last action that has one (a period change's recompute).
pub fn step(state: &mut State) -> Option<Effect> {
    let mut effect = None;
    for action in next_actions(state) {
        if let Some(e) = super::update::update(state, action) {
            effect = Some(e);
        }
    }
    effect
}

/// Goals shown in the demo (the sample data has no config): a mix of
/// statuses to show what the Goals pane and the tile markers do.
pub fn goals() -> Vec<Goal> {
    let goal = |kpi: GoalKpi, target: f64, direction: Direction| Goal {
        kpi,
        segment: None,
        target,
        direction,
        tolerance: target.abs() * 0.1,
    };
    vec![
        goal(GoalKpi::RetainedRate, 85.0, Direction::Min),
        goal(GoalKpi::ChurnRate, 10.0, Direction::Max),
        goal(GoalKpi::Nps, 30.0, Direction::Min),
        goal(GoalKpi::Csat, 80.0, Direction::Min),
        goal(GoalKpi::FirstResponseHours, 4.0, Direction::Max),
    ]
}

/// Follow-up lists shown in the demo: the three rules of the playbooks.
pub fn followups() -> Vec<crate::metrics::followups::FollowupRule> {
    use crate::metrics::followups::FollowupRule;
    vec![
        FollowupRule {
            name: Some("thank-you".into()),
            after_purchase_days: Some(7),
            ..FollowupRule::default()
        },
        FollowupRule {
            name: Some("detractors".into()),
            detractor_no_ticket: true,
            ..FollowupRule::default()
        },
        FollowupRule {
            name: Some("at-risk".into()),
            at_risk: true,
            ..FollowupRule::default()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Query;

    #[test]
    fn steps_walk_the_panes_then_move_the_period() {
        let p = Period::parse("2024-06").unwrap();
        let mut s = State::new(Query::new(p), Default::default(), None);
        s.demo = Some(Demo::start());
        for k in 1..Pane::ALL.len() {
            assert_eq!(step(&mut s), None);
            assert_eq!(s.focus, Pane::ALL[k]);
            assert_eq!(s.demo.as_ref().unwrap().pane, Pane::ALL[k]);
        }
        // The round is over: the previous period is computed.
        let e = step(&mut s);
        assert_eq!(s.focus, Pane::Trends);
        assert!(matches!(e, Some(Effect::Recompute(_, ref q)) if q.period.label() == "2024-05"));
        for _ in 0..(3 * Pane::ALL.len()) {
            step(&mut s);
        }
        assert_eq!(
            s.query.period.label(),
            "2024-06",
            "home again after three periods back"
        );
    }

    #[test]
    fn every_pane_has_a_plain_caption_without_formulas() {
        for p in Pane::ALL {
            let c = caption(p, None);
            assert!(c.starts_with(p.title()), "{c}");
            assert!(!c.contains(['×', '/', '(']) || c.contains("(9–10)"), "{c}");
        }
    }

    #[test]
    fn captions_tell_the_figures_on_screen_in_a_sentence() {
        let mut s = Snapshot::empty(&Period::parse("2026-03").unwrap());
        s.kpis.customers.start = 916;
        s.kpis.customers.new = 72;
        s.kpis.customers.won_back = 29;
        s.kpis.retained_rate = Some(92.03);
        assert_eq!(
            caption(Pane::Customers, Some(&s)),
            "Customers & revenue — Of the 916 customers active at the start of March 2026, 92 % were still active at the end; 72 were new and 29 came back after a lapse."
        );
        // No feedback loaded: what the pane is for, not dashes.
        assert!(caption(Pane::Nps, Some(&s)).contains("what customers say"));
        let q = Snapshot::empty(&Period::parse("2026-Q1").unwrap());
        assert!(caption(Pane::Trends, Some(&q)).contains("up to 2026-Q1"));
    }
}
