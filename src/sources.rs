//! Which files to load: command-line flags, then the config file, then the
//! bundled sample data (compiled into the binary, so it works from anywhere).

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::data::{Origin, SourceKind, SourceOptions, SourceSpec, Sources};

pub const SAMPLE_ORDERS: &[u8] = include_bytes!("../sample-data/orders.csv");
pub const SAMPLE_FEEDBACK: &[u8] = include_bytes!("../sample-data/feedback.csv");
pub const SAMPLE_TICKETS: &[u8] = include_bytes!("../sample-data/tickets.csv");

/// The bundled sample data.
pub fn sample() -> Sources {
    let spec = |kind: SourceKind, file: &str, bytes: &'static [u8]| SourceSpec {
        kind,
        name: format!("sample-data/{file}"),
        origin: Origin::Embedded(bytes),
        options: SourceOptions::default(),
    };
    Sources {
        orders: spec(SourceKind::Orders, "orders.csv", SAMPLE_ORDERS),
        feedback: Some(spec(SourceKind::Feedback, "feedback.csv", SAMPLE_FEEDBACK)),
        tickets: Some(spec(SourceKind::Tickets, "tickets.csv", SAMPLE_TICKETS)),
    }
}

/// Source paths given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub orders: Option<PathBuf>,
    pub feedback: Option<PathBuf>,
    pub tickets: Option<PathBuf>,
}

impl Flags {
    pub fn any(&self) -> bool {
        self.orders.is_some() || self.feedback.is_some() || self.tickets.is_some()
    }
}

fn options(config: &Config, kind: SourceKind) -> &SourceOptions {
    match kind {
        SourceKind::Orders => &config.orders,
        SourceKind::Feedback => &config.feedback,
        SourceKind::Tickets => &config.tickets,
    }
}

/// A spec for a file of a known kind, with that kind's config options.
pub fn spec(kind: SourceKind, path: &Path, config: &Config) -> SourceSpec {
    SourceSpec::path(kind, path, options(config, kind).clone())
}

/// The specs named by flags, else by the config file; `None` when neither names any.
pub fn named(flags: &Flags, config: &Config) -> Vec<SourceSpec> {
    let pick = |kind: SourceKind, flag: &Option<PathBuf>| {
        flag.clone()
            .or_else(|| options(config, kind).path.clone())
            .map(|p| spec(kind, &p, config))
    };
    [
        pick(SourceKind::Orders, &flags.orders),
        pick(SourceKind::Feedback, &flags.feedback),
        pick(SourceKind::Tickets, &flags.tickets),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The dataset to open: flags, then config, then the sample data. Orders are
/// required once any source is named.
pub fn resolve(flags: &Flags, config: &Config) -> Result<Sources, String> {
    let specs = named(flags, config);
    if specs.is_empty() {
        return Ok(sample());
    }
    let mut orders = None;
    let mut feedback = None;
    let mut tickets = None;
    for s in specs {
        match s.kind {
            SourceKind::Orders => orders = Some(s),
            SourceKind::Feedback => feedback = Some(s),
            SourceKind::Tickets => tickets = Some(s),
        }
    }
    let orders = orders.ok_or_else(|| {
        "no orders file: pass --orders FILE or set `path` under [orders] in the config file (orders are required)".to_string()
    })?;
    Ok(Sources {
        orders,
        feedback,
        tickets,
    })
}
