//! Parsing of the cell values real exports contain: dates and datetimes in
//! the many ways tools write them, and amounts in either decimal style.
//!
//! The parsers are pure and allocation-free on the hot path. Decisions that
//! need the whole column (day/month order of slash dates, the decimal style of
//! amounts) are taken by the column builders in `columns.rs`; the functions
//! here report what a single cell allows.

/// Amounts are stored as integers in ten-thousandths of the currency unit,
/// so sums are exact to the last digit.
pub const AMOUNT_SCALE: i64 = 10_000;

// The calendar lives in `crate::calendar` (both layers use it); re-exported here.
pub use crate::calendar::{
    Day, civil_from_days, days_from_civil, days_in_month, format_day, is_leap,
};

fn valid_date(y: i32, m: u32, d: u32) -> bool {
    (1..=9999).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// A point in time as the export wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The calendar date in the offset the value carries (naive: as written).
    pub day: Day,
    /// Seconds since the epoch of the wall-clock time as written.
    pub local_secs: i64,
    /// UTC offset in seconds east, when the value carries one.
    pub offset: Option<i32>,
}

impl Stamp {
    pub fn from_parts(day: Day, time_of_day: u32, offset: Option<i32>) -> Self {
        Stamp {
            day,
            local_secs: day as i64 * 86_400 + time_of_day as i64,
            offset,
        }
    }

    /// Seconds since the epoch of the instant (naive values are taken as UTC).
    pub fn instant(&self) -> i64 {
        self.local_secs - self.offset.unwrap_or(0) as i64
    }

    pub fn from_unix(secs: i64) -> Stamp {
        Stamp {
            day: secs.div_euclid(86_400) as Day,
            local_secs: secs,
            offset: Some(0),
        }
    }
}

/// The order of day and month in `NN/NN/YYYY` dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// Decide from the data.
    Auto,
    /// Day first: 31/12/2024.
    Dmy,
    /// Month first: 12/31/2024.
    Mdy,
}

/// One parsed date cell: either fully known, or a `NN/NN/YYYY` date whose
/// order of day and month the column decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawStamp {
    Known(Stamp),
    Slash {
        a: u32,
        b: u32,
        year: i32,
        time_of_day: u32,
        offset: Option<i32>,
    },
}

impl RawStamp {
    /// The stamp under a day/month order; `None` when the date does not exist.
    pub fn resolve(self, order: DateOrder) -> Option<Stamp> {
        match self {
            RawStamp::Known(s) => Some(s),
            RawStamp::Slash {
                a,
                b,
                year,
                time_of_day,
                offset,
            } => {
                let (d, m) = match order {
                    DateOrder::Mdy => (b, a),
                    _ => (a, b),
                };
                valid_date(year, m, d)
                    .then(|| Stamp::from_parts(days_from_civil(year, m, d), time_of_day, offset))
            }
        }
    }

    /// Which orders this value allows: (day-first, month-first).
    pub fn allows(self) -> (bool, bool) {
        match self {
            RawStamp::Known(_) => (true, true),
            _ => (
                self.resolve(DateOrder::Dmy).is_some(),
                self.resolve(DateOrder::Mdy).is_some(),
            ),
        }
    }
}

/// A date cell reduced to its day, for rows that wait (by the million) for
/// the file's day/month order: the day, or a `NN/NN/YYYY` date's year with
/// its two numbers in `bits` (0–7, 8–15) and `WAITING_SLASH`. The time and
/// offset are not kept: only the day is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitingDay {
    pub day_or_year: i32,
    /// Bits 0–16; a row may use the bits above for flags of its own.
    pub bits: u32,
}

/// Marks a slash date in `WaitingDay::bits`.
pub const WAITING_SLASH: u32 = 1 << 16;
/// The bits of `WaitingDay::bits` that the date uses.
pub const WAITING_BITS: u32 = WAITING_SLASH | 0xffff;

impl WaitingDay {
    pub fn new(date: RawStamp) -> Self {
        match date {
            RawStamp::Known(s) => WaitingDay {
                day_or_year: s.day,
                bits: 0,
            },
            // `allows`: a and b are day or month numbers (1..=31).
            RawStamp::Slash { a, b, year, .. } => WaitingDay {
                day_or_year: year,
                bits: WAITING_SLASH | (a & 0xff) | (b & 0xff) << 8,
            },
        }
    }

    /// The day under the file's day/month order; `None` when the date does not exist.
    pub fn day(self, order: DateOrder) -> Option<Day> {
        if self.bits & WAITING_SLASH == 0 {
            return Some(self.day_or_year);
        }
        let slash = RawStamp::Slash {
            a: self.bits & 0xff,
            b: (self.bits >> 8) & 0xff,
            year: self.day_or_year,
            time_of_day: 0,
            offset: None,
        };
        slash.resolve(order).map(|s| s.day)
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Up to `max` digits; returns (value, count).
    fn digits(&mut self, max: usize) -> (u64, usize) {
        let mut v = 0u64;
        let mut n = 0;
        while n < max {
            match self.peek() {
                Some(c @ b'0'..=b'9') => {
                    v = v * 10 + (c - b'0') as u64;
                    self.i += 1;
                    n += 1;
                }
                _ => break,
            }
        }
        (v, n)
    }
    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn rest(&self) -> &'a [u8] {
        &self.s[self.i..]
    }
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
}

/// Parses a date or datetime cell. Accepted forms:
/// `2024-03-05`, `2024-03-05T10:20:30[.fff][Z|±HH:MM|±HHMM]`, `2024-03-05 10:20:30 +0200`,
/// `2024/03/05`, `20240305`, Unix seconds (9–10 digits, optional fraction) or
/// milliseconds (13 digits), `05/03/2024` and `05.03.2024` (order decided by the
/// column), month names (`Mar 1, 2024`, `1 March 2024`, `Tue, 05 Mar 2024`), each
/// optionally with a time (`H:MM[:SS]`, AM/PM) and offset.
pub fn parse_datetime(input: &str) -> Option<RawStamp> {
    let s = input.trim();
    parse_numeric_datetime(s).or_else(|| {
        // Month names only when the numeric forms fail (most cells never get here).
        s.bytes()
            .any(|c| c.is_ascii_alphabetic())
            .then(|| parse_month_name_date(s))
            .flatten()
    })
}

fn parse_numeric_datetime(input: &str) -> Option<RawStamp> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    // Pure digits (maybe with a fraction): YYYYMMDD, Unix seconds or milliseconds.
    if b.iter().all(|c| c.is_ascii_digit() || *c == b'.') && b[0].is_ascii_digit() {
        let int_part = s.split('.').next().unwrap_or("");
        if s.matches('.').count() > 1 {
            // 05.03.2024 is a dotted date; handled below.
        } else if int_part.len() == 8 && !s.contains('.') {
            let y = int_part[..4].parse().ok()?;
            let m = int_part[4..6].parse().ok()?;
            let d = int_part[6..8].parse().ok()?;
            return valid_date(y, m, d)
                .then(|| RawStamp::Known(Stamp::from_parts(days_from_civil(y, m, d), 0, None)));
        } else if (9..=10).contains(&int_part.len()) {
            let secs: i64 = int_part.parse().ok()?;
            return Some(RawStamp::Known(Stamp::from_unix(secs)));
        } else if int_part.len() == 13 && !s.contains('.') {
            let ms: i64 = int_part.parse().ok()?;
            return Some(RawStamp::Known(Stamp::from_unix(ms.div_euclid(1000))));
        } else {
            return None;
        }
    }
    let mut c = Cursor { s: b, i: 0 };
    let (first, n1) = c.digits(4);
    let sep = c.peek()?;
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    c.i += 1;
    let (second, n2) = c.digits(2);
    if n2 == 0 || !c.eat(sep) {
        return None;
    }
    let (third, n3) = c.digits(4);
    if n3 == 0 {
        return None;
    }
    let (time_of_day, offset) = parse_time_and_offset(&mut c)?;
    if n1 == 4 {
        // Year first.
        if n3 > 2 {
            return None;
        }
        let (y, m, d) = (first as i32, second as u32, third as u32);
        return valid_date(y, m, d).then(|| {
            RawStamp::Known(Stamp::from_parts(
                days_from_civil(y, m, d),
                time_of_day,
                offset,
            ))
        });
    }
    if n1 > 2 || !(n3 == 4 || n3 == 2) {
        return None;
    }
    let year = if n3 == 2 {
        2000 + third as i32
    } else {
        third as i32
    };
    let raw = RawStamp::Slash {
        a: first as u32,
        b: second as u32,
        year,
        time_of_day,
        offset,
    };
    let (dmy, mdy) = raw.allows();
    (dmy || mdy).then_some(raw)
}

fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let w = word.to_ascii_lowercase();
    let w = w.trim_end_matches('.');
    (0..12)
        .find(|&i| w == MONTHS[i] || w == FULL[i] || (i == 8 && w == "sept"))
        .map(|i| i as u32 + 1)
}

/// Dates written with a month name: `Mar 1, 2024`, `March 1 2024`, `1 Mar 2024`,
/// `01-Mar-2024`, `Tue, 05 Mar 2024 10:00:00 +0000`, each optionally with a time.
fn parse_month_name_date(s: &str) -> Option<RawStamp> {
    let b = s.as_bytes();
    let is_sep = |c: u8| matches!(c, b' ' | b',' | b'-' | b'.' | b'/');
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() && tokens.len() < 4 {
        while i < b.len() && is_sep(b[i]) {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if start == i {
            break;
        }
        tokens.push((start, i));
        // A time follows the year: stop before it.
        if tokens.len() >= 3
            && s[start..i].len() == 4
            && s[start..i].bytes().all(|c| c.is_ascii_digit())
        {
            break;
        }
    }
    let words: Vec<&str> = tokens.iter().map(|&(a, z)| &s[a..z]).collect();
    // A leading weekday (Tue, Tuesday) is dropped.
    let skip = usize::from(
        words.len() == 4
            && words[0].bytes().all(|c| c.is_ascii_alphabetic())
            && month_number(words[0]).is_none(),
    );
    let date = words.get(skip..skip + 3)?;
    let number = |w: &str, max_len: usize| {
        (w.len() <= max_len && w.bytes().all(|c| c.is_ascii_digit()))
            .then(|| w.parse::<u32>().ok())
            .flatten()
    };
    let (month, day) = match (month_number(date[0]), month_number(date[1])) {
        (Some(m), None) => (m, number(date[1], 2)?),
        (None, Some(m)) => (m, number(date[0], 2)?),
        _ => return None,
    };
    let year = number(date[2], 4).filter(|_| date[2].len() == 4)? as i32;
    if !valid_date(year, month, day) {
        return None;
    }
    let end = tokens[skip + 2].1;
    let mut c = Cursor { s: &b[end..], i: 0 };
    let (time_of_day, offset) = parse_time_and_offset(&mut c)?;
    Some(RawStamp::Known(Stamp::from_parts(
        days_from_civil(year, month, day),
        time_of_day,
        offset,
    )))
}

/// Parses what follows a date: nothing, or `[T ]H:MM[:SS[.fff]][ AM|PM][ offset]`.
fn parse_time_and_offset(c: &mut Cursor) -> Option<(u32, Option<i32>)> {
    if c.done() {
        return Some((0, None));
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    c.skip_spaces();
    let (mut h, nh) = c.digits(2);
    if nh == 0 || !c.eat(b':') {
        return None;
    }
    let (mi, nm) = c.digits(2);
    if nm != 2 {
        return None;
    }
    let mut sec = 0;
    if c.eat(b':') {
        let (s, ns) = c.digits(2);
        if ns != 2 {
            return None;
        }
        sec = s;
        if c.eat(b'.') || c.eat(b',') {
            c.digits(12);
        }
    }
    c.skip_spaces();
    let rest = c.rest();
    if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case(b"am") {
        if !(1..=12).contains(&h) {
            return None;
        }
        if h == 12 {
            h = 0;
        }
        c.i += 2;
    } else if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case(b"pm") {
        if !(1..=12).contains(&h) {
            return None;
        }
        if h != 12 {
            h += 12;
        }
        c.i += 2;
    }
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let tod = (h * 3600 + mi * 60 + sec.min(59)) as u32;
    c.skip_spaces();
    let offset = parse_offset(c)?;
    Some((tod, offset))
}

/// `Z`, `±HH:MM`, `±HHMM`, `±HH`, `UTC`, `GMT` or nothing. Other zone names
/// are taken as naive (the value as written).
fn parse_offset(c: &mut Cursor) -> Option<Option<i32>> {
    if c.done() {
        return Some(None);
    }
    let rest = c.rest();
    if rest.eq_ignore_ascii_case(b"z")
        || rest.eq_ignore_ascii_case(b"utc")
        || rest.eq_ignore_ascii_case(b"gmt")
    {
        return Some(Some(0));
    }
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        ch if ch.is_ascii_alphabetic() => {
            // A zone abbreviation (CET, PST, ...): as written.
            return rest
                .iter()
                .all(|ch| ch.is_ascii_alphabetic() || *ch == b'/' || *ch == b'_')
                .then_some(None);
        }
        _ => return None,
    };
    c.i += 1;
    let (hh, nh) = c.digits(2);
    if nh != 2 {
        return None;
    }
    c.eat(b':');
    let (mm, nm) = c.digits(2);
    if !(nm == 0 || nm == 2) || !c.done() || hh > 18 || mm > 59 {
        return None;
    }
    Some(Some(sign * (hh as i32 * 3600 + mm as i32 * 60)))
}

/// A duration cell: decimal number (`1.5`) or `HH:MM[:SS]`, in the unit given
/// by `unit_secs` for the decimal form. Returns seconds.
pub fn parse_duration(input: &str, unit_secs: f64) -> Option<i64> {
    let secs = parse_duration_unbounded(input, unit_secs)?;
    (secs <= MAX_DURATION_SECS).then_some(secs)
}

/// The longest duration a cell may hold: a hundred years. Anything longer
/// is not a response time (and would overflow when added to an instant).
pub const MAX_DURATION_SECS: i64 = 100 * 366 * 86_400;

fn parse_duration_unbounded(input: &str, unit_secs: f64) -> Option<i64> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return None;
        }
        let h: i64 = parts[0].trim().parse().ok()?;
        let m: i64 = parts[1].trim().parse().ok()?;
        let sec: i64 = if parts.len() == 3 {
            parts[2].trim().parse().ok()?
        } else {
            0
        };
        if !(0..=MAX_DURATION_SECS / 3600).contains(&h)
            || !(0..60).contains(&m)
            || !(0..=60).contains(&sec)
        {
            return None;
        }
        return Some(h * 3600 + m * 60 + sec);
    }
    let v: f64 = s.replace(',', ".").parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    Some((v * unit_secs).round() as i64)
}

/// The decimal style of an amount column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecimalStyle {
    /// Decide from the data.
    Auto,
    /// `1,234.50`
    Dot,
    /// `1.234,50`
    Comma,
}

/// What one amount cell allows: its value under each decimal style, in
/// ten-thousandths. Both are equal for a cell that does not depend on the style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmountCell {
    pub dot: Option<i64>,
    pub comma: Option<i64>,
}

impl AmountCell {
    pub fn decisive(&self) -> Option<DecimalStyle> {
        match (self.dot, self.comma) {
            (Some(_), None) => Some(DecimalStyle::Dot),
            (None, Some(_)) => Some(DecimalStyle::Comma),
            _ => None,
        }
    }
    pub fn is_ambiguous(&self) -> bool {
        matches!((self.dot, self.comma), (Some(a), Some(b)) if a != b)
    }
    pub fn value(&self, style: DecimalStyle) -> Option<i64> {
        match style {
            DecimalStyle::Comma => self.comma,
            _ => self.dot,
        }
    }

    /// The amount as a refund: negative whatever sign it was written with.
    pub fn negative(self) -> Self {
        let neg = |v: Option<i64>| v.map(|v| -v.abs());
        AmountCell {
            dot: neg(self.dot),
            comma: neg(self.comma),
        }
    }

    /// Quantity × this unit price, rounded to the ten-thousandth.
    pub fn times(self, quantity: f64) -> Self {
        let mul = |v: Option<i64>| {
            v.and_then(|v| {
                let p = (v as f64 * quantity).round();
                (p.abs() < 9.0e18).then_some(p as i64)
            })
        };
        AmountCell {
            dot: mul(self.dot),
            comma: mul(self.comma),
        }
    }
}

/// Parses `1234.5`, `$1,234.50`, `1.234,50 €`, `(12.00)`, `-12`, `12-`,
/// `1 234,50`, `1'234.50`, `EUR 12,50`. Returns `None` when the cell is not
/// an amount in any style.
pub fn parse_amount(input: &str) -> Option<AmountCell> {
    let s = input.trim();
    if let Some(cell) = plain_amount(s) {
        return Some(cell);
    }
    parse_amount_general(s)
}

/// The common cell, `1234` or `-1234.5` (not three decimals, which could
/// be a thousands group), read without the general parser's buffer; `None`
/// sends any other cell to `parse_amount_general`, which reads these the
/// same (a test compares them).
fn plain_amount(s: &str) -> Option<AmountCell> {
    let b = s.as_bytes();
    let (negative, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    let int_len = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    // Fourteen digits and four decimals stay within an i64.
    if int_len == 0 || int_len > 14 {
        return None;
    }
    let mut int = 0i64;
    for &c in &digits[..int_len] {
        int = int * 10 + i64::from(c - b'0');
    }
    let rest = &digits[int_len..];
    let (frac, round_up, dotted) = match rest {
        [] => (0, false, false),
        [b'.', f @ ..] if !f.is_empty() && f.len() != 3 && f.iter().all(u8::is_ascii_digit) => {
            let mut frac = 0i64;
            for k in 0..4 {
                frac = frac * 10 + f.get(k).map_or(0, |&c| i64::from(c - b'0'));
            }
            (frac, f.get(4).is_some_and(|&c| c >= b'5'), true)
        }
        _ => return None,
    };
    let value = int * AMOUNT_SCALE + frac + i64::from(round_up);
    let value = if negative { -value } else { value };
    Some(AmountCell {
        dot: Some(value),
        comma: (!dotted).then_some(value),
    })
}

fn parse_amount_general(s: &str) -> Option<AmountCell> {
    if s.is_empty() {
        return None;
    }
    let mut body = String::with_capacity(s.len());
    let mut saw_digit = false;
    let mut in_suffix = false;
    let mut open_paren = false;
    let mut close_paren = false;
    let mut minus_count = 0;
    for ch in s.chars() {
        match ch {
            '0'..='9' | '.' | ',' if in_suffix => return None,
            '0'..='9' => {
                saw_digit = true;
                body.push(ch);
            }
            '.' | ',' => body.push(ch),
            '-' | '\u{2212}' => minus_count += 1,
            '+' => {}
            '(' => open_paren = true,
            ')' => close_paren = true,
            '\'' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' => {
                if saw_digit && !in_suffix {
                    body.push('\'');
                }
            }
            // A currency code or symbol before or after the number.
            c if c.is_alphabetic() || is_currency_symbol(c) => in_suffix = saw_digit,
            _ => return None,
        }
    }
    if !saw_digit
        || open_paren != close_paren
        || minus_count > 1
        || (open_paren && minus_count == 1)
    {
        return None;
    }
    let negative = open_paren || minus_count == 1;
    // Thousands groups written with apostrophes or spaces.
    let body = body.trim_matches('\'');
    if body.contains("''") {
        return None;
    }
    let has_dot = body.contains('.');
    let has_comma = body.contains(',');
    let grouped_by_space = body.contains('\'');
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let apply = |v: Option<i64>| v.map(|v| if negative { -v } else { v });
    let cell = if has_dot && has_comma {
        let last_dot = body.rfind('.').unwrap_or(0);
        let last_comma = body.rfind(',').unwrap_or(0);
        if last_dot > last_comma {
            (commas >= 1 && dots == 1).then_some(())?;
            AmountCell {
                dot: to_e4(body, '.', ','),
                comma: None,
            }
        } else {
            (dots >= 1 && commas == 1).then_some(())?;
            AmountCell {
                dot: None,
                comma: to_e4(body, ',', '.'),
            }
        }
    } else if has_comma {
        let after = body.len() - body.rfind(',').unwrap_or(0) - 1;
        if commas > 1 {
            AmountCell {
                dot: to_e4(body, '.', ','),
                comma: None,
            }
        } else if after == 3 && !grouped_by_space {
            AmountCell {
                dot: to_e4(body, '.', ','),
                comma: to_e4(body, ',', '.'),
            }
        } else {
            AmountCell {
                dot: None,
                comma: to_e4(body, ',', '.'),
            }
        }
    } else if has_dot {
        let after = body.len() - body.rfind('.').unwrap_or(0) - 1;
        if dots > 1 {
            AmountCell {
                dot: None,
                comma: to_e4(body, ',', '.'),
            }
        } else if after == 3 && !grouped_by_space {
            AmountCell {
                dot: to_e4(body, '.', ','),
                comma: to_e4(body, ',', '.'),
            }
        } else {
            AmountCell {
                dot: to_e4(body, '.', ','),
                comma: None,
            }
        }
    } else {
        let v = to_e4(body, '.', ',');
        AmountCell { dot: v, comma: v }
    };
    let cell = AmountCell {
        dot: apply(cell.dot),
        comma: apply(cell.comma),
    };
    (cell.dot.is_some() || cell.comma.is_some()).then_some(cell)
}

fn is_currency_symbol(c: char) -> bool {
    matches!(
        c,
        '$' | '€'
            | '£'
            | '¥'
            | '₹'
            | '₩'
            | '₽'
            | '₺'
            | '₫'
            | '₪'
            | '₱'
            | '฿'
            | '¢'
            | '₴'
            | '₦'
            | '₲'
            | '₡'
    )
}

/// Converts digits with one decimal separator and thousands separators
/// (`thousands` and apostrophes) into ten-thousandths, rounding half away
/// from zero past four decimals. Thousands groups must have three digits.
fn to_e4(body: &str, decimal: char, thousands: char) -> Option<i64> {
    let (int_part, frac_part) = match body.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let groups: Vec<&str> = int_part.split([thousands, '\'']).collect();
    let bad_groups =
        groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3);
    if groups.len() > 1 && bad_groups {
        return None;
    }
    let mut int: i64 = 0;
    for g in &groups {
        for ch in g.chars() {
            let d = ch.to_digit(10)? as i64;
            int = int.checked_mul(10)?.checked_add(d)?;
        }
    }
    let mut frac: i64 = 0;
    let mut round_up = false;
    if let Some(f) = frac_part {
        if f.is_empty() && int_part.is_empty() {
            return None;
        }
        for (i, ch) in f.chars().enumerate() {
            let d = ch.to_digit(10)? as i64;
            if i < 4 {
                frac = frac * 10 + d;
            } else if i == 4 {
                round_up = d >= 5;
            }
        }
        for _ in f.len().min(4)..4 {
            frac *= 10;
        }
    } else if int_part.is_empty() {
        return None;
    }
    int.checked_mul(AMOUNT_SCALE)?
        .checked_add(frac + round_up as i64)
}

/// A typed date or timestamp cell (Parquet) as its text would parse: a
/// date at midnight, a naive timestamp as its wall clock, a zoned one as its
/// UTC instant. `None` for another kind of cell or a year outside 1–9999
/// (no text date reaches those).
pub fn native_stamp(cell: super::source::Native) -> Option<RawStamp> {
    use super::source::Native;
    let (day, secs, offset) = match cell {
        Native::Date(day) => (day, i64::from(day) * 86_400, None),
        Native::Timestamp { secs, utc } => {
            let day = Day::try_from(secs.div_euclid(86_400)).ok()?;
            (day, secs, utc.then_some(0))
        }
        _ => return None,
    };
    (days_from_civil(1, 1, 1)..=days_from_civil(9999, 12, 31))
        .contains(&day)
        .then_some(RawStamp::Known(Stamp {
            day,
            local_secs: secs,
            offset,
        }))
}

/// A typed number cell (Parquet) as an amount, exactly as stored: the same
/// under either decimal style. Integers and decimals are exact (a decimal
/// rounded half away from zero past four places, as a written one is); a
/// float is read as the shortest decimal that is that float (what it
/// prints as). `None` for another kind of cell, a float that is not finite
/// or an amount out of range.
pub fn native_amount(cell: super::source::Native) -> Option<AmountCell> {
    use super::source::Native;
    let value = match cell {
        Native::Int(v) => v.checked_mul(AMOUNT_SCALE)?,
        Native::Decimal { value, scale } => decimal_e4(value, scale)?,
        Native::Float(v) => float_e4(v)?,
        _ => return None,
    };
    Some(AmountCell {
        dot: Some(value),
        comma: Some(value),
    })
}

/// `value` × 10^-`scale` in ten-thousandths, rounded half away from zero.
fn decimal_e4(value: i128, scale: u32) -> Option<i64> {
    let e4 = if scale <= 4 {
        value.checked_mul(10i128.checked_pow(4 - scale)?)?
    } else {
        // Past 10^38 every i128 is under half a unit: zero.
        let Some(unit) = 10i128.checked_pow(scale - 4) else {
            return Some(0);
        };
        let (q, r) = (value / unit, value % unit);
        if r.unsigned_abs() * 2 >= unit.unsigned_abs() {
            q + value.signum()
        } else {
            q
        }
    };
    i64::try_from(e4).ok()
}

/// A float in ten-thousandths, as its shortest decimal form rounds: most
/// amounts are within a rounding error of a whole number of
/// ten-thousandths; the others are printed and read as text.
fn float_e4(v: f64) -> Option<i64> {
    if !v.is_finite() {
        return None;
    }
    let x = v * AMOUNT_SCALE as f64;
    let near = x.round();
    // Below 2^40 a float's error is under 2.5e-4 of a ten-thousandth: a
    // value this close to a whole one has a shortest form that rounds to it.
    if x.abs() < (1u64 << 40) as f64 && (x - near).abs() < 1e-3 {
        return Some(near as i64);
    }
    parse_amount(&v.to_string())?.dot
}

/// Converts ten-thousandths back to a float for output.
pub fn amount_to_f64(e4: i64) -> f64 {
    e4 as f64 / AMOUNT_SCALE as f64
}

/// A score cell: a number, possibly followed by a label
/// (`10 - Extremely likely`, `9 (Promoter)`).
pub fn parse_score(input: &str) -> Option<f64> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    let (num, rest) = s.split_at(end);
    let rest = rest.trim_start();
    let labelled = rest.starts_with(['-', '(', '\u{2013}', '\u{2014}'])
        || rest.chars().next().is_some_and(char::is_alphabetic);
    if !labelled {
        return None;
    }
    num.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        let (y, rest) = s.split_at(4);
        let m: u32 = rest[1..3].parse().unwrap();
        let d: u32 = rest[4..6].parse().unwrap();
        days_from_civil(y.parse().unwrap(), m, d)
    }

    fn known(s: &str) -> Stamp {
        match parse_datetime(s) {
            Some(RawStamp::Known(st)) => st,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 19_000, 20_000, 2_900_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(format_day(days_from_civil(2024, 2, 29)), "2024-02-29");
    }

    #[test]
    fn iso_forms() {
        assert_eq!(known("2024-03-05").day, day("2024-03-05"));
        let st = known("2025-10-07 09:50:26 +0200");
        assert_eq!(st.day, day("2025-10-07"));
        assert_eq!(st.offset, Some(7200));
        assert_eq!(
            st.instant(),
            day("2025-10-07") as i64 * 86_400 + 7 * 3600 + 50 * 60 + 26
        );
        // The calendar date is the one in the offset the value carries.
        assert_eq!(known("2024-03-05T23:30:00-05:00").day, day("2024-03-05"));
        assert_eq!(known("2024-03-05T23:30:00.123Z").offset, Some(0));
        assert_eq!(
            known("2024-03-05 23:30").local_secs % 86_400,
            23 * 3600 + 1800
        );
        assert_eq!(known("2024/03/05").day, day("2024-03-05"));
        assert_eq!(known("20240305").day, day("2024-03-05"));
        assert_eq!(known("2024-03-05 10:00:00 UTC").offset, Some(0));
        assert_eq!(known("2024-03-05 10:00:00 CET").offset, None);
    }

    #[test]
    fn month_names() {
        for (text, want) in [
            ("Mar 1, 2024", "2024-03-01"),
            ("March 1 2024", "2024-03-01"),
            ("1 Mar 2024", "2024-03-01"),
            ("01-Mar-2024", "2024-03-01"),
            ("29 February 2024", "2024-02-29"),
            ("Sept. 3, 2024", "2024-09-03"),
            ("Tue, 05 Mar 2024 10:00:00 +0000", "2024-03-05"),
        ] {
            assert_eq!(format_day(known(text).day), want, "{text}");
        }
        let st = known("Mar 1, 2024 9:30 PM");
        assert_eq!(st.local_secs % 86_400, 21 * 3600 + 30 * 60);
        assert_eq!(
            known("Tue, 05 Mar 2024 23:30:00 -0500").offset,
            Some(-5 * 3600)
        );
        for bad in [
            "Mar 32, 2024",
            "30 February 2024",
            "Foo 1, 2024",
            "Mar 2024",
            "Mar 1, 24",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn unix_seconds_and_millis() {
        assert_eq!(known("1709251200").day, day("2024-03-01"));
        assert_eq!(known("1709251200000").day, day("2024-03-01"));
        assert_eq!(known("1709251200.5").day, day("2024-03-01"));
    }

    #[test]
    fn slash_dates_keep_both_readings() {
        let r = parse_datetime("05/03/2024").unwrap();
        assert_eq!(r.resolve(DateOrder::Dmy).unwrap().day, day("2024-03-05"));
        assert_eq!(r.resolve(DateOrder::Mdy).unwrap().day, day("2024-05-03"));
        let r = parse_datetime("31/12/2024 10:00").unwrap();
        assert_eq!(r.allows(), (true, false));
        let r = parse_datetime("12/31/2024 1:05:09 PM").unwrap();
        assert_eq!(r.allows(), (false, true));
        assert_eq!(
            r.resolve(DateOrder::Mdy).unwrap().local_secs % 86_400,
            13 * 3600 + 5 * 60 + 9
        );
        assert_eq!(
            parse_datetime("31.12.2024").unwrap().allows(),
            (true, false)
        );
    }

    #[test]
    fn invalid_dates() {
        for s in [
            "",
            "soon",
            "2024-02-30",
            "2024-13-01",
            "13/13/2024",
            "2024-03-05 25:00",
            "2024-03-05X",
            "2024-03-05 10:00 +99",
            "1234567",
        ] {
            assert_eq!(parse_datetime(s), None, "{s}");
        }
    }

    fn dot(s: &str) -> Option<i64> {
        parse_amount(s).and_then(|c| c.dot)
    }
    fn comma(s: &str) -> Option<i64> {
        parse_amount(s).and_then(|c| c.comma)
    }

    #[test]
    fn amounts_in_both_styles() {
        assert_eq!(dot("1234.5"), Some(12_345_000));
        assert_eq!(dot("$1,234.50"), Some(12_345_000));
        assert_eq!(
            parse_amount("$1,234.50").unwrap().decisive(),
            Some(DecimalStyle::Dot)
        );
        assert_eq!(comma("1.234,50 €"), Some(12_345_000));
        assert_eq!(
            parse_amount("1.234,50 €").unwrap().decisive(),
            Some(DecimalStyle::Comma)
        );
        assert_eq!(dot("(12.00)"), Some(-120_000));
        assert_eq!(dot("-12.5"), Some(-125_000));
        assert_eq!(dot("12.50-"), Some(-125_000));
        assert_eq!(comma("12,5"), Some(125_000));
        assert_eq!(comma("1 234,50"), Some(12_345_000));
        assert_eq!(dot("1'234.50"), Some(12_345_000));
        assert_eq!(dot("EUR 12.50"), Some(125_000));
        assert_eq!(dot("0.00005"), Some(1));
        let neutral = parse_amount("1234").unwrap();
        assert_eq!(
            (neutral.dot, neutral.comma),
            (Some(12_340_000), Some(12_340_000))
        );
        let amb = parse_amount("1,234").unwrap();
        assert!(amb.is_ambiguous());
        assert_eq!((amb.dot, amb.comma), (Some(12_340_000), Some(12_340)));
        assert_eq!(
            parse_amount("1,234,567").unwrap().decisive(),
            Some(DecimalStyle::Dot)
        );
        assert_eq!(
            parse_amount("1.234.567").unwrap().decisive(),
            Some(DecimalStyle::Comma)
        );
    }

    #[test]
    fn not_amounts() {
        for s in [
            "",
            "abc",
            "12..5",
            "1,2,3",
            "(12",
            "--5",
            "1.2.3,4,5",
            "12#",
            ".",
            "-(5)",
        ] {
            assert_eq!(parse_amount(s), None, "{s}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90", 60.0), Some(5400));
        assert_eq!(parse_duration("1.5", 3600.0), Some(5400));
        assert_eq!(parse_duration("01:30:00", 3600.0), Some(5400));
        assert_eq!(parse_duration("-1", 60.0), None);
        assert_eq!(parse_duration("x", 60.0), None);
        // Found by fuzzing: a duration longer than a century is refused
        // rather than overflowing the instant it is added to.
        assert_eq!(parse_duration("99999999999999999999:00:00", 60.0), None);
        assert_eq!(parse_duration("3619000000000:00:00", 60.0), None);
        assert_eq!(parse_duration("1e300", 60.0), None);
        assert_eq!(parse_duration("876600:00", 60.0), Some(876_600 * 3600));
    }

    #[test]
    fn scores() {
        assert_eq!(parse_score("9"), Some(9.0));
        assert_eq!(parse_score(" 10 - Extremely likely"), Some(10.0));
        assert_eq!(parse_score("4.5"), Some(4.5));
        assert_eq!(parse_score("great"), None);
        assert_eq!(parse_score(""), None);
    }

    /// A float amount is its shortest decimal form read as written text,
    /// rounded half away from zero past four places: the shortcut for
    /// floats near a whole ten-thousandth agrees with printing and parsing,
    /// on amounts written with 0 to 7 decimals and on arbitrary floats.
    #[test]
    fn float_amounts_read_as_their_printed_form() {
        use proptest::prelude::*;
        let printed = |v: f64| parse_amount(&v.to_string()).and_then(|a| a.dot);
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(
                &(-10_000_000_000i64..10_000_000_000, 0u32..8),
                |(units, places)| {
                    let v = units as f64 / 10f64.powi(places as i32);
                    prop_assert_eq!(float_e4(v), printed(v), "{}", v);
                    Ok(())
                },
            )
            .unwrap();
        runner
            .run(&proptest::num::f64::ANY, |v| {
                prop_assert_eq!(float_e4(v), printed(v).filter(|_| v.is_finite()), "{}", v);
                Ok(())
            })
            .unwrap();
        for (v, e4) in [(0.00015, Some(2)), (-0.00015, Some(-2)), (0.00005, Some(1))] {
            assert_eq!(float_e4(v), e4, "{v}");
        }
        assert_eq!(float_e4(f64::NAN), None);
        assert_eq!(float_e4(1e300), None);
    }

    #[test]
    fn decimal_amounts_round_half_away_from_zero_past_four_places() {
        assert_eq!(decimal_e4(1_234_565, 5), Some(123_457));
        assert_eq!(decimal_e4(-1_234_565, 5), Some(-123_457));
        assert_eq!(decimal_e4(1_234_564, 5), Some(123_456));
        assert_eq!(decimal_e4(-49_999, 9), Some(0));
        assert_eq!(decimal_e4(-50_000, 9), Some(-1));
        assert_eq!(decimal_e4(1250, 2), Some(125_000));
        assert_eq!(decimal_e4(7, 0), Some(70_000));
        // Beyond an i64 of ten-thousandths, and beyond any scale: no amount.
        assert_eq!(decimal_e4(i128::from(i64::MAX), 0), None);
        assert_eq!(decimal_e4(1, 60), Some(0));
        assert_eq!(decimal_e4(i128::MAX, 0), None);
        // The same as the written decimal.
        for (value, scale, text) in [(12_345, 3, "12.345"), (-5, 5, "-0.00005"), (99, 1, "9.9")] {
            assert_eq!(
                decimal_e4(value, scale),
                parse_amount(text).and_then(|a| a.dot),
                "{text}"
            );
        }
    }

    #[test]
    fn typed_dates_and_timestamps_are_the_stamps_their_text_parses_to() {
        use super::super::source::Native;
        let day = days_from_civil(2024, 3, 1);
        let at = i64::from(day) * 86_400 + 23 * 3600 + 30 * 60;
        for (cell, text) in [
            (Native::Date(day), "2024-03-01"),
            (
                Native::Timestamp {
                    secs: at,
                    utc: false,
                },
                "2024-03-01T23:30:00",
            ),
            (
                Native::Timestamp {
                    secs: at,
                    utc: true,
                },
                "2024-03-01T23:30:00Z",
            ),
            (
                Native::Timestamp {
                    secs: -1,
                    utc: true,
                },
                "1969-12-31T23:59:59Z",
            ),
        ] {
            assert_eq!(native_stamp(cell), parse_datetime(text), "{text}");
        }
        let first = days_from_civil(1, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        assert!(native_stamp(Native::Date(first)).is_some());
        assert!(native_stamp(Native::Date(last)).is_some());
        assert_eq!(native_stamp(Native::Date(first - 1)), None);
        assert_eq!(native_stamp(Native::Date(last + 1)), None);
        assert_eq!(
            native_stamp(Native::Timestamp {
                secs: i64::MAX,
                utc: true
            }),
            None
        );
        assert_eq!(native_stamp(Native::None), None);
        assert_eq!(native_stamp(Native::Int(20_240_301)), None);
        assert_eq!(native_amount(Native::Date(1)), None);
    }

    /// The shortcut for plain amounts reads every cell as the general
    /// parser does: plain ones of every length and sign, and near misses
    /// that must go the general way (three decimals, a comma, a plus, a
    /// trailing dot, fifteen digits).
    #[test]
    fn plain_amounts_read_as_the_general_parser_reads_them() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&"[-+]?[0-9]{0,16}([.,][0-9]{0,7})?[-]?", |cell| {
                let general = parse_amount_general(cell.trim());
                prop_assert_eq!(parse_amount(&cell), general, "{:?}", cell);
                if let Some(plain) = plain_amount(&cell) {
                    prop_assert_eq!(Some(plain), general, "{:?}", cell);
                }
                Ok(())
            })
            .unwrap();
        for cell in [
            "0",
            "-0",
            "12",
            "-12.5",
            "12.50",
            "0.00015",
            "99999999999999.9999",
            "12.345",
            "1,5",
            "+3",
            "12.",
            ".5",
            "123456789012345",
            "12-",
            "",
        ] {
            assert_eq!(parse_amount(cell), parse_amount_general(cell), "{cell:?}");
        }
        assert!(plain_amount("12.50").is_some());
        assert!(plain_amount("12.345").is_none());
    }
}
