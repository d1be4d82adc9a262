//! holdfast's entry point: parse the command line, read the config, load the
//! sources, then run the command.

use std::process::ExitCode;

use clap::Parser;

use holdfast::check::{self, Checked};
use holdfast::cli::{
    CheckArgs, Cli, Command, ConfigArgs, CustomerArgs, OutputFormat, ReportArgs, SampleArgs,
};
use holdfast::config::{self, Config};
use holdfast::data::{self, parse, sample};
use holdfast::metrics::{self, Granularity, Period, Query};
use holdfast::report;
use holdfast::sources::{self, Flags};

/// What ends a command: the library's typed errors, or a usage message.
/// Printed as the error itself (`holdfast: <message>`), exit status 2.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Load(#[from] data::LoadError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Config(#[from] holdfast::config::ConfigError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Keys(#[from] holdfast::app::keymap::KeymapError),
    #[error(transparent)]
    Sources(#[from] sources::SourceError),
    #[error("{0}")]
    Usage(String),
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError::Usage(message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        CliError::Usage(message.to_string())
    }
}

fn main() -> ExitCode {
    // A mapped source file cut short while it is read: one line, not a crash.
    holdfast::fault::install();
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("holdfast: {}", holdfast::text::visible(&error.to_string()));
            ExitCode::from(2)
        }
    };
    // The output is out (the terminal restored): a cache write that is
    // still running finishes before the process ends.
    holdfast::data::finish_writes();
    code
}

/// `--period` and `--demo` before a command are the dashboard's flags:
/// `holdfast --period 2024-02 report` means the report's period (it would
/// otherwise be ignored without a word); where a command has no use for them
/// they are an error that says so.
fn dashboard_flags_to_command(cli: &mut Cli) -> Result<(), CliError> {
    let Some(command) = cli.command.as_mut() else {
        return Ok(());
    };
    let name = match command {
        Command::Check(_) => "check",
        Command::Report(_) => "report",
        Command::Customer(_) => "customer",
        Command::Followups(_) => "followups",
        Command::Sample(_) => "sample",
        Command::Config(_) => "config",
        Command::Demo(_) => "demo",
    };
    if cli.demo {
        return Err(
            format!("--demo opens the dashboard; leave it out with `holdfast {name}`").into(),
        );
    }
    // Sample and config read no sources: a source flag there is a mistake.
    if matches!(command, Command::Sample(_) | Command::Config(_)) {
        let flag = [
            (!cli.orders.is_empty(), "--orders"),
            (!cli.feedback.is_empty(), "--feedback"),
            (!cli.tickets.is_empty(), "--tickets"),
            (cli.no_cache, "--no-cache"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag));
        if let Some(flag) = flag {
            return Err(format!("{flag} does nothing with `holdfast {name}`").into());
        }
    }
    let Some(period) = cli.period.take() else {
        return Ok(());
    };
    let own = match command {
        Command::Report(a) => &mut a.period,
        Command::Customer(a) => &mut a.period,
        Command::Followups(a) => &mut a.period,
        _ => return Err(format!("--period does nothing with `holdfast {name}`").into()),
    };
    match own {
        Some(p) if *p != period => Err(format!(
            "two periods given: --period {period} before `{name}` and --period {p} after it"
        )
        .into()),
        _ => {
            *own = Some(period);
            Ok(())
        }
    }
}

fn run(mut cli: Cli) -> Result<ExitCode, CliError> {
    dashboard_flags_to_command(&mut cli)?;
    let flags = Flags {
        orders: cli.orders.clone(),
        feedback: cli.feedback.clone(),
        tickets: cli.tickets.clone(),
    };
    match &cli.command {
        Some(Command::Sample(args)) => return sample_cmd(args),
        Some(Command::Config(args)) => return config_cmd(args, cli.config.as_deref()),
        Some(Command::Demo(args)) => return demo(&cli, args.interval),
        None if cli.demo => return demo(&cli, 6),
        _ => {}
    }
    let config = Config::load(cli.config.as_deref())?.config;
    // Fitted churn models are remembered beside the other caches.
    if let Some(dir) = cache_dir(&cli) {
        metrics::fit_memo::remember_in(dir.join("fits"));
    }
    match &cli.command {
        Some(Command::Check(args)) => check_cmd(args, &flags, &config),
        Some(Command::Customer(args)) => customer_cmd(args, &flags, &config, cache_dir(&cli)),
        Some(Command::Followups(args)) => followups_cmd(args, &flags, &config, cache_dir(&cli)),
        Some(Command::Report(args)) => report_cmd(args, &flags, &config, cache_dir(&cli)),
        _ => dashboard(&cli, &flags, &config),
    }
}

fn check_cmd(args: &CheckArgs, flags: &Flags, config: &Config) -> Result<ExitCode, CliError> {
    let mut results = Vec::new();
    let mut specs = Vec::new();
    for arg in &args.files {
        for path in sources::expand(arg)? {
            let name = path.display().to_string();
            let origin = data::Origin::Path(path.clone());
            match data::detect_kind(&name, &origin, &config.orders) {
                Ok(kind) => specs.push(sources::spec(kind, &path, config)),
                Err(error) => results.push((specs.len(), Checked::Failed { kind: None, error })),
            }
        }
    }
    if args.files.is_empty() {
        specs = sources::named(flags, config)?;
        if specs.is_empty() {
            specs = sources::sample().all().cloned().collect();
        }
    } else {
        specs.extend(
            sources::named(flags, config)?
                .into_iter()
                .filter(|s| !flags.of(s.kind).is_empty()),
        );
    }
    let mut checked = check::check(&specs, config.scales());
    // Put files that could not even be classified back in argument order.
    for (at, failed) in results.into_iter().rev() {
        checked.insert(at.min(checked.len()), failed);
    }
    match args.format {
        OutputFormat::Text => print!("{}", holdfast::text::visible(&check::to_text(&checked))),
        OutputFormat::Json => println!(
            "{}",
            holdfast::text::visible_json(&check::to_json(&checked))
        ),
    }
    Ok(if checked.iter().any(Checked::failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn sample_cmd(args: &SampleArgs) -> Result<ExitCode, CliError> {
    let end = match parse::parse_datetime(&args.end).and_then(|r| r.resolve(parse::DateOrder::Auto))
    {
        Some(s) => s.day,
        None => return Err(format!("--end: not a date: {}", args.end).into()),
    };
    if args.customers == 0 || args.years == 0 {
        return Err("--customers and --years must be at least 1".into());
    }
    let opts = sample::SampleOptions {
        customers: args.customers,
        seed: args.seed,
        end,
        years: args.years,
    };
    let paths =
        sample::write(&opts, &args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    for p in paths {
        println!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn config_cmd(args: &ConfigArgs, explicit: Option<&std::path::Path>) -> Result<ExitCode, CliError> {
    if args.print_default {
        print!("{}", config::DEFAULT_TOML);
        return Ok(ExitCode::SUCCESS);
    }
    let path = explicit
        .map(|p| p.to_path_buf())
        .or_else(Config::default_path);
    match path {
        Some(p) => {
            let state = if p.is_file() {
                "exists"
            } else {
                "not created yet; `holdfast config --print-default > FILE` writes one"
            };
            if args.path {
                println!("{}", holdfast::text::visible(&p.display().to_string()));
            } else {
                println!(
                    "{} ({state})",
                    holdfast::text::visible(&p.display().to_string())
                );
                if p.is_file() {
                    Config::load(Some(&p))?;
                    println!("valid");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        None => Err("no config directory on this system; pass --config FILE".into()),
    }
}

fn report_cmd(
    args: &ReportArgs,
    flags: &Flags,
    config: &Config,
    cache: Option<std::path::PathBuf>,
) -> Result<ExitCode, CliError> {
    if args.explain {
        for (key, name, def) in metrics::definitions::DEFINITIONS {
            println!("{name} ({key}): {def}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let list = match args.list.as_deref() {
        None => None,
        Some(name) => Some(metrics::lists::CustomerSet::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = metrics::lists::CustomerSet::ALL
                .iter()
                .map(|s| s.name())
                .collect();
            format!("--list: no set \"{name}\"; one of {}", names.join(", "))
        })?),
    };
    let format = match (args.format.as_str(), list) {
        (f @ ("json" | "table" | "markdown"), None) => f,
        (f @ ("json" | "csv"), Some(_)) => f,
        (other, None) => {
            return Err(
                format!("--format: expected json, table or markdown, not \"{other}\"").into(),
            );
        }
        (other, Some(_)) => {
            return Err(format!("--list prints csv or json, not \"{other}\"").into());
        }
    };
    let granularity = match &args.granularity {
        Some(g) => Some(Granularity::parse(g).ok_or_else(|| {
            format!("--granularity: expected week, month, quarter or year, not \"{g}\"")
        })?),
        None => None,
    };
    let sources = sources::resolve(flags, config)?;
    let dataset = load_quietly(&sources, config, cache.as_deref())?;
    let label = args.period.as_deref().unwrap_or("");
    let periods: Vec<Period> = if label == "all" {
        metrics::periods_over_data(&dataset, granularity.unwrap_or(Granularity::Month))
    } else if label.is_empty() {
        // The latest period of the data: the one that holds L.
        let (_, last) = metrics::data_bounds(&dataset)
            .ok_or("the orders file has no purchases: nothing to report")?;
        vec![Period::containing(
            granularity.unwrap_or(Granularity::Month),
            last,
        )]
    } else {
        let p = Query::parse_period(label)?;
        if let Some((first, last)) = metrics::data_bounds(&dataset) {
            let range = format!(
                "the data runs from {} to {}",
                parse::format_day(first),
                parse::format_day(last)
            );
            if p.start() > last {
                return Err(format!(
                    "{label} starts after the data's last day, {}: it holds no data ({range})",
                    parse::format_day(last)
                )
                .into());
            }
            if p.end() <= first {
                return Err(format!(
                    "{label} ends before the data's first day, {}: it holds no data ({range})",
                    parse::format_day(first)
                )
                .into());
            }
        }
        vec![p]
    };
    let mut query = Query::new(periods.first().copied().unwrap_or(Period {
        granularity: Granularity::Month,
        year: 1970,
        number: 1,
    }));
    filter(
        &mut query,
        &dataset,
        args.segment.as_deref(),
        args.cohort.as_deref(),
    )?;
    query.churn_window = args.churn_window.or(config.metrics.churn_window_days);
    if query.churn_window == Some(0) {
        return Err("--churn-window must be at least 1 day".into());
    }
    // One engine for every period: timelines and per-period results are built once.
    let engine = metrics::Engine::with_settings(&dataset, config.settings());
    if let Some(set) = list {
        if periods.len() != 1 {
            return Err("--list takes one period, not --period all".into());
        }
        let rows = engine.customer_list(&query, set)?;
        match format {
            "csv" => print!("{}", holdfast::text::visible(&report::customers_csv(&rows))),
            _ => println!("{}", holdfast::text::visible_json(&report::to_json(&rows))),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let goals = config.goals();
    let mut reports = Vec::with_capacity(periods.len());
    for p in &periods {
        query.period = *p;
        // The alerts need no prediction: skip the fit.
        let snapshot = if args.alerts_only {
            engine.compute(&query)
        } else {
            engine.compute_predicted(&query)
        }?;
        reports.push(metrics::Report::new(
            &engine,
            &query,
            snapshot,
            &goals,
            &config.alerts,
        ));
    }
    let fired = reports.iter().any(|r| !r.alerts.is_empty());
    let many = label == "all";
    let out = match (format, args.alerts_only) {
        ("table", true) => reports.iter().map(report::alerts_table).collect(),
        ("table", false) => reports
            .iter()
            .map(report::to_table)
            .collect::<Vec<_>>()
            .join("\n"),
        ("markdown", _) => reports
            .iter()
            .map(|r| report::to_markdown(r, args.alerts_only))
            .collect::<Vec<_>>()
            .join("\n"),
        (_, true) => {
            let alerts: Vec<_> = reports.iter().map(report::AlertsOnly::from).collect();
            if many {
                report::to_json(&alerts) + "\n"
            } else {
                alerts
                    .first()
                    .map(|a| report::to_json(a) + "\n")
                    .unwrap_or_default()
            }
        }
        (_, false) if many => report::to_json(&reports) + "\n",
        (_, false) => reports
            .first()
            .map(|r| report::to_json(r) + "\n")
            .unwrap_or_default(),
    };
    print!(
        "{}",
        if matches!(format, "table" | "markdown") {
            holdfast::text::visible(&out)
        } else {
            holdfast::text::visible_json(&out)
        }
    );
    // The alert action: once per invocation that fires, with the alerts as JSON.
    if args.alerts_only && fired && !config.alerts.run.is_empty() {
        let alerts: Vec<_> = reports.iter().map(report::AlertsOnly::from).collect();
        let json = if many {
            report::to_json(&alerts)
        } else {
            alerts.first().map(report::to_json).unwrap_or_default()
        } + "\n";
        let outcome = holdfast::actions::run(
            &config.alerts.run,
            &json,
            std::time::Duration::from_secs(config.alerts.run_timeout_secs),
        );
        eprintln!("holdfast: {}", outcome.describe(&config.alerts.run[0]));
        if !outcome.ok() {
            return Ok(ExitCode::from(3));
        }
    }
    Ok(if args.exit_code && fired {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The period a label names, or the month holding the last day of data L.
fn period_or_latest(label: Option<&str>, dataset: &data::Dataset) -> Result<Period, CliError> {
    Ok(match label {
        Some(p) => Query::parse_period(p)?,
        None => Period::containing(
            Granularity::Month,
            dataset
                .last_purchase_day()
                .ok_or("the orders file has no purchase")?,
        ),
    })
}

/// Loads the sources for a command (no progress lines: stdout is the output).
fn load_quietly(
    sources: &data::Sources,
    config: &Config,
    cache: Option<&std::path::Path>,
) -> Result<std::sync::Arc<data::Dataset>, CliError> {
    Ok(data::load_with_progress(
        sources,
        config.scales(),
        cache,
        &mut |_| {},
    )?)
}

/// `--segment COLUMN=VALUE` and `--cohort LABEL` onto a query: parsed, and the
/// segment value checked against the orders.
fn filter(
    query: &mut Query,
    dataset: &data::Dataset,
    segment: Option<&str>,
    cohort: Option<&str>,
) -> Result<(), CliError> {
    query.segment = segment.map(Query::parse_segment).transpose()?;
    known_segment_value(dataset, query.segment.as_ref())?;
    query.cohort = cohort
        .map(Query::parse_period)
        .transpose()
        .map_err(|e| format!("--cohort: {e}"))?;
    Ok(())
}

/// A segment filter whose value no order carries is a mistake (a typo, the
/// wrong case): say so with the values there are, rather than print zeros.
fn known_segment_value(
    dataset: &data::Dataset,
    segment: Option<&(String, String)>,
) -> Result<(), CliError> {
    let Some((column, value)) = segment else {
        return Ok(());
    };
    let Some(known) = dataset.segment_values(column) else {
        // An unknown column: the engine's error names the columns.
        return Ok(());
    };
    if known.iter().any(|v| v == value) {
        return Ok(());
    }
    let mut values: Vec<&str> = known.iter().map(String::as_str).take(20).collect();
    values.sort_unstable();
    let more = if known.len() > 20 { ", …" } else { "" };
    Err(format!(
        "--segment {column}={value}: no order has {column} = {value}; its values are {}{more}",
        values.join(", ")
    )
    .into())
}

fn followups_cmd(
    args: &holdfast::cli::FollowupsArgs,
    flags: &Flags,
    config: &Config,
    cache: Option<std::path::PathBuf>,
) -> Result<ExitCode, CliError> {
    if config.followups.is_empty() {
        return Err(
            "no follow-up lists in the config: add one, e.g. [[followups]] name = \"thank-you\" after_purchase_days = 7 (see docs/followups.md)"
                .into(),
        );
    }
    let rules: Vec<_> = match &args.rule {
        None => config.followups.clone(),
        Some(name) => {
            let found: Vec<_> = config
                .followups
                .iter()
                .filter(|r| r.name() == *name)
                .cloned()
                .collect();
            if found.is_empty() {
                let names: Vec<String> = config.followups.iter().map(|r| r.name()).collect();
                return Err(format!(
                    "--rule {name}: no such list; the config has {}",
                    names.join(", ")
                )
                .into());
            }
            found
        }
    };
    let sources = sources::resolve(flags, config)?;
    let dataset = load_quietly(&sources, config, cache.as_deref())?;
    let period = period_or_latest(args.period.as_deref(), &dataset)?;
    let mut query = Query::new(period);
    filter(
        &mut query,
        &dataset,
        args.segment.as_deref(),
        args.cohort.as_deref(),
    )?;
    query.churn_window = config.metrics.churn_window_days;
    let engine = metrics::Engine::with_settings(&dataset, config.settings());
    let snapshot = engine.compute(&query)?;
    let lists = engine.followups(&query, &snapshot.churn_risk, &rules)?;
    let rows: Vec<_> = lists.into_iter().flat_map(|l| l.customers).collect();
    match args.format {
        holdfast::cli::ListFormat::Json => {
            println!("{}", holdfast::text::visible_json(&report::to_json(&rows)))
        }
        holdfast::cli::ListFormat::Csv => {
            print!("{}", holdfast::text::visible(&report::followups_csv(&rows)))
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn customer_cmd(
    args: &CustomerArgs,
    flags: &Flags,
    config: &Config,
    cache: Option<std::path::PathBuf>,
) -> Result<ExitCode, CliError> {
    let sources = sources::resolve(flags, config)?;
    let dataset = load_quietly(&sources, config, cache.as_deref())?;
    let period = period_or_latest(args.period.as_deref(), &dataset)?;
    let mut query = Query::new(period);
    query.churn_window = args.churn_window.or(config.metrics.churn_window_days);
    let view = metrics::Engine::with_settings(&dataset, config.settings())
        .customer_view(&query, &args.id)?
        .ok_or_else(|| format!("no customer \"{}\" in the orders", args.id))?;
    match args.format {
        OutputFormat::Json => println!("{}", holdfast::text::visible_json(&report::to_json(&view))),
        OutputFormat::Text => print!("{}", holdfast::text::visible(&report::customer_text(&view))),
    }
    Ok(ExitCode::SUCCESS)
}

/// The dashboard on the bundled sample data with the default config (a
/// broken or absent config file cannot spoil a demo), presenting itself.
fn demo(cli: &Cli, interval: u64) -> Result<ExitCode, CliError> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err("the demo needs a terminal".into());
    }
    let config = Config::default();
    let theme = holdfast::ui::Theme::from_env(false);
    holdfast::app::run(holdfast::app::Options {
        sources: sources::sample(),
        scales: config.scales(),
        churn_window: None,
        at_risk_threshold: config.metrics.at_risk_threshold,
        keymap: holdfast::app::keymap::Keymap::default(),
        theme,
        period: None,
        cache_dir: cache_dir(cli),
        goals: holdfast::app::demo::goals(),
        alert_rules: config.alerts.clone(),
        followups: holdfast::app::demo::followups(),
        demo: Some(std::time::Duration::from_secs(interval)),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn dashboard(cli: &Cli, flags: &Flags, config: &Config) -> Result<ExitCode, CliError> {
    use std::io::IsTerminal;
    let sources = sources::resolve(flags, config)?;
    let keymap = holdfast::app::keymap::Keymap::with_overrides(&config.keys)?;
    let period = cli.period.as_deref().map(Query::parse_period).transpose()?;
    if !std::io::stdout().is_terminal() {
        // Not a terminal (a pipe, a script): print the load report instead of drawing.
        let dataset = data::load(&sources, config.scales())?;
        let results: Vec<Checked> = dataset
            .reports
            .iter()
            .cloned()
            .map(|r| Checked::Loaded(Box::new(r)))
            .collect();
        print!("{}", holdfast::text::visible(&check::to_text(&results)));
        return Ok(ExitCode::SUCCESS);
    }
    let theme =
        holdfast::ui::Theme::from_env(config.ui.theme == holdfast::config::ThemeName::Light);
    holdfast::app::run(holdfast::app::Options {
        sources,
        scales: config.scales(),
        churn_window: config.metrics.churn_window_days,
        at_risk_threshold: config.metrics.at_risk_threshold,
        keymap,
        theme,
        period,
        cache_dir: cache_dir(cli),
        goals: config.goals(),
        alert_rules: config.alerts.clone(),
        followups: config.followups.clone(),
        demo: None,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The parse cache, unless `--no-cache` (or `HOLDFAST_NO_CACHE`) says otherwise.
fn cache_dir(cli: &Cli) -> Option<std::path::PathBuf> {
    if cli.no_cache || std::env::var_os("HOLDFAST_NO_CACHE").is_some() {
        return None;
    }
    data::cache::default_dir()
}
