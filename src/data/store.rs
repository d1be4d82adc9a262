//! A cache of the built index, so that reopening unchanged files skips
//! parsing and indexing altogether: the index's vectors written as raw
//! little-endian columns, with the load reports, behind a header that names
//! the exact source files (path, size, modification time, options) and a
//! checksum of every byte. One entry per set of source paths; a changed file,
//! a truncated or corrupt entry, or an entry from another version is a miss,
//! and the entry is rebuilt. Source files are never written.

use crate::Joined as _;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::index::{
    FeedbackPart, Gaps, Index, Rating, Response, RowSegment, RowSegments, Segment, Texts, Ticket,
    TicketPart,
};
use super::parse::Day;
use super::schema::Survey;
use super::{Dataset, LoadReport, Scales, Sources, cache};

const MAGIC: &[u8; 8] = b"HFINDEX\0";
/// Bumped whenever the index or this layout changes.
const FORMAT: u32 = 8;
/// The header: `MAGIC`, `FORMAT`, the key.
const HEADER: u64 = 24;
/// The parts (each read on a thread of its own): the reports, customers,
/// rows, feedback, tickets. A table at the end of the file gives each
/// part's start, length and checksum.
const PARTS: usize = 5;
/// Elements converted per step; writer and reader checksum the same steps.
const CHUNK: usize = 1 << 14;

/// Where a dataset's entry lives and the key it must carry, or `None` when a
/// source is not a file (nothing to key on).
pub fn locate(dir: &Path, sources: &Sources, scales: Scales) -> Option<(PathBuf, u64)> {
    let specs = sources.all();
    let mut paths = std::collections::hash_map::DefaultHasher::new();
    let mut full = std::collections::hash_map::DefaultHasher::new();
    FORMAT.hash(&mut full);
    for spec in specs {
        let super::source::Origin::Path(path) = &spec.origin else {
            return None;
        };
        std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.clone())
            .hash(&mut paths);
        spec.kind.hash(&mut paths);
        cache::key(spec, scales)?.hash(&mut full);
    }
    let name = format!("index-{:016x}.bin", paths.finish());
    Some((dir.join(name), full.finish()))
}

/// Reads the entry at `path` if it carries `key` and is whole; any problem is a miss.
/// The parts are read on threads of their own, each checked against its own checksum.
pub fn read(path: &Path, key: u64) -> Option<Dataset> {
    let file = crate::files::open_private(path)?;
    let len = file.metadata().ok()?.len();
    let parts = table(&file, len, key)?;
    let [head, customers, rows, feedback, tickets] = parts.map(|part| Reader::at(&file, part));
    let (head, customers, rows, feedback, tickets) = std::thread::scope(|s| {
        let rows = s.spawn(|| read_rows(rows));
        let feedback = s.spawn(|| read_feedback(feedback));
        let tickets = s.spawn(|| read_tickets(tickets));
        let customers = read_customers(customers);
        let head = read_head(head);
        (
            head,
            customers,
            rows.joined(),
            feedback.joined(),
            tickets.joined(),
        )
    });
    let (order_count, reports) = head?;
    Some(Dataset {
        order_count,
        index: assemble(customers?, rows?, feedback?, tickets?),
        reports: reports.into_iter().map(LoadReport::from).collect(),
    })
}

/// The parts' places (start, length) from the table at the end of the file,
/// after the header is checked: the parts must tile the file between the
/// header and the table, and each part's checksum waits in its reader.
fn table(file: &File, len: u64, key: u64) -> Option<[(u64, u64, u64); PARTS]> {
    let table_len = (PARTS * 24 + 8) as u64;
    if len < HEADER + table_len {
        return None;
    }
    let mut header = [0u8; HEADER as usize];
    file.read_exact_at(&mut header, 0).ok()?;
    let word =
        |b: &[u8], i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    if &header[..8] != MAGIC || word(&header, 1) != FORMAT as u64 || word(&header, 2) != key {
        return None;
    }
    let mut t = vec![0u8; table_len as usize];
    file.read_exact_at(&mut t, len - table_len).ok()?;
    let mut sum = Sum::default();
    sum.add(&t[..PARTS * 24]);
    if sum.finish() != word(&t, PARTS * 3) {
        return None;
    }
    let mut at = HEADER;
    let mut parts = [(0, 0, 0); PARTS];
    for (k, part) in parts.iter_mut().enumerate() {
        let (start, n, checksum) = (word(&t, 3 * k), word(&t, 3 * k + 1), word(&t, 3 * k + 2));
        if start != at {
            return None;
        }
        at = start.checked_add(n)?;
        *part = (start, n, checksum);
    }
    (at == len - table_len).then_some(parts)
}
/// Stores an entry (best effort: a cache that cannot be written is skipped).
pub fn write(path: &Path, key: u64, ds: &Dataset) {
    let Some(dir) = path.parent() else { return };
    if crate::files::private_dir(dir).is_err() {
        return;
    }
    let Ok(pending) = crate::files::Pending::new(path) else {
        return;
    };
    let ok = (|| -> std::io::Result<()> {
        let mut w = Writer {
            inner: BufWriter::with_capacity(1 << 20, pending.file.try_clone()?),
            sum: Sum::default(),
            at: HEADER,
            start: HEADER,
            parts: Vec::with_capacity(PARTS),
        };
        // The header, outside every part's checksum (the reader checks it first).
        w.inner.write_all(MAGIC)?;
        w.inner.write_all(&u64::from(FORMAT).to_le_bytes())?;
        w.inner.write_all(&key.to_le_bytes())?;
        w.u64(ds.order_count as u64)?;
        let reports: Vec<cache::StoredReport> =
            ds.reports.iter().map(cache::StoredReport::from).collect();
        w.bytes(&serde_json::to_vec(&reports).map_err(std::io::Error::other)?)?;
        w.end_part();
        write_index(&mut w, &ds.index)?;
        // The table: each part's start, length and checksum, then its own checksum.
        let mut table = Vec::with_capacity(PARTS * 24 + 8);
        for (start, n, sum) in &w.parts {
            for v in [start, n, sum] {
                table.extend_from_slice(&v.to_le_bytes());
            }
        }
        if w.parts.len() != PARTS {
            return Err(std::io::Error::other("index parts miscounted"));
        }
        let mut sum = Sum::default();
        sum.add(&table);
        table.extend_from_slice(&sum.finish().to_le_bytes());
        w.inner.write_all(&table)?;
        // No fsync: a file cut short by a crash fails its checksum and is rebuilt.
        w.inner.flush()?;
        drop(w);
        Ok(())
    })();
    match ok {
        Ok(()) => {
            let _ = pending.commit();
        }
        Err(_) => pending.abandon(),
    }
}

/// `Some` when every column read for the same rows has `n` entries.
fn same_len(n: usize, lens: &[usize]) -> Option<()> {
    lens.iter().all(|&l| l == n).then_some(())
}

/// One field of every item, as a column.
fn col<T, U>(items: &[T], field: impl Fn(&T) -> U) -> Vec<U> {
    items.iter().map(field).collect()
}

// Options are stored with sentinels: no real value reaches them (days and
// instants come from dates between years 1 and 9999; indices are below u32::MAX).
const NO_U32: u32 = u32::MAX;
const NO_DAY: Day = Day::MIN;
const NO_I64: i64 = i64::MIN;

fn write_index(w: &mut Writer, ix: &Index) -> std::io::Result<()> {
    // Destructured whole so that a new field cannot be forgotten here.
    let Index {
        customers,
        customer_of: _, // built again on first use
        pday_start,
        pdays,
        ord_start,
        ord_days,
        ord_keys,
        multi_day,
        row_start,
        row_days,
        row_cum,
        first_day,
        segments,
        last_purchase_day,
        first_row_day,
        last_row_day,
        last_instant,
        gaps,
        own_median,
        feedback,
        support,
    } = ix;
    // Part: customers and their purchase days and orders.
    w.text_list(customers)?;
    w.u32s(pday_start)?;
    w.i32s(pdays)?;
    w.u32s(ord_start)?;
    w.i32s(ord_days)?;
    w.u32s(ord_keys)?;
    w.u8s(&col(multi_day, |&b| b as u8))?;
    w.i32s(&col(first_day, |d| d.unwrap_or(NO_DAY)))?;
    w.u64(segments.len() as u64)?;
    for s in segments {
        w.bytes(s.name.as_bytes())?;
        w.texts(&s.values)?;
        let of: Vec<u32> = s.of_customer.iter().map(|v| v.unwrap_or(NO_U32)).collect();
        w.u32s(&of)?;
    }
    w.i32s(&[
        last_purchase_day.unwrap_or(NO_DAY),
        first_row_day.unwrap_or(NO_DAY),
        last_row_day.unwrap_or(NO_DAY),
    ])?;
    w.i64s(&[last_instant.unwrap_or(NO_I64)])?;
    w.u64s(gaps.counts())?;
    w.end_part();
    // Part: every row by customer and day, and the median gaps.
    w.u32s(row_start)?;
    w.i32s(row_days)?;
    w.i64s(row_cum)?;
    w.i32s(own_median)?;
    w.end_part();
    write_feedback(w, feedback)?;
    w.end_part();
    write_tickets(w, support)?;
    w.end_part();
    Ok(())
}

/// The feedback part: the responses as columns.
fn write_feedback(w: &mut Writer, part: &FeedbackPart) -> std::io::Result<()> {
    let FeedbackPart {
        responses,
        comments,
        response_day: _, // rebuilt from `responses`
        response_score: _,
        response_survey: _,
        word_start,
        words,
        vocabulary,
        nps_start,
        nps_answers,
        response_segments,
        has_feedback,
    } = part;
    w.i32s(&col(responses, |r| r.day))?;
    w.f64s(&col(responses, |r| r.score))?;
    w.u8s(&col(responses, |r| survey_code(r.survey)))?;
    w.u32s(&col(responses, |r| r.customer.unwrap_or(NO_U32)))?;
    w.u8s(&col(responses, |r| r.has_customer_id as u8))?;
    w.text_list(comments)?;
    w.u32s(word_start)?;
    w.u32s(words)?;
    w.texts(vocabulary)?;
    w.u32s(nps_start)?;
    w.i32s(&col(nps_answers, |a| a.0))?;
    w.f64s(&col(nps_answers, |a| a.1))?;
    write_row_segments(w, response_segments)?;
    w.u8s(&[*has_feedback as u8])
}

/// The tickets part: the tickets as columns.
fn write_tickets(w: &mut Writer, part: &TicketPart) -> std::io::Result<()> {
    let TicketPart {
        tickets,
        categories,
        solved_order,
        ticket_start,
        customer_tickets,
        ticket_segments,
        has_tickets,
    } = part;
    w.strings(tickets.iter().map(|t| Some(t.id.as_str())), tickets.len())?;
    w.i64s(&col(tickets, |t| t.created))?;
    w.i32s(&col(tickets, |t| t.created_day))?;
    w.i64s(&col(tickets, |t| t.first_response.unwrap_or(NO_I64)))?;
    w.i64s(&col(tickets, |t| t.solved.unwrap_or(NO_I64)))?;
    w.i32s(&col(tickets, |t| t.solved_day.unwrap_or(NO_DAY)))?;
    w.u32s(&col(tickets, |t| t.customer.unwrap_or(NO_U32)))?;
    w.u8s(&col(tickets, |t| t.has_customer_id as u8))?;
    w.u32s(&col(tickets, |t| t.category.unwrap_or(NO_U32)))?;
    w.u32s(&col(tickets, |t| rating_code(t.rating)))?;
    w.texts(categories)?;
    w.u32s(solved_order)?;
    w.u32s(ticket_start)?;
    w.u32s(customer_tickets)?;
    write_row_segments(w, ticket_segments)?;
    w.u8s(&[*has_tickets as u8])
}

fn read_head(mut r: Reader) -> Option<(usize, Vec<cache::StoredReport>)> {
    let order_count = r.u64()? as usize;
    let reports = serde_json::from_slice(&r.bytes()?).ok()?;
    r.done()?;
    Some((order_count, reports))
}

/// The index's customers part (see `write_index`).
struct Customers {
    customers: Texts,
    pday_start: Vec<u32>,
    pdays: Vec<Day>,
    ord_start: Vec<u32>,
    ord_days: Vec<Day>,
    ord_keys: Vec<u32>,
    multi_day: Vec<bool>,
    first_day: Vec<Option<Day>>,
    segments: Vec<Segment>,
    days: [Option<Day>; 3],
    last_instant: Option<i64>,
    gaps: Gaps,
}

fn read_customers(mut r: Reader) -> Option<Customers> {
    let customers = r.text_list()?;
    if customers.iter().any(|c| c.is_none()) {
        return None;
    }
    let pday_start = r.u32s()?;
    let pdays = r.i32s()?;
    let ord_start = r.u32s()?;
    let ord_days = r.i32s()?;
    let ord_keys = r.u32s()?;
    let multi_day = r.u8s()?.into_iter().map(|b| b != 0).collect();
    let first_day = r.i32s()?.into_iter().map(day).collect();
    let n_segments = r.u64()?;
    let mut segments = Vec::new();
    for _ in 0..n_segments {
        let name = String::from_utf8(r.bytes()?).ok()?;
        let values = r.required_strings()?;
        let of_customer = r.u32s()?.into_iter().map(index).collect();
        segments.push(Segment {
            name,
            values,
            of_customer,
        });
    }
    let days = r.i32s()?;
    let instants = r.i64s()?;
    let (&[a, b, c], &[last_instant]) = (days.as_slice(), instants.as_slice()) else {
        return None;
    };
    let gaps = Gaps::from_counts(r.u64s()?)?;
    r.done()?;
    Some(Customers {
        customers,
        pday_start,
        pdays,
        ord_start,
        ord_days,
        ord_keys,
        multi_day,
        first_day,
        segments,
        days: [day(a), day(b), day(c)],
        last_instant: instant(last_instant),
        gaps,
    })
}

/// The index's rows part (see `write_index`).
struct Rows {
    row_start: Vec<u32>,
    row_days: Vec<Day>,
    row_cum: Vec<i64>,
    own_median: Vec<i32>,
}

fn read_rows(mut r: Reader) -> Option<Rows> {
    let rows = Rows {
        row_start: r.u32s()?,
        row_days: r.i32s()?,
        row_cum: r.i64s()?,
        own_median: r.i32s()?,
    };
    r.done()?;
    Some(rows)
}

fn read_feedback(mut r: Reader) -> Option<FeedbackPart> {
    let response_day = r.i32s()?;
    let response_score = r.f64s()?;
    let response_survey: Vec<Survey> =
        r.u8s()?.into_iter().map(survey_of).collect::<Option<_>>()?;
    let response_customer = r.u32s()?;
    let response_has_id = r.u8s()?;
    let comments = r.text_list()?;
    let n = response_day.len();
    same_len(
        n,
        &[
            response_score.len(),
            response_survey.len(),
            response_customer.len(),
            response_has_id.len(),
            comments.len(),
        ],
    )?;
    let responses = (0..n)
        .map(|i| Response {
            day: response_day[i],
            score: response_score[i],
            survey: response_survey[i],
            customer: index(response_customer[i]),
            has_customer_id: response_has_id[i] != 0,
        })
        .collect();
    let word_start = r.u32s()?;
    let words = r.u32s()?;
    let vocabulary = r.required_strings()?;
    let nps_start = r.u32s()?;
    let nps_days = r.i32s()?;
    let nps_scores = r.f64s()?;
    if nps_days.len() != nps_scores.len() {
        return None;
    }
    let nps_answers = nps_days.into_iter().zip(nps_scores).collect();
    let response_segments = read_row_segments(&mut r)?;
    let &[has_feedback] = r.u8s()?.as_slice() else {
        return None;
    };
    r.done()?;
    Some(FeedbackPart {
        responses,
        comments,
        response_day,
        response_score,
        response_survey,
        word_start,
        words,
        vocabulary,
        nps_start,
        nps_answers,
        response_segments,
        has_feedback: has_feedback != 0,
    })
}

fn read_tickets(mut r: Reader) -> Option<TicketPart> {
    let ids = r.required_strings()?;
    let created = r.i64s()?;
    let created_day = r.i32s()?;
    let first_response = r.i64s()?;
    let solved = r.i64s()?;
    let solved_day = r.i32s()?;
    let ticket_customer = r.u32s()?;
    let ticket_has_id = r.u8s()?;
    let category = r.u32s()?;
    let rating = r.u32s()?;
    let n = ids.len();
    same_len(
        n,
        &[
            created.len(),
            created_day.len(),
            first_response.len(),
            solved.len(),
            solved_day.len(),
            ticket_customer.len(),
            ticket_has_id.len(),
            category.len(),
            rating.len(),
        ],
    )?;
    let tickets = ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            Some(Ticket {
                id,
                created: created[i],
                created_day: created_day[i],
                first_response: instant(first_response[i]),
                solved: instant(solved[i]),
                solved_day: day(solved_day[i]),
                customer: index(ticket_customer[i]),
                has_customer_id: ticket_has_id[i] != 0,
                category: index(category[i]),
                rating: rating_of(rating[i])?,
            })
        })
        .collect::<Option<_>>()?;
    let categories = r.required_strings()?;
    let solved_order = r.u32s()?;
    let ticket_start = r.u32s()?;
    let customer_tickets = r.u32s()?;
    let ticket_segments = read_row_segments(&mut r)?;
    let &[has_tickets] = r.u8s()?.as_slice() else {
        return None;
    };
    r.done()?;
    Some(TicketPart {
        tickets,
        categories,
        solved_order,
        ticket_start,
        customer_tickets,
        ticket_segments,
        has_tickets: has_tickets != 0,
    })
}

fn assemble(c: Customers, rows: Rows, feedback: FeedbackPart, support: TicketPart) -> Index {
    let [last_purchase_day, first_row_day, last_row_day] = c.days;
    Index {
        customers: c.customers,
        customer_of: Default::default(),
        pday_start: c.pday_start,
        pdays: c.pdays,
        ord_start: c.ord_start,
        ord_days: c.ord_days,
        ord_keys: c.ord_keys,
        multi_day: c.multi_day,
        row_start: rows.row_start,
        row_days: rows.row_days,
        row_cum: rows.row_cum,
        first_day: c.first_day,
        segments: c.segments,
        last_purchase_day,
        first_row_day,
        last_row_day,
        last_instant: c.last_instant,
        gaps: c.gaps,
        own_median: rows.own_median,
        feedback,
        support,
    }
}

fn write_row_segments(w: &mut Writer, segs: &RowSegments) -> std::io::Result<()> {
    let mut names: Vec<&String> = segs.columns.keys().collect();
    names.sort();
    w.u64(names.len() as u64)?;
    for name in names {
        let s = &segs.columns[name];
        w.bytes(name.as_bytes())?;
        w.texts(&s.values)?;
        w.u32s(&s.codes)?;
    }
    Ok(())
}

fn read_row_segments(r: &mut Reader) -> Option<RowSegments> {
    let n = r.u64()?;
    let mut columns = HashMap::new();
    for _ in 0..n {
        let name = String::from_utf8(r.bytes()?).ok()?;
        let values = r.required_strings()?;
        let codes = r.u32s()?;
        columns.insert(name, RowSegment { values, codes });
    }
    Some(RowSegments { columns })
}

fn day(d: Day) -> Option<Day> {
    (d != NO_DAY).then_some(d)
}

fn instant(t: i64) -> Option<i64> {
    (t != NO_I64).then_some(t)
}

fn index(i: u32) -> Option<u32> {
    (i != NO_U32).then_some(i)
}

fn survey_code(s: Survey) -> u8 {
    match s {
        Survey::Nps => 0,
        Survey::Csat => 1,
        Survey::Ces => 2,
    }
}

fn survey_of(code: u8) -> Option<Survey> {
    [Survey::Nps, Survey::Csat, Survey::Ces]
        .get(code as usize)
        .copied()
}

fn rating_code(r: Option<Rating>) -> u32 {
    match r {
        None => 0,
        Some(Rating::Good) => 1,
        Some(Rating::Bad) => 2,
        Some(Rating::Score(s)) => 3 + u32::from(s),
    }
}

/// `None` for a code no rating writes; `Some(None)` for no rating.
fn rating_of(code: u32) -> Option<Option<Rating>> {
    Some(match code {
        0 => None,
        1 => Some(Rating::Good),
        2 => Some(Rating::Bad),
        _ => Some(Rating::Score(u8::try_from(code - 3).ok()?)),
    })
}

/// A 64-bit checksum over four lanes (fast on long columns; not cryptographic,
/// it only has to notice a damaged or truncated file).
struct Sum {
    lanes: [u64; 4],
    len: u64,
}

impl Default for Sum {
    fn default() -> Self {
        Sum {
            lanes: [
                0x243f_6a88_85a3_08d3,
                0x1319_8a2e_0370_7344,
                0xa409_3822_299f_31d0,
                0x082e_fa98_ec4e_6c89,
            ],
            len: 0,
        }
    }
}

impl Sum {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    fn add(&mut self, bytes: &[u8]) {
        let mut blocks = bytes.chunks_exact(32);
        for b in &mut blocks {
            for (lane, word) in self.lanes.iter_mut().zip(b.chunks_exact(8)) {
                // `chunks_exact(8)`: always 8 bytes.
                let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
                *lane = (*lane ^ w).wrapping_mul(Self::K).rotate_left(29);
            }
        }
        let mut tail = [0u8; 32];
        let rest = blocks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        for (lane, word) in self.lanes.iter_mut().zip(tail.chunks_exact(8)) {
            let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
            *lane = (*lane ^ w).wrapping_mul(Self::K).rotate_left(29);
        }
        self.len = self.len.wrapping_add(bytes.len() as u64);
    }

    fn finish(&self) -> u64 {
        self.lanes.iter().fold(self.len, |h, &l| {
            (h ^ l).wrapping_mul(Self::K).rotate_left(31)
        })
    }
}

struct Writer {
    inner: BufWriter<File>,
    sum: Sum,
    /// Bytes written so far, and where the current part started.
    at: u64,
    start: u64,
    /// The parts written: start, length, checksum.
    parts: Vec<(u64, u64, u64)>,
}

/// Writes a column of fixed-size values: its length, then its elements in
/// chunks (each chunk checksummed as one piece).
macro_rules! write_column {
    ($name:ident, $t:ty, $to:expr) => {
        fn $name(&mut self, v: &[$t]) -> std::io::Result<()> {
            self.u64(v.len() as u64)?;
            let mut buf = Vec::with_capacity(CHUNK * std::mem::size_of::<$t>());
            for chunk in v.chunks(CHUNK) {
                buf.clear();
                for &x in chunk {
                    buf.extend_from_slice(&$to(x));
                }
                self.raw(&buf)?;
            }
            Ok(())
        }
    };
}

impl Writer {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.sum.add(bytes);
        self.at += bytes.len() as u64;
        self.inner.write_all(bytes)
    }

    /// Closes the current part: its place and checksum go to the table.
    fn end_part(&mut self) {
        let sum = std::mem::take(&mut self.sum).finish();
        self.parts.push((self.start, self.at - self.start, sum));
        self.start = self.at;
    }

    fn u64(&mut self, v: u64) -> std::io::Result<()> {
        self.raw(&v.to_le_bytes())
    }

    write_column!(u8s, u8, |x: u8| [x]);
    write_column!(u32s, u32, u32::to_le_bytes);
    write_column!(i32s, i32, i32::to_le_bytes);
    write_column!(i64s, i64, i64::to_le_bytes);
    write_column!(u64s, u64, u64::to_le_bytes);
    write_column!(f64s, f64, |x: f64| x.to_bits().to_le_bytes());

    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.u8s(b)
    }

    /// A `Texts` as its string, then its ends.
    fn text_list(&mut self, texts: &Texts) -> std::io::Result<()> {
        let (text, ends) = texts.parts();
        self.bytes(text.as_bytes())?;
        self.u64s(ends)
    }

    fn texts(&mut self, texts: &[String]) -> std::io::Result<()> {
        self.strings(texts.iter().map(|t| Some(t.as_str())), texts.len())
    }

    /// Texts as their lengths (`u32::MAX` for none), then all their bytes.
    fn strings<'a>(
        &mut self,
        texts: impl Iterator<Item = Option<&'a str>> + Clone,
        n: usize,
    ) -> std::io::Result<()> {
        let mut lens = Vec::with_capacity(n);
        let mut total = 0usize;
        for t in texts.clone() {
            lens.push(t.map_or(NO_U32, |t| t.len() as u32));
            total += t.map_or(0, str::len);
        }
        self.u32s(&lens)?;
        let mut all = Vec::with_capacity(total);
        for t in texts.flatten() {
            all.extend_from_slice(t.as_bytes());
        }
        self.bytes(&all)
    }
}

/// Reads one part of the file at its own place (positional reads: the
/// parts' readers share the file on several threads).
struct Reader<'f> {
    inner: BufReader<At<'f>>,
    /// Bytes left in the part: no length read from it may claim more.
    left: u64,
    sum: Sum,
    /// The checksum the table gives for the part.
    expected: u64,
}

/// A file read from a position on, without moving a shared cursor.
struct At<'f> {
    file: &'f File,
    pos: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

macro_rules! read_column {
    ($name:ident, $t:ty, $from:expr) => {
        fn $name(&mut self) -> Option<Vec<$t>> {
            const SIZE: usize = std::mem::size_of::<$t>();
            let n = self.u64()?;
            if n.checked_mul(SIZE as u64)? > self.left {
                return None;
            }
            let n = n as usize;
            let mut out = Vec::with_capacity(n);
            let mut buf = vec![0u8; CHUNK.min(n) * SIZE];
            while out.len() < n {
                let k = CHUNK.min(n - out.len());
                let bytes = &mut buf[..k * SIZE];
                self.exact(bytes)?;
                out.extend(
                    bytes
                        .chunks_exact(SIZE)
                        // `chunks_exact(SIZE)`: always SIZE bytes.
                        .map(|c| $from(c.try_into().unwrap_or_default())),
                );
            }
            Some(out)
        }
    };
}

impl<'f> Reader<'f> {
    fn at(file: &'f File, (start, len, expected): (u64, u64, u64)) -> Reader<'f> {
        Reader {
            inner: BufReader::with_capacity(1 << 20, At { file, pos: start }),
            left: len,
            sum: Sum::default(),
            expected,
        }
    }

    /// `Some` when the whole part was read and its checksum matches.
    fn done(&self) -> Option<()> {
        (self.left == 0 && self.sum.finish() == self.expected).then_some(())
    }

    fn exact(&mut self, buf: &mut [u8]) -> Option<()> {
        if buf.len() as u64 > self.left {
            return None;
        }
        self.inner.read_exact(buf).ok()?;
        self.left -= buf.len() as u64;
        self.sum.add(buf);
        Some(())
    }

    fn u64(&mut self) -> Option<u64> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Some(u64::from_le_bytes(b))
    }

    read_column!(u8s, u8, |c: [u8; 1]| c[0]);
    read_column!(u32s, u32, u32::from_le_bytes);
    read_column!(i32s, i32, i32::from_le_bytes);
    read_column!(i64s, i64, i64::from_le_bytes);
    read_column!(u64s, u64, u64::from_le_bytes);
    read_column!(f64s, f64, |c: [u8; 8]| f64::from_bits(u64::from_le_bytes(
        c
    )));

    fn bytes(&mut self) -> Option<Vec<u8>> {
        self.u8s()
    }

    fn strings(&mut self) -> Option<Vec<Option<String>>> {
        let lens = self.u32s()?;
        let all = String::from_utf8(self.bytes()?).ok()?;
        let mut at = 0usize;
        let mut out = Vec::with_capacity(lens.len());
        for len in lens {
            if len == NO_U32 {
                out.push(None);
                continue;
            }
            let end = at.checked_add(len as usize)?;
            out.push(Some(all.get(at..end)?.to_string()));
            at = end;
        }
        (at == all.len()).then_some(out)
    }

    fn text_list(&mut self) -> Option<Texts> {
        let text = String::from_utf8(self.bytes()?).ok()?;
        Texts::from_parts(text, self.u64s()?)
    }

    fn required_strings(&mut self) -> Option<Vec<String>> {
        self.strings()?.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader_over(bytes: &[u8]) -> (tempfile::TempDir, Reader<'static>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        std::fs::write(&p, bytes).unwrap();
        let file: &'static File = Box::leak(Box::new(File::open(&p).unwrap()));
        let r = Reader::at(file, (0, bytes.len() as u64, 0));
        (dir, r)
    }

    #[test]
    fn a_length_larger_than_the_file_is_refused_before_allocating() {
        for claimed in [u64::MAX, u64::MAX / 4, 1 << 40, 3] {
            let mut bytes = claimed.to_le_bytes().to_vec();
            bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
            let (_d, mut r) = reader_over(&bytes);
            assert_eq!(r.u32s(), None, "claimed {claimed}");
        }
        let mut bytes = 2u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[1, 0, 0, 0, 2, 0, 0, 0]);
        let (_d, mut r) = reader_over(&bytes);
        assert_eq!(r.u32s(), Some(vec![1, 2]));
    }

    #[test]
    fn texts_and_options_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        let texts = [Some("é"), None, Some(""), Some("abc")];
        let mut w = Writer {
            inner: BufWriter::new(File::create(&p).unwrap()),
            sum: Sum::default(),
            at: 0,
            start: 0,
            parts: Vec::new(),
        };
        w.strings(texts.iter().copied(), texts.len()).unwrap();
        w.f64s(&[f64::NAN, -0.0, 1.5]).unwrap();
        let written = w.sum.finish();
        w.inner.flush().unwrap();
        drop(w);
        let (_d, mut r) = reader_over(&std::fs::read(&p).unwrap());
        let back = r.strings().unwrap();
        assert_eq!(
            back,
            texts
                .iter()
                .map(|t| t.map(String::from))
                .collect::<Vec<_>>()
        );
        let f = r.f64s().unwrap();
        assert!(f[0].is_nan() && f[1].to_bits() == (-0.0f64).to_bits() && f[2] == 1.5);
        assert_eq!(
            r.sum.finish(),
            written,
            "both sides checksum the same bytes"
        );
        assert_eq!(r.left, 0);
    }

    #[test]
    fn ratings_and_surveys_round_trip() {
        let all = [
            None,
            Some(Rating::Good),
            Some(Rating::Bad),
            Some(Rating::Score(0)),
            Some(Rating::Score(5)),
            Some(Rating::Score(255)),
        ];
        for r in all {
            assert_eq!(rating_of(rating_code(r)), Some(r));
        }
        assert_eq!(rating_of(3 + 256), None);
        for s in [Survey::Nps, Survey::Csat, Survey::Ces] {
            assert_eq!(survey_of(survey_code(s)), Some(s));
        }
        assert_eq!(survey_of(3), None);
    }
}
