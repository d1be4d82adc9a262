//! Ticket KPIs (kpi-spec §4.10): counts, response and resolution times, backlog.

use super::*;

/// What one pass over the kept tickets created in a period counts.
#[derive(Default)]
pub(super) struct CreatedScan {
    pub(super) count: u64,
    pub(super) first_response_hours: Spread,
    pub(super) rated: u64,
    pub(super) satisfied: u64,
    /// Tickets by category id.
    pub(super) categories: Vec<u64>,
}

/// Tickets per block of `OpenIndex::latest_solved`.
pub(super) const OPEN_BLOCK: usize = 64;

/// The tickets never solved, and the latest solved instant of each block of
/// `OPEN_BLOCK` tickets in creation order: a solved ticket open at an instant
/// lies in a block whose latest solved instant is after it, so a search skips
/// the blocks of long-closed tickets.
pub(super) struct OpenIndex {
    /// Ticket indices, ascending.
    pub(super) never: Vec<u32>,
    pub(super) latest_solved: Vec<i64>,
}

impl OpenIndex {
    pub(super) fn build(ix: &Index) -> Self {
        OpenIndex {
            never: (0..ix.tickets().len() as u32)
                .filter(|&i| ix.tickets()[i as usize].solved.is_none())
                .collect(),
            latest_solved: ix
                .tickets()
                .chunks(OPEN_BLOCK)
                .map(|b| b.iter().filter_map(|t| t.solved).max().unwrap_or(i64::MIN))
                .collect(),
        }
    }
}

impl Ctx<'_> {
    /// One pass over the kept tickets created in a period, shared like
    /// `feedback_scan` (a period's category counts are the next one's "previous").
    pub(super) fn created_scan(&self, p: &Period) -> Rc<CreatedScan> {
        if let Some((_, hit)) = self.memo.borrow().created.iter().find(|(q, _)| q == p) {
            return hit.clone();
        }
        let ix = self.ix;
        let mut c = CreatedScan {
            categories: vec![0; ix.categories().len()],
            ..CreatedScan::default()
        };
        let mut first = Vec::new();
        let range = self.created_range(p.start(), self.end_of(p));
        let visit = |i: usize| {
            let t = &ix.tickets()[i];
            c.count += 1;
            if let Some(r) = t.first_response {
                first.push((r - t.created) as f64 / 3600.0);
            }
            if let Some(r) = t.rating {
                c.rated += 1;
                c.satisfied += r.satisfied() as u64;
            }
            if let Some(k) = t.category {
                c.categories[k as usize] += 1;
            }
        };
        self.for_kept(&self.masks.tickets, range, visit);
        c.first_response_hours = median_p90(&mut first);
        let c = Rc::new(c);
        self.memo.borrow_mut().created.push((*p, c.clone()));
        c
    }

    pub(super) fn tickets(&self, p: &Period) -> Tickets {
        let ix = self.ix;
        let (s, e) = (p.start(), self.end_of(p));
        let created = self.created_scan(p);
        let mut out = Tickets {
            count: created.count,
            first_response_hours: created.first_response_hours.clone(),
            csat: pct(created.satisfied, created.rated),
            ..Tickets::default()
        };
        // Solved in the period, whatever the creation date.
        let so = &ix.solved_order();
        let solved_before = |day: Day| {
            so.partition_point(|&i| ix.tickets()[i as usize].solved_day.unwrap_or(Day::MAX) < day)
        };
        let (slo, shi) = (solved_before(s), solved_before(e));
        let mut resolution = Vec::with_capacity(shi.saturating_sub(slo));
        let visit = |k: usize| {
            let t = &ix.tickets()[so[k] as usize];
            resolution.push((t.solved.unwrap_or(t.created) - t.created) as f64 / 3600.0);
        };
        self.for_kept(&self.masks.solved, slo..shi, visit);
        // Backlog: created before e minus solved before e (a solved ticket was created first).
        let created_before = ix.tickets().partition_point(|x| x.created_day < e);
        let (made, done) = if self.masks.active {
            (
                self.masks.tickets.count_range(0, created_before),
                self.masks.solved.count_range(0, shi),
            )
        } else {
            (created_before as u64, shi as u64)
        };
        out.backlog = made.saturating_sub(done);
        out.resolution_hours = median_p90(&mut resolution);
        let before = self.created_scan(&p.previous());
        out.top_categories = top_five(&created.categories, ix.categories())
            .map(|(name, count, c)| CategoryCount {
                category: name.to_string(),
                count,
                previous: before.categories[c],
            })
            .collect();
        out
    }
}
