//! The dashboard: a pure model and the runtime that drives it.
//!
//! key → `keymap.resolve` → `update` (pure) → effect → `runtime` performs it
//! → the worker computes → the view arrives (stale generations dropped) →
//! `ui::render` draws borrowed state.
//!
//! - the model: `state` (what is on screen), `action` (what a user can ask),
//!   `keymap` (keys to actions), `update` (every state change), `demo`;
//! - `worker`: loads the sources and computes views off the UI thread;
//! - `runtime`: the event loop, signals, file watcher and terminal.

pub mod action;
pub mod demo;
pub mod keymap;
mod runtime;
pub mod state;
pub mod update;
pub mod worker;

pub use runtime::{Options, export, export_stem, run};
