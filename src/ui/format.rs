//! The screen's number formats: `crate::format`, where `report` finds its own.

pub use crate::format::*;
