//! The engine over one dataset: its caches, and `compute` that assembles a snapshot.

use super::*;

/// Segment columns with at most this many values are prepared in the background.
pub const WARM_SEGMENT_VALUES: usize = 12;

pub(super) type CohortKey = (Granularity, Option<(String, String)>, Option<Period>);
/// Granularity, churn window, and the days each period is cut to (if any).
pub(super) type TimelineKey = (Granularity, u32, Option<i32>);

/// The engine over one dataset: caches the timeline of each (granularity,
/// window) and the cohort table of each (granularity, filter), so that a
/// period change only recounts.
pub struct Engine<'d> {
    ds: &'d Dataset,
    timelines: Mutex<HashMap<TimelineKey, Arc<Timeline>>>,
    cohorts: Mutex<HashMap<CohortKey, Arc<CohortTables>>>,
    masks: Mutex<HashMap<FilterKey, Arc<Masks>>>,
    risk: Mutex<HashMap<RiskKey, Arc<RiskCache>>>,
    parts: PartsCache,
    kpis: KpisCache,
    pub(super) predictions: Mutex<HashMap<PredictionKey, Arc<Prediction>>>,
    /// The config's scales and threshold, the same for every query.
    pub(super) settings: Settings,
    /// Finds the tickets open at an instant, built on first use.
    open_index: std::sync::OnceLock<OpenIndex>,
    /// The customers buying on each day, built on first use (follow-ups).
    pub(super) buyers_by_day: std::sync::OnceLock<super::followups::BuyersByDay>,
    /// Tests: compute every period by scanning, as a filtered query would.
    pub no_parts: bool,
}

impl<'d> Engine<'d> {
    /// An engine with the default settings (5-point CSAT, 7-point CES, at
    /// risk from 2 cycles overdue).
    pub fn new(ds: &'d Dataset) -> Self {
        Self::with_settings(ds, Settings::default())
    }

    pub fn with_settings(ds: &'d Dataset, settings: Settings) -> Self {
        Engine {
            settings,
            ds,
            timelines: Mutex::new(HashMap::new()),
            cohorts: Mutex::new(HashMap::new()),
            masks: Mutex::new(HashMap::new()),
            risk: Mutex::new(HashMap::new()),
            parts: Mutex::new(HashMap::new()),
            kpis: Mutex::new(HashMap::new()),
            predictions: Mutex::new(HashMap::new()),
            open_index: std::sync::OnceLock::new(),
            buyers_by_day: std::sync::OnceLock::new(),
            no_parts: false,
        }
    }

    pub fn dataset(&self) -> &'d Dataset {
        self.ds
    }

    /// The timeline of a granularity and window, built on first use.
    pub fn timeline(&self, g: Granularity, window: u32) -> Arc<Timeline> {
        self.timeline_cut(g, window, None)
    }

    /// The timeline whose periods are counted for their first `cut` days
    /// (the like-for-like comparisons of a period to date), built on first use.
    pub fn timeline_cut(&self, g: Granularity, window: u32, cut: Option<i32>) -> Arc<Timeline> {
        let key = (g, window, cut);
        if let Some(t) = self
            .timelines
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return t;
        }
        let t = Arc::new(Timeline::build(&self.ds.index, g, window, cut));
        crate::data::trace(&format!("timeline built ({})", g.name()));
        if let Ok(mut m) = self.timelines.lock() {
            m.insert(key, t.clone());
        }
        t
    }

    /// The masks of a filter, built on first use.
    pub(super) fn masks(&self, q: &Query) -> Result<Arc<Masks>, MetricsError> {
        let key: FilterKey = (q.segment.clone(), q.cohort);
        if let Some(m) = self.masks.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(m);
        }
        let m = Arc::new(build_masks(&self.ds.index, q)?);
        if let Ok(mut cache) = self.masks.lock() {
            cache.insert(key, m.clone());
        }
        Ok(m)
    }

    /// The churn-risk candidates of a timeline and threshold, built on first use.
    pub(super) fn risk_candidates(
        &self,
        tl: &Timeline,
        cycle: Option<f64>,
        threshold: f64,
    ) -> Arc<RiskCache> {
        // The threshold is the engine's: one list per timeline.
        let key = (tl.granularity, tl.window);
        if let Some(r) = self.risk.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return r;
        }
        let candidates = tl.risk_candidates(&self.ds.index, cycle, threshold);
        let lists = (0..candidates.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        let r = Arc::new(RiskCache {
            candidates,
            lists,
            filtered: Mutex::default(),
        });
        if let Ok(mut m) = self.risk.lock() {
            m.insert(key, r.clone());
        }
        r
    }

    /// Builds the timelines (and churn-risk candidates for `threshold`) of every
    /// granularity for a window, two at a time.
    pub fn warm(&self, window: Option<u32>) {
        let Settings {
            scales,
            at_risk_threshold: threshold,
        } = self.settings;
        let (cycle, w) = churn_window(&self.ds.index, window);
        std::thread::scope(|s| {
            for pair in Granularity::ALL.chunks(2) {
                s.spawn(move || {
                    for g in pair {
                        let tl = self.timeline(*g, w);
                        // The period to date compares with its cut neighbours: their timeline too.
                        if let Some(last) = self.ds.index.last_purchase_day() {
                            let latest = Period::containing(*g, last);
                            if let Some(i) = tl.index_of(&latest)
                                && tl.end_of(i) < latest.end()
                            {
                                self.timeline_cut(*g, w, Some(tl.end_of(i) - latest.start()));
                            }
                        }
                        let risk = self.risk_candidates(&tl, cycle, threshold);
                        // Every period's unfiltered feedback and ticket results.
                        let Ok(masks) = build_masks(&self.ds.index, &Query::new(tl.first)) else {
                            continue;
                        };
                        let ctx = Ctx {
                            ix: &self.ds.index,
                            tl: &tl,
                            start_tl: &tl,
                            masks: &masks,
                            scales,
                            parts: Some(&self.parts),
                            kpis_cache: None,
                            memo: RefCell::default(),
                        };
                        for k in 0..tl.len as i32 {
                            ctx.parts_of(&tl.first.shift(k));
                        }
                        // The at-risk lists of the latest period and the one before,
                        // which the first view shows and its alerts compare.
                        if let Some(day) = self.ds.index.last_row_day() {
                            let latest = Period::containing(*g, day);
                            for p in [latest, latest.previous()] {
                                ctx.churn_risk(&p, cycle, threshold, &risk);
                            }
                        }
                    }
                });
            }
            s.spawn(|| self.open_tickets_at(0).count());
        });
    }

    /// Forgets the finished results (KPI blocks and filtered at-risk lists) but
    /// keeps what the background warm-up prepared: benchmarks call it so that
    /// each timed view is computed, not looked up.
    pub fn forget_views(&self) {
        if let Ok(mut k) = self.kpis.lock() {
            k.clear();
        }
        if let Ok(mut p) = self.predictions.lock() {
            p.clear();
        }
        if let Ok(risk) = self.risk.lock() {
            for r in risk.values() {
                if let Ok(mut f) = r.filtered.lock() {
                    f.clear();
                }
            }
        }
    }

    /// The cohort table of a query's granularity and filters, built on first use.
    pub(super) fn cohorts_of(&self, q: &Query, ctx: &Ctx) -> Arc<CohortTables> {
        let key: CohortKey = (q.period.granularity, q.segment.clone(), q.cohort);
        if let Some(c) = self.cohorts.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return c;
        }
        let c = Arc::new(ctx.cohorts());
        if let Ok(mut m) = self.cohorts.lock() {
            m.insert(key, c.clone());
        }
        c
    }

    /// Prepares, at granularity `g`, the segment filters the dashboard offers
    /// from columns of at most `WARM_SEGMENT_VALUES` values: their masks, cohort
    /// tables and every period's feedback and ticket results, so that the first
    /// switch to a segment is as quick as a return to it. Run after `warm`.
    pub fn warm_segments(&self, g: Granularity, window: Option<u32>) {
        let ix = &self.ds.index;
        let Some(day) = ix.last_row_day() else {
            return;
        };
        for seg in ix
            .segments()
            .iter()
            .filter(|s| s.values.len() <= WARM_SEGMENT_VALUES)
        {
            for value in &seg.values {
                let q = Query {
                    segment: Some((seg.name.clone(), value.clone())),
                    churn_window: window,
                    ..Query::new(Period::containing(g, day))
                };
                let Ok(prepared) = self.prepare(&q, g) else {
                    continue;
                };
                let ctx = self.ctx(&prepared);
                self.cohorts_of(&q, &ctx);
                let tl = &prepared.tl;
                for k in 0..tl.len as i32 {
                    ctx.parts_of(&tl.first.shift(k));
                }
            }
        }
    }

    /// Computes every KPI of the query's period, its previous period and the
    /// same period a year ago, the cohort table and the churn-risk list.
    pub fn compute(&self, q: &Query) -> Result<Snapshot, MetricsError> {
        let p = q.period;
        let prepared = self.prepare(q, p.granularity)?;
        let (cycle, w, tl) = (prepared.cycle, prepared.window, &prepared.tl);
        let ctx = self.ctx(&prepared);
        let cycle_warning = cycle.and_then(|c| {
            let required = 3.0 * c;
            (f64::from(p.days()) < required).then(|| CycleWarning {
                period_days: p.days(),
                purchase_cycle_days: c,
                required_days: required,
                suggested_granularity: Granularity::ALL
                    .into_iter()
                    .find(|g| f64::from(g.shortest_days()) >= required),
            })
        });
        let cohorts = self.cohorts_of(q, &ctx);
        // A period to date (it holds the last day of data L) is compared with
        // the same number of days from the start of the previous period and of
        // the year-ago one (kpi-spec §2).
        let counted = ctx.end_of(&p);
        let cut_tl = (counted < p.end())
            .then(|| self.timeline_cut(p.granularity, w, Some(counted - p.start())));
        let cut_ctx = cut_tl.as_deref().map(|cut| Ctx {
            tl: cut,
            start_tl: tl,
            memo: RefCell::default(),
            ..self.ctx(&prepared)
        });
        let compare = cut_ctx.as_ref().unwrap_or(&ctx);
        let block = |p: Period| PeriodKpis {
            period: PeriodJson::counted(&p, compare.end_of(&p)),
            kpis: compare.kpis(&p),
        };
        let previous = block(p.previous());
        let mut kpis = ctx.kpis(&p);
        // A period to date: its revenue movements start from the cut previous period.
        if cut_ctx.is_some() {
            kpis.revenue_retention = compare.revenue_of(&p);
        }
        // NPS significance against the previous block as shown (like for like).
        if let (Some(now), Some(before)) = (kpis.nps.as_mut(), previous.kpis.nps.as_ref()) {
            now.change_significant = significant(now, before);
        }
        Ok(Snapshot {
            period: PeriodJson::counted(&p, counted),
            filters: Filters {
                segment: q.segment.as_ref().map(|(c, v)| format!("{c}={v}")),
                cohort: q.cohort.map(|c| c.label()),
            },
            churn_window_days: w,
            purchase_cycle_days: cycle,
            cycle_warning,
            kpis,
            previous: Some(previous),
            year_ago: p.year_ago().map(block),
            revenue_cohorts: cohorts.revenue.clone(),
            predicted: None,
            cohorts: cohorts.customers.clone(),
            churn_risk: ctx.churn_risk(
                &p,
                cycle,
                self.settings.at_risk_threshold,
                &self.risk_candidates(tl, cycle, self.settings.at_risk_threshold),
            ),
            data_quality: self.ds.reports.clone(),
            currency: super::snapshot::currency_of(&self.ds.reports, q.segment.as_ref()),
        })
    }
}

/// What a query's computations share: the filter masks, the churn window
/// (and the purchase cycle it came from) and the timeline of a granularity.
pub(super) struct Prepared {
    pub(super) masks: Arc<Masks>,
    pub(super) cycle: Option<f64>,
    pub(super) window: u32,
    pub(super) tl: Arc<Timeline>,
}

impl Engine<'_> {
    pub(super) fn prepare(&self, q: &Query, g: Granularity) -> Result<Prepared, MetricsError> {
        let masks = self.masks(q)?;
        let (cycle, window) = churn_window(&self.ds.index, q.churn_window);
        Ok(Prepared {
            masks,
            cycle,
            window,
            tl: self.timeline(g, window),
        })
    }

    pub(super) fn ctx<'a>(&'a self, p: &'a Prepared) -> Ctx<'a> {
        let scales = self.settings.scales;
        Ctx {
            ix: &self.ds.index,
            tl: &p.tl,
            start_tl: &p.tl,
            masks: &p.masks,
            scales,
            parts: (!self.no_parts).then_some(&self.parts),
            kpis_cache: (!self.no_parts).then_some(&self.kpis),
            memo: RefCell::default(),
        }
    }

    /// The churn-risk list of another period than the query's, same filters.
    pub fn churn_risk_of(&self, q: &Query, p: &Period) -> Result<Arc<[AtRisk]>, MetricsError> {
        let prepared = self.prepare(q, p.granularity)?;
        let ctx = self.ctx(&prepared);
        let cache = self.risk_candidates(
            &prepared.tl,
            prepared.cycle,
            self.settings.at_risk_threshold,
        );
        Ok(ctx.churn_risk(p, prepared.cycle, self.settings.at_risk_threshold, &cache))
    }

    /// Whether the query's filters keep ticket `i` (index into `Index::tickets`).
    pub fn ticket_kept(&self, q: &Query) -> Result<impl Fn(usize) -> bool + use<>, MetricsError> {
        let masks = self.masks(q)?;
        Ok(move |i| masks.tickets.get(i))
    }

    /// Indices of the tickets still unsolved at instant `now` (created by then,
    /// not solved by then), in no particular order.
    pub fn open_tickets_at(&self, now: i64) -> impl Iterator<Item = usize> + '_ {
        let ix = &self.ds.index;
        let open = self.open_index.get_or_init(|| OpenIndex::build(ix));
        // Tickets are in creation order by calendar day (in each value's own
        // offset): two days of slack, the instants decide.
        let day = (now.div_euclid(86_400).saturating_add(2)).clamp(Day::MIN.into(), Day::MAX.into())
            as Day;
        let created = ix.tickets().partition_point(|t| t.created_day <= day);
        let never = open.never.partition_point(|&i| (i as usize) < created);
        let solved_later = open
            .latest_solved
            .iter()
            .enumerate()
            .take(created.div_ceil(OPEN_BLOCK))
            .filter(move |(_, m)| **m > now)
            .flat_map(move |(b, _)| b * OPEN_BLOCK..((b + 1) * OPEN_BLOCK).min(created))
            .filter(move |&i| ix.tickets()[i].solved.is_some_and(|s| s > now));
        open.never[..never]
            .iter()
            .map(|&i| i as usize)
            .chain(solved_later)
            .filter(move |&i| ix.tickets()[i].created <= now)
    }
}

/// What `report` prints for one period: the snapshot, the goals and the alerts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub snapshot: Snapshot,
    pub goals: Vec<goals::GoalStatus>,
    pub alerts: Vec<alerts::Alert>,
}

impl Report {
    pub fn new(
        engine: &Engine,
        q: &Query,
        snapshot: Snapshot,
        goal_list: &[goals::Goal],
        rules: &alerts::AlertRules,
    ) -> Report {
        let goals = goals::evaluate(engine, q, goal_list);
        let alerts = alerts::evaluate(engine, q, &snapshot, &goals, rules);
        Report {
            snapshot,
            goals,
            alerts,
        }
    }
}

/// Computes one query without keeping caches (scripts, tests).
pub fn compute(ds: &Dataset, q: &Query) -> Result<Snapshot, MetricsError> {
    Engine::new(ds).compute(q)
}

/// Every period of a granularity over the data's date range, oldest first.
pub fn periods_over_data(ds: &Dataset, g: Granularity) -> Vec<Period> {
    // From the period of the first order to the one that holds L.
    let Some((a, b)) = data_bounds(ds) else {
        return Vec::new();
    };
    let mut p = Period::containing(g, a);
    let mut out = Vec::new();
    while p.start() <= b {
        out.push(p);
        p = p.next();
    }
    out
}

/// The days periods are bounded by: the first order row's day and the last
/// day of data L (the latest purchase date; kpi-spec §2).
pub fn data_bounds(ds: &Dataset) -> Option<(Day, Day)> {
    let ix = &ds.index;
    Some((ix.first_row_day()?, ix.last_purchase_day()?))
}

/// `YYYY-MM-DD` of the data's first and last order rows.
pub fn data_range(ds: &Dataset) -> Option<(String, String)> {
    Some((
        format_day(ds.index.first_row_day()?),
        format_day(ds.index.last_row_day()?),
    ))
}
