//! One-line definitions of every KPI, kept next to the engine: shown in the
//! dashboard's definitions panel and by `holdfast report --explain`.

/// (key, name, definition)
pub const DEFINITIONS: &[(&str, &str, &str)] = &[
    (
        "customers.start",
        "Customers at start (S)",
        "customers with a purchase in the churn window ending the day before the period",
    ),
    (
        "customers.end",
        "Customers at end (E)",
        "customers with a purchase in the churn window ending on the period's last day",
    ),
    (
        "customers.new",
        "New (N)",
        "customers whose first-ever purchase falls in the period",
    ),
    (
        "customers.retained",
        "Retained",
        "customers in both S and E",
    ),
    (
        "customers.won_back",
        "Won back",
        "customers in E who were neither in S nor new: lapsed, then bought again",
    ),
    ("customers.lost", "Lost", "customers in S who are not in E"),
    (
        "retained_rate",
        "Retention (retained share)",
        "of the customers in the base at the start (S), the share still in it at the end: retained / S × 100; never above 100, and with churn it makes 100",
    ),
    (
        "retention_rate",
        "Customer retention rate (CRR)",
        "the textbook formula (E − new customers still in E) / S × 100: it counts won-back customers as kept, so it can pass 100 when more come back than leave",
    ),
    ("churn_rate", "Churn rate", "lost / S × 100"),
    (
        "lost_per_new",
        "Lost per new customer",
        "lost / N; above 1 the base shrinks",
    ),
    (
        "revenue",
        "Revenue",
        "sum of all amounts dated in the period, refunds included",
    ),
    (
        "orders",
        "Orders",
        "distinct orders among purchase rows dated in the period",
    ),
    (
        "buyers",
        "Buyers",
        "distinct customers with a purchase in the period",
    ),
    ("apv", "Average purchase value", "revenue / orders"),
    ("apf", "Purchase frequency", "orders / buyers"),
    ("arpc", "Revenue per customer", "revenue / buyers"),
    (
        "monthly_revenue",
        "Monthly revenue",
        "revenue / (days in period / 30.436875)",
    ),
    ("mrr", "MRR", "E × monthly revenue / buyers"),
    (
        "followups",
        "Follow-ups",
        "customers due for an action, per [[followups]] rule of the config: bought N days before the period's last day with no survey answer since; detractors with no ticket since their answer; the churn-risk list",
    ),
    (
        "revenue_cohorts",
        "Revenue cohorts",
        "each cohort's revenue in period c + k / its revenue in its first period × 100 ($ switches the table); above 100 when a cohort spends more than at the start",
    ),
    (
        "predicted",
        "P(alive) and expected purchases (BG/NBD)",
        "each customer buys at their own steady rate and, after any purchase, may leave for good; fitting that model to everyone's purchase history gives each customer's probability of still being a customer (P(alive)) and the purchases to expect from them in the next period",
    ),
    (
        "revenue_retention",
        "Revenue movements",
        "each customer's revenue this period (r₁) against the previous one (r₀): new = first purchase this period; reactivation = r₀ ≤ 0, r₁ > 0; expansion r₁ − r₀ and contraction r₀ − r₁ when r₀ > 0; churned = r₀ when r₁ ≤ 0; other = refunds of customers not buying",
    ),
    (
        "revenue_retention.new",
        "New revenue",
        "revenue this period of customers whose first purchase is in it",
    ),
    (
        "revenue_retention.reactivation",
        "Reactivation",
        "revenue of returning customers who spent nothing (or had refunds) last period",
    ),
    (
        "revenue_retention.expansion",
        "Expansion",
        "r₁ − r₀ over customers who spent more than last period",
    ),
    (
        "revenue_retention.contraction",
        "Contraction",
        "r₀ − r₁ over customers who spent less, but something",
    ),
    (
        "revenue_retention.churned",
        "Churned revenue",
        "last period's revenue of customers who spent nothing (or had refunds) this period",
    ),
    (
        "revenue_retention.other",
        "Other",
        "refunds this period of customers not buying: lapsed or churned customers' refunds",
    ),
    (
        "revenue_retention.nrr",
        "Net revenue retention (NRR)",
        "what last period's paying customers spent this period / what they spent last period × 100; above 100 when expansion outweighs churn",
    ),
    (
        "revenue_retention.grr",
        "Gross revenue retention (GRR)",
        "like NRR but each customer counts at most what they spent last period: growth does not hide losses; never above 100",
    ),
    (
        "revenue_retention.quick_ratio",
        "Quick ratio",
        "(new + reactivation + expansion) / (contraction + churned): above 1 the revenue grows",
    ),
    (
        "repeat_purchase_rate",
        "Repeat purchase rate",
        "buyers with 2+ distinct orders before the period's end / buyers × 100",
    ),
    (
        "clv",
        "Customer lifetime value",
        "APV × APF / (churn rate / 100)",
    ),
    (
        "nps",
        "NPS",
        "(promoters 9–10 − detractors 0–6) / responses × 100",
    ),
    (
        "nps.margin",
        "NPS margin of error",
        "1.96 × 100 × √((p + d − (p − d)²) / n), 95 % confidence",
    ),
    (
        "csat",
        "CSAT",
        "responses scoring 4–5 (8–10 on a 10 scale) / responses × 100",
    ),
    (
        "ces",
        "CES",
        "mean effort score; easy share = responses ≥ 5 (≥ 4 on a 5 scale) / responses × 100",
    ),
    (
        "loyalty_retention",
        "Loyalty vs retention",
        "retention share of S by each customer's latest NPS answer before the period",
    ),
    ("tickets.count", "Tickets", "tickets created in the period"),
    (
        "tickets.first_response_hours",
        "First response time",
        "median and 90th percentile of hours to first response, tickets created in the period",
    ),
    (
        "tickets.resolution_hours",
        "Resolution time",
        "median and 90th percentile of hours to solve, tickets solved in the period",
    ),
    (
        "tickets.backlog",
        "Backlog",
        "tickets created before the period's end and not solved before it",
    ),
    (
        "tickets.csat",
        "Ticket CSAT",
        "good / (good + bad) × 100, or share of ratings ≥ 4",
    ),
    (
        "cohorts",
        "Cohort retention",
        "share of each acquisition cohort with a purchase k periods later",
    ),
    (
        "churn_risk",
        "Churn risk",
        "customers in E overdue by ≥ 2 of their own purchase cycles, by revenue at stake",
    ),
    (
        "churn_window_days",
        "Churn window",
        "a customer leaves the base after this many days without a purchase (3 typical cycles)",
    ),
    (
        "goals",
        "Goals",
        "targets from [goals] in the config: on track when met, at risk when short by at most the tolerance (10 % of the target unless set), off track beyond; gap ≥ 0 means met; the bars show the gap over the last 6 periods and the arrow whether it is closing (↑), widening (↓) or steady (→) against the oldest of them",
    ),
    (
        "alerts",
        "Alerts",
        "rules from [alerts] in the config: tickets unsolved over 48 h, goals off track, NPS falling by more than its margin of error, churn rising 3 periods in a row, customers newly at risk with over 1000 at stake",
    ),
];
