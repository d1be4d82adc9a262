//! `holdfast demo`: the dashboard presents itself. Each step focuses the next
//! pane with a caption taken from the KPI definitions; after every round of
//! the panes the period steps back one (three times, then to the latest
//! again). Pure functions of the state, driven by the event loop's clock.

use super::action::Action;
use super::state::{Effect, Pane, State};
use crate::metrics::Period;
use crate::metrics::definitions::DEFINITIONS;
use crate::metrics::goals::{Direction, Goal, GoalKpi};

/// Periods stepped back, a round of the panes each, before the latest again.
const PERIODS_BACK: i32 = 3;

#[derive(Clone, Debug, PartialEq)]
pub struct Demo {
    /// Steps taken so far.
    pub step: usize,
    /// The period the demo started on (the latest of the data).
    pub home: Option<Period>,
    pub caption: String,
}

impl Demo {
    pub fn start() -> Demo {
        Demo {
            step: 0,
            home: None,
            caption: caption(Pane::ALL[0]),
        }
    }
}

/// What a pane shows, in a sentence or two from the definitions.
pub fn caption(pane: Pane) -> String {
    let lead = match pane {
        Pane::Trends => "The last 12 periods of the headline KPIs.",
        Pane::Customers => "Who stayed, who came, who left, and what they spent.",
        Pane::Revenue => "How last period's revenue moved: new, won back, grown, shrunk, lost.",
        Pane::Nps => "What customers say: NPS with promoters, passives and detractors, CSAT, CES.",
        Pane::Tickets => "Support load and speed.",
        Pane::Cohorts => "Each acquisition cohort's share still buying, period after period.",
        Pane::Risk => "Who is about to leave, by revenue at stake.",
        Pane::Goals => "Targets from the config and whether each is on track.",
        Pane::Alerts => "What needs attention now; Enter jumps to it.",
        Pane::Followups => {
            "Who to thank, ask, or call back today, rule by rule; e exports the list."
        }
    };
    let defs: Vec<String> = pane
        .definition_keys()
        .iter()
        .take(2)
        .filter_map(|k| DEFINITIONS.iter().find(|(key, _, _)| key == k))
        .map(|(_, name, def)| format!("{name}: {def}."))
        .collect();
    format!("{} — {lead} {}", pane.title(), defs.join(" "))
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
    demo.caption = caption(Pane::ALL[demo.step % n]);
    let mut actions = Vec::new();
    // Leave the compare view (v steps through its two columns, then off).
    match state.compare {
        Some(crate::app::state::Against::Previous) => {
            actions.extend([Action::Compare, Action::Compare])
        }
        Some(crate::app::state::Against::YearAgo) => actions.push(Action::Compare),
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
            assert!(
                s.demo
                    .as_ref()
                    .unwrap()
                    .caption
                    .starts_with(Pane::ALL[k].title())
            );
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
    fn every_caption_has_a_definition() {
        for p in Pane::ALL {
            let c = caption(p);
            assert!(c.contains(':'), "{c}");
        }
    }
}
