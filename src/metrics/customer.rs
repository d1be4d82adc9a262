//! The customer view (kpi-spec §4.11): everything the sources hold about one
//! customer, and where they stand in the selected period.

use serde::Serialize;

use super::{MetricsError, Query, churn_window, in_base, nearest_rank};
use crate::calendar::format_day;
use crate::data::Dataset;
use crate::data::index::Rating;
use crate::data::parse::amount_to_f64;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResponseView {
    pub date: String,
    pub survey: &'static str,
    pub score: f64,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TicketView {
    pub ticket_id: String,
    pub created: String,
    pub first_response_hours: Option<f64>,
    pub resolution_hours: Option<f64>,
    pub category: Option<String>,
    pub satisfaction: Option<String>,
    pub open_at_period_end: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Standing {
    pub period: String,
    pub in_start: bool,
    pub in_end: bool,
    pub new: bool,
    pub retained: bool,
    pub lost: bool,
    pub won_back: bool,
}

impl Standing {
    /// Where the customer stands in the period, in words.
    pub fn label(&self) -> &'static str {
        if self.new {
            "new"
        } else if self.retained {
            "retained"
        } else if self.lost {
            "lost"
        } else if self.won_back {
            "won back"
        } else {
            "not in the base"
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomerView {
    pub customer_id: String,
    pub segments: Vec<(String, Option<String>)>,
    pub first_order: Option<String>,
    pub last_order: Option<String>,
    pub orders: u64,
    pub revenue: f64,
    /// Day gaps between consecutive distinct purchase dates.
    pub gaps: Vec<i32>,
    pub median_gap: Option<f64>,
    /// Days since the last purchase before the period's end over the customer's own cycle.
    pub overdue: Option<f64>,
    /// From the BG/NBD fit at the period's end (kpi-spec §4.13; `Engine::customer_view`).
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
    pub responses: Option<Vec<ResponseView>>,
    pub tickets: Option<Vec<TicketView>>,
    pub standing: Standing,
    /// The currency of their amounts, when one is known (the orders' one
    /// currency, or theirs in the currency column).
    #[serde(skip)]
    pub currency: Option<String>,
}

fn instant(secs: i64) -> String {
    let day = secs.div_euclid(86_400) as i32;
    let t = secs.rem_euclid(86_400);
    format!("{} {:02}:{:02}", format_day(day), t / 3600, t % 3600 / 60)
}

/// The view of one customer, or `None` when no order names them.
pub fn customer_view(
    ds: &Dataset,
    q: &Query,
    id: &str,
) -> Result<Option<CustomerView>, MetricsError> {
    let ix = &ds.index;
    let Some(c32) = ix.customer_index(id) else {
        return Ok(None);
    };
    let c = c32 as usize;
    let (cycle, w) = churn_window(ix, q.churn_window);
    // The period holding the last day of data L is counted to date (kpi-spec §2).
    let s = q.period.start();
    let e = match ix.last_purchase_day() {
        Some(l) if s <= l => q.period.end().min(l + 1),
        _ => q.period.end(),
    };
    let pd = ix.pdays(c);
    let gaps: Vec<i32> = pd.windows(2).map(|x| x[1] - x[0]).collect();
    let mut sorted = gaps.clone();
    sorted.sort_unstable();
    let before = &pd[..pd.partition_point(|&d| d < e)];
    let mut own: Vec<i32> = before.windows(2).map(|x| x[1] - x[0]).collect();
    own.sort_unstable();
    let own_cycle = if own.len() >= 2 {
        nearest_rank(&own, 1, 2).map(f64::from)
    } else {
        cycle
    };
    let overdue = match (before.last(), own_cycle) {
        (Some(&last), Some(cy)) if cy > 0.0 => Some((e - 1 - last) as f64 / cy),
        _ => None,
    };
    let (_, keys) = ix.orders_of(c);
    let mut k = keys.to_vec();
    k.sort_unstable();
    k.dedup();
    let in_start = in_base(pd, s - 1, w);
    let in_end = in_base(pd, e - 1, w);
    let new = ix.first_day()[c].is_some_and(|d| d >= s && d < e);
    let responses = ix.has_feedback().then(|| {
        ix.responses()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.customer == Some(c32))
            .map(|(i, r)| ResponseView {
                date: format_day(r.day),
                survey: r.survey.name(),
                score: r.score,
                comment: ix.comment(i).map(String::from),
            })
            .collect()
    });
    let tickets = ix.has_tickets().then(|| {
        ix.tickets()
            .iter()
            .filter(|t| t.customer == Some(c32))
            .map(|t| TicketView {
                ticket_id: t.id.clone(),
                created: instant(t.created),
                first_response_hours: t.first_response.map(|r| (r - t.created) as f64 / 3600.0),
                resolution_hours: t.solved.map(|r| (r - t.created) as f64 / 3600.0),
                category: t.category.map(|k| ix.categories()[k as usize].clone()),
                satisfaction: t.rating.map(|r| match r {
                    Rating::Good => "good".to_string(),
                    Rating::Bad => "bad".to_string(),
                    Rating::Score(s) => s.to_string(),
                }),
                open_at_period_end: t.created_day < e && t.solved_day.is_none_or(|d| d >= e),
            })
            .collect()
    });
    let segments: Vec<(String, Option<String>)> = ix
        .segments()
        .iter()
        .map(|sg| {
            (
                sg.name.clone(),
                sg.of_customer[c].map(|v| sg.values[v as usize].clone()),
            )
        })
        .collect();
    let currency = super::snapshot::currency_of(&ds.reports, None).or_else(|| {
        segments.iter().find_map(|(name, value)| {
            let value = value.clone()?;
            super::snapshot::currency_of(&ds.reports, Some(&(name.clone(), value)))
        })
    });
    Ok(Some(CustomerView {
        customer_id: id.to_string(),
        segments,
        currency,
        first_order: ix.first_day()[c].map(format_day),
        last_order: pd.last().copied().map(format_day),
        orders: k.len() as u64,
        revenue: amount_to_f64(ix.revenue(c, i32::MIN, i32::MAX)),
        median_gap: nearest_rank(&sorted, 1, 2).map(f64::from),
        gaps,
        overdue,
        p_alive: None,
        expected_purchases: None,
        responses,
        tickets,
        standing: Standing {
            period: q.period.label(),
            in_start,
            in_end,
            new,
            retained: in_start && in_end,
            lost: in_start && !in_end,
            won_back: in_end && !in_start && !new,
        },
    }))
}

/// The customer ids that contain `text`, without regard to case: an exact id
/// alone when there is one. At most `limit`, in id order.
pub fn find_customers<'d>(ds: &'d Dataset, text: &str, limit: usize) -> Vec<&'d str> {
    let ix = &ds.index;
    if let Some(c) = ix.customer_index(text) {
        return vec![ix.customer_id(c as usize)];
    }
    let needle = text.to_lowercase();
    // Asked on every key typed in the find box: an ASCII text is matched
    // without lower-casing (allocating) each of a million ids.
    let holds = |id: &str| {
        if needle.is_ascii() {
            let n = needle.as_bytes();
            n.is_empty()
                || id
                    .as_bytes()
                    .windows(n.len())
                    .any(|w| w.eq_ignore_ascii_case(n))
        } else {
            id.to_lowercase().contains(&needle)
        }
    };
    let mut found: Vec<&str> = ix
        .customers()
        .iter()
        .flatten()
        .filter(|id| holds(id))
        .collect();
    found.sort_unstable();
    found.truncate(limit);
    found
}

impl super::Engine<'_> {
    /// The view of one customer with their P(alive) and expected purchases
    /// in the next period (the fit of the query's filters, fitted if needed).
    pub fn customer_view(&self, q: &Query, id: &str) -> Result<Option<CustomerView>, MetricsError> {
        let Some(mut view) = customer_view(self.dataset(), q, id)? else {
            return Ok(None);
        };
        let ix = &self.dataset().index;
        if let Some(c) = ix.customer_index(id)
            && let Some((alive, expected)) = self.predict(q)?.of(ix, c as usize)
        {
            view.p_alive = Some(alive);
            view.expected_purchases = Some(expected);
        }
        Ok(Some(view))
    }
}
