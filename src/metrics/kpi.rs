//! The KPI registry: each scalar KPI once, with its key (the JSON path and
//! the definition key), the label the report prints, its unit, the good
//! direction, how to read it from a period's `Kpis`, and the goal name the
//! config uses when it can be a goal. `report`'s rows and the goals read it;
//! a test checks every entry has a definition.

use super::snapshot::Kpis;

/// How a KPI's value reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// 0..100; changes in percentage points.
    Percent,
    /// A score on a fixed scale (NPS); changes in points.
    Score,
    Count,
    Money,
    /// A plain number (a ratio, a mean, hours).
    Ratio,
}

pub struct Kpi {
    /// The JSON path (`customers.start`, `tickets.backlog`) and definition key.
    pub key: &'static str,
    /// The name in `report --format table` and Markdown.
    pub label: &'static str,
    pub unit: Unit,
    pub higher_is_better: bool,
    pub get: fn(&Kpis) -> Option<f64>,
    /// The name under `[goals]`, when the KPI can be a goal.
    pub goal: Option<&'static str>,
    /// The name on screen (the report's label unless it is shorter there).
    pub screen: &'static str,
}

/// Which files a KPI needs: feedback and ticket KPIs are left out of the
/// screen's lists when those files are not loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Orders,
    Feedback,
    Tickets,
}

impl Kpi {
    /// The same KPI named otherwise on screen.
    const fn on_screen(self, screen: &'static str) -> Kpi {
        Kpi { screen, ..self }
    }

    pub fn family(&self) -> Family {
        match self.key {
            "nps" | "csat" | "ces" => Family::Feedback,
            k if k.starts_with("tickets.") => Family::Tickets,
            _ => Family::Orders,
        }
    }

    /// Whether the snapshot's files hold this KPI's family.
    pub fn applies(&self, k: &Kpis) -> bool {
        match self.family() {
            Family::Orders => true,
            Family::Feedback => k.nps.is_some(),
            Family::Tickets => k.tickets.is_some(),
        }
    }
}

const fn kpi(
    key: &'static str,
    label: &'static str,
    unit: Unit,
    higher_is_better: bool,
    get: fn(&Kpis) -> Option<f64>,
    goal: Option<&'static str>,
) -> Kpi {
    Kpi {
        key,
        label,
        unit,
        higher_is_better,
        get,
        goal,
        screen: label,
    }
}

use Unit::*;

pub const RETAINED_RATE: Kpi = kpi(
    "retained_rate",
    "Retention (retained share)",
    Percent,
    true,
    |k| k.retained_rate,
    Some("retained_rate"),
)
.on_screen("Retention (retained)");
pub const RETENTION_RATE: Kpi = kpi(
    "retention_rate",
    "CRR",
    Percent,
    true,
    |k| k.retention_rate,
    Some("retention_rate"),
);
pub const CHURN_RATE: Kpi = kpi(
    "churn_rate",
    "Churn rate",
    Percent,
    false,
    |k| k.churn_rate,
    Some("churn_rate"),
);
pub const CUSTOMERS_START: Kpi = kpi(
    "customers.start",
    "Customers at start",
    Count,
    true,
    |k| Some(k.customers.start as f64),
    None,
);
pub const CUSTOMERS_END: Kpi = kpi(
    "customers.end",
    "Customers at end",
    Count,
    true,
    |k| Some(k.customers.end as f64),
    None,
);
pub const CUSTOMERS_NEW: Kpi = kpi(
    "customers.new",
    "New customers",
    Count,
    true,
    |k| Some(k.customers.new as f64),
    None,
)
.on_screen("New");
pub const CUSTOMERS_WON_BACK: Kpi = kpi(
    "customers.won_back",
    "Won back",
    Count,
    true,
    |k| Some(k.customers.won_back as f64),
    None,
);
pub const CUSTOMERS_LOST: Kpi = kpi(
    "customers.lost",
    "Lost",
    Count,
    false,
    |k| Some(k.customers.lost as f64),
    None,
);
pub const LOST_PER_NEW: Kpi = kpi(
    "lost_per_new",
    "Lost per new",
    Ratio,
    false,
    |k| k.lost_per_new,
    Some("lost_per_new"),
);
pub const REVENUE: Kpi = kpi(
    "revenue",
    "Revenue",
    Money,
    true,
    |k| Some(k.revenue),
    Some("revenue"),
);
pub const ORDERS: Kpi = kpi(
    "orders",
    "Orders",
    Count,
    true,
    |k| Some(k.orders as f64),
    None,
);
pub const BUYERS: Kpi = kpi(
    "buyers",
    "Buyers",
    Count,
    true,
    |k| Some(k.buyers as f64),
    Some("buyers"),
);
pub const APV: Kpi = kpi(
    "apv",
    "Avg purchase value",
    Money,
    true,
    |k| k.apv,
    Some("apv"),
);
pub const APF: Kpi = kpi("apf", "Purchase frequency", Ratio, true, |k| k.apf, None);
pub const ARPC: Kpi = kpi(
    "arpc",
    "Revenue per buyer",
    Money,
    true,
    |k| k.arpc,
    Some("arpc"),
);
pub const MRR: Kpi = kpi("mrr", "MRR", Money, true, |k| k.mrr, Some("mrr"));
pub const REVENUE_RETENTION_NEW: Kpi = kpi(
    "revenue_retention.new",
    "New revenue",
    Money,
    true,
    |k| Some(k.revenue_retention.new),
    None,
);
pub const REVENUE_RETENTION_REACTIVATION: Kpi = kpi(
    "revenue_retention.reactivation",
    "Reactivation",
    Money,
    true,
    |k| Some(k.revenue_retention.reactivation),
    None,
);
pub const REVENUE_RETENTION_EXPANSION: Kpi = kpi(
    "revenue_retention.expansion",
    "Expansion",
    Money,
    true,
    |k| Some(k.revenue_retention.expansion),
    None,
);
pub const REVENUE_RETENTION_CONTRACTION: Kpi = kpi(
    "revenue_retention.contraction",
    "Contraction",
    Money,
    false,
    |k| Some(k.revenue_retention.contraction),
    None,
);
pub const REVENUE_RETENTION_CHURNED: Kpi = kpi(
    "revenue_retention.churned",
    "Churned revenue",
    Money,
    false,
    |k| Some(k.revenue_retention.churned),
    None,
);
pub const REVENUE_RETENTION_OTHER: Kpi = kpi(
    "revenue_retention.other",
    "Other (refunds)",
    Money,
    true,
    |k| Some(k.revenue_retention.other),
    None,
);
pub const REVENUE_RETENTION_NRR: Kpi = kpi(
    "revenue_retention.nrr",
    "Net revenue retention",
    Percent,
    true,
    |k| k.revenue_retention.nrr,
    Some("nrr"),
);
pub const REVENUE_RETENTION_GRR: Kpi = kpi(
    "revenue_retention.grr",
    "Gross revenue retention",
    Percent,
    true,
    |k| k.revenue_retention.grr,
    Some("grr"),
);
pub const REVENUE_RETENTION_QUICK_RATIO: Kpi = kpi(
    "revenue_retention.quick_ratio",
    "Quick ratio",
    Ratio,
    true,
    |k| k.revenue_retention.quick_ratio,
    Some("quick_ratio"),
);
pub const REPEAT_PURCHASE_RATE: Kpi = kpi(
    "repeat_purchase_rate",
    "Repeat purchase rate",
    Percent,
    true,
    |k| k.repeat_purchase_rate,
    Some("repeat_purchase_rate"),
);
pub const CLV: Kpi = kpi("clv", "Lifetime value", Money, true, |k| k.clv, Some("clv"));
pub const NPS: Kpi = kpi(
    "nps",
    "NPS",
    Score,
    true,
    |k| k.nps.as_ref().and_then(|n| n.score),
    Some("nps"),
);
pub const CSAT: Kpi = kpi(
    "csat",
    "CSAT",
    Percent,
    true,
    |k| k.csat.as_ref().and_then(|c| c.score),
    Some("csat"),
);
pub const CES: Kpi = kpi(
    "ces",
    "CES",
    Score,
    true,
    |k| k.ces.as_ref().and_then(|c| c.mean),
    Some("ces"),
);
pub const TICKETS_COUNT: Kpi = kpi(
    "tickets.count",
    "Tickets",
    Count,
    false,
    |k| k.tickets.as_ref().map(|t| t.count as f64),
    None,
);
pub const TICKETS_FIRST_RESPONSE_HOURS: Kpi = kpi(
    "tickets.first_response_hours",
    "First response (h, median)",
    Ratio,
    false,
    |k| {
        k.tickets
            .as_ref()
            .and_then(|t| t.first_response_hours.median)
    },
    Some("first_response_hours"),
);
pub const TICKETS_RESOLUTION_HOURS: Kpi = kpi(
    "tickets.resolution_hours",
    "Resolution (h, median)",
    Ratio,
    false,
    |k| k.tickets.as_ref().and_then(|t| t.resolution_hours.median),
    Some("resolution_hours"),
);
pub const TICKETS_BACKLOG: Kpi = kpi(
    "tickets.backlog",
    "Backlog",
    Count,
    false,
    |k| k.tickets.as_ref().map(|t| t.backlog as f64),
    Some("backlog"),
);

/// Customers in both S and E: shown on screen, not a report row.
pub const CUSTOMERS_RETAINED: Kpi = kpi(
    "customers.retained",
    "Retained",
    Count,
    true,
    |k| Some(k.customers.retained as f64),
    None,
);

/// Every scalar KPI the report prints, in its order.
pub const KPIS: &[&Kpi] = &[
    &RETAINED_RATE,
    &RETENTION_RATE,
    &CHURN_RATE,
    &CUSTOMERS_START,
    &CUSTOMERS_END,
    &CUSTOMERS_NEW,
    &CUSTOMERS_WON_BACK,
    &CUSTOMERS_LOST,
    &LOST_PER_NEW,
    &REVENUE,
    &ORDERS,
    &BUYERS,
    &APV,
    &APF,
    &ARPC,
    &MRR,
    &REVENUE_RETENTION_NEW,
    &REVENUE_RETENTION_REACTIVATION,
    &REVENUE_RETENTION_EXPANSION,
    &REVENUE_RETENTION_CONTRACTION,
    &REVENUE_RETENTION_CHURNED,
    &REVENUE_RETENTION_OTHER,
    &REVENUE_RETENTION_NRR,
    &REVENUE_RETENTION_GRR,
    &REVENUE_RETENTION_QUICK_RATIO,
    &REPEAT_PURCHASE_RATE,
    &CLV,
    &NPS,
    &CSAT,
    &CES,
    &TICKETS_COUNT,
    &TICKETS_FIRST_RESPONSE_HOURS,
    &TICKETS_RESOLUTION_HOURS,
    &TICKETS_BACKLOG,
];

/// Every KPI of the registry: the report's and those only the screen shows.
pub const ALL: &[&Kpi] = &[
    &RETAINED_RATE,
    &RETENTION_RATE,
    &CHURN_RATE,
    &CUSTOMERS_START,
    &CUSTOMERS_END,
    &CUSTOMERS_NEW,
    &CUSTOMERS_WON_BACK,
    &CUSTOMERS_LOST,
    &LOST_PER_NEW,
    &REVENUE,
    &ORDERS,
    &BUYERS,
    &APV,
    &APF,
    &ARPC,
    &MRR,
    &REVENUE_RETENTION_NEW,
    &REVENUE_RETENTION_REACTIVATION,
    &REVENUE_RETENTION_EXPANSION,
    &REVENUE_RETENTION_CONTRACTION,
    &REVENUE_RETENTION_CHURNED,
    &REVENUE_RETENTION_OTHER,
    &REVENUE_RETENTION_NRR,
    &REVENUE_RETENTION_GRR,
    &REVENUE_RETENTION_QUICK_RATIO,
    &REPEAT_PURCHASE_RATE,
    &CLV,
    &NPS,
    &CSAT,
    &CES,
    &TICKETS_COUNT,
    &TICKETS_FIRST_RESPONSE_HOURS,
    &TICKETS_RESOLUTION_HOURS,
    &TICKETS_BACKLOG,
    &CUSTOMERS_RETAINED,
];

/// The KPI of a goal name (`[goals]` key).
pub fn by_goal(name: &str) -> Option<&'static Kpi> {
    KPIS.iter().copied().find(|k| k.goal == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kpi_has_a_definition_and_unique_keys() {
        for k in ALL {
            assert!(
                super::super::definitions::DEFINITIONS
                    .iter()
                    .any(|(key, _, _)| *key == k.key),
                "no definition for {}",
                k.key
            );
        }
        let mut keys: Vec<&str> = ALL.iter().map(|k| k.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ALL.len());
        assert!(KPIS.iter().all(|k| ALL.iter().any(|a| a.key == k.key)));
    }

    #[test]
    fn every_goal_reads_its_kpi() {
        for g in super::super::goals::GoalKpi::ALL {
            let k = by_goal(g.name()).unwrap_or_else(|| panic!("no KPI for goal {}", g.name()));
            assert_eq!(k.unit == Unit::Percent, g.is_percent(), "{}", g.name());
            assert_eq!(
                k.higher_is_better,
                g.default_direction() == super::super::goals::Direction::Min,
                "{}",
                g.name()
            );
        }
    }
}
