//! The confidence-gated cascade: cheap members answer what they are sure of, the expensive
//! member only the rest.

use std::time::Instant;

use consort_core::matrix::argmax;
use consort_core::{Classifier, ConsortError, Matrix, Result, check_input, check_labels};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use crate::member::{
    Combiner, Member, check_held_out, check_member_probas, check_members, member_probas,
};

mod report;

pub use report::{CascadeReport, CurvePoint, StageReport};

/// How sure a member is of a sample, from its class probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confidence {
    /// The largest class probability.
    MaxProbability,
    /// The gap between the two largest class probabilities.
    Margin,
}

impl Confidence {
    /// The confidence of one probability row.
    pub fn of(self, proba: &[f32]) -> f32 {
        let (mut first, mut second) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for &p in proba {
            if p > first {
                second = first;
                first = p;
            } else if p > second {
                second = p;
            }
        }
        match self {
            Confidence::MaxProbability => first,
            Confidence::Margin if second.is_finite() => first - second,
            Confidence::Margin => first,
        }
    }
}

/// What calibrated thresholds must achieve on the validation data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum CalibrationTarget {
    /// Cascade accuracy at least the last member's accuracy minus this (0.005 = half a point),
    /// escalating as little as possible.
    AccuracyWithin(f64),
    /// Each stage escalates at most this share of the samples that reach it.
    EscalationBudget(f64),
}

/// An ordered list of members, cheapest first. A sample stops at the first member whose
/// confidence reaches that stage's threshold; the last member answers whatever is left.
#[derive(Debug, Clone)]
pub struct Cascade {
    members: Vec<Member>,
    thresholds: Vec<f32>,
    confidence: Confidence,
    n_classes: usize,
    n_features: usize,
}

/// The outcome of running a cascade on some rows.
#[derive(Debug, Clone)]
pub struct CascadeRun {
    /// Class probabilities of the answering member, per row.
    pub proba: Matrix,
    /// Index of the stage that answered each row.
    pub answered_by: Vec<usize>,
    /// Rows each stage ran on (every row reaches stage 0).
    pub rows_per_stage: Vec<usize>,
    /// Wall time of each stage's predictions.
    pub seconds_per_stage: Vec<f64>,
}

/// Which stage answers each row, given every member's probabilities for all rows.
fn simulate(probas: &[Matrix], thresholds: &[f32], confidence: Confidence) -> Vec<usize> {
    let last = probas.len() - 1;
    (0..probas[0].rows())
        .map(|i| {
            (0..last)
                .find(|&m| confidence.of(probas[m].row(i)) >= thresholds[m])
                .unwrap_or(last)
        })
        .collect()
}

fn simulated_accuracy(probas: &[Matrix], stage: &[usize], labels: &[usize]) -> f64 {
    let hits = stage
        .iter()
        .enumerate()
        .filter(|&(i, &m)| argmax(probas[m].row(i)) == labels[i])
        .count();
    hits as f64 / labels.len() as f64
}

/// Never-accepting threshold: confidences lie in [0, 1].
const NEVER: f32 = f32::INFINITY;

impl Cascade {
    /// A cascade with given thresholds, one per member but the last.
    pub fn new(members: Vec<Member>, confidence: Confidence, thresholds: Vec<f32>) -> Result<Self> {
        let (n_classes, n_features) = check_members(&members)?;
        if thresholds.len() + 1 != members.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "a cascade of {} members needs {} thresholds, got {}",
                members.len(),
                members.len() - 1,
                thresholds.len()
            )));
        }
        if let Some(t) = thresholds.iter().find(|t| t.is_nan() || **t < 0.0) {
            return Err(ConsortError::config(format!(
                "cascade thresholds must be >= 0 (infinity: never stop), got {t}"
            )));
        }
        Ok(Self {
            members,
            thresholds,
            confidence,
            n_classes,
            n_features,
        })
    }

    /// Thresholds calibrated on held-out `valid` to `target`.
    ///
    /// For an accuracy target, stages are calibrated from the last-but-one back to the first,
    /// each to the lowest threshold at and above which (later stages fixed) the cascade stays
    /// within the tolerance — the whole range above, not just the point, so the choice does
    /// not ride on one lucky validation sample.
    pub fn calibrate(
        members: Vec<Member>,
        confidence: Confidence,
        target: CalibrationTarget,
        valid: &Dataset,
    ) -> Result<Self> {
        let (n_classes, n_features) = check_members(&members)?;
        valid.ensure_trainable()?;
        check_input(valid.features(), n_features)?;
        check_labels(valid.labels(), n_classes)?;
        let probas = member_probas(&members, valid.features())?;
        Self::calibrate_on(members, confidence, target, &probas, valid.labels())
    }

    /// [`Cascade::calibrate`] from the members' held-out probabilities already computed (one
    /// matrix per member, e.g. [`crate::OutOfFold`]'s) and the true `labels`.
    pub fn calibrate_on(
        members: Vec<Member>,
        confidence: Confidence,
        target: CalibrationTarget,
        probas: &[Matrix],
        labels: &[usize],
    ) -> Result<Self> {
        check_held_out(&members, probas, labels)?;
        let last = members.len() - 1;
        let mut thresholds = vec![NEVER; last];
        match target {
            CalibrationTarget::AccuracyWithin(tolerance) => {
                if !(tolerance.is_finite() && tolerance >= 0.0) {
                    return Err(ConsortError::config(format!(
                        "accuracy tolerance must be >= 0, got {tolerance}"
                    )));
                }
                let reference = simulated_accuracy(probas, &vec![last; labels.len()], labels);
                let allowed_hits = (reference - tolerance - 1e-12) * labels.len() as f64;
                for m in (0..last).rev() {
                    // Earlier stages still never accept, so every row reaches stage m; a row
                    // stage m passes on goes where the (fixed) later thresholds send it. As
                    // the threshold walks down from "never", stage m takes over rows in
                    // order of confidence: one sort and a running count of hits, instead of
                    // a full simulation per candidate threshold (quadratic in rows).
                    let fallback = simulate(probas, &thresholds, confidence);
                    let mut order: Vec<(f32, usize)> = (0..labels.len())
                        .map(|i| (confidence.of(probas[m].row(i)), i))
                        .collect();
                    order.sort_by(|a, b| b.0.total_cmp(&a.0));
                    let hit = |stage: usize, i: usize| {
                        i64::from(argmax(probas[stage].row(i)) == labels[i])
                    };
                    let mut hits: i64 = (0..labels.len()).map(|i| hit(fallback[i], i)).sum();
                    let mut start = 0;
                    while start < order.len() {
                        let t = order[start].0;
                        let mut end = start;
                        while end < order.len() && order[end].0.total_cmp(&t).is_eq() {
                            let i = order[end].1;
                            hits += hit(m, i) - hit(fallback[i], i);
                            end += 1;
                        }
                        if (hits as f64) < allowed_hits {
                            break;
                        }
                        thresholds[m] = t;
                        start = end;
                    }
                }
            }
            CalibrationTarget::EscalationBudget(budget) => {
                if !(0.0..=1.0).contains(&budget) {
                    return Err(ConsortError::config(format!(
                        "escalation budget must lie in [0, 1], got {budget}"
                    )));
                }
                let mut reaching: Vec<usize> = (0..labels.len()).collect();
                for m in 0..last {
                    let mut conf: Vec<f32> = reaching
                        .iter()
                        .map(|&i| confidence.of(probas[m].row(i)))
                        .collect();
                    conf.sort_by(f32::total_cmp);
                    let allowed = (budget * conf.len() as f64).floor() as usize;
                    // Escalate (confidence < t) at most `allowed` samples: t is the
                    // `allowed`-th smallest confidence (ties can only escalate fewer).
                    thresholds[m] = conf.get(allowed).copied().unwrap_or(NEVER);
                    reaching.retain(|&i| confidence.of(probas[m].row(i)) < thresholds[m]);
                }
            }
        }
        Self::new(members, confidence, thresholds)
    }

    /// The members, cheapest first.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The thresholds, one per member but the last.
    pub fn thresholds(&self) -> &[f32] {
        &self.thresholds
    }

    /// The confidence rule.
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }

    /// Runs the cascade: each stage predicts only the rows the earlier stages passed on.
    pub fn run(&self, x: &Matrix) -> Result<CascadeRun> {
        check_input(x, self.n_features)?;
        let n = x.rows();
        let mut proba = Matrix::zeros(n, self.n_classes);
        let mut answered_by = vec![0; n];
        let mut rows_per_stage = Vec::with_capacity(self.members.len());
        let mut seconds_per_stage = Vec::with_capacity(self.members.len());
        let mut pending: Vec<usize> = (0..n).collect();
        for (m, member) in self.members.iter().enumerate() {
            rows_per_stage.push(pending.len());
            if pending.is_empty() {
                seconds_per_stage.push(0.0);
                continue;
            }
            let start = Instant::now();
            let p = member.model.predict_proba(&x.select_rows(&pending))?;
            seconds_per_stage.push(start.elapsed().as_secs_f64());
            if p.rows() != pending.len() || p.cols() != self.n_classes {
                return Err(ConsortError::ShapeMismatch(format!(
                    "member {:?} returned a {}x{} probability matrix for {} rows",
                    member.name,
                    p.rows(),
                    p.cols(),
                    pending.len()
                )));
            }
            let threshold = self.thresholds.get(m).copied().unwrap_or(f32::NEG_INFINITY);
            let mut still = Vec::new();
            for (row, &i) in p.iter_rows().zip(&pending) {
                if self.confidence.of(row) >= threshold {
                    proba.row_mut(i).copy_from_slice(row);
                    answered_by[i] = m;
                } else {
                    still.push(i);
                }
            }
            pending = still;
        }
        Ok(CascadeRun {
            proba,
            answered_by,
            rows_per_stage,
            seconds_per_stage,
        })
    }
}

impl Classifier for Cascade {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        Ok(self.run(x)?.proba)
    }
}

/// From every member's probabilities on every row (what an experiment has at hand), the
/// answers the cascade would give; running it ([`Cascade::run`]) computes the later members
/// on the escalated rows only.
impl Combiner for Cascade {
    fn combined_members(&self) -> &[Member] {
        &self.members
    }

    fn combine(&self, member_probas: &[Matrix], x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
        check_input(x, self.n_features)?;
        check_member_probas(&self.members, member_probas, x, self.n_classes)?;
        let stage = simulate(member_probas, &self.thresholds, self.confidence);
        let mut proba = Matrix::zeros(x.rows(), self.n_classes);
        for (i, &m) in stage.iter().enumerate() {
            proba.row_mut(i).copy_from_slice(member_probas[m].row(i));
        }
        let predicted = proba.argmax_rows();
        Ok((proba, predicted))
    }
}
