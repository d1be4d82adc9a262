//! holdfast: a terminal dashboard for customer-retention KPIs.
//!
//! Layers, data flowing one way: `data` (loading with polars) → `metrics`
//! (the engine) → `app` (state and actions) → `ui` (pure render).
//! `tests/layers.rs` keeps the flow one way.

pub mod app;
pub mod calendar;
pub mod check;
pub mod cli;
pub mod config;
pub mod data;
#[doc(hidden)]
pub mod fuzzing;
pub mod metrics;
pub mod report;
pub mod sources;
pub mod text;
pub mod ui;
