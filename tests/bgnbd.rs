//! The BG/NBD model (kpi-spec §4.13): the log-likelihood, P(alive) and the
//! expected purchases against values computed by hand (Python's math.lgamma
//! and mpmath.hyp2f1 on the formulas of the spec), the fit recovering the
//! parameters of data simulated from them, and the undefined cases.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use holdfast::data::{self, Scales, SourceKind, SourceOptions, SourceSpec, Sources};
use holdfast::metrics::bgnbd::{Compressed, FitError, History, MIN_REPEAT, Params};
use holdfast::metrics::{Engine, Period, Query};

const P: Params = Params {
    r: 0.5,
    alpha: 3.0,
    a: 0.8,
    b: 2.5,
};

fn h(x: u32, tx_days: u32, t_days: u32) -> History {
    History { x, tx_days, t_days }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn log_likelihood_p_alive_and_expectations_of_three_customers() {
    // (x, t_x, T) in days: no repeat in 10 weeks; 2 repeats, the last at week 5
    // of 10; 5 repeats, the last at week 9 of 20.
    let people = [h(0, 0, 70), h(2, 35, 70), h(5, 63, 140)];
    let by_hand = [
        (-0.7331685343967135, 1.0, 0.1559439245415382),
        (-6.06358942857972, 0.5651615361579748, 0.43012605632836454),
        (-12.521680794285588, 0.18493161862404006, 0.1793649429881229),
    ];
    for (person, (ll, alive, expected)) in people.iter().zip(by_hand) {
        let one = Compressed::new([*person]);
        assert!(rel(one.log_likelihood(&P), ll) < 1e-12, "{person:?}");
        assert!(rel(P.p_alive(person), alive) < 1e-12, "{person:?}");
        // Over the next 30 days.
        assert!(
            rel(P.expected_purchases(person, 30.0), expected) < 1e-9,
            "{person:?}"
        );
    }
    let all = Compressed::new(people);
    assert!(rel(all.log_likelihood(&P), -19.318438757262022) < 1e-12);
    // Equal histories are one weighted term.
    let twice = Compressed::new(people.iter().chain(&people).copied());
    assert_eq!(twice.terms(), 3);
    assert!(rel(twice.log_likelihood(&P), 2.0 * -19.318438757262022) < 1e-12);
}

/// splitmix64: a seeded generator for the simulation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        (-2.0 * self.next().ln()).sqrt() * (2.0 * std::f64::consts::PI * self.next()).cos()
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang (boosted below shape 1).
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.next().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.next().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

/// Customers drawn from the BG/NBD process: λ ~ Gamma(r, α), p ~ Beta(a, b);
/// purchases at Exp(λ) intervals (weeks) until the end of observation, and
/// after each repeat purchase a dropout with probability p.
fn simulate(p: &Params, n: usize, seed: u64) -> Vec<History> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let lambda = rng.gamma(p.r) / p.alpha;
            let (g1, g2) = (rng.gamma(p.a), rng.gamma(p.b));
            let drop = g1 / (g1 + g2);
            // Observed for 26 to 52 weeks.
            let t_days = 182 + (i % 183) as u32;
            let mut days: Vec<u32> = Vec::new();
            let mut t = 0.0;
            loop {
                t += -rng.next().ln() / lambda;
                let day = (t * 7.0).floor();
                if day > f64::from(t_days) {
                    break;
                }
                if day >= 1.0 && days.last() != Some(&(day as u32)) {
                    days.push(day as u32);
                }
                if rng.next() < drop {
                    break;
                }
            }
            h(days.len() as u32, days.last().copied().unwrap_or(0), t_days)
        })
        .collect()
}

#[test]
fn the_fit_recovers_simulated_parameters() {
    let truth = Params {
        r: 0.25,
        alpha: 4.0,
        a: 0.8,
        b: 2.5,
    };
    let data = Compressed::new(simulate(&truth, 8000, 7));
    let fit = data.fit().unwrap();
    // A maximum: at least as likely as the truth, and no better point nearby.
    assert!(fit.log_likelihood >= data.log_likelihood(&truth));
    for k in 0..4 {
        for step in [-1e-3, 1e-3] {
            let mut q = fit.params;
            let v = [&mut q.r, &mut q.alpha, &mut q.a, &mut q.b];
            *v.into_iter().nth(k).unwrap() *= 1.0 + step;
            assert!(
                data.log_likelihood(&q) <= fit.log_likelihood + 1e-6,
                "{q:?}"
            );
        }
    }
    let p = fit.params;
    assert!(rel(p.r, truth.r) < 0.15, "{p:?}");
    assert!(rel(p.alpha, truth.alpha) < 0.2, "{p:?}");
    assert!(rel(p.a, truth.a) < 0.35, "{p:?}");
    assert!(rel(p.b, truth.b) < 0.35, "{p:?}");
    // The population's expected activity agrees with the truth's.
    let active = |p: &Params| {
        data.histories()
            .map(|(h, n)| p.p_alive(&h) * n as f64)
            .sum::<f64>()
    };
    assert!(rel(active(&p), active(&truth)) < 0.05);
}

#[test]
fn too_few_repeat_customers_give_no_fit() {
    let mut people = vec![h(0, 0, 100); 500];
    people.extend(vec![h(1, 20, 100); (MIN_REPEAT - 1) as usize]);
    assert_eq!(
        Compressed::new(people.clone()).fit(),
        Err(FitError::TooFewRepeat {
            repeat: MIN_REPEAT - 1
        })
    );
    people.push(h(3, 50, 100));
    assert!(Compressed::new(people).fit().is_ok());
    assert_eq!(
        Compressed::new(Vec::new()).fit(),
        Err(FitError::TooFewRepeat { repeat: 0 })
    );
}

#[test]
fn report_without_enough_repeat_customers_is_null_with_the_reason() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/revenue/orders.csv");
    let spec = SourceSpec::path(SourceKind::Orders, &path, SourceOptions::default());
    let ds = data::load(&Sources::new(spec, None, None), Scales::default()).unwrap();
    let engine = Engine::new(&ds);
    let s = engine
        .compute_predicted(&Query::new(Period::parse("2024-05").unwrap()))
        .unwrap();
    let json = serde_json::to_value(&s).unwrap();
    let predicted = &json["predicted"];
    assert_eq!(predicted["model"], "bg/nbd");
    for k in [
        "r",
        "alpha",
        "a",
        "b",
        "log_likelihood",
        "expected_active",
        "expected_purchases",
    ] {
        assert!(predicted[k].is_null(), "{k}: {}", predicted[k]);
    }
    // Every customer with a purchase by May 31 (ro has refunds only).
    assert_eq!(predicted["customers"], 11);
    assert!(
        predicted["note"]
            .as_str()
            .unwrap()
            .contains("customers with a repeat purchase; the model needs at least 30"),
        "{predicted}"
    );
}

/// Two sorted halves merged give the terms of the histories counted
/// together, wherever the cut, and so the very same fit.
#[test]
fn histories_in_two_sorted_halves_compress_as_one_list() {
    let people = simulate(&P, 3000, 11);
    let whole = Compressed::new(people.iter().copied());
    let terms = |c: &Compressed| c.histories().collect::<Vec<_>>();
    for cut in [0, 1, 1500, 2999, 3000] {
        let (mut a, mut b) = (people[..cut].to_vec(), people[cut..].to_vec());
        a.sort_unstable();
        b.sort_unstable();
        let merged = Compressed::from_sorted_halves(&a, &b);
        assert_eq!(terms(&merged), terms(&whole), "cut at {cut}");
        assert_eq!(
            (merged.customers, merged.repeat),
            (whole.customers, whole.repeat)
        );
        assert_eq!(
            merged.log_likelihood(&P).to_bits(),
            whole.log_likelihood(&P).to_bits()
        );
    }
    assert!(whole.terms() < people.len());
    assert_eq!(
        Compressed::from_sorted_halves(&[], &[]).fit(),
        Compressed::new(Vec::new()).fit()
    );
}
