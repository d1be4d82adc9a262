//! The sample-data generator behind `holdfast sample`: orders, feedback and
//! tickets that look like a small subscription-and-shop business. Same seed,
//! same bytes.
//!
//! The model: customers arrive over the years (growing, with a year-end
//! peak), each with a plan, region and channel, a purchase rhythm and a
//! hidden satisfaction. Satisfaction drives NPS answers, ticket volume and
//! churn, so detractors really do leave more often. Some churned customers
//! come back; a few orders have several lines; some are refunded.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::parse::{Day, civil_from_days, days_from_civil, format_day};

/// SplitMix64: small, fast and good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
    /// Log-normal with the given median and spread (sigma of the log).
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        // Box-Muller.
        let u1 = self.f().max(1e-12);
        let u2 = self.f();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * z).exp()
    }
    pub fn pick<T: Copy>(&mut self, items: &[(T, f64)]) -> T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.f() * total;
        for (item, w) in items {
            if x < *w {
                return *item;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }
}

#[derive(Clone, Debug)]
pub struct SampleOptions {
    pub customers: u32,
    pub seed: u64,
    /// The last day of data.
    pub end: Day,
    pub years: u32,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            customers: 2000,
            seed: 42,
            end: days_from_civil(2026, 9, 30),
            years: 3,
        }
    }
}

/// The three CSV files as text.
pub struct SampleFiles {
    pub orders: String,
    pub feedback: String,
    pub tickets: String,
}

const PLANS: [(&str, f64); 3] = [("basic", 0.5), ("plus", 0.35), ("pro", 0.15)];
const REGIONS: [(&str, f64); 4] = [
    ("north-america", 0.4),
    ("europe", 0.35),
    ("asia-pacific", 0.15),
    ("latam", 0.1),
];
const CHANNELS: [(&str, f64); 4] = [
    ("organic", 0.4),
    ("paid", 0.3),
    ("referral", 0.2),
    ("marketplace", 0.1),
];
const RHYTHMS: [(f64, f64); 5] = [
    (10.0, 0.1),
    (21.0, 0.25),
    (35.0, 0.35),
    (60.0, 0.2),
    (120.0, 0.1),
];
const CATEGORIES: [(&str, f64); 5] = [
    ("shipping", 0.3),
    ("billing", 0.25),
    ("product", 0.2),
    ("account", 0.15),
    ("returns", 0.1),
];

const DETRACTOR_COMMENTS: [&str; 8] = [
    "Delivery was slow and nobody answered my emails",
    "Too expensive for what you get",
    "The product broke after two weeks",
    "Support was slow to respond",
    "Billing charged me twice, still waiting for a refund",
    "Shipping took forever and the box was damaged",
    "Confusing checkout and slow support",
    "Price went up again, considering other options",
];
const PASSIVE_COMMENTS: [&str; 5] = [
    "Decent products, delivery could be faster",
    "Fine overall, a bit pricey",
    "Good quality but the app is confusing",
    "Okay experience",
    "Support was helpful eventually",
];
const PROMOTER_COMMENTS: [&str; 6] = [
    "Great quality and fast shipping",
    "Love the products, support is friendly",
    "Always arrives quickly, great service",
    "Excellent quality, recommended to friends",
    "Fast delivery and great support team",
    "Best shop I know, great value",
];

struct Customer {
    id: String,
    plan: &'static str,
    region: &'static str,
    channel: &'static str,
    satisfaction: f64,
}

fn seasonal_weight(day: Day) -> f64 {
    let (_, m, _) = civil_from_days(day);
    match m {
        11 => 1.4,
        12 => 1.7,
        1 | 2 => 0.85,
        7 | 8 => 0.9,
        _ => 1.0,
    }
}

fn datetime(day: Day, secs: i64) -> String {
    crate::calendar::format_instant(day as i64 * 86_400 + secs)
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Generates the three files. Deterministic for a seed.
pub fn generate(opts: &SampleOptions) -> SampleFiles {
    let mut rng = Rng::new(opts.seed);
    let (ey, em, ed) = civil_from_days(opts.end);
    let start = days_from_civil(ey - opts.years as i32, em, ed) + 1;
    let span = (opts.end - start + 1).max(1);
    let mut orders = String::from("order_id,customer_id,order_date,amount,plan,region,channel\n");
    let mut feedback = String::from("responded_at,customer_id,survey,score,comment,region\n");
    let mut tickets = String::from(
        "ticket_id,customer_id,created_at,first_response_at,solved_at,category,priority,satisfaction\n",
    );
    let mut order_no = 1000u64;
    let mut ticket_no = 5000u64;
    let mut order_rows: Vec<(Day, String)> = Vec::new();
    let mut feedback_rows: Vec<(Day, String)> = Vec::new();
    let mut ticket_rows: Vec<(Day, String)> = Vec::new();

    for i in 0..opts.customers {
        let c = Customer {
            id: format!("C{:05}", i + 1),
            plan: rng.pick(&PLANS),
            region: rng.pick(&REGIONS),
            channel: rng.pick(&CHANNELS),
            satisfaction: {
                let base = (rng.f() + rng.f() + rng.f()) / 3.0;
                (base + 0.25 * rng.f()).min(1.0)
            },
        };
        // Arrival: growth over the years and a year-end peak.
        let first = loop {
            let d = start + rng.below(span as u64) as Day;
            let growth = 0.5 + (d - start) as f64 / span as f64;
            if rng.f() * 1.5 * 1.7 < growth * seasonal_weight(d) {
                break d;
            }
        };
        let rhythm = rng.pick(&RHYTHMS) * (0.8 + 0.4 * rng.f());
        let churn_p = 0.03 + (1.0 - c.satisfaction).powi(2) * 0.2;
        let base_amount = match c.plan {
            "basic" => 3500.0,
            "plus" => 6000.0,
            _ => 12000.0,
        };
        let mut plan = c.plan;
        let mut day = first;
        let mut last_nps: Day = start - 1000;
        while day <= opts.end {
            // One order, sometimes with several lines.
            order_no += 1;
            let total =
                (rng.lognormal(base_amount, 0.35) * seasonal_weight(day).sqrt()).round() as i64;
            let lines = if rng.chance(0.08) {
                2 + rng.below(2) as i64
            } else {
                1
            };
            let mut left = total;
            for l in 0..lines {
                let part = if l == lines - 1 { left } else { total / lines };
                left -= part;
                order_rows.push((
                    day,
                    format!(
                        "O{order_no},{},{},{},{plan},{},{}\n",
                        c.id,
                        format_day(day),
                        money(part),
                        c.region,
                        c.channel
                    ),
                ));
            }
            // A refund now and then, some days later.
            if rng.chance(0.03) {
                let refund_day = day + 3 + rng.below(18) as Day;
                if refund_day <= opts.end {
                    let part = if rng.chance(0.5) { total } else { total / 2 };
                    order_rows.push((
                        refund_day,
                        format!(
                            "R{order_no},{},{},{},{plan},{},{}\n",
                            c.id,
                            format_day(refund_day),
                            money(-part),
                            c.region,
                            c.channel
                        ),
                    ));
                }
            }
            if plan == "basic" && rng.chance(0.02) {
                plan = "plus";
            }
            // Tickets: unhappier customers write more.
            if rng.chance(0.06 + (1.0 - c.satisfaction) * 0.12) {
                ticket_no += 1;
                let created = day + rng.below(10) as Day;
                if created <= opts.end {
                    let created_secs = 8 * 3600 + rng.below(12 * 3600) as i64;
                    let response_secs = (rng.lognormal(3.0, 1.1) * 3600.0) as i64 + 300;
                    let solve_secs = response_secs + (rng.lognormal(20.0, 1.0) * 3600.0) as i64;
                    let solved_day = created as i64 + (created_secs + solve_secs) / 86_400;
                    let open = rng.chance(0.03) || solved_day > opts.end as i64;
                    let category = rng.pick(&CATEGORIES);
                    let priority = if rng.chance(0.15) { "high" } else { "normal" };
                    let responded_day = created as i64 + (created_secs + response_secs) / 86_400;
                    let response = if responded_day > opts.end as i64 {
                        String::new()
                    } else {
                        datetime(created, created_secs + response_secs)
                    };
                    let satisfaction = if open {
                        ""
                    } else if rng.chance(0.4) {
                        if rng.f() < c.satisfaction * 0.9 + 0.1 {
                            "good"
                        } else {
                            "bad"
                        }
                    } else if rng.chance(0.5) {
                        "offered"
                    } else {
                        ""
                    };
                    ticket_rows.push((
                        created,
                        format!(
                            "T{ticket_no},{},{},{response},{},{category},{priority},{satisfaction}\n",
                            c.id,
                            datetime(created, created_secs),
                            if open { String::new() } else { datetime(created, created_secs + solve_secs) },
                        ),
                    ));
                    // CSAT and CES after solved tickets.
                    if !open && solved_day <= opts.end as i64 {
                        let rday = solved_day as Day;
                        if rng.chance(0.45) {
                            let s = (2.0 + c.satisfaction * 4.0 + rng.f() * 1.2 - 0.6)
                                .round()
                                .clamp(1.0, 5.0);
                            feedback_rows.push((
                                rday,
                                format!("{},{},csat,{s},,{}\n", format_day(rday), c.id, c.region),
                            ));
                        }
                        if rng.chance(0.3) {
                            let s = (1.5 + c.satisfaction * 6.0 + rng.f() * 1.6 - 0.8)
                                .round()
                                .clamp(1.0, 7.0);
                            feedback_rows.push((
                                rday,
                                format!("{},{},ces,{s},,{}\n", format_day(rday), c.id, c.region),
                            ));
                        }
                    }
                }
            }
            // NPS at most once a quarter, for some active customers.
            let survey_day = day + 2 + rng.below(12) as Day;
            if survey_day <= opts.end && survey_day - last_nps > 90 && rng.chance(0.3) {
                last_nps = survey_day;
                let s = (5.0 + c.satisfaction * 6.0 + rng.f() * 2.0 - 1.0)
                    .floor()
                    .clamp(0.0, 10.0) as i64;
                let comment = if rng.chance(0.6) {
                    let pool: &[&str] = if s <= 6 {
                        &DETRACTOR_COMMENTS
                    } else if s <= 8 {
                        &PASSIVE_COMMENTS
                    } else {
                        &PROMOTER_COMMENTS
                    };
                    quote(pool[rng.below(pool.len() as u64) as usize])
                } else {
                    String::new()
                };
                let who = if rng.chance(0.03) { "" } else { c.id.as_str() };
                feedback_rows.push((
                    survey_day,
                    format!(
                        "{},{who},nps,{s},{comment},{}\n",
                        format_day(survey_day),
                        c.region
                    ),
                ));
            }
            // Churn, and now and then a win-back after a long pause.
            if rng.chance(churn_p) {
                if rng.chance(0.15) {
                    day += (rhythm * (4.0 + 6.0 * rng.f())) as Day;
                    continue;
                }
                break;
            }
            let season = if civil_from_days(day).1 >= 11 {
                0.8
            } else {
                1.0
            };
            day += (rng.lognormal(rhythm, 0.45) * season).round().max(1.0) as Day;
        }
    }
    let finish = |rows: &mut Vec<(Day, String)>, out: &mut String| {
        rows.sort_by_key(|(d, _)| *d);
        for (_, r) in rows.iter() {
            let _ = out.write_str(r);
        }
    };
    finish(&mut order_rows, &mut orders);
    finish(&mut feedback_rows, &mut feedback);
    finish(&mut ticket_rows, &mut tickets);
    SampleFiles {
        orders,
        feedback,
        tickets,
    }
}

/// Generates the three files and loads them from memory (benchmarks, profiling).
pub fn dataset(opts: &SampleOptions) -> Result<super::Dataset, super::LoadError> {
    use super::{SourceKind, SourceSpec};
    let files = generate(opts);
    let sources = super::Sources::new(
        SourceSpec::memory(SourceKind::Orders, "orders.csv", files.orders),
        Some(SourceSpec::memory(
            SourceKind::Feedback,
            "feedback.csv",
            files.feedback,
        )),
        Some(SourceSpec::memory(
            SourceKind::Tickets,
            "tickets.csv",
            files.tickets,
        )),
    );
    super::load(&sources, super::Scales::default())
}

/// Writes `orders.csv`, `feedback.csv` and `tickets.csv` into `dir`.
pub fn write(opts: &SampleOptions, dir: &Path) -> io::Result<[std::path::PathBuf; 3]> {
    std::fs::create_dir_all(dir)?;
    let files = generate(opts);
    let paths = [
        dir.join("orders.csv"),
        dir.join("feedback.csv"),
        dir.join("tickets.csv"),
    ];
    std::fs::write(&paths[0], files.orders)?;
    std::fs::write(&paths[1], files.feedback)?;
    std::fs::write(&paths[2], files.tickets)?;
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed() {
        let opts = SampleOptions {
            customers: 50,
            ..Default::default()
        };
        let a = generate(&opts);
        let b = generate(&opts);
        assert_eq!(a.orders, b.orders);
        assert_eq!(a.feedback, b.feedback);
        assert_eq!(a.tickets, b.tickets);
        let c = generate(&SampleOptions { seed: 7, ..opts });
        assert_ne!(a.orders, c.orders);
    }
}
