//! Follow-up lists (`[[followups]]` in the config): who is due for an
//! action from the retention playbooks, as of the last counted day R of the
//! period (its last day, or the last day of data when it is to date).
//!
//! - `after_purchase_days = N`: customers with a purchase on day R − N (N
//!   days ago: a daily run lists each customer once) and no survey response
//!   dated on or after that purchase, up to R. Due on the purchase day + N.
//! - `detractor_no_ticket = true`: customers whose latest NPS answer dated in
//!   the period is a detractor's (0–6) and who opened no ticket on or after
//!   that day, up to R. Due on the answer's day.
//! - `at_risk = true`: the period's churn-risk list. Due on the day they
//!   reached the at-risk threshold: last purchase + threshold × their cycle.
//!
//! The view's filters apply. holdfast only lists: it sends nothing.

use serde::{Deserialize, Serialize};

use super::*;

/// One `[[followups]]` entry of the config: a name and exactly one rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FollowupRule {
    /// The list's name (`--rule NAME`); defaults to the rule's key.
    pub name: Option<String>,
    pub after_purchase_days: Option<u32>,
    pub detractor_no_ticket: bool,
    pub at_risk: bool,
}

impl FollowupRule {
    /// The list's name.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            match (self.after_purchase_days, self.detractor_no_ticket) {
                (Some(n), _) => format!("after_purchase_{n}d"),
                (None, true) => "detractor_no_ticket".into(),
                (None, false) => "at_risk".into(),
            }
        })
    }

    /// Checks that the entry names exactly one rule; errors say what to write.
    pub fn validate(&self) -> Result<(), String> {
        let set = usize::from(self.after_purchase_days.is_some())
            + usize::from(self.detractor_no_ticket)
            + usize::from(self.at_risk);
        if set != 1 {
            return Err(format!(
                "[[followups]] {}: give exactly one of after_purchase_days = 7, detractor_no_ticket = true, at_risk = true",
                self.name()
            ));
        }
        if self.after_purchase_days == Some(0) {
            return Err(format!(
                "[[followups]] {}: after_purchase_days must be at least 1",
                self.name()
            ));
        }
        Ok(())
    }
}

/// One customer due for a follow-up.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Followup {
    pub rule: String,
    pub customer_id: String,
    /// The customer id when it is an e-mail address (the presets use the
    /// e-mail as the id where the export has one).
    pub email: Option<String>,
    /// The day it became due, `YYYY-MM-DD`.
    pub due: String,
    pub reason: String,
}

/// One rule's list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FollowupList {
    pub rule: String,
    pub customers: Vec<Followup>,
}

/// The customers with a purchase on each day, from the first purchase day
/// on: a counting sort of every customer's purchase days, built once.
pub struct BuyersByDay {
    first: Day,
    /// `customers[offsets[d]..offsets[d + 1]]` bought on day `first + d`.
    offsets: Vec<u32>,
    customers: Vec<u32>,
}

impl BuyersByDay {
    fn build(ix: &Index) -> Self {
        let (Some(first), Some(last)) = (
            ix.first_day().iter().flatten().min(),
            ix.last_purchase_day(),
        ) else {
            return BuyersByDay {
                first: 0,
                offsets: vec![0],
                customers: Vec::new(),
            };
        };
        let first = *first;
        let span = (last - first + 1).max(0) as usize;
        let mut offsets = vec![0u32; span + 1];
        for c in 0..ix.customer_count() {
            for &d in ix.pdays(c) {
                offsets[(d - first) as usize + 1] += 1;
            }
        }
        for k in 1..offsets.len() {
            offsets[k] += offsets[k - 1];
        }
        let mut fill = offsets.clone();
        let mut customers = vec![0u32; offsets[span] as usize];
        for c in 0..ix.customer_count() {
            for &d in ix.pdays(c) {
                let k = (d - first) as usize;
                customers[fill[k] as usize] = c as u32;
                fill[k] += 1;
            }
        }
        BuyersByDay {
            first,
            offsets,
            customers,
        }
    }

    /// The customers who bought on `day`, in customer order.
    fn on(&self, day: Day) -> &[u32] {
        let k = day - self.first;
        if k < 0 || k as usize + 1 >= self.offsets.len() {
            return &[];
        }
        let k = k as usize;
        &self.customers[self.offsets[k] as usize..self.offsets[k + 1] as usize]
    }
}

fn email_of(id: &str) -> Option<String> {
    let (user, domain) = id.split_once('@')?;
    (!user.is_empty() && domain.contains('.') && !id.contains(char::is_whitespace))
        .then(|| id.to_string())
}

impl Engine<'_> {
    /// The follow-up lists of the query's period and filters, in rule order;
    /// customers by due day, then id.
    pub fn followups(
        &self,
        q: &Query,
        churn_risk: &[AtRisk],
        rules: &[FollowupRule],
    ) -> Result<Vec<FollowupList>, MetricsError> {
        if rules.is_empty() {
            return Ok(Vec::new());
        }
        let prepared = self.prepare(q, q.period.granularity)?;
        let ctx = self.ctx(&prepared);
        let ix = &self.dataset().index;
        let p = q.period;
        let end = ctx.end_of(&p);
        let last = end - 1;
        let row = |rule: &str, c: usize, due: Day, reason: String| Followup {
            rule: rule.to_string(),
            customer_id: ix.customer_id(c).to_string(),
            email: email_of(ix.customer_id(c)),
            due: format_day(due),
            reason,
        };
        let mut out = Vec::new();
        for rule in rules {
            let name = rule.name();
            let mut list = Vec::new();
            if let Some(n) = rule.after_purchase_days {
                let day = last - n as i32;
                // Who answered any survey from that day to R.
                let (lo, hi) = (
                    ix.response_day().partition_point(|&d| d < day),
                    ix.response_day().partition_point(|&d| d <= last),
                );
                let mut answered: Vec<u32> = ix.responses()[lo..hi]
                    .iter()
                    .filter_map(|r| r.customer)
                    .collect();
                answered.sort_unstable();
                let buyers = self
                    .buyers_by_day
                    .get_or_init(|| BuyersByDay::build(ix))
                    .on(day);
                for &c in buyers {
                    if ctx.customer(c as usize) && answered.binary_search(&c).is_err() {
                        list.push(row(
                            &name,
                            c as usize,
                            last,
                            format!("bought on {}, no survey answer since", format_day(day)),
                        ));
                    }
                }
            }
            if rule.detractor_no_ticket {
                // Each customer's latest NPS answer in the period.
                let (lo, hi) = (
                    ix.response_day().partition_point(|&d| d < p.start()),
                    ix.response_day().partition_point(|&d| d <= last),
                );
                let mut latest: Vec<(u32, Day, f64)> = ix.responses()[lo..hi]
                    .iter()
                    .filter(|r| r.survey == crate::data::schema::Survey::Nps)
                    .filter_map(|r| Some((r.customer?, r.day, r.score)))
                    .collect();
                // In day order already: the last of each customer's run is the latest.
                latest.sort_by_key(|&(c, _, _)| c);
                let mut at = 0;
                while at < latest.len() {
                    let c = latest[at].0;
                    let mut end = at;
                    while end + 1 < latest.len() && latest[end + 1].0 == c {
                        end += 1;
                    }
                    let (_, day, score) = latest[end];
                    at = end + 1;
                    if score > 6.0 || !ctx.customer(c as usize) {
                        continue;
                    }
                    let ticket_after = ix.tickets_of(c as usize).iter().any(|&t| {
                        let t = &ix.tickets()[t as usize];
                        t.created_day >= day && t.created_day <= last
                    });
                    if !ticket_after {
                        list.push(row(
                            &name,
                            c as usize,
                            day,
                            format!("NPS {score:.0} on {}, no ticket since", format_day(day)),
                        ));
                    }
                }
            }
            if rule.at_risk {
                for r in churn_risk {
                    let c = r.customer as usize;
                    let pd = ix.pdays(c);
                    let k = pd.partition_point(|&d| d < end);
                    let Some(&bought) = pd[..k].last() else {
                        continue;
                    };
                    // overdue = (R − last purchase) / cycle: the threshold was reached
                    // threshold × cycle days after the last purchase.
                    let cycle = f64::from(last - bought) / r.overdue;
                    let due = bought + (self.settings.at_risk_threshold * cycle).ceil() as i32;
                    list.push(row(
                        &name,
                        c,
                        due.min(last),
                        format!(
                            "overdue {:.1}× their purchase cycle, {:.2} at stake",
                            r.overdue, r.revenue_at_stake
                        ),
                    ));
                }
            }
            list.sort_by(|a, b| {
                a.due
                    .cmp(&b.due)
                    .then_with(|| a.customer_id.cmp(&b.customer_id))
            });
            out.push(FollowupList {
                rule: name,
                customers: list,
            });
        }
        Ok(out)
    }
}
