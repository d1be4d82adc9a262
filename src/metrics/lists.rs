//! Drill-down: the customers behind a count of the view (lost, won back,
//! new, retained, the base at the start and the end, detractors, at risk,
//! with open tickets), each with what a manager asks next: first and last
//! order, revenue in the period and in all, latest NPS answer, open tickets.
//! The dashboard opens them from the Customers pane; `report --list SET`
//! prints them as CSV or JSON.

use serde::Serialize;

use super::*;
use crate::calendar::format_day;

listed_enum! {
    /// A set of customers a count of the view stands for.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum CustomerSet {
        /// S: active at the start (the day before the period).
        Start,
        /// E: active at the period's last counted day.
        End,
        /// First-ever purchase in the period.
        New,
        /// In both S and E.
        Retained,
        /// In E, neither in S nor new: lapsed, then bought again.
        WonBack,
        /// In S, not in E.
        Lost,
        /// Detractors: the customers whose NPS answers in the period include a 0–6.
        Detractors,
        /// The churn-risk list of the period.
        AtRisk,
        /// With a ticket open at the period's end.
        OpenTickets,
    }
}

impl CustomerSet {
    /// The name `report --list` takes.
    pub fn name(self) -> &'static str {
        match self {
            CustomerSet::Start => "start",
            CustomerSet::End => "end",
            CustomerSet::New => "new",
            CustomerSet::Retained => "retained",
            CustomerSet::WonBack => "won_back",
            CustomerSet::Lost => "lost",
            CustomerSet::Detractors => "detractors",
            CustomerSet::AtRisk => "at_risk",
            CustomerSet::OpenTickets => "open_tickets",
        }
    }

    pub fn from_name(name: &str) -> Option<CustomerSet> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        CustomerSet::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What the list is, for its title.
    pub fn title(self) -> &'static str {
        match self {
            CustomerSet::Start => "Customers at start",
            CustomerSet::End => "Customers at end",
            CustomerSet::New => "New customers",
            CustomerSet::Retained => "Retained customers",
            CustomerSet::WonBack => "Won back",
            CustomerSet::Lost => "Lost customers",
            CustomerSet::Detractors => "Detractors",
            CustomerSet::AtRisk => "At risk",
            CustomerSet::OpenTickets => "With open tickets",
        }
    }
}

/// One customer of a drill-down list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListedCustomer {
    pub customer_id: String,
    /// First purchase ever (null: refunds only).
    pub first_order: Option<String>,
    /// Latest purchase up to the period's last counted day.
    pub last_order: Option<String>,
    /// Net amount of the customer's rows dated in the period (refunds included).
    pub revenue: f64,
    /// Net amount of all their rows up to the period's last counted day.
    pub lifetime_revenue: f64,
    /// Their latest NPS answer up to the period's last counted day.
    pub last_nps: Option<f64>,
    /// Their tickets open at the period's end.
    pub open_tickets: u64,
}

impl Engine<'_> {
    /// The customers behind one count of the query's view, by revenue in
    /// the period (highest first), then in all, then id. A period outside
    /// the data: none.
    pub fn customer_list(
        &self,
        q: &Query,
        set: CustomerSet,
    ) -> Result<Vec<ListedCustomer>, MetricsError> {
        let p = q.period;
        let prepared = self.prepare(q, p.granularity)?;
        let ctx = self.ctx(&prepared);
        let ix = &self.dataset().index;
        let end = ctx.end_of(&p);
        let now = super::alerts::as_of(self, q).unwrap_or(i64::from(end) * 86_400);
        let members: Vec<u32> = match set {
            CustomerSet::AtRisk => {
                let cache = self.risk_candidates(
                    &prepared.tl,
                    prepared.cycle,
                    self.settings.at_risk_threshold,
                );
                ctx.churn_risk(&p, prepared.cycle, self.settings.at_risk_threshold, &cache)
                    .iter()
                    .map(|r| r.customer)
                    .collect()
            }
            CustomerSet::Detractors => {
                let mut seen = timeline::Bits::zeros(ix.customer_count());
                let mut out = Vec::new();
                ctx.for_responses(p.start(), end, |i| {
                    let r = &ix.responses()[i];
                    if r.survey == Survey::Nps
                        && r.score < 7.0
                        && let Some(c) = r.customer
                        && !seen.get(c as usize)
                    {
                        seen.set(c as usize);
                        out.push(c);
                    }
                });
                out
            }
            CustomerSet::OpenTickets => {
                let kept = self.ticket_kept(q)?;
                let mut seen = timeline::Bits::zeros(ix.customer_count());
                let mut out = Vec::new();
                for t in self.open_tickets_at(now).filter(|&t| kept(t)) {
                    if let Some(c) = ix.tickets()[t].customer
                        && !seen.get(c as usize)
                    {
                        seen.set(c as usize);
                        out.push(c);
                    }
                }
                out
            }
            _ => {
                let tl = &prepared.tl;
                let Some(i) = tl.index_of(&p) else {
                    return Ok(Vec::new());
                };
                let (start, at_end) = (
                    ctx.start_tl.end_bits(i as isize - 1),
                    tl.end_bits(i as isize),
                );
                let mut new = timeline::Bits::zeros(ix.customer_count());
                for &c in &tl.new[i] {
                    new.set(c as usize);
                }
                (0..ix.customer_count())
                    .filter(|&c| ctx.customer(c))
                    .filter(|&c| {
                        let (s, e, n) = (start.get(c), at_end.get(c), new.get(c));
                        match set {
                            CustomerSet::Start => s,
                            CustomerSet::End => e,
                            CustomerSet::New => n,
                            CustomerSet::Retained => s && e,
                            CustomerSet::WonBack => e && !s && !n,
                            CustomerSet::Lost => s && !e,
                            _ => false,
                        }
                    })
                    .map(|c| c as u32)
                    .collect()
            }
        };
        let mut rows: Vec<ListedCustomer> = members
            .into_iter()
            .map(|c| {
                let c = c as usize;
                let days = ix.pdays(c);
                let last = days[..days.partition_point(|&d| d < end)].last();
                ListedCustomer {
                    customer_id: ix.customer_id(c).to_string(),
                    first_order: ix.first_day()[c].map(format_day),
                    last_order: last.map(|&d| format_day(d)),
                    revenue: amount_to_f64(ix.revenue(c, p.start(), end)),
                    lifetime_revenue: amount_to_f64(ix.revenue(c, Day::MIN, end)),
                    last_nps: ix.last_nps_before(c, end),
                    open_tickets: ix.open_tickets_on(c, end),
                }
            })
            .collect();
        // Most revenue in the period first; among equals (the lost spent
        // nothing), most revenue in all.
        rows.sort_by(|a, b| {
            b.revenue
                .total_cmp(&a.revenue)
                .then_with(|| b.lifetime_revenue.total_cmp(&a.lifetime_revenue))
                .then_with(|| a.customer_id.cmp(&b.customer_id))
        });
        Ok(rows)
    }
}
