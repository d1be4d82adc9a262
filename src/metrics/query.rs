//! What to compute: the period, the filters and the settings of one view,
//! and the errors a query can meet.

use crate::data::Scales;

use super::period::Period;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MetricsError {
    #[error("not a period label: \"{0}\" (use 2024-W09, 2024-03, 2024-Q1 or 2024)")]
    BadPeriod(String),
    #[error("segment filter \"{0}\" must be COLUMN=VALUE")]
    BadSegment(String),
    #[error("no segment column \"{column}\" in the orders; segment columns: {known}")]
    UnknownSegment { column: String, known: String },
}

/// What to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub period: Period,
    /// Segment filter: (column, value).
    pub segment: Option<(String, String)>,
    /// Acquisition cohort filter.
    pub cohort: Option<Period>,
    /// Overrides the churn window W (days).
    pub churn_window: Option<u32>,
}

/// What the config sets for every query of an engine: the survey scales
/// and the churn-risk threshold (`Engine::with_settings`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub scales: Scales,
    /// Overdue ratio from which a customer is at risk (kpi-spec §4.9).
    pub at_risk_threshold: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scales: Scales::default(),
            at_risk_threshold: 2.0,
        }
    }
}

impl Query {
    pub fn new(period: Period) -> Self {
        Query {
            period,
            segment: None,
            cohort: None,
            churn_window: None,
        }
    }

    /// Parses `COLUMN=VALUE`.
    pub fn parse_segment(s: &str) -> Result<(String, String), MetricsError> {
        match s.split_once('=') {
            Some((c, v)) if !c.trim().is_empty() => {
                Ok((c.trim().to_string(), v.trim().to_string()))
            }
            _ => Err(MetricsError::BadSegment(s.to_string())),
        }
    }

    pub fn parse_period(s: &str) -> Result<Period, MetricsError> {
        Period::parse(s).ok_or_else(|| MetricsError::BadPeriod(s.to_string()))
    }
}
