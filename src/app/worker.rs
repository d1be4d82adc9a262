//! The worker thread: loads the sources, then answers compute requests with
//! plain views. The UI thread never waits on it; stale requests are skipped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::state::{Choices, View};
use crate::data::{self, Dataset, LoadReport, Scales, Sources};
use crate::metrics::alerts::AlertRules;
use crate::metrics::customer::CustomerView;
use crate::metrics::followups::FollowupRule;
use crate::metrics::goals::Goal;
use crate::metrics::{AtRisk, Engine, Granularity, Predicted, Query, periods_over_data};

pub enum Request {
    Compute(u64, Query),
    Customer(Query, String),
    List(Query, crate::metrics::lists::CustomerSet),
    /// The compare view's other column (another segment value).
    CompareWith(Query),
    /// Customer ids holding a text (the find box, as you type).
    Matches(String),
    Reload,
}

pub enum Reply {
    /// What the load is doing now.
    Progress(String),
    /// A line for the status bar (the alert action's outcome).
    Status(String),
    Loaded {
        choices: Choices,
        data_range: Option<(String, String)>,
        bounds: Option<(crate::calendar::Day, crate::calendar::Day)>,
        reports: Vec<LoadReport>,
        took: Duration,
    },
    LoadFailed(crate::data::LoadError),
    View(Box<View>),
    /// A view's whole trend (`TREND_PERIODS`), done after it was shown.
    Trend {
        generation: u64,
        trend: crate::metrics::Trend,
    },
    /// A view's follow-up lists, done after it was shown.
    Followups {
        generation: u64,
        lists: Vec<crate::metrics::followups::FollowupList>,
    },
    /// The BG/NBD fit of a view, done after it was shown: its totals and
    /// the churn-risk list with P(alive) and expected purchases.
    Predicted {
        generation: u64,
        predicted: Predicted,
        churn_risk: Arc<[AtRisk]>,
    },
    Failed(u64, crate::metrics::MetricsError),
    Customer(Result<Box<CustomerView>, String>),
    /// The ids holding a text, for the find box.
    Matches(String, Vec<String>),
    /// The compare view's other column, for its query.
    Compared(
        Query,
        Result<Box<crate::metrics::Snapshot>, crate::metrics::MetricsError>,
    ),
    /// A drill-down list.
    List(
        crate::metrics::lists::CustomerSet,
        Result<Vec<crate::metrics::lists::ListedCustomer>, crate::metrics::MetricsError>,
    ),
}

/// What the segment and cohort pickers offer.
pub fn choices(ds: &Dataset, g: Granularity) -> Choices {
    let segments = ds.segment_counts(500);
    let mut cohorts: Vec<String> = periods_over_data(ds, g).iter().map(|p| p.label()).collect();
    cohorts.reverse();
    Choices { segments, cohorts }
}

/// What a view needs besides the query: goals, alert rules and follow-up
/// lists from the config.
#[derive(Default)]
pub struct Watch {
    pub goals: Vec<Goal>,
    pub rules: AlertRules,
    pub followups: Vec<crate::metrics::followups::FollowupRule>,
    /// The alerts the dashboard last ran `[alerts] run` for (with
    /// `run_from_dashboard`): the same alerts are not sent twice.
    pub last_run: Mutex<Vec<String>>,
}

/// Periods behind the sparklines: three years of months, as many as fit.
/// The view carries the last `TREND_FIRST` (a key press stays within a
/// frame); the fitter sends the whole trend right after.
pub const TREND_PERIODS: usize = 36;
pub const TREND_FIRST: usize = 12;

/// The view of a query. Its prediction is filled in when the fit is
/// already cached; otherwise `predicted` is `None` and the fitter sends it.
pub fn view(
    engine: &Engine,
    generation: u64,
    q: &Query,
    watch: &Watch,
) -> Result<View, crate::metrics::MetricsError> {
    let mut snapshot = engine.compute(q)?;
    if let Some(p) = engine.cached_prediction(q) {
        snapshot = engine.with_prediction(snapshot, &p);
    }
    let trend = engine.trend(q, TREND_FIRST)?;
    let report = crate::metrics::Report::new(engine, q, snapshot, &watch.goals, &watch.rules);
    // The lists come after the view, from the fitter (none configured: none to wait for).
    let followups = watch.followups.is_empty().then(Vec::new);
    Ok(View {
        generation,
        snapshot: report.snapshot,
        trend,
        goals: report.goals,
        followups,
        alerts: report.alerts,
    })
}

/// Runs the worker until the request channel closes.
/// What the worker loads and how it warms the engine.
pub struct Setup {
    pub sources: Sources,
    pub scales: Scales,
    pub cache_dir: Option<std::path::PathBuf>,
    pub granularity: Granularity,
    pub window: Option<u32>,
    pub threshold: f64,
    pub goals: Vec<Goal>,
    pub rules: AlertRules,
    pub followups: Vec<crate::metrics::followups::FollowupRule>,
}

pub fn run(setup: Setup, requests: Receiver<Request>, replies: Sender<Reply>) {
    let Setup {
        sources,
        scales,
        cache_dir,
        granularity,
        window,
        threshold,
        goals,
        rules,
        followups,
    } = setup;
    let watch = Watch {
        goals,
        rules,
        followups,
        last_run: Mutex::default(),
    };
    let mut current: Option<Arc<Dataset>> = None;
    loop {
        let started = Instant::now();
        let progress_to = replies.clone();
        let mut progress = |step: &str| {
            let _ = progress_to.send(Reply::Progress(step.to_string()));
        };
        match data::load_with_progress(&sources, scales, cache_dir.as_deref(), &mut progress) {
            Ok(ds) => {
                let _ = replies.send(Reply::Loaded {
                    choices: choices(&ds, granularity),
                    data_range: crate::metrics::data_range(&ds),
                    bounds: crate::metrics::data_bounds(&ds),
                    reports: ds.reports.clone(),
                    took: started.elapsed(),
                });
                current = Some(ds);
            }
            // A broken reload keeps the last good data on screen.
            Err(e) => {
                let _ = replies.send(Reply::LoadFailed(e));
            }
        }
        let Some(ds) = current.clone() else {
            // Nothing loaded yet: wait for a reload request.
            loop {
                match requests.recv() {
                    Ok(Request::Reload) => break,
                    Ok(_) => continue,
                    Err(_) => return,
                }
            }
            continue;
        };
        let engine = Engine::with_settings(
            &ds,
            crate::metrics::Settings {
                scales,
                at_risk_threshold: threshold,
            },
        );
        let mut pending_fit = None;
        // The first view (asked for as soon as the load is announced) has the
        // machine to itself: the warm-up would share the cores with it.
        match requests.recv() {
            Ok(Request::Reload) => continue,
            Ok(first) => {
                let fits = Fits::default();
                handle(&engine, &replies, first, &watch, Some(&fits));
                // Its fit runs with the warm-up below.
                if let Ok(Some((generation, q))) = fits.next.lock().map(|mut n| n.take()) {
                    pending_fit = Some((generation, q));
                }
            }
            Err(_) => return,
        }
        let stop = std::thread::scope(|scope| {
            // Precompute the other granularities while requests are answered.
            scope.spawn(|| {
                engine.warm(window);
                engine.warm_segments(granularity, window);
                data::trace("engine warmed");
            });
            serve(&engine, &requests, &replies, &watch, pending_fit.take())
        });
        if stop {
            return;
        }
    }
}

/// The newest view waiting for its fit, handed from `serve` to the fitter.
#[derive(Default)]
struct Fits {
    next: Mutex<Option<(u64, Query)>>,
    wake: Condvar,
    stop: AtomicBool,
}

impl Fits {
    fn ask(&self, generation: u64, q: &Query) {
        if let Ok(mut next) = self.next.lock() {
            *next = Some((generation, q.clone()));
            self.wake.notify_one();
        }
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _guard = self.next.lock();
        self.wake.notify_all();
    }

    /// Sends the newest asked view's whole trend, then fits it, one view at
    /// a time, until stopped: a fit takes
    /// up to a second or two on a million customers, and the keyboard never
    /// waits for it.
    fn run(&self, engine: &Engine, replies: &Sender<Reply>, rules: &[FollowupRule]) {
        loop {
            let job = {
                let Ok(mut next) = self.next.lock() else {
                    return;
                };
                loop {
                    if self.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Some(job) = next.take() {
                        break job;
                    }
                    next = match self.wake.wait(next) {
                        Ok(n) => n,
                        Err(_) => return,
                    };
                }
            };
            let (generation, q) = job;
            if let Ok(trend) = engine.trend(&q, TREND_PERIODS) {
                let _ = replies.send(Reply::Trend { generation, trend });
            }
            let (Ok(prediction), Ok(risk)) =
                (engine.predict(&q), engine.churn_risk_of(&q, &q.period))
            else {
                continue;
            };
            data::trace("prediction fitted");
            let churn_risk = engine.predicted_rows(&risk, &prediction);
            if !rules.is_empty()
                && let Ok(lists) = engine.followups(&q, &churn_risk, rules)
            {
                let _ = replies.send(Reply::Followups { generation, lists });
            }
            let _ = replies.send(Reply::Predicted {
                generation,
                predicted: prediction.json(),
                churn_risk,
            });
        }
    }
}

/// Answers requests, with a fitter thread beside, until a reload (false) or
/// until the channel closes (true).
fn serve(
    engine: &Engine,
    requests: &Receiver<Request>,
    replies: &Sender<Reply>,
    watch: &Watch,
    first_fit: Option<(u64, Query)>,
) -> bool {
    let fits = Fits::default();
    if let Some((generation, q)) = first_fit {
        fits.ask(generation, &q);
    }
    std::thread::scope(|scope| {
        scope.spawn(|| fits.run(engine, replies, &watch.followups));
        let stop = answer(engine, requests, replies, watch, &fits);
        fits.stop();
        stop
    })
}

fn answer(
    engine: &Engine,
    requests: &Receiver<Request>,
    replies: &Sender<Reply>,
    watch: &Watch,
    fits: &Fits,
) -> bool {
    loop {
        let Ok(mut req) = requests.recv() else {
            return true;
        };
        // Only the newest compute request matters.
        while let Request::Compute(..) = req {
            match requests.try_recv() {
                Ok(next @ Request::Compute(..)) => req = next,
                Ok(other) => {
                    handle(engine, replies, req, watch, Some(fits));
                    req = other;
                    break;
                }
                Err(_) => break,
            }
        }
        if let Request::Reload = req {
            return false;
        }
        handle(engine, replies, req, watch, Some(fits));
    }
}

/// Answers one request; a view without its prediction is handed to `fits`
/// (or, without a fitter, sent as it is).
fn handle(
    engine: &Engine,
    replies: &Sender<Reply>,
    req: Request,
    watch: &Watch,
    fits: Option<&Fits>,
) {
    let reply = match req {
        Request::Compute(generation, q) => {
            match view(engine, generation, &q, watch).inspect(|_| data::trace("view computed")) {
                Ok(v) => {
                    run_alert_action(replies, &v, watch);
                    // The whole trend, and the fit and lists when not at hand.
                    if let Some(fits) = fits {
                        fits.ask(generation, &q);
                    }
                    Reply::View(Box::new(v))
                }
                Err(e) => Reply::Failed(generation, e),
            }
        }
        Request::Customer(q, id) => Reply::Customer(find_and_open(engine, &q, &id)),
        Request::List(q, set) => Reply::List(set, engine.customer_list(&q, set)),
        Request::Matches(text) => {
            let ids = crate::metrics::customer::find_customers(
                engine.dataset(),
                &text,
                crate::app::state::FIND_SHOWN + 1,
            );
            Reply::Matches(text, ids.into_iter().map(String::from).collect())
        }
        Request::CompareWith(q) => {
            let result = engine.compute(&q).map(Box::new);
            Reply::Compared(q, result)
        }
        Request::Reload => return,
    };
    let _ = replies.send(reply);
}

/// With `[alerts] run_from_dashboard = true`: runs the alert action on its
/// own thread when a view brings alerts other than the last ones sent, and
/// reports its outcome on the status line.
pub fn run_alert_action(replies: &Sender<Reply>, view: &View, watch: &Watch) {
    let rules = &watch.rules;
    if !rules.run_from_dashboard || rules.run.is_empty() || view.alerts.is_empty() {
        return;
    }
    let messages: Vec<String> = view.alerts.iter().map(|a| a.message.clone()).collect();
    match watch.last_run.lock() {
        Ok(mut last) if *last != messages => *last = messages,
        _ => return,
    }
    let json = serde_json::to_string_pretty(&crate::report::AlertsOnly {
        period: &view.snapshot.period,
        filters: &view.snapshot.filters,
        alerts: &view.alerts,
    })
    .unwrap_or_default()
        + "\n";
    let (argv, limit) = (
        rules.run.clone(),
        Duration::from_secs(rules.run_timeout_secs),
    );
    let replies = replies.clone();
    std::thread::spawn(move || {
        let outcome = crate::actions::run(&argv, &json, limit);
        let _ = replies.send(Reply::Status(outcome.describe(&argv[0])));
    });
}

/// The customer view of an id, or of the one customer whose id contains the
/// text (any case); a miss or several matches is a line for the status bar.
fn find_and_open(engine: &Engine, q: &Query, text: &str) -> Result<Box<CustomerView>, String> {
    let found = crate::metrics::customer::find_customers(engine.dataset(), text, 6);
    match found.as_slice() {
        [] => Err(format!("no customer id contains \"{text}\"")),
        [one] => match engine.customer_view(q, one) {
            Ok(Some(v)) => Ok(Box::new(v)),
            Ok(None) => Err(format!("no customer \"{one}\" in the orders")),
            Err(e) => Err(e.to_string()),
        },
        many => {
            let shown: Vec<&str> = many.iter().take(5).copied().collect();
            let count = if many.len() > 5 {
                "more than 5 customers".to_string()
            } else {
                format!("{} customers", many.len())
            };
            let more = if many.len() > 5 { ", …" } else { "" };
            Err(format!(
                "{count} match \"{text}\": {}{more}; type more",
                shown.join(", ")
            ))
        }
    }
}
