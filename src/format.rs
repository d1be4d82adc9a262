//! How numbers read, shared by the dashboard and `report`.
//!
//! The top level is the screen's form (thousands separators, arrows, `–`
//! for undefined); `plain` is the form of `report --format table`, Markdown
//! and CSV (no separators, a sign and a unit), unchanged since those are
//! formats scripts read.

use crate::metrics::kpi::Unit;

pub const NONE: &str = "–";

pub fn pct(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map_or(NONE.into(), |x| format!("{x:.1}%"))
}

pub fn num(v: Option<f64>, decimals: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or(NONE.into(), |x| format!("{x:.decimals$}"))
}

pub fn count(v: u64) -> String {
    group(&v.to_string())
}

/// Money with thousands separators and no currency (exports mix currencies).
pub fn money(v: Option<f64>) -> String {
    match v.filter(|x| x.is_finite()) {
        None => NONE.into(),
        Some(x) if x.abs() >= 100_000.0 => {
            let sign = if x < 0.0 { "-" } else { "" };
            format!("{sign}{}", group(&format!("{:.0}", x.abs())))
        }
        Some(x) => {
            let sign = if x < 0.0 { "-" } else { "" };
            let s = format!("{:.2}", x.abs());
            let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
            format!("{sign}{}.{frac}", group(int))
        }
    }
}

/// Money in a currency: `$1,234.50`, `-€80.00`, `CHF 99.00`; without a
/// known currency (none in the files, or several) as [`money`].
pub fn money_in(v: Option<f64>, currency: Option<&str>) -> String {
    in_currency(money(v), currency)
}

/// A whole amount in a currency, grouped (`€1,749`, `-$3`): for ranges,
/// where the spread matters and not the cents.
pub fn whole_money_in(v: f64, currency: Option<&str>) -> String {
    let whole = count(v.abs().round() as u64);
    let sign = if v.round() < 0.0 { "-" } else { "" };
    in_currency(format!("{sign}{whole}"), currency)
}

/// `amount` with the currency's prefix after its sign.
fn in_currency(amount: String, currency: Option<&str>) -> String {
    let Some(code) = currency.filter(|_| amount != NONE) else {
        return amount;
    };
    let prefix = currency_prefix(code);
    match amount.strip_prefix('-') {
        Some(abs) => format!("-{prefix}{abs}"),
        None => format!("{prefix}{amount}"),
    }
}

/// What leads an amount in `code`: the symbol of the common currencies
/// (one that is not ambiguous), else the code and a space. A currency
/// column holding a symbol (`$`, `€`) is used as it is.
pub fn currency_prefix(code: &str) -> String {
    let code = code.trim();
    let symbol = match code.to_ascii_uppercase().as_str() {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        "KRW" => "₩",
        "ILS" => "₪",
        "NGN" => "₦",
        "VND" => "₫",
        "UAH" => "₴",
        "PHP" => "₱",
        "TRY" => "₺",
        "CAD" => "CA$",
        "AUD" => "A$",
        "NZD" => "NZ$",
        "HKD" => "HK$",
        "MXN" => "MX$",
        "BRL" => "R$",
        _ if code.chars().count() == 1 => return code.to_string(),
        _ => return format!("{code} "),
    };
    symbol.to_string()
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// ▲ up, ▼ down, = unchanged.
fn arrow(d: f64) -> &'static str {
    if d > 0.0 {
        "▲"
    } else if d < 0.0 {
        "▼"
    } else {
        "="
    }
}

/// Change in percentage points: `+1.2pp`.
pub fn points(now: Option<f64>, then: Option<f64>) -> (String, Option<f64>) {
    match (now, then) {
        (Some(a), Some(b)) => {
            let d = a - b;
            let arrow = arrow(d);
            (format!("{arrow}{:+.1}pp", d), Some(d))
        }
        _ => (NONE.into(), None),
    }
}

/// Relative change: `+12.5%`.
pub fn relative(now: Option<f64>, then: Option<f64>) -> (String, Option<f64>) {
    match (now, then) {
        (Some(a), Some(b)) if b != 0.0 => {
            let d = (a - b) / b.abs() * 100.0;
            let arrow = arrow(d);
            (format!("{arrow}{:+.1}%", d), Some(d))
        }
        _ => (NONE.into(), None),
    }
}

/// A KPI's value on screen, in its unit (money in `currency`, when known).
pub fn value(unit: Unit, v: Option<f64>, currency: Option<&str>) -> String {
    match unit {
        Unit::Percent => pct(v),
        Unit::Score => num(v, 1),
        Unit::Count => v
            .filter(|x| x.is_finite())
            .map_or(NONE.into(), |x| count(x.round().max(0.0) as u64)),
        Unit::Money => money_in(v, currency),
        Unit::Ratio => num(v, 2),
    }
}

/// A KPI's change on screen: points for percentages and scores (NPS and CES
/// move in points of their scale), relative otherwise.
pub fn change(unit: Unit, now: Option<f64>, then: Option<f64>) -> (String, Option<f64>) {
    match unit {
        Unit::Percent => points(now, then),
        Unit::Score => {
            let (text, d) = points(now, then);
            (text.replace("pp", "pts"), d)
        }
        _ => relative(now, then),
    }
}

/// The report's forms: table and Markdown cells, CSV fields.
pub mod plain {
    use super::Unit;

    /// A KPI's value in the report, in its unit (money in `currency`, when known).
    pub fn value(unit: Unit, v: Option<f64>, currency: Option<&str>) -> String {
        match unit {
            Unit::Percent => num(v, 1, " %"),
            Unit::Score => num(v, 1, ""),
            Unit::Count => num(v, 0, ""),
            // Amounts with thousands separators, as on screen.
            Unit::Money => super::money_in(v, currency),
            Unit::Ratio => num(v, 2, ""),
        }
    }

    /// A KPI's change in the report: points for percentages and scores,
    /// relative otherwise.
    pub fn change(unit: Unit, now: Option<f64>, then: Option<f64>) -> String {
        match unit {
            Unit::Percent => points(now, then),
            Unit::Score => points(now, then).replace(" pp", " pts"),
            _ => relative(now, then),
        }
    }

    pub fn num(v: Option<f64>, decimals: usize, suffix: &str) -> String {
        match v {
            Some(x) if x.is_finite() => format!("{x:.decimals$}{suffix}"),
            _ => "–".into(),
        }
    }

    /// Change in percentage points.
    pub fn points(now: Option<f64>, then: Option<f64>) -> String {
        match (now, then) {
            (Some(a), Some(b)) => format!("{:+.1} pp", a - b),
            _ => "–".into(),
        }
    }

    /// Relative change in percent.
    pub fn relative(now: Option<f64>, then: Option<f64>) -> String {
        match (now, then) {
            (Some(a), Some(b)) if b != 0.0 => format!("{:+.1} %", (a - b) / b.abs() * 100.0),
            _ => "–".into(),
        }
    }

    pub fn csv_field(s: &str) -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    pub fn opt(v: Option<f64>) -> String {
        v.filter(|x| x.is_finite())
            .map(|x| x.to_string())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(pct(Some(94.814)), "94.8%");
        assert_eq!(pct(None), "–");
        assert_eq!(pct(Some(f64::NAN)), "–");
        assert_eq!(money(Some(1234567.891)), "1,234,568");
        assert_eq!(money(Some(-1234.5)), "-1,234.50");
        assert_eq!(money(Some(12.0)), "12.00");
        assert_eq!(count(1234), "1,234");
        assert_eq!(points(Some(50.0), Some(47.5)).0, "▲+2.5pp");
        assert_eq!(relative(Some(90.0), Some(100.0)).0, "▼-10.0%");
        assert_eq!(relative(Some(1.0), Some(0.0)).0, "–");
    }
}

/// `Sep 1–19`, or `Dec 29–Jan 2` across months, from two `YYYY-MM-DD` days.
pub fn day_range(from: &str, to: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts = |d: &str| -> Option<(usize, u32)> {
        let m: usize = d.get(5..7)?.parse().ok()?;
        let day: u32 = d.get(8..10)?.parse().ok()?;
        (1..=12).contains(&m).then_some((m - 1, day))
    };
    match (parts(from), parts(to)) {
        (Some((m1, d1)), Some((m2, d2))) if m1 == m2 => format!("{} {d1}–{d2}", MONTHS[m1]),
        (Some((m1, d1)), Some((m2, d2))) => {
            format!("{} {d1}–{} {d2}", MONTHS[m1], MONTHS[m2])
        }
        _ => format!("{from}–{to}"),
    }
}

#[cfg(test)]
mod day_range_tests {
    #[test]
    fn day_ranges() {
        assert_eq!(super::day_range("2026-10-01", "2026-10-19"), "Oct 1–19");
        assert_eq!(super::day_range("2025-01-01", "2025-09-30"), "Jan 1–Sep 30");
        assert_eq!(super::day_range("x", "y"), "x–y");
    }
}

#[cfg(test)]
mod currency_tests {
    use super::*;

    #[test]
    fn amounts_lead_with_their_currency() {
        assert_eq!(money_in(Some(1234.5), Some("USD")), "$1,234.50");
        assert_eq!(money_in(Some(-80.0), Some("eur")), "-€80.00");
        assert_eq!(money_in(Some(99.0), Some("CHF")), "CHF 99.00");
        assert_eq!(money_in(Some(250_000.0), Some("GBP")), "£250,000");
        assert_eq!(money_in(Some(5.0), Some("$")), "$5.00");
        assert_eq!(whole_money_in(-1749.4, Some("EUR")), "-€1,749");
        assert_eq!(whole_money_in(-0.4, Some("EUR")), "€0");
        assert_eq!(whole_money_in(68_105.6, None), "68,106");
        // Several currencies (or none in the files): the amount alone; no value: –.
        assert_eq!(money_in(Some(5.0), None), "5.00");
        assert_eq!(money_in(None, Some("USD")), NONE);
        assert_eq!(money_in(Some(f64::NAN), Some("USD")), NONE);
        assert_eq!(value(Unit::Money, Some(12.0), Some("JPY")), "¥12.00");
        assert_eq!(
            plain::value(Unit::Money, Some(12.0), Some("ZAR")),
            "ZAR 12.00"
        );
        assert_eq!(
            plain::value(Unit::Percent, Some(12.0), Some("ZAR")),
            "12.0 %"
        );
    }
}
