//! The worker thread: loads the sources, then answers compute requests with
//! plain views. The UI thread never waits on it; stale requests are skipped.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use super::state::{Choices, View};
use crate::data::{self, Dataset, LoadReport, Scales, Sources};
use crate::metrics::alerts::AlertRules;
use crate::metrics::customer::{CustomerView, customer_view};
use crate::metrics::goals::Goal;
use crate::metrics::{Engine, Granularity, Query, periods_over_data};

pub enum Request {
    Compute(u64, Query),
    Customer(Query, String),
    Reload,
}

pub enum Reply {
    /// What the load is doing now.
    Progress(String),
    Loaded {
        choices: Choices,
        data_range: Option<(String, String)>,
        bounds: Option<(crate::calendar::Day, crate::calendar::Day)>,
        reports: Vec<LoadReport>,
        took: Duration,
    },
    LoadFailed(String),
    View(Box<View>),
    Failed(u64, String),
    Customer(Result<Box<CustomerView>, String>),
}

/// What the segment and cohort pickers offer.
pub fn choices(ds: &Dataset, g: Granularity) -> Choices {
    let ix = &ds.index;
    let segments = ix
        .segments
        .iter()
        .filter(|s| !s.values.is_empty() && s.values.len() <= 500)
        .map(|s| {
            let mut counts = vec![0u64; s.values.len()];
            for code in s.of_customer.iter().flatten() {
                if let Some(n) = counts.get_mut(*code as usize) {
                    *n += 1;
                }
            }
            let mut v: Vec<(String, u64)> = s.values.iter().cloned().zip(counts).collect();
            v.sort();
            (s.name.clone(), v)
        })
        .collect();
    let mut cohorts: Vec<String> = periods_over_data(ds, g).iter().map(|p| p.label()).collect();
    cohorts.reverse();
    Choices { segments, cohorts }
}

/// What a view needs besides the query: goals and alert rules from the config.
pub struct Watch {
    pub goals: Vec<Goal>,
    pub rules: AlertRules,
}

pub fn view(engine: &Engine, generation: u64, q: &Query, watch: &Watch) -> Result<View, String> {
    let snapshot = engine.compute(q).map_err(|e| e.to_string())?;
    let trend = engine.trend(q, 12).map_err(|e| e.to_string())?;
    let report = crate::metrics::Report::new(engine, q, snapshot, &watch.goals, &watch.rules);
    Ok(View {
        generation,
        snapshot: report.snapshot,
        trend,
        goals: report.goals,
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
    } = setup;
    let watch = Watch { goals, rules };
    let mut current: Option<Arc<Dataset>> = None;
    loop {
        let started = Instant::now();
        let progress_to = replies.clone();
        let mut progress = |step: &str| {
            let _ = progress_to.send(Reply::Progress(step.to_string()));
        };
        match data::load_with_progress(&sources, scales, cache_dir.as_deref(), &mut progress) {
            Ok(ds) => {
                let ds = Arc::new(ds);
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
                let _ = replies.send(Reply::LoadFailed(e.to_string()));
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
        let engine = Engine::new(&ds);
        // The first view (asked for as soon as the load is announced) has the
        // machine to itself: the warm-up would share the cores with it.
        match requests.recv() {
            Ok(Request::Reload) => continue,
            Ok(first) => handle(&engine, &replies, first, &watch),
            Err(_) => return,
        }
        let stop = std::thread::scope(|scope| {
            // Precompute the other granularities while requests are answered.
            scope.spawn(|| {
                engine.warm(window, threshold, scales);
                engine.warm_segments(granularity, window, scales);
                data::trace("engine warmed");
            });
            serve(&engine, &requests, &replies, &watch)
        });
        if stop {
            return;
        }
    }
}

/// Answers requests until a reload (false) or until the channel closes (true).
fn serve(
    engine: &Engine,
    requests: &Receiver<Request>,
    replies: &Sender<Reply>,
    watch: &Watch,
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
                    handle(engine, replies, req, watch);
                    req = other;
                    break;
                }
                Err(_) => break,
            }
        }
        if let Request::Reload = req {
            return false;
        }
        handle(engine, replies, req, watch);
    }
}

fn handle(engine: &Engine, replies: &Sender<Reply>, req: Request, watch: &Watch) {
    let reply = match req {
        Request::Compute(generation, q) => {
            match view(engine, generation, &q, watch).inspect(|_| data::trace("view computed")) {
                Ok(v) => Reply::View(Box::new(v)),
                Err(e) => Reply::Failed(generation, e),
            }
        }
        Request::Customer(q, id) => {
            Reply::Customer(match customer_view(engine.dataset(), &q, &id) {
                Ok(Some(v)) => Ok(Box::new(v)),
                Ok(None) => Err(format!("no customer \"{id}\" in the orders")),
                Err(e) => Err(e.to_string()),
            })
        }
        Request::Reload => return,
    };
    let _ = replies.send(reply);
}
