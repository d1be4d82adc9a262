//! What the engine returns: plain, ready-to-draw results (counts,
//! `Option<f64>` ratios that may be undefined, lists), serialised as the
//! `report` JSON.

use std::sync::Arc;

use serde::Serialize;

use crate::data::LoadReport;

use super::period::{Granularity, Period, PeriodJson};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Customers {
    pub start: u64,
    pub end: u64,
    pub new: u64,
    pub new_at_end: u64,
    pub retained: u64,
    pub won_back: u64,
    pub lost: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Theme {
    pub word: String,
    pub count: u64,
    pub promoter_count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Nps {
    pub score: Option<f64>,
    pub margin: Option<f64>,
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub change_significant: bool,
    pub detractor_themes: Vec<Theme>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Csat {
    pub score: Option<f64>,
    pub mean: Option<f64>,
    pub responses: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Ces {
    pub mean: Option<f64>,
    pub easy_share: Option<f64>,
    pub responses: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Loyalty {
    pub promoter: Option<f64>,
    pub passive: Option<f64>,
    pub detractor: Option<f64>,
    pub none: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spread {
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryCount {
    pub category: String,
    pub count: u64,
    pub previous: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tickets {
    pub count: u64,
    pub first_response_hours: Spread,
    pub resolution_hours: Spread,
    pub backlog: u64,
    pub csat: Option<f64>,
    pub top_categories: Vec<CategoryCount>,
}

/// Every KPI of one period (kpi-spec §4.1–§4.7).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Kpis {
    pub customers: Customers,
    pub retention_rate: Option<f64>,
    /// Retained share: retained / S × 100 (= 100 − churn; kpi-spec §4.1).
    pub retained_rate: Option<f64>,
    pub churn_rate: Option<f64>,
    pub lost_per_new: Option<f64>,
    pub revenue: f64,
    pub orders: u64,
    pub buyers: u64,
    pub apv: Option<f64>,
    pub apf: Option<f64>,
    pub arpc: Option<f64>,
    pub monthly_revenue: f64,
    pub mrr: Option<f64>,
    pub repeat_purchase_rate: Option<f64>,
    pub clv: Option<f64>,
    pub nps: Option<Nps>,
    pub csat: Option<Csat>,
    pub ces: Option<Ces>,
    pub loyalty_retention: Option<Loyalty>,
    pub tickets: Option<Tickets>,
    pub revenue_retention: RevenueRetention,
}

/// The revenue movements from the previous period (kpi-spec §4.12).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RevenueRetention {
    /// Σ r₀ over the customers with r₀ > 0: where the bridge starts.
    pub start: f64,
    pub new: f64,
    pub reactivation: f64,
    pub expansion: f64,
    pub contraction: f64,
    pub churned: f64,
    pub other: f64,
    pub nrr: Option<f64>,
    pub grr: Option<f64>,
    pub quick_ratio: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RevenueCohortRow {
    pub cohort: String,
    /// The cohort's revenue in its first period.
    pub revenue: f64,
    pub retention: Vec<Option<f64>>,
    pub partial_from: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RevenueCohorts {
    pub granularity: Granularity,
    pub rows: Vec<RevenueCohortRow>,
}

/// A compared period: its label and its KPIs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodKpis {
    pub period: PeriodJson,
    #[serde(flatten)]
    pub kpis: Kpis,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Filters {
    pub segment: Option<String>,
    pub cohort: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CycleWarning {
    pub period_days: i32,
    pub purchase_cycle_days: f64,
    pub required_days: f64,
    pub suggested_granularity: Option<Granularity>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortRow {
    pub cohort: String,
    pub size: u64,
    pub retention: Vec<f64>,
    pub partial_from: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cohorts {
    pub granularity: Granularity,
    pub rows: Vec<CohortRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AtRisk {
    /// Index into `Index::customers` (not printed).
    #[serde(skip)]
    pub customer: u32,
    pub customer_id: String,
    pub overdue: f64,
    pub revenue_at_stake: f64,
    pub last_nps: Option<i64>,
    pub open_tickets: Option<u64>,
    /// From the BG/NBD fit (kpi-spec §4.13); null without one.
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
}

/// The BG/NBD fit and its totals (kpi-spec §4.13); numbers null without a fit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Predicted {
    pub model: &'static str,
    pub r: Option<f64>,
    pub alpha: Option<f64>,
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub log_likelihood: Option<f64>,
    pub customers: u64,
    pub expected_active: Option<f64>,
    pub expected_purchases: Option<f64>,
    /// Why the numbers are null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Everything `report` prints for one period (kpi-spec §6).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub period: PeriodJson,
    pub filters: Filters,
    pub churn_window_days: u32,
    pub purchase_cycle_days: Option<f64>,
    pub cycle_warning: Option<CycleWarning>,
    #[serde(flatten)]
    pub kpis: Kpis,
    pub previous: Option<PeriodKpis>,
    pub year_ago: Option<PeriodKpis>,
    pub cohorts: Cohorts,
    pub churn_risk: Arc<[AtRisk]>,
    pub revenue_cohorts: RevenueCohorts,
    /// `None` until the fit is done (the dashboard shows "fitting…").
    pub predicted: Option<Predicted>,
    pub data_quality: Vec<LoadReport>,
    /// The currency of every amount, when one is known (see
    /// [`currency_of`]); the report's JSON keeps numbers bare.
    #[serde(skip)]
    pub currency: Option<String>,
}

/// The currency the amounts of a view are in: the orders' one currency, or
/// the value of a filter on their currency column (several otherwise:
/// `None`, and the data-quality view says so).
pub fn currency_of(reports: &[LoadReport], segment: Option<&(String, String)>) -> Option<String> {
    let orders = || {
        reports
            .iter()
            .filter(|r| r.kind == crate::data::SourceKind::Orders)
    };
    if let Some(one) = orders().find_map(|r| r.currency.clone()) {
        return Some(one);
    }
    let column = orders().find_map(|r| r.mixed_currency.as_deref())?;
    segment.filter(|(c, _)| c == column).map(|(_, v)| v.clone())
}

impl Snapshot {
    /// A snapshot with no data: zeros and nulls (the screen before the first result).
    pub fn empty(p: &Period) -> Snapshot {
        Snapshot {
            period: PeriodJson::from(p),
            filters: Filters {
                segment: None,
                cohort: None,
            },
            churn_window_days: 90,
            purchase_cycle_days: None,
            cycle_warning: None,
            kpis: Kpis::default(),
            previous: None,
            year_ago: None,
            cohorts: Cohorts {
                granularity: p.granularity,
                rows: Vec::new(),
            },
            churn_risk: Arc::from(Vec::new()),
            revenue_cohorts: RevenueCohorts {
                granularity: p.granularity,
                rows: Vec::new(),
            },
            predicted: None,
            data_quality: Vec::new(),
            currency: None,
        }
    }
}
