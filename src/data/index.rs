//! Compact indices built once at load so that a period or filter change runs
//! over sorted per-customer arrays (binary searches, prefix sums) rather than
//! raw rows. polars sorts the orders; the rest is plain vectors.

use std::collections::HashMap;

use polars::prelude::*;

use super::LoadError;
use super::parse::Day;
use super::schema::{self, Survey};

/// A survey response.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub day: Day,
    pub score: f64,
    pub survey: Survey,
    /// The customer (index into `Index::customers`) when the id is known from orders.
    pub customer: Option<u32>,
    /// Whether the row carried a customer id at all.
    pub has_customer_id: bool,
    pub comment: Option<String>,
}

/// A ticket's satisfaction rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rating {
    Good,
    Bad,
    Score(u8),
}

impl Rating {
    pub fn satisfied(self) -> bool {
        match self {
            Rating::Good => true,
            Rating::Bad => false,
            Rating::Score(s) => s >= 4,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    pub id: String,
    /// Instants in seconds since the epoch.
    pub created: i64,
    pub created_day: Day,
    pub first_response: Option<i64>,
    pub solved: Option<i64>,
    pub solved_day: Option<Day>,
    pub customer: Option<u32>,
    pub has_customer_id: bool,
    pub category: Option<String>,
    pub rating: Option<Rating>,
}

/// A segment column of the orders: each customer's value (from their first purchase row).
#[derive(Clone, Debug, Default)]
pub struct Segment {
    pub name: String,
    pub values: Vec<String>,
    pub of_customer: Vec<Option<u32>>,
}

/// Row-level segment values of a feedback or tickets file, for rows without a customer.
#[derive(Clone, Debug, Default)]
pub struct RowSegments {
    pub columns: HashMap<String, Vec<Option<String>>>,
}

#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Customer ids, sorted.
    pub customers: Vec<String>,
    pub customer_of: HashMap<String, u32>,
    /// Distinct purchase days per customer (CSR: `pdays[pday_start[c]..pday_start[c + 1]]`).
    pub pday_start: Vec<u32>,
    pub pdays: Vec<Day>,
    /// Orders of purchase rows per customer: (day, order key), one entry per order and day, by day.
    pub ord_start: Vec<u32>,
    pub ord_days: Vec<Day>,
    pub ord_keys: Vec<u32>,
    /// Whether a customer has an order whose purchase rows fall on several days.
    pub multi_day: Vec<bool>,
    /// All rows (refunds included) per customer by day, with running sums of amounts.
    pub row_start: Vec<u32>,
    pub row_days: Vec<Day>,
    /// `row_cum[i]` = sum of amounts of the customer's rows up to and including `i`.
    pub row_cum: Vec<i64>,
    /// First purchase day; `None` for customers with refunds only.
    pub first_day: Vec<Option<Day>>,
    pub segments: Vec<Segment>,
    /// The latest purchase date in all loaded orders.
    pub last_purchase_day: Option<Day>,
    pub first_row_day: Option<Day>,
    pub last_row_day: Option<Day>,
    /// Day gaps between consecutive distinct purchase dates, pooled over customers, sorted.
    pub gaps: Vec<i32>,
    pub responses: Vec<Response>,
    pub response_segments: RowSegments,
    pub has_feedback: bool,
    pub tickets: Vec<Ticket>,
    pub ticket_segments: RowSegments,
    pub has_tickets: bool,
}

fn err(e: PolarsError) -> LoadError {
    LoadError::Invalid {
        file: "(index)".into(),
        message: format!("internal error indexing the data: {e}"),
    }
}

fn strs(df: &DataFrame, col: &str) -> Result<Vec<Option<String>>, LoadError> {
    let c = df.column(col).map_err(err)?;
    let ca = c.str().map_err(err)?;
    Ok(ca.iter().map(|v| v.map(String::from)).collect())
}

fn segment_columns(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .filter_map(|n| n.strip_prefix(schema::SEGMENT_PREFIX).map(String::from))
        .collect()
}

fn row_segments(df: &DataFrame) -> Result<RowSegments, LoadError> {
    let mut columns = HashMap::new();
    for name in segment_columns(df) {
        columns.insert(
            name.clone(),
            strs(df, &format!("{}{}", schema::SEGMENT_PREFIX, name))?,
        );
    }
    Ok(RowSegments { columns })
}

impl Index {
    pub fn customer_count(&self) -> usize {
        self.customers.len()
    }

    pub fn pdays(&self, c: usize) -> &[Day] {
        &self.pdays[self.pday_start[c] as usize..self.pday_start[c + 1] as usize]
    }

    pub fn orders_of(&self, c: usize) -> (&[Day], &[u32]) {
        let r = self.ord_start[c] as usize..self.ord_start[c + 1] as usize;
        (&self.ord_days[r.clone()], &self.ord_keys[r])
    }

    /// Sum of the customer's amounts (refunds included) dated in [from, to).
    pub fn revenue(&self, c: usize, from: Day, to: Day) -> i64 {
        let (a, b) = (self.row_start[c] as usize, self.row_start[c + 1] as usize);
        let days = &self.row_days[a..b];
        let lo = days.partition_point(|&d| d < from);
        let hi = days.partition_point(|&d| d < to);
        let cum = |i: usize| if i == 0 { 0 } else { self.row_cum[a + i - 1] };
        cum(hi) - cum(lo)
    }

    /// Builds the index from the canonical tables.
    pub fn build(
        orders: &DataFrame,
        feedback: Option<&DataFrame>,
        tickets: Option<&DataFrame>,
    ) -> Result<Index, LoadError> {
        let sorted = orders
            .sort(
                [schema::CUSTOMER_ID, schema::ORDER_DATE],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .map_err(err)?;
        let cust = sorted
            .column(schema::CUSTOMER_ID)
            .map_err(err)?
            .str()
            .map_err(err)?
            .clone();
        let days: Vec<Day> = sorted
            .column(schema::ORDER_DATE)
            .map_err(err)?
            .i32()
            .map_err(err)?
            .into_no_null_iter()
            .collect();
        let amounts: Vec<i64> = sorted
            .column(schema::AMOUNT)
            .map_err(err)?
            .i64()
            .map_err(err)?
            .into_no_null_iter()
            .collect();
        let order_ids = sorted
            .column(schema::ORDER_ID)
            .map_err(err)?
            .str()
            .map_err(err)?
            .clone();
        let seg_names = segment_columns(&sorted);
        let seg_cols: Vec<Vec<Option<String>>> = seg_names
            .iter()
            .map(|n| strs(&sorted, &format!("{}{}", schema::SEGMENT_PREFIX, n)))
            .collect::<Result<_, _>>()?;

        let mut ix = Index::default();
        let mut seg_interners: Vec<HashMap<String, u32>> = vec![HashMap::new(); seg_names.len()];
        ix.segments = seg_names
            .iter()
            .map(|n| Segment {
                name: n.clone(),
                ..Default::default()
            })
            .collect();
        let mut order_keys: HashMap<&str, u32> = HashMap::new();
        let mut next_key: u32 = 0;
        let n = days.len();
        let mut i = 0;
        ix.pday_start.push(0);
        ix.ord_start.push(0);
        ix.row_start.push(0);
        while i < n {
            let id = cust.get(i).unwrap_or("");
            let mut j = i;
            while j < n && cust.get(j).unwrap_or("") == id {
                j += 1;
            }
            let c = ix.customers.len() as u32;
            ix.customers.push(id.to_string());
            ix.customer_of.insert(id.to_string(), c);
            let mut first: Option<usize> = None;
            let mut running = 0i64;
            let mut entries: Vec<(Day, u32)> = Vec::new();
            for k in i..j {
                running += amounts[k];
                ix.row_days.push(days[k]);
                ix.row_cum.push(running);
                if amounts[k] < 0 {
                    continue;
                }
                if first.is_none() {
                    first = Some(k);
                }
                if ix.pdays.len() == ix.pday_start[c as usize] as usize
                    || ix.pdays.last() != Some(&days[k])
                {
                    ix.pdays.push(days[k]);
                }
                let key = match order_ids.get(k) {
                    Some(o) => *order_keys.entry(o).or_insert_with(|| {
                        next_key += 1;
                        next_key - 1
                    }),
                    None => {
                        next_key += 1;
                        next_key - 1
                    }
                };
                entries.push((days[k], key));
            }
            entries.sort_unstable();
            entries.dedup();
            let mut keys: Vec<u32> = entries.iter().map(|e| e.1).collect();
            keys.sort_unstable();
            let distinct = {
                keys.dedup();
                keys.len()
            };
            ix.multi_day.push(distinct != entries.len());
            for (d, k) in entries {
                ix.ord_days.push(d);
                ix.ord_keys.push(k);
            }
            ix.first_day.push(first.map(|k| days[k]));
            for (s, col) in seg_cols.iter().enumerate() {
                let v = first.and_then(|k| col[k].as_ref()).map(|v| {
                    let len = seg_interners[s].len() as u32;
                    let code = *seg_interners[s].entry(v.clone()).or_insert(len);
                    if code == len {
                        ix.segments[s].values.push(v.clone());
                    }
                    code
                });
                ix.segments[s].of_customer.push(v);
            }
            let pd = &ix.pdays[ix.pday_start[c as usize] as usize..];
            ix.gaps.extend(pd.windows(2).map(|w| w[1] - w[0]));
            ix.pday_start.push(ix.pdays.len() as u32);
            ix.ord_start.push(ix.ord_days.len() as u32);
            ix.row_start.push(ix.row_days.len() as u32);
            i = j;
        }
        ix.gaps.sort_unstable();
        ix.last_purchase_day = ix.pdays.iter().copied().max();
        ix.first_row_day = days.iter().copied().min();
        ix.last_row_day = days.iter().copied().max();

        if let Some(fb) = feedback {
            ix.has_feedback = true;
            let day = fb
                .column(schema::RESPONDED_AT)
                .map_err(err)?
                .i32()
                .map_err(err)?
                .clone();
            let score = fb
                .column(schema::SCORE)
                .map_err(err)?
                .f64()
                .map_err(err)?
                .clone();
            let survey = strs(fb, schema::SURVEY)?;
            let customer = strs(fb, schema::CUSTOMER_ID)?;
            let comment = strs(fb, schema::COMMENT)?;
            let mut order: Vec<usize> = (0..fb.height()).collect();
            let day_at = |i: usize| day.get(i).unwrap_or(0);
            order.sort_by_key(|&i| day_at(i));
            let segs = row_segments(fb)?;
            let mut sorted_segs = RowSegments::default();
            for (name, col) in segs.columns {
                sorted_segs
                    .columns
                    .insert(name, order.iter().map(|&i| col[i].clone()).collect());
            }
            ix.response_segments = sorted_segs;
            for i in order {
                let survey = match survey[i].as_deref() {
                    Some("csat") => Survey::Csat,
                    Some("ces") => Survey::Ces,
                    _ => Survey::Nps,
                };
                ix.responses.push(Response {
                    day: day_at(i),
                    score: score.get(i).unwrap_or(0.0),
                    survey,
                    customer: customer[i]
                        .as_ref()
                        .and_then(|c| ix.customer_of.get(c).copied()),
                    has_customer_id: customer[i].is_some(),
                    comment: comment[i].clone(),
                });
            }
        }

        if let Some(tk) = tickets {
            ix.has_tickets = true;
            let id = strs(tk, schema::TICKET_ID)?;
            let created = tk
                .column(schema::CREATED_AT)
                .map_err(err)?
                .i64()
                .map_err(err)?
                .clone();
            let created_day = tk
                .column(schema::CREATED_DAY)
                .map_err(err)?
                .i32()
                .map_err(err)?
                .clone();
            let first = tk
                .column(schema::FIRST_RESPONSE_AT)
                .map_err(err)?
                .i64()
                .map_err(err)?
                .clone();
            let solved = tk
                .column(schema::SOLVED_AT)
                .map_err(err)?
                .i64()
                .map_err(err)?
                .clone();
            let solved_day = tk
                .column(schema::SOLVED_DAY)
                .map_err(err)?
                .i32()
                .map_err(err)?
                .clone();
            let customer = strs(tk, schema::CUSTOMER_ID)?;
            let category = strs(tk, schema::CATEGORY)?;
            let sat = strs(tk, schema::SATISFACTION)?;
            ix.ticket_segments = row_segments(tk)?;
            for i in 0..tk.height() {
                let rating = match sat[i].as_deref() {
                    Some("good") => Some(Rating::Good),
                    Some("bad") => Some(Rating::Bad),
                    Some(s) => s.parse::<u8>().ok().map(Rating::Score),
                    None => None,
                };
                ix.tickets.push(Ticket {
                    id: id[i].clone().unwrap_or_default(),
                    created: created.get(i).unwrap_or(0),
                    created_day: created_day.get(i).unwrap_or(0),
                    first_response: first.get(i),
                    solved: solved.get(i),
                    solved_day: solved_day.get(i),
                    customer: customer[i]
                        .as_ref()
                        .and_then(|c| ix.customer_of.get(c).copied()),
                    has_customer_id: customer[i].is_some(),
                    category: category[i].clone(),
                    rating,
                });
            }
        }
        Ok(ix)
    }
}
