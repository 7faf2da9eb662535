//! Combining members' predictions computed once equals asking the combiner to predict, and
//! the cascade's sort-once calibration picks the thresholds the exhaustive search picks.

use std::sync::Arc;

use consort_core::matrix::argmax;
use consort_core::{Classifier, Fit, Matrix, Result};
use consort_data::Dataset;
use consort_ensemble::{
    AverageEnsemble, CalibrationTarget, Cascade, Combiner, Confidence, Member, StackingClassifier,
    Voting, VotingEnsemble,
};
use consort_models::LogisticRegressionConfig;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A member that looks its answer up: row `x[i][0]` of a fixed probability table.
struct Table(Matrix);

impl Classifier for Table {
    fn n_classes(&self) -> usize {
        self.0.cols()
    }
    fn n_features(&self) -> usize {
        1
    }
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        let rows: Vec<usize> = x.iter_rows().map(|r| r[0] as usize).collect();
        Ok(self.0.select_rows(&rows))
    }
}

/// Random probability rows, coarse (multiples of 1/8) so that confidences tie often.
fn table(rows: usize, k: usize, rng: &mut StdRng) -> Matrix {
    let mut m = Matrix::zeros(rows, k);
    for i in 0..rows {
        let mut w: Vec<u32> = (0..k).map(|_| rng.random_range(0..8)).collect();
        w[rng.random_range(0..k)] += 1;
        let total: u32 = w.iter().sum();
        for (c, v) in w.iter().enumerate() {
            m.row_mut(i)[c] = *v as f32 / total as f32;
        }
    }
    m
}

struct Setup {
    members: Vec<Member>,
    x: Matrix,
    labels: Vec<usize>,
}

fn setup(seed: u64, n: usize, k: usize, n_members: usize) -> Setup {
    let mut rng = StdRng::seed_from_u64(seed);
    let members = (0..n_members)
        .map(|m| Member::new(format!("m{m}"), Arc::new(Table(table(n, k, &mut rng)))))
        .collect();
    let x = Matrix::new(n, 1, (0..n).map(|i| i as f32).collect()).unwrap();
    let labels = (0..n).map(|_| rng.random_range(0..k)).collect();
    Setup { members, x, labels }
}

fn probas(members: &[Member], x: &Matrix) -> Vec<Matrix> {
    members
        .iter()
        .map(|m| m.model.predict_proba(x).unwrap())
        .collect()
}

#[test]
fn combine_equals_predict_for_every_combiner() {
    let s = setup(1, 300, 4, 3);
    let held = probas(&s.members, &s.x);
    let data = Dataset::new(s.x.clone(), s.labels.clone(), 4).unwrap();
    let meta_input = Matrix::hstack(&held.iter().collect::<Vec<_>>()).unwrap();
    let meta = LogisticRegressionConfig::default()
        .fit(&data.with_features(meta_input).unwrap())
        .unwrap();
    let combiners: Vec<Box<dyn Combiner>> = vec![
        Box::new(VotingEnsemble::new(s.members.clone(), Voting::Soft).unwrap()),
        Box::new(VotingEnsemble::new(s.members.clone(), Voting::Hard).unwrap()),
        Box::new(AverageEnsemble::fit_weights_on(s.members.clone(), &held, &s.labels).unwrap()),
        Box::new(StackingClassifier::from_parts(s.members.clone(), Arc::new(meta), false).unwrap()),
        Box::new(
            Cascade::calibrate_on(
                s.members.clone(),
                Confidence::MaxProbability,
                CalibrationTarget::AccuracyWithin(0.02),
                &held,
                &s.labels,
            )
            .unwrap(),
        ),
    ];
    for c in &combiners {
        let shared = probas(c.combined_members(), &s.x);
        let (p, y) = c.combine(&shared, &s.x).unwrap();
        let (q, z) = c.predict_with_proba(&s.x).unwrap();
        assert_eq!(p, q);
        assert_eq!(y, z);
        // Wrong shapes are typed errors, not panics.
        assert!(c.combine(&shared[1..], &s.x).is_err());
        assert!(c.combine(&shared, &s.x.select_rows(&[0, 1])).is_err());
    }
}

/// The exhaustive search the sort-once calibration replaced: every candidate threshold,
/// from "never" down, simulated in full.
fn exhaustive(probas: &[Matrix], labels: &[usize], tolerance: f64) -> Vec<f32> {
    let conf = |m: usize, i: usize| probas[m].row(i).iter().copied().fold(f32::MIN, f32::max);
    let n = labels.len();
    let last = probas.len() - 1;
    let simulate = |t: &[f32]| -> f64 {
        (0..n)
            .filter(|&i| {
                let stage = (0..last).find(|&m| conf(m, i) >= t[m]).unwrap_or(last);
                argmax(probas[stage].row(i)) == labels[i]
            })
            .count() as f64
            / n as f64
    };
    let reference = simulate(&vec![f32::INFINITY; last]);
    let mut thresholds = vec![f32::INFINITY; last];
    for m in (0..last).rev() {
        let mut cands: Vec<f32> = (0..n).map(|i| conf(m, i)).collect();
        cands.sort_by(|a, b| b.total_cmp(a));
        cands.dedup();
        for t in cands {
            let mut trial = thresholds.clone();
            trial[m] = t;
            if simulate(&trial) + 1e-12 < reference - tolerance {
                break;
            }
            thresholds = trial;
        }
    }
    thresholds
}

#[test]
fn sort_once_calibration_matches_the_exhaustive_search() {
    for seed in 0..12 {
        let s = setup(seed, 180, 3, 2 + (seed as usize % 3));
        let held = probas(&s.members, &s.x);
        for tolerance in [0.0, 0.01, 0.05] {
            let cascade = Cascade::calibrate_on(
                s.members.clone(),
                Confidence::MaxProbability,
                CalibrationTarget::AccuracyWithin(tolerance),
                &held,
                &s.labels,
            )
            .unwrap();
            assert_eq!(
                cascade.thresholds(),
                exhaustive(&held, &s.labels, tolerance).as_slice(),
                "seed {seed}, tolerance {tolerance}"
            );
        }
    }
}
