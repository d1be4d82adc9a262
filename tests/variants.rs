//! The lists beside the enums (`Preset::ALL`, `Action::ALL`, `GoalKpi::ALL`,
//! `Pane::ALL`) are derived by `listed_enum!`, so they hold every variant;
//! what is left to check is that the panes name definitions that exist.

use holdfast::app::state::Pane;

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
