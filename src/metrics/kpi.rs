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
    }
}

use Unit::*;

/// Every scalar KPI, in the order the report prints them.
pub const KPIS: &[Kpi] = &[
    kpi(
        "retained_rate",
        "Retention (retained share)",
        Percent,
        true,
        |k| k.retained_rate,
        Some("retained_rate"),
    ),
    kpi(
        "retention_rate",
        "CRR",
        Percent,
        true,
        |k| k.retention_rate,
        Some("retention_rate"),
    ),
    kpi(
        "churn_rate",
        "Churn rate",
        Percent,
        false,
        |k| k.churn_rate,
        Some("churn_rate"),
    ),
    kpi(
        "customers.start",
        "Customers at start",
        Count,
        true,
        |k| Some(k.customers.start as f64),
        None,
    ),
    kpi(
        "customers.end",
        "Customers at end",
        Count,
        true,
        |k| Some(k.customers.end as f64),
        None,
    ),
    kpi(
        "customers.new",
        "New customers",
        Count,
        true,
        |k| Some(k.customers.new as f64),
        None,
    ),
    kpi(
        "customers.won_back",
        "Won back",
        Count,
        true,
        |k| Some(k.customers.won_back as f64),
        None,
    ),
    kpi(
        "customers.lost",
        "Lost",
        Count,
        false,
        |k| Some(k.customers.lost as f64),
        None,
    ),
    kpi(
        "lost_per_new",
        "Lost per new",
        Ratio,
        false,
        |k| k.lost_per_new,
        Some("lost_per_new"),
    ),
    kpi(
        "revenue",
        "Revenue",
        Money,
        true,
        |k| Some(k.revenue),
        Some("revenue"),
    ),
    kpi(
        "orders",
        "Orders",
        Count,
        true,
        |k| Some(k.orders as f64),
        None,
    ),
    kpi(
        "buyers",
        "Buyers",
        Count,
        true,
        |k| Some(k.buyers as f64),
        Some("buyers"),
    ),
    kpi(
        "apv",
        "Avg purchase value",
        Money,
        true,
        |k| k.apv,
        Some("apv"),
    ),
    kpi("apf", "Purchase frequency", Ratio, true, |k| k.apf, None),
    kpi(
        "arpc",
        "Revenue per buyer",
        Money,
        true,
        |k| k.arpc,
        Some("arpc"),
    ),
    kpi("mrr", "MRR", Money, true, |k| k.mrr, Some("mrr")),
    kpi(
        "revenue_retention.new",
        "New revenue",
        Money,
        true,
        |k| Some(k.revenue_retention.new),
        None,
    ),
    kpi(
        "revenue_retention.reactivation",
        "Reactivation",
        Money,
        true,
        |k| Some(k.revenue_retention.reactivation),
        None,
    ),
    kpi(
        "revenue_retention.expansion",
        "Expansion",
        Money,
        true,
        |k| Some(k.revenue_retention.expansion),
        None,
    ),
    kpi(
        "revenue_retention.contraction",
        "Contraction",
        Money,
        false,
        |k| Some(k.revenue_retention.contraction),
        None,
    ),
    kpi(
        "revenue_retention.churned",
        "Churned revenue",
        Money,
        false,
        |k| Some(k.revenue_retention.churned),
        None,
    ),
    kpi(
        "revenue_retention.other",
        "Other (refunds)",
        Money,
        true,
        |k| Some(k.revenue_retention.other),
        None,
    ),
    kpi(
        "revenue_retention.nrr",
        "Net revenue retention",
        Percent,
        true,
        |k| k.revenue_retention.nrr,
        Some("nrr"),
    ),
    kpi(
        "revenue_retention.grr",
        "Gross revenue retention",
        Percent,
        true,
        |k| k.revenue_retention.grr,
        Some("grr"),
    ),
    kpi(
        "revenue_retention.quick_ratio",
        "Quick ratio",
        Ratio,
        true,
        |k| k.revenue_retention.quick_ratio,
        Some("quick_ratio"),
    ),
    kpi(
        "repeat_purchase_rate",
        "Repeat purchase rate",
        Percent,
        true,
        |k| k.repeat_purchase_rate,
        Some("repeat_purchase_rate"),
    ),
    kpi("clv", "Lifetime value", Money, true, |k| k.clv, Some("clv")),
    kpi(
        "nps",
        "NPS",
        Score,
        true,
        |k| k.nps.as_ref().and_then(|n| n.score),
        Some("nps"),
    ),
    kpi(
        "csat",
        "CSAT",
        Percent,
        true,
        |k| k.csat.as_ref().and_then(|c| c.score),
        Some("csat"),
    ),
    kpi(
        "ces",
        "CES",
        Ratio,
        true,
        |k| k.ces.as_ref().and_then(|c| c.mean),
        Some("ces"),
    ),
    kpi(
        "tickets.count",
        "Tickets",
        Count,
        false,
        |k| k.tickets.as_ref().map(|t| t.count as f64),
        None,
    ),
    kpi(
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
    ),
    kpi(
        "tickets.resolution_hours",
        "Resolution (h, median)",
        Ratio,
        false,
        |k| k.tickets.as_ref().and_then(|t| t.resolution_hours.median),
        Some("resolution_hours"),
    ),
    kpi(
        "tickets.backlog",
        "Backlog",
        Count,
        false,
        |k| k.tickets.as_ref().map(|t| t.backlog as f64),
        Some("backlog"),
    ),
];

/// The KPI of a goal name (`[goals]` key).
pub fn by_goal(name: &str) -> Option<&'static Kpi> {
    KPIS.iter().find(|k| k.goal == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kpi_has_a_definition_and_unique_keys() {
        for k in KPIS {
            assert!(
                super::super::definitions::DEFINITIONS
                    .iter()
                    .any(|(key, _, _)| *key == k.key),
                "no definition for {}",
                k.key
            );
        }
        let mut keys: Vec<&str> = KPIS.iter().map(|k| k.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), KPIS.len());
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
