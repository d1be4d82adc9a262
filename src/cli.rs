//! The command line: `holdfast`, `holdfast check`, `holdfast report`,
//! `holdfast sample`, `holdfast config`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "holdfast",
    version,
    about = "Customer-retention KPIs in the terminal: retention, churn, LTV, MRR, NPS, CSAT, CES, tickets, cohorts",
    long_about = "Customer-retention KPIs in the terminal.\n\nWith no command, opens the dashboard on the sources given by flags, \
the config file, or the bundled sample data."
)]
pub struct Cli {
    /// Config file to use instead of the default location.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Sales export (orders, payments, invoices): CSV, XLSX/XLS/ODS, JSON,
    /// NDJSON, Parquet or Arrow/Feather, optionally gzipped. Repeat the flag for several
    /// files; a folder or a quoted glob ("exports/*.csv") reads every file
    /// in it; `-` reads standard input.
    #[arg(long, global = true, value_name = "FILE")]
    pub orders: Vec<PathBuf>,
    /// Survey export (NPS, CSAT, CES responses); like --orders.
    #[arg(long, global = true, value_name = "FILE")]
    pub feedback: Vec<PathBuf>,
    /// Support tickets export; like --orders.
    #[arg(long, global = true, value_name = "FILE")]
    pub tickets: Vec<PathBuf>,
    /// Parse the files again instead of using the cache of parsed data.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Period to open the dashboard on (2024-W09, 2024-03, 2024-Q1, 2024).
    #[arg(long)]
    pub period: Option<String>,
    /// Present the dashboard on the bundled sample data (same as `holdfast demo`).
    #[arg(long)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load files and report what was kept and rejected, and why.
    Check(CheckArgs),
    /// Print the KPIs of one period without opening the dashboard.
    Report(ReportArgs),
    /// Everything the sources hold about one customer.
    Customer(CustomerArgs),
    /// The customers due for a follow-up (`[[followups]]` in the config), as
    /// CSV or JSON for a mail tool or a CRM import.
    Followups(FollowupsArgs),
    /// Write a synthetic dataset (orders, feedback, tickets) for demos and tests.
    Sample(SampleArgs),
    /// Show or create the config file.
    Config(ConfigArgs),
    /// Present the dashboard on the bundled sample data: panes and periods
    /// in turn, each with a caption; any key hands it over. No config needed.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seconds per step.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub interval: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files to check; their kind is detected from the headers. Without
    /// files, checks the sources of --orders/--feedback/--tickets, the
    /// config file, or the bundled sample data.
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Period label: 2024-W09, 2024-03, 2024-Q1, 2024, or `all`.
    #[arg(long)]
    pub period: Option<String>,
    /// Granularity for `--period all`: week, month, quarter, year.
    #[arg(long)]
    pub granularity: Option<String>,
    /// Segment filter COLUMN=VALUE.
    #[arg(long)]
    pub segment: Option<String>,
    /// Acquisition cohort filter (a period label).
    #[arg(long)]
    pub cohort: Option<String>,
    /// Churn window in days (overrides the default and the config).
    #[arg(long, value_name = "DAYS")]
    pub churn_window: Option<u32>,
    /// Output format: json, table or markdown.
    #[arg(long, default_value = "json")]
    pub format: String,
    /// Print only the alerts that fire (see `[alerts]` in the config).
    #[arg(long)]
    pub alerts_only: bool,
    /// Exit with status 1 when any alert fires (for cron or CI).
    #[arg(long)]
    pub exit_code: bool,
    /// Print the definition of every KPI and exit.
    #[arg(long)]
    pub explain: bool,
    /// Print the customers behind a count instead of the KPIs: start, end,
    /// new, retained, won_back, lost, detractors, at_risk, open_tickets
    /// (with --format csv or json).
    #[arg(long, value_name = "SET")]
    pub list: Option<String>,
}

#[derive(Debug, Args)]
pub struct FollowupsArgs {
    /// Only this list (its `name` in the config).
    #[arg(long, value_name = "NAME")]
    pub rule: Option<String>,
    /// The period (default: the month holding the last day of data, to date).
    #[arg(long)]
    pub period: Option<String>,
    /// Segment filter COLUMN=VALUE.
    #[arg(long)]
    pub segment: Option<String>,
    /// Acquisition cohort filter (a period label).
    #[arg(long)]
    pub cohort: Option<String>,
    /// Output format: csv or json.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ListFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct CustomerArgs {
    /// The customer id (as in the orders file).
    pub id: String,
    /// The period whose standing to show (default: the latest month of the data).
    #[arg(long)]
    pub period: Option<String>,
    /// Churn window in days.
    #[arg(long, value_name = "DAYS")]
    pub churn_window: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 2000)]
    pub customers: u32,
    /// Random seed: the same seed writes the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output folder.
    #[arg(long, default_value = "sample-data")]
    pub out: PathBuf,
    /// Last day of data (YYYY-MM-DD).
    #[arg(long, default_value = "2026-09-30")]
    pub end: String,
    /// Years of data.
    #[arg(long, default_value_t = 3)]
    pub years: u32,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print a commented default config file.
    #[arg(long)]
    pub print_default: bool,
    /// Print where the config file is read from.
    #[arg(long)]
    pub path: bool,
}
