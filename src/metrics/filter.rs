//! The filters (kpi-spec §5) as bitsets over customers, responses and tickets.

use super::*;

/// Which customers, responses and tickets the filters keep, as bitsets
/// (cached per filter by the engine).
pub struct Masks {
    /// The filter these masks are of.
    pub(super) key: FilterKey,
    pub(super) active: bool,
    /// A segment filter alone: (segment column, value code; `None` when the value never occurs).
    pub(super) segment_only: Option<(usize, Option<u32>)>,
    pub(super) customers: Bits,
    /// Over `Index::responses`.
    pub(super) responses: Bits,
    /// Over `Index::tickets` (creation order).
    pub(super) tickets: Bits,
    /// Over `Index::solved_order`.
    pub(super) solved: Bits,
}

impl Masks {
    /// The first periods in `tl` (inclusive) of the cohort filter's
    /// customers: those of the timeline's periods that hold the cohort's first
    /// and last day (exact when the granularities nest, a superset otherwise).
    pub(super) fn cohort_stretch(&self, tl: &Timeline) -> Option<(i64, i64)> {
        let c = self.key.1?;
        let g = tl.granularity;
        let a = tl.index_of(&Period::containing(g, c.start()))?;
        let b = tl.index_of(&Period::containing(g, c.end() - 1))?;
        Some((a as i64, b as i64))
    }
}

pub(super) type FilterKey = (Option<(String, String)>, Option<Period>);

pub(super) fn build_masks(ix: &Index, q: &Query) -> Result<Masks, MetricsError> {
    let n = ix.customer_count();
    if q.segment.is_none() && q.cohort.is_none() {
        return Ok(Masks {
            key: (None, None),
            active: false,
            segment_only: None,
            customers: Bits::ones(n),
            responses: Bits::ones(ix.responses().len()),
            tickets: Bits::ones(ix.tickets().len()),
            solved: Bits::ones(ix.solved_order().len()),
        });
    }
    let code = match &q.segment {
        None => None,
        Some((col, value)) => {
            let seg = ix
                .segments()
                .iter()
                .position(|s| s.name == *col)
                .ok_or_else(|| MetricsError::UnknownSegment {
                    column: col.clone(),
                    known: if ix.segments().is_empty() {
                        "(none)".into()
                    } else {
                        ix.segments()
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                })?;
            Some((
                seg,
                ix.segments()[seg]
                    .values
                    .iter()
                    .position(|v| v == value)
                    .map(|x| x as u32),
            ))
        }
    };
    let cohort = q.cohort.map(|c| (c.start(), c.end()));
    let mut customers = Bits::zeros(n);
    for c in 0..n {
        // Customers with refunds only belong to no segment and no cohort.
        let Some(first) = ix.first_day()[c] else {
            continue;
        };
        let seg_ok = match code {
            None => true,
            Some((seg, value)) => value.is_some() && ix.segments()[seg].of_customer[c] == value,
        };
        if seg_ok && cohort.is_none_or(|(s, e)| first >= s && first < e) {
            customers.set(c);
        }
    }
    // A row without a customer is kept only under a segment filter alone, when its file carries
    // the segment column with the same value (kpi-spec §5).
    // The filter's value as coded in each file's segment column (`None`: no row has it).
    let row_kept = |customer: Option<u32>,
                    has_id: bool,
                    column: Option<(&[u32], u32)>,
                    i: usize| match customer {
        Some(c) => customers.get(c as usize),
        None if has_id || q.cohort.is_some() => false,
        None => column.is_some_and(|(codes, code)| codes[i] == code),
    };
    pub(super) fn seg_col<'i>(
        segs: &'i crate::data::index::RowSegments,
        q: &Query,
    ) -> Option<(&'i [u32], u32)> {
        let (name, value) = q.segment.as_ref()?;
        let col = segs.columns.get(name)?;
        Some((&col.codes, col.code_of(value)?))
    }
    let mut responses = Bits::zeros(ix.responses().len());
    let rcol = seg_col(ix.response_segments(), q);
    for (i, r) in ix.responses().iter().enumerate() {
        if row_kept(r.customer, r.has_customer_id, rcol, i) {
            responses.set(i);
        }
    }
    let mut tickets = Bits::zeros(ix.tickets().len());
    let tcol = seg_col(ix.ticket_segments(), q);
    for (i, t) in ix.tickets().iter().enumerate() {
        if row_kept(t.customer, t.has_customer_id, tcol, i) {
            tickets.set(i);
        }
    }
    let mut solved = Bits::zeros(ix.solved_order().len());
    for (k, &i) in ix.solved_order().iter().enumerate() {
        if tickets.get(i as usize) {
            solved.set(k);
        }
    }
    let segment_only = if q.cohort.is_none() { code } else { None };
    Ok(Masks {
        key: (q.segment.clone(), q.cohort),
        active: true,
        segment_only,
        customers,
        responses,
        tickets,
        solved,
    })
}
