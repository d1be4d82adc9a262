//! holdfast: a terminal dashboard for customer-retention KPIs.
//!
//! Layers, data flowing one way: `data` (loading with polars) → `metrics`
//! (the engine) → `app` (state and actions) → `ui` (pure render).
//! `tests/layers.rs` keeps the flow one way.

/// An enum with `ALL`, every variant in declaration order: the list is
/// derived, so it cannot miss one.
macro_rules! listed_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident),+ $(,)?
    }) => {
        $(#[$meta])* $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];
        }
    };
}

pub mod actions;
pub mod app;
pub mod calendar;
pub mod check;
pub mod cli;
pub mod config;
pub mod data;
pub mod fault;
pub mod files;
pub mod format;
#[doc(hidden)]
pub mod fuzzing;
pub mod metrics;
pub mod report;
pub mod sources;
pub mod text;
pub mod ui;

/// A scoped thread's result, its panic carried on into the thread that
/// joins it (as if the work had run there).
pub(crate) trait Joined<T> {
    fn joined(self) -> T;
}

impl<T> Joined<T> for std::thread::ScopedJoinHandle<'_, T> {
    fn joined(self) -> T {
        self.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
    }
}
