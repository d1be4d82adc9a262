//! Everything the screen shows, as plain data. No polars type lives here.

use std::sync::Arc;

use crate::metrics::alerts::{Alert, Jump};
use crate::metrics::customer::CustomerView;
use crate::metrics::goals::GoalStatus;
use crate::metrics::{Granularity, Period, Query, Snapshot};

pub use crate::metrics::Trend;

/// One computed view: the snapshot, its trend, goals and alerts, tagged
/// with the request's generation.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub generation: u64,
    pub snapshot: Snapshot,
    pub trend: Trend,
    pub goals: Vec<GoalStatus>,
    pub alerts: Vec<Alert>,
    /// The follow-up lists, sent after the view (`None` until then; empty
    /// without `[[followups]]` in the config).
    pub followups: Option<Vec<crate::metrics::followups::FollowupList>>,
}

listed_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Pane {
        Trends,
        Customers,
        Revenue,
        Risk,
        Nps,
        Tickets,
        Cohorts,
        Goals,
        Alerts,
        Followups,
    }
}

impl Pane {
    pub const COUNT: usize = Pane::ALL.len();

    /// The pane an alert concerns.
    pub fn of_jump(j: Jump) -> Pane {
        match j {
            Jump::Tickets => Pane::Tickets,
            Jump::Goals => Pane::Goals,
            Jump::Nps => Pane::Nps,
            Jump::Trends => Pane::Trends,
            Jump::Risk => Pane::Risk,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Trends => "Trends",
            Pane::Customers => "Customers & revenue",
            Pane::Revenue => "Revenue retention",
            Pane::Nps => "NPS, CSAT, CES",
            Pane::Tickets => "Tickets",
            Pane::Cohorts => "Cohort retention",
            Pane::Risk => "Churn risk",
            Pane::Goals => "Goals",
            Pane::Alerts => "Alerts",
            Pane::Followups => "Follow-ups",
        }
    }

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }

    /// The definition keys shown by the definitions panel for this pane.
    pub fn definition_keys(self) -> &'static [&'static str] {
        match self {
            Pane::Trends => &[
                "retained_rate",
                "churn_rate",
                "revenue",
                "buyers",
                "nps",
                "tickets.count",
            ],
            Pane::Customers => &[
                "customers.start",
                "customers.end",
                "customers.new",
                "customers.retained",
                "customers.won_back",
                "customers.lost",
                "retained_rate",
                "retention_rate",
                "churn_rate",
                "revenue",
                "orders",
                "apv",
                "apf",
                "arpc",
                "mrr",
                "repeat_purchase_rate",
                "clv",
            ],
            Pane::Revenue => &[
                "revenue_retention",
                "revenue_retention.nrr",
                "revenue_retention.grr",
                "revenue_retention.quick_ratio",
            ],
            Pane::Nps => &["nps", "nps.margin", "csat", "ces", "loyalty_retention"],
            Pane::Tickets => &[
                "tickets.count",
                "tickets.first_response_hours",
                "tickets.resolution_hours",
                "tickets.backlog",
                "tickets.csat",
            ],
            Pane::Cohorts => &["cohorts", "revenue_cohorts"],
            Pane::Risk => &["churn_risk", "churn_window_days", "predicted"],
            Pane::Goals => &["goals"],
            Pane::Alerts => &["alerts"],
            Pane::Followups => &["followups"],
        }
    }
}

/// A list to choose from (segments, cohorts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picker {
    pub title: String,
    /// (label shown, value applied); the first item clears the filter.
    pub items: Vec<(String, Option<String>)>,
    pub selected: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Dashboard,
    Help,
    Definitions,
    DataQuality,
    SegmentPicker(Picker),
    CohortPicker(Picker),
    /// Typing a customer id.
    Find(String),
    Customer(Box<CustomerView>),
    /// Choosing which customers to list (Enter on the Customers pane).
    ListPicker(Picker),
    /// Choosing the segment value of the compare view's other column.
    ComparePicker(Picker),
    /// The customers behind a count.
    List(Box<CustomerList>),
}

/// Matches shown under the find box as you type.
pub const FIND_SHOWN: usize = 8;

/// A drill-down list on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerList {
    pub set: crate::metrics::lists::CustomerSet,
    /// Every customer of the set (`shown` indexes them: private, so the two agree).
    rows: Vec<crate::metrics::lists::ListedCustomer>,
    /// The selected row among those shown.
    pub selected: usize,
    /// The order of the rows (`o` steps through them).
    pub order: ListOrder,
    /// Text the shown rows' ids hold, in any case (`/` in the list); the id
    /// is the email when the files name customers by email.
    pub filter: String,
    /// The filter box takes the keys.
    pub typing: bool,
    /// Positions in `rows` of the rows shown (those matching `filter`), in order.
    shown: Vec<usize>,
}

/// How a drill-down list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// Revenue in the period, then in all (as the engine gives them).
    #[default]
    Revenue,
    /// Revenue in all, highest first.
    Lifetime,
    /// Latest order first.
    LastOrder,
    /// By id.
    Id,
}

impl ListOrder {
    pub fn next(self) -> ListOrder {
        match self {
            ListOrder::Revenue => ListOrder::Lifetime,
            ListOrder::Lifetime => ListOrder::LastOrder,
            ListOrder::LastOrder => ListOrder::Id,
            ListOrder::Id => ListOrder::Revenue,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ListOrder::Revenue => "by revenue",
            ListOrder::Lifetime => "by lifetime revenue",
            ListOrder::LastOrder => "by last order",
            ListOrder::Id => "by id",
        }
    }
}

impl CustomerList {
    /// The list of a set, as the engine orders it, every row shown.
    pub fn new(
        set: crate::metrics::lists::CustomerSet,
        rows: Vec<crate::metrics::lists::ListedCustomer>,
    ) -> CustomerList {
        let shown = (0..rows.len()).collect();
        CustomerList {
            set,
            rows,
            selected: 0,
            order: ListOrder::default(),
            filter: String::new(),
            typing: false,
            shown,
        }
    }

    /// Every customer of the set, in the list's order.
    pub fn rows(&self) -> &[crate::metrics::lists::ListedCustomer] {
        &self.rows
    }

    /// The rows shown (those matching the filter), in order.
    pub fn shown(&self) -> impl ExactSizeIterator<Item = &crate::metrics::lists::ListedCustomer> {
        self.shown.iter().map(|&i| &self.rows[i])
    }

    /// The selected row, if any is shown.
    pub fn selected_row(&self) -> Option<&crate::metrics::lists::ListedCustomer> {
        self.shown.get(self.selected).map(|&i| &self.rows[i])
    }

    /// Sets the filter text and shows the rows whose id holds it (any case),
    /// the selection on the first.
    pub fn set_filter(&mut self, text: String) {
        self.filter = text;
        self.refilter();
    }

    fn refilter(&mut self) {
        let needle = self.filter.trim().to_lowercase();
        self.shown = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| needle.is_empty() || r.customer_id.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect();
        self.selected = 0;
    }

    /// Orders the rows (ties by id, so every order is total).
    pub fn sort(&mut self, order: ListOrder) {
        self.order = order;
        match order {
            ListOrder::Revenue => self.rows.sort_by(|a, b| {
                b.revenue
                    .total_cmp(&a.revenue)
                    .then_with(|| b.lifetime_revenue.total_cmp(&a.lifetime_revenue))
                    .then_with(|| a.customer_id.cmp(&b.customer_id))
            }),
            ListOrder::Lifetime => self.rows.sort_by(|a, b| {
                b.lifetime_revenue
                    .total_cmp(&a.lifetime_revenue)
                    .then_with(|| a.customer_id.cmp(&b.customer_id))
            }),
            // ISO dates order as text; no order at all comes last.
            ListOrder::LastOrder => self.rows.sort_by(|a, b| {
                b.last_order
                    .cmp(&a.last_order)
                    .then_with(|| a.customer_id.cmp(&b.customer_id))
            }),
            ListOrder::Id => self.rows.sort_by(|a, b| a.customer_id.cmp(&b.customer_id)),
        }
        self.refilter();
    }
}

impl Mode {
    pub fn takes_text(&self) -> bool {
        match self {
            Mode::Find(_) => true,
            Mode::List(list) => list.typing,
            _ => false,
        }
    }
}

/// What the event loop must do after an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Compute this query (tagged with the state's generation).
    Recompute(u64, Query),
    /// Look a customer up for the customer view.
    OpenCustomer(String),
    /// List the customers of a set for the query on screen.
    List(crate::metrics::lists::CustomerSet),
    /// Compute the compare view's other column.
    CompareWith(Query),
    /// The customers whose id holds the text typed so far.
    FindMatches(String),
    Export,
    /// Copy the summary (or the list on screen) to the clipboard.
    Yank,
    Reload,
    Quit,
}

/// Segment columns and their values, for the segment picker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choices {
    /// Column -> (value, customers with that value), values in name order.
    pub segments: Vec<(String, Vec<(String, u64)>)>,
    /// Acquisition cohort labels of the current granularity, newest first.
    pub cohorts: Vec<String>,
}

/// What the compare view sets the period against (`v` steps through them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The period before (cut to the same days when counted to date).
    Previous,
    /// The same period a year earlier.
    YearAgo,
    /// The same period under another filter (`s` in the compare view:
    /// plan=basic against plan=pro); its snapshot is `compare_with`.
    Segment,
    /// Any other period, same filters (`[` and `]` in the compare view);
    /// its snapshot is `compare_with`.
    Period,
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub query: Query,
    /// The last view computed; kept (dimmed) while a newer one computes.
    pub view: Option<Arc<View>>,
    /// The generation of the latest request; views of older ones are dropped.
    pub generation: u64,
    pub computing: bool,
    pub mode: Mode,
    pub focus: Pane,
    /// Scroll offset (or selected row) per pane.
    pub scroll: [usize; Pane::COUNT],
    /// The compare view, and what it sets the period against.
    pub compare: Option<Against>,
    /// The other column of a segment comparison: its query, and its
    /// snapshot once computed (dropped when it no longer matches the period).
    pub compare_with: Option<(Query, Option<std::sync::Arc<crate::metrics::Snapshot>>)>,
    /// The find box's matches so far: the text they answer, and up to
    /// `FIND_SHOWN + 1` ids (one more than shown says there are more).
    pub find_matches: Option<(String, Vec<String>)>,
    /// Lines scrolled in the open overlay (help, definitions, data quality,
    /// customer); 0 when one opens.
    pub overlay_scroll: usize,
    /// How long the last load took (shown in the data-quality view).
    pub load_time: Option<std::time::Duration>,
    /// The text of a find whose customer is being looked up (reopened on a miss).
    pub pending_find: Option<String>,
    /// The cohort pane shows revenue retention instead of customer retention.
    pub revenue_cohorts: bool,
    /// The first age column the cohort table shows (`<` and `>` scroll it).
    pub cohort_first_age: usize,
    /// The terminal's size (columns, rows) at the last key: how much of a
    /// table fits, so that scrolling stops at its end. (0, 0) before the first.
    pub screen: (u16, u16),
    /// The churn-risk list is ordered by P(alive) × revenue at stake.
    pub risk_by_alive: bool,
    /// The churn-risk rows' positions by P(alive) × revenue at stake, sorted
    /// once when the rows arrive.
    pub risk_alive_order: Vec<u32>,
    pub status: Option<String>,
    pub error: Option<String>,
    pub choices: Choices,
    pub data_range: Option<(String, String)>,
    /// The first order's day and the last day of data L: periods outside
    /// them hold no data, and the keys do not go there.
    pub bounds: Option<(crate::calendar::Day, crate::calendar::Day)>,
    /// The first view was chosen by default (no `--period`): when the cycle
    /// warning fires on it, the dashboard moves to the granularity it suggests.
    pub open_on_suggested: bool,
    /// The period asked for with `--period`, applied by the first load.
    pub requested_period: Option<crate::metrics::Period>,
    /// What the load is doing, while the sources load.
    pub loading: Option<String>,
    /// The demo's place while it presents (`holdfast demo`).
    pub demo: Option<super::demo::Demo>,
    pub quit: bool,
}

impl State {
    pub fn new(query: Query, choices: Choices, data_range: Option<(String, String)>) -> State {
        State {
            query,
            view: None,
            generation: 0,
            computing: false,
            mode: Mode::Dashboard,
            focus: Pane::Trends,
            scroll: [0; Pane::COUNT],
            compare: None,
            compare_with: None,
            find_matches: None,
            pending_find: None,
            load_time: None,
            overlay_scroll: 0,
            revenue_cohorts: false,
            cohort_first_age: 0,
            screen: (0, 0),
            risk_by_alive: false,
            risk_alive_order: Vec::new(),
            status: None,
            error: None,
            choices,
            data_range,
            bounds: None,
            open_on_suggested: false,
            requested_period: None,
            loading: None,
            demo: None,
            quit: false,
        }
    }

    /// The churn-risk list in the order shown: by revenue at stake (the
    /// engine's order), or by P(alive) × revenue at stake, highest first
    /// (customers without a P(alive) last).
    pub fn risk_rows(&self) -> Vec<&crate::metrics::AtRisk> {
        let Some(s) = self.snapshot() else {
            return Vec::new();
        };
        let rows = &s.churn_risk;
        if !self.risk_by_alive {
            return rows.iter().collect();
        }
        // The order is sorted when the rows arrive (`update::sort_risk`), not per frame.
        let order = if self.risk_alive_order.len() == rows.len() {
            std::borrow::Cow::Borrowed(&self.risk_alive_order)
        } else {
            std::borrow::Cow::Owned(alive_order(rows))
        };
        order.iter().map(|&i| &rows[i as usize]).collect()
    }

    /// Every follow-up of the view, list after list (the pane's rows).
    pub fn followup_rows(&self) -> Vec<&crate::metrics::followups::Followup> {
        self.view
            .as_deref()
            .and_then(|v| v.followups.as_ref())
            .map(|lists| lists.iter().flat_map(|l| &l.customers).collect())
            .unwrap_or_default()
    }

    pub fn scroll_of(&self, pane: Pane) -> usize {
        self.scroll[pane.index()]
    }

    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.view.as_deref().map(|v| &v.snapshot)
    }

    /// Whether the shown view is older than the query (a recompute is running).
    pub fn stale(&self) -> bool {
        self.computing
            || self
                .view
                .as_ref()
                .is_some_and(|v| v.generation != self.generation)
    }

    pub fn granularity(&self) -> Granularity {
        self.query.period.granularity
    }

    pub fn period(&self) -> Period {
        self.query.period
    }
}

/// Positions of churn-risk rows by P(alive) × revenue at stake, highest
/// first; rows without a P(alive) last, in their own order.
pub fn alive_order(rows: &[crate::metrics::AtRisk]) -> Vec<u32> {
    let key = |r: &crate::metrics::AtRisk| r.p_alive.map(|p| p * r.revenue_at_stake);
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    order.sort_by(
        |&a, &b| match (key(&rows[a as usize]), key(&rows[b as usize])) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        },
    );
    order
}
