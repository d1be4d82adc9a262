//! holdfast: a terminal dashboard for customer-retention KPIs.
//!
//! Layers, data flowing one way: `data` (loading with polars) → `metrics`
//! (the engine) → `app` (state and actions) → `ui` (pure render).
//! `tests/layers.rs` keeps the flow one way.

// Outside tests nothing unwraps: input never reaches a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

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
