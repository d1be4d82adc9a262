//! What a user can ask for. Each action carries its description: the help
//! overlay is generated from the keymap and these, so it cannot drift.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

listed_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Action {
        PrevPeriod,
        NextPeriod,
        Earliest,
        Latest,
        Week,
        Month,
        Quarter,
        Year,
        SegmentPicker,
        CohortPicker,
        ClearFilters,
        FocusNext,
        FocusPrev,
        Up,
        Down,
        PageUp,
        PageDown,
        Enter,
        Find,
        Compare,
        CompareEarlier,
        CompareLater,
        CohortRevenue,
        CohortEarlierAges,
        CohortLaterAges,
        RiskOrder,
        Goals,
        Alerts,
        Definitions,
        DataQuality,
        Export,
        Yank,
        Reload,
        Help,
        Back,
        Quit,
    }
}

impl Action {
    /// The name used in the config file's `[keys]` section.
    pub fn name(self) -> &'static str {
        match self {
            Action::PrevPeriod => "prev_period",
            Action::NextPeriod => "next_period",
            Action::Earliest => "earliest_period",
            Action::Latest => "latest_period",
            Action::Week => "week",
            Action::Month => "month",
            Action::Quarter => "quarter",
            Action::Year => "year",
            Action::SegmentPicker => "segment_picker",
            Action::CohortPicker => "cohort_picker",
            Action::ClearFilters => "clear_filters",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Enter => "enter",
            Action::Find => "find",
            Action::Compare => "compare",
            Action::CompareEarlier => "compare_earlier",
            Action::CompareLater => "compare_later",
            Action::CohortRevenue => "cohort_revenue",
            Action::CohortEarlierAges => "cohort_earlier_ages",
            Action::CohortLaterAges => "cohort_later_ages",
            Action::RiskOrder => "risk_order",
            Action::Goals => "goals",
            Action::Alerts => "alerts",
            Action::Definitions => "definitions",
            Action::DataQuality => "data_quality",
            Action::Export => "export",
            Action::Yank => "yank",
            Action::Reload => "reload",
            Action::Help => "help",
            Action::Back => "back",
            Action::Quit => "quit",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Action::PrevPeriod => "previous period",
            Action::NextPeriod => "next period",
            Action::Earliest => "the earliest period with data",
            Action::Latest => "the latest period with data",
            Action::Week => "weekly periods",
            Action::Month => "monthly periods",
            Action::Quarter => "quarterly periods",
            Action::Year => "yearly periods",
            Action::SegmentPicker => "filter by a segment",
            Action::CohortPicker => "filter by an acquisition cohort",
            Action::ClearFilters => "clear filters",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrev => "focus the previous pane",
            Action::Up => "move up in the pane",
            Action::Down => "move down in the pane",
            Action::PageUp => "page up in the pane",
            Action::PageDown => "page down in the pane",
            Action::Enter => {
                "open the selected customer / choose; on the Customers pane, list the customers behind a count"
            }
            Action::Find => "find a customer by id",
            Action::Compare => {
                "compare side by side: with the previous period, again with a year ago, again to close"
            }
            Action::CompareEarlier => "compare view: set the period against an earlier one",
            Action::CompareLater => "compare view: set the period against a later one",
            Action::CohortRevenue => "cohort table: customers or revenue retained",
            Action::CohortEarlierAges => "cohort table: scroll back to the earlier ages",
            Action::CohortLaterAges => "cohort table: scroll on to the later ages",
            Action::RiskOrder => "churn risk: order by revenue at stake or by P(alive) × revenue",
            Action::Goals => "show the goals pane (targets from [goals] in the config)",
            Action::Alerts => "show the alerts pane (Enter jumps to what an alert concerns)",
            Action::Definitions => "show the definitions of the focused pane's KPIs",
            Action::DataQuality => "show what was loaded and rejected",
            Action::Export => "export the view to CSV, JSON and Markdown in the current folder",
            Action::Yank => {
                "copy the summary (or the list on screen) to the clipboard (OSC 52: works over SSH)"
            }
            Action::Reload => "reload the source files",
            Action::Help => "show this help",
            Action::Back => "close the overlay (quit on the dashboard)",
            Action::Quit => "quit",
        }
    }
}

/// By its `[keys]` name.
impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// From its `[keys]` name; an unknown name is an error that lists the known ones.
impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
        let name = String::deserialize(d)?;
        Action::from_name(&name).ok_or_else(|| {
            let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            serde::de::Error::custom(format!(
                "unknown action `{name}` (actions: {})",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            assert!(!a.description().is_empty());
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}
