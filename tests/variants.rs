//! Lists kept beside their enums (`ALL`) hold every variant: each test
//! matches the enum exhaustively, so a new variant does not compile until it
//! is named here, and then fails until it is in the enum's `ALL`.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use holdfast::app::action::Action;
use holdfast::app::state::Pane;
use holdfast::data::mapping::Preset;
use holdfast::metrics::goals::GoalKpi;

fn all_listed<T: Copy + PartialEq + std::fmt::Debug>(all: &[T], every: &[T]) {
    for v in every {
        assert!(all.contains(v), "{v:?} is missing from ALL");
    }
    assert_eq!(all.len(), every.len(), "ALL lists a variant twice");
}

#[test]
fn every_preset_is_in_all() {
    use Preset::*;
    let every = [
        ShopifyOrders,
        StripeLegacy,
        StripeUnified,
        StripePayments,
        StripeInvoices,
        WooCommerce,
        SurveyMonkey,
        Qualtrics,
        Typeform,
        Delighted,
        Zendesk,
        Freshdesk,
    ];
    for p in every {
        match p {
            ShopifyOrders | StripeLegacy | StripeUnified | StripePayments | StripeInvoices
            | WooCommerce | SurveyMonkey | Qualtrics | Typeform | Delighted | Zendesk
            | Freshdesk => {}
        }
    }
    all_listed(&Preset::ALL, &every);
}

#[test]
fn every_action_is_in_all() {
    use Action::*;
    let every = [
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
        Goals,
        Alerts,
        Definitions,
        DataQuality,
        Export,
        Reload,
        Help,
        Back,
        Quit,
    ];
    for a in every {
        match a {
            PrevPeriod | NextPeriod | Earliest | Latest | Week | Month | Quarter | Year
            | SegmentPicker | CohortPicker | ClearFilters | FocusNext | FocusPrev | Up | Down
            | PageUp | PageDown | Enter | Find | Compare | Goals | Alerts | Definitions
            | DataQuality | Export | Reload | Help | Back | Quit => {}
        }
    }
    all_listed(&Action::ALL, &every);
}

#[test]
fn every_goal_kpi_is_in_all() {
    use GoalKpi::*;
    let every = [
        RetainedRate,
        RetentionRate,
        ChurnRate,
        RepeatPurchaseRate,
        LostPerNew,
        Revenue,
        Mrr,
        Clv,
        Arpc,
        Apv,
        Buyers,
        Nps,
        Csat,
        Ces,
        FirstResponseHours,
        ResolutionHours,
        Backlog,
    ];
    for k in every {
        match k {
            RetainedRate | RetentionRate | ChurnRate | RepeatPurchaseRate | LostPerNew
            | Revenue | Mrr | Clv | Arpc | Apv | Buyers | Nps | Csat | Ces | FirstResponseHours
            | ResolutionHours | Backlog => {}
        }
    }
    all_listed(&GoalKpi::ALL, &every);
}

#[test]
fn every_pane_is_in_all() {
    use Pane::*;
    let every = [
        Trends, Customers, Nps, Tickets, Cohorts, Risk, Goals, Alerts,
    ];
    for p in every {
        match p {
            Trends | Customers | Nps | Tickets | Cohorts | Risk | Goals | Alerts => {}
        }
    }
    all_listed(&Pane::ALL, &every);
}

/// The definitions panel names definitions that exist.
#[test]
fn every_pane_names_known_definitions() {
    use holdfast::metrics::definitions::DEFINITIONS;
    for pane in Pane::ALL {
        for key in pane.definition_keys() {
            assert!(
                DEFINITIONS.iter().any(|(k, _, _)| k == key),
                "{pane:?} names unknown definition `{key}`"
            );
        }
    }
}
