//! The metrics engine (kpi-spec §3–§5): `compute(&Dataset, &Query) -> Snapshot`.
//!
//! Everything runs over the compact `Index` built at load. Ratios whose
//! denominator is zero are `None` (null in JSON, `–` on screen).
//!
//! Where things are:
//! - `query` (what is asked), `snapshot` (what comes back), `kpi` (the KPI
//!   registry: key, label, unit, direction, getter, definition);
//! - `engine` (the caches and `compute`), `ctx` (one computation's context
//!   and shared arithmetic), `filter` (segment and cohort masks);
//! - one file per KPI family: `base` (customers, revenue), `feedback`,
//!   `tickets`, `cohorts`, `risk`, `trend`;
//! - `timeline` (per-period bitsets of the base), `period` (calendar periods),
//!   `goals`, `alerts`, `customer` (one customer's view), `definitions`.

pub mod alerts;
pub mod bgnbd;
pub mod customer;
pub mod definitions;
pub mod fit_memo;
pub mod followups;
pub mod goals;
pub mod kpi;
pub mod lists;
pub mod period;
pub mod query;
pub mod snapshot;
pub mod timeline;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use serde::Serialize;

mod base;
mod cohorts;
mod ctx;
mod engine;
mod feedback;
mod filter;
mod predict;
mod revenue;
mod risk;
mod tickets;
mod trend;

use crate::calendar::{Day, format_day};
use crate::data::index::Index;
use crate::data::parse::amount_to_f64;
use crate::data::schema::Survey;
use crate::data::{Dataset, Scales};
pub use crate::text::stopwords;
pub use base::{DAYS_PER_MONTH, churn_window};
use cohorts::CohortTables;
pub use ctx::nearest_rank;
use ctx::*;
pub use engine::{
    Engine, Report, WARM_SEGMENT_VALUES, compute, data_bounds, data_range, periods_over_data,
};
use feedback::*;
pub use filter::Masks;
use filter::*;
pub use period::{Granularity, Period, PeriodJson};
pub use predict::Prediction;
use predict::PredictionKey;
pub use query::{MetricsError, Query, Settings};
use risk::*;
pub use snapshot::*;
use tickets::*;
use timeline::{Bits, Timeline};
pub use trend::Trend;
