//! holdfast: a terminal dashboard for customer-retention KPIs.
//!
//! Layers, data flowing one way: `data` (loading with polars) → `metrics`
//! (the engine) → `app` (state and actions) → `ui` (pure render).

pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod data;
#[doc(hidden)]
pub mod fuzzing;
pub mod metrics;
pub mod report;
pub mod sources;
pub mod ui;
