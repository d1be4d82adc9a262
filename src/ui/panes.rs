//! The dashboard's panes, one widget each: a pane is a small struct over
//! borrowed view data and the theme, implementing ratatui's `Widget`.
//!
//! - `header`, `tiles`: the top of the screen;
//! - `trends`, `customers`, `nps`, `tickets`, `cohorts`, `risk`, `goals`,
//!   `alerts`: the panes the layout arranges (`PaneView` picks one);
//! - `compare`: the comparison view;
//! - `common`: the framed block and the helpers the panes share.

mod alerts;
mod cohorts;
mod common;
mod compare;
mod customers;
mod followups;
mod goals;
mod header;
mod nps;
mod revenue;
mod risk;
mod tickets;
mod tiles;
mod trends;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Gauge, Paragraph, Row, Sparkline, Table, Widget};

use super::Theme;
use super::format::{self, NONE};
use crate::app::state::{Pane, State, View};
use crate::metrics::alerts::Severity;
use crate::metrics::goals::{GapTrend, GoalKpi, GoalState, GoalStatus};
use crate::metrics::{AtRisk, Kpis, Snapshot};
pub use alerts::Alerts;
pub use cohorts::{Cohorts, ages_fitting};
pub(crate) use common::ellipsis;
pub use common::goal_style;
use common::*;
pub use compare::{Compare, KpiRow, kpi_rows};
pub use customers::Customers;
pub use followups::Followups;
pub use goals::Goals;
pub use header::Header;
pub use nps::Nps;
pub use revenue::Revenue;
pub use risk::Risk;
pub use tickets::Tickets;
pub use tiles::Tiles;
pub use trends::Trends;

/// Renders a widget into a buffer, as `Frame::render_widget` does into a frame.
trait Put {
    fn put(&mut self, widget: impl Widget, area: Rect);
}

impl Put for Buffer {
    fn put(&mut self, widget: impl Widget, area: Rect) {
        widget.render(area, self);
    }
}

/// One of the arranged panes, framed, with its focus and scroll from the state.
pub struct PaneView<'a> {
    pub pane: Pane,
    pub state: &'a State,
    pub theme: &'a Theme,
}

impl Widget for PaneView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let PaneView { pane, state, theme } = self;
        let Some(view) = state.view.as_deref() else {
            return;
        };
        let focused = state.focus == pane;
        let b = block(pane.title(), focused, theme);
        let inner = b.inner(area);
        buf.put(b, area);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let s = &view.snapshot;
        let text = if state.stale() {
            theme.dim()
        } else {
            theme.text()
        };
        let scroll = state.scroll_of(pane);
        match pane {
            Pane::Trends => buf.put(Trends { view, theme, text }, inner),
            Pane::Customers => buf.put(
                Customers {
                    snapshot: s,
                    theme,
                    text,
                },
                inner,
            ),
            Pane::Revenue => buf.put(Revenue { view, theme, text }, inner),
            Pane::Nps => buf.put(
                Nps {
                    snapshot: s,
                    scroll,
                    theme,
                    text,
                },
                inner,
            ),
            Pane::Tickets => buf.put(
                Tickets {
                    snapshot: s,
                    scroll,
                    theme,
                    text,
                },
                inner,
            ),
            Pane::Cohorts => buf.put(
                Cohorts {
                    snapshot: s,
                    scroll,
                    first_age: state.cohort_first_age,
                    theme,
                    revenue: state.revenue_cohorts,
                },
                inner,
            ),
            Pane::Risk => buf.put(
                Risk {
                    snapshot: s,
                    rows: &state.risk_rows(),
                    by_alive: state.risk_by_alive,
                    selected: scroll,
                    focused,
                    theme,
                    text,
                },
                inner,
            ),
            Pane::Followups => buf.put(
                Followups {
                    view,
                    selected: scroll,
                    focused,
                    theme,
                    text,
                },
                inner,
            ),
            Pane::Goals => buf.put(
                Goals {
                    view,
                    selected: scroll,
                    focused,
                    theme,
                    text,
                },
                inner,
            ),
            Pane::Alerts => buf.put(
                Alerts {
                    view,
                    selected: scroll,
                    focused,
                    theme,
                    text,
                },
                inner,
            ),
        }
    }
}
