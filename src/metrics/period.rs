//! Periods (kpi-spec §2): ISO weeks, months, quarters and years as half-open
//! day ranges, with their labels, the previous period and the year-ago one.

use serde::Serialize;

use crate::calendar::{Day, civil_from_days, days_from_civil, format_day};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Week,
    Month,
    Quarter,
    Year,
}

impl Granularity {
    pub const ALL: [Granularity; 4] = [
        Granularity::Week,
        Granularity::Month,
        Granularity::Quarter,
        Granularity::Year,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Granularity::Week => "week",
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Year => "year",
        }
    }

    /// The length of the shortest instance (kpi-spec §3, cycle warning).
    pub fn shortest_days(self) -> i32 {
        match self {
            Granularity::Week => 7,
            Granularity::Month => 28,
            Granularity::Quarter => 90,
            Granularity::Year => 365,
        }
    }

    pub fn parse(s: &str) -> Option<Granularity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "week" | "w" | "weekly" => Some(Granularity::Week),
            "month" | "m" | "monthly" => Some(Granularity::Month),
            "quarter" | "q" | "quarterly" => Some(Granularity::Quarter),
            "year" | "y" | "yearly" => Some(Granularity::Year),
            _ => None,
        }
    }
}

/// One period: its granularity, the year it belongs to and its number
/// within the year (ISO week, month, quarter; 1 for a year).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub granularity: Granularity,
    pub year: i32,
    pub number: u32,
}

/// The Monday of ISO week 1 of an ISO year.
fn iso_week1_monday(year: i32) -> Day {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - weekday(jan4)
}

/// 0 = Monday .. 6 = Sunday.
pub fn weekday(day: Day) -> i32 {
    (day + 3).rem_euclid(7)
}

/// Number of ISO weeks (52 or 53) in an ISO year.
pub fn iso_weeks_in_year(year: i32) -> u32 {
    ((iso_week1_monday(year + 1) - iso_week1_monday(year)) / 7) as u32
}

impl Period {
    /// Parses `2024-W09`, `2024-03`, `2024-Q1` or `2024`.
    pub fn parse(label: &str) -> Option<Period> {
        let l = label.trim();
        let year_ok = |y: &str| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
        if year_ok(l) {
            return Some(Period {
                granularity: Granularity::Year,
                year: l.parse().ok()?,
                number: 1,
            });
        }
        let (y, rest) = l.split_once('-')?;
        if !year_ok(y) {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
        let (granularity, num) = if let Some(w) = rest.strip_prefix(['W', 'w']) {
            (Granularity::Week, w)
        } else if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            (Granularity::Quarter, q)
        } else {
            (Granularity::Month, rest)
        };
        if !digits(num) {
            return None;
        }
        let number: u32 = num.parse().ok()?;
        let max = match granularity {
            Granularity::Week => iso_weeks_in_year(year),
            Granularity::Month => 12,
            Granularity::Quarter => 4,
            Granularity::Year => 1,
        };
        (1..=max).contains(&number).then_some(Period {
            granularity,
            year,
            number,
        })
    }

    pub fn label(&self) -> String {
        match self.granularity {
            Granularity::Week => format!("{:04}-W{:02}", self.year, self.number),
            Granularity::Month => format!("{:04}-{:02}", self.year, self.number),
            Granularity::Quarter => format!("{:04}-Q{}", self.year, self.number),
            Granularity::Year => format!("{:04}", self.year),
        }
    }

    /// The first day.
    pub fn start(&self) -> Day {
        match self.granularity {
            Granularity::Week => iso_week1_monday(self.year) + 7 * (self.number as i32 - 1),
            Granularity::Month => days_from_civil(self.year, self.number, 1),
            Granularity::Quarter => days_from_civil(self.year, 3 * (self.number - 1) + 1, 1),
            Granularity::Year => days_from_civil(self.year, 1, 1),
        }
    }

    /// The day after the last day.
    pub fn end(&self) -> Day {
        self.next().start()
    }

    pub fn days(&self) -> i32 {
        self.end() - self.start()
    }

    pub fn next(&self) -> Period {
        self.shift(1)
    }

    pub fn previous(&self) -> Period {
        self.shift(-1)
    }

    /// The period `n` steps later (earlier when negative).
    pub fn shift(&self, n: i32) -> Period {
        match self.granularity {
            Granularity::Week => Period::containing(Granularity::Week, self.start() + 7 * n),
            Granularity::Month | Granularity::Quarter => {
                let per_year = if self.granularity == Granularity::Month {
                    12
                } else {
                    4
                };
                let idx = self.year * per_year + self.number as i32 - 1 + n;
                Period {
                    granularity: self.granularity,
                    year: idx.div_euclid(per_year),
                    number: idx.rem_euclid(per_year) as u32 + 1,
                }
            }
            Granularity::Year => Period {
                year: self.year + n,
                ..*self
            },
        }
    }

    /// The same period a year earlier (ISO week number kept); `None` for a
    /// week 53 whose year-ago week does not exist.
    pub fn year_ago(&self) -> Option<Period> {
        let p = Period {
            year: self.year - 1,
            ..*self
        };
        (self.granularity != Granularity::Week || p.number <= iso_weeks_in_year(p.year))
            .then_some(p)
    }

    /// The period of a granularity that contains a day.
    pub fn containing(granularity: Granularity, day: Day) -> Period {
        let (y, m, _) = civil_from_days(day);
        match granularity {
            Granularity::Week => {
                let monday = day - weekday(day);
                // The ISO year is the year of the week's Thursday.
                let (iso_year, _, _) = civil_from_days(monday + 3);
                let number = ((monday - iso_week1_monday(iso_year)) / 7 + 1) as u32;
                Period {
                    granularity,
                    year: iso_year,
                    number,
                }
            }
            Granularity::Month => Period {
                granularity,
                year: y,
                number: m,
            },
            Granularity::Quarter => Period {
                granularity,
                year: y,
                number: (m - 1) / 3 + 1,
            },
            Granularity::Year => Period {
                granularity,
                year: y,
                number: 1,
            },
        }
    }

    /// Steps from `self` to `other` (same granularity).
    pub fn steps_to(&self, other: &Period) -> i32 {
        match self.granularity {
            Granularity::Week => (other.start() - self.start()) / 7,
            Granularity::Month => {
                (other.year - self.year) * 12 + other.number as i32 - self.number as i32
            }
            Granularity::Quarter => {
                (other.year - self.year) * 4 + other.number as i32 - self.number as i32
            }
            Granularity::Year => other.year - self.year,
        }
    }
}

/// The period as JSON: label, granularity, first and last day (inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodJson {
    pub label: String,
    pub granularity: Granularity,
    pub start: String,
    /// The period's own last day, whatever was counted.
    pub end: String,
    /// The last day counted when the period is counted only in part: L for
    /// the period to date, the same number of days for its comparisons;
    /// `null` for a whole period (kpi-spec §2).
    pub to_date: Option<String>,
}

impl From<&Period> for PeriodJson {
    fn from(p: &Period) -> Self {
        PeriodJson {
            label: p.label(),
            granularity: p.granularity,
            start: format_day(p.start()),
            end: format_day(p.end() - 1),
            to_date: None,
        }
    }
}

impl PeriodJson {
    /// A period counted up to the day before `end` (exclusive): `to_date`
    /// names the last day counted when that is before the period's own end.
    pub fn counted(p: &Period, end: Day) -> Self {
        PeriodJson {
            to_date: (end < p.end()).then(|| format_day(end - 1)),
            ..PeriodJson::from(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> Day {
        days_from_civil(y, m, dd)
    }

    #[test]
    fn labels_round_trip() {
        for l in [
            "2024-W09", "2024-03", "2024-Q1", "2024", "2020-W53", "2026-12",
        ] {
            assert_eq!(Period::parse(l).unwrap().label(), l);
        }
        for bad in [
            "2024-W54", "2023-W53", "2024-13", "2024-Q5", "24", "2024-W", "2024-00", "march",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_weeks_across_year_boundaries() {
        // 2025-W01 starts on Monday 2024-12-30.
        let w = Period::parse("2025-W01").unwrap();
        assert_eq!((w.start(), w.end()), (d(2024, 12, 30), d(2025, 1, 6)));
        assert_eq!(
            Period::containing(Granularity::Week, d(2024, 12, 31)).label(),
            "2025-W01"
        );
        assert_eq!(
            Period::containing(Granularity::Week, d(2021, 1, 3)).label(),
            "2020-W53"
        );
        assert_eq!(w.previous().label(), "2024-W52");
        assert_eq!(
            Period::parse("2020-W53").unwrap().next().label(),
            "2021-W01"
        );
        assert_eq!(Period::parse("2020-W53").unwrap().year_ago(), None);
        assert_eq!(
            Period::parse("2021-W10")
                .unwrap()
                .year_ago()
                .unwrap()
                .label(),
            "2020-W10"
        );
    }

    #[test]
    fn months_quarters_years() {
        let m = Period::parse("2024-02").unwrap();
        assert_eq!(m.days(), 29);
        assert_eq!(m.previous().previous().label(), "2023-12");
        assert_eq!(
            Period::parse("2024-Q1").unwrap().previous().label(),
            "2023-Q4"
        );
        assert_eq!(Period::parse("2024-Q4").unwrap().end(), d(2025, 1, 1));
        assert_eq!(Period::parse("2024").unwrap().days(), 366);
        assert_eq!(m.year_ago().unwrap().label(), "2023-02");
        assert_eq!(
            Period::parse("2024-01")
                .unwrap()
                .steps_to(&Period::parse("2025-03").unwrap()),
            14
        );
        let j = PeriodJson::from(&m);
        assert_eq!(
            (j.start.as_str(), j.end.as_str()),
            ("2024-02-01", "2024-02-29")
        );
    }
}
