//! NPS, CSAT and CES (kpi-spec §4.9): one pass over a period's responses.

use super::*;

/// What one pass over a period's kept responses counts.
#[derive(Default)]
pub(super) struct FeedbackScan {
    pub(super) promoters: u64,
    pub(super) passives: u64,
    pub(super) detractors: u64,
    /// Comment word counts by word id (the vocabulary is small: arrays beat maps).
    pub(super) detractor_words: Vec<u64>,
    pub(super) promoter_words: Vec<u64>,
    pub(super) csat_n: u64,
    pub(super) csat_good: u64,
    pub(super) csat_sum: f64,
    pub(super) ces_n: u64,
    pub(super) ces_easy: u64,
    pub(super) ces_sum: f64,
}

impl Ctx<'_> {
    /// One pass over a period's kept responses, shared by every block of a
    /// compute that needs the period (its own, the next period's change).
    pub(super) fn feedback_scan(&self, p: &Period) -> Rc<FeedbackScan> {
        if let Some((_, hit)) = self.memo.borrow().feedback.iter().find(|(q, _)| q == p) {
            return hit.clone();
        }
        let ix = self.ix;
        let vocab = ix.vocabulary().len();
        let mut f = FeedbackScan {
            detractor_words: vec![0; vocab],
            promoter_words: vec![0; vocab],
            ..FeedbackScan::default()
        };
        let csat_good = if self.scales.csat == 10 { 8.0 } else { 4.0 };
        let ces_easy = if self.scales.ces == 5 { 4.0 } else { 5.0 };
        self.for_responses(p.start(), self.end_of(p), |i| {
            let score = ix.response_score()[i];
            match ix.response_survey()[i] {
                Survey::Nps => {
                    let words = if score >= 9.0 {
                        f.promoters += 1;
                        &mut f.promoter_words
                    } else if score >= 7.0 {
                        f.passives += 1;
                        return;
                    } else {
                        f.detractors += 1;
                        &mut f.detractor_words
                    };
                    for &w in ix.words_of(i) {
                        words[w as usize] += 1;
                    }
                }
                Survey::Csat => {
                    f.csat_n += 1;
                    f.csat_good += (score >= csat_good) as u64;
                    f.csat_sum += score;
                }
                Survey::Ces => {
                    f.ces_n += 1;
                    f.ces_easy += (score >= ces_easy) as u64;
                    f.ces_sum += score;
                }
            }
        });
        let f = Rc::new(f);
        self.memo.borrow_mut().feedback.push((*p, f.clone()));
        f
    }

    /// NPS of a period; `full` adds the detractor themes, `change` the
    /// significance of the change from the previous period.
    pub(super) fn nps(&self, p: &Period, full: bool, change: bool) -> Nps {
        let f = self.feedback_scan(p);
        let mut n = Nps {
            responses: f.promoters + f.passives + f.detractors,
            promoters: f.promoters,
            passives: f.passives,
            detractors: f.detractors,
            ..Nps::default()
        };
        if n.responses > 0 {
            let t = n.responses as f64;
            let (ps, ds) = (n.promoters as f64 / t, n.detractors as f64 / t);
            n.score = Some((ps - ds) * 100.0);
            if n.responses >= 2 {
                n.margin = Some(1.96 * 100.0 * ((ps + ds - (ps - ds).powi(2)) / t).max(0.0).sqrt());
            }
        }
        if full {
            n.detractor_themes = top_five(&f.detractor_words, self.ix.vocabulary())
                .map(|(word, count, id)| Theme {
                    word: word.to_string(),
                    count,
                    promoter_count: f.promoter_words[id],
                })
                .collect();
        }
        if full && change {
            n.change_significant = significant(&n, &self.nps(&p.previous(), false, false));
        }
        n
    }

    /// CSAT and CES of a period's responses.
    pub(super) fn satisfaction(&self, p: &Period) -> (Csat, Ces) {
        let f = self.feedback_scan(p);
        (
            Csat {
                score: pct(f.csat_good, f.csat_n),
                mean: ratio(f.csat_sum, f.csat_n as f64),
                responses: f.csat_n,
            },
            Ces {
                mean: ratio(f.ces_sum, f.ces_n as f64),
                easy_share: pct(f.ces_easy, f.ces_n),
                responses: f.ces_n,
            },
        )
    }
}
