//! What a cascade did on labelled data: per-stage shares, accuracy, time and
//! multiply-accumulates against always running the last member, and the accuracy /
//! escalation trade-off of its first threshold.

use std::time::Instant;

use consort_core::{Result, check_labels};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use super::{Cascade, NEVER, simulate, simulated_accuracy};
use crate::member::member_probas;

/// One stage in a [`CascadeReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    /// Member name.
    pub name: String,
    /// Its threshold (`None` for the last member, which always answers).
    pub threshold: Option<f32>,
    /// Samples that reached this stage.
    pub reached: usize,
    /// Samples this stage answered.
    pub answered: usize,
    /// Share of all samples answered here.
    pub share_answered: f64,
    /// Wall time of this stage's predictions.
    pub seconds: f64,
    /// Multiply-accumulates per sample, where the member states them.
    pub macs_per_sample: Option<u64>,
}

/// How a cascade did on labelled data, against always running its last member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CascadeReport {
    /// Per stage.
    pub stages: Vec<StageReport>,
    /// Samples scored.
    pub samples: usize,
    /// Accuracy of the cascade.
    pub accuracy: f64,
    /// Accuracy of the last member alone.
    pub last_member_accuracy: f64,
    /// Share of samples that reached the last member.
    pub escalated_to_last: f64,
    /// Wall time of the cascade's predictions.
    pub seconds: f64,
    /// Wall time of the last member predicting every sample.
    pub last_member_seconds: f64,
    /// Multiply-accumulates of the cascade, where every member states them.
    pub macs: Option<u64>,
    /// Multiply-accumulates of the last member on every sample.
    pub last_member_macs: Option<u64>,
}

impl CascadeReport {
    /// Share of the last member's predict time saved (negative: the cascade was slower).
    pub fn time_saved(&self) -> f64 {
        1.0 - self.seconds / self.last_member_seconds.max(f64::MIN_POSITIVE)
    }

    /// Share of the last member's multiply-accumulates saved, where known.
    pub fn macs_saved(&self) -> Option<f64> {
        match (self.macs, self.last_member_macs) {
            (Some(c), Some(l)) if l > 0 => Some(1.0 - c as f64 / l as f64),
            _ => None,
        }
    }
}

/// One point of the accuracy / escalation trade-off of a cascade's first threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// The first stage's threshold.
    pub threshold: f32,
    /// Share of samples escalated past the first stage.
    pub escalated: f64,
    /// Cascade accuracy.
    pub accuracy: f64,
}

impl Cascade {
    /// Runs the cascade on labelled `data` and, for reference, the last member on every row;
    /// reports shares, accuracy, time and multiply-accumulates of both.
    pub fn report(&self, data: &Dataset) -> Result<CascadeReport> {
        data.ensure_trainable()?;
        check_labels(data.labels(), self.n_classes)?;
        let run = self.run(data.features())?;
        let last = self.members.last().expect("checked non-empty");
        let start = Instant::now();
        let reference = last.model.predict(data.features())?;
        let last_member_seconds = start.elapsed().as_secs_f64();
        let n = data.len();
        let labels = data.labels();
        let accuracy = run
            .proba
            .argmax_rows()
            .iter()
            .zip(labels)
            .filter(|(a, b)| a == b)
            .count() as f64
            / n as f64;
        let last_member_accuracy =
            reference.iter().zip(labels).filter(|(a, b)| a == b).count() as f64 / n as f64;
        let stages: Vec<StageReport> = self
            .members
            .iter()
            .enumerate()
            .map(|(m, member)| {
                let answered = run.answered_by.iter().filter(|&&s| s == m).count();
                StageReport {
                    name: member.name.clone(),
                    threshold: self.thresholds.get(m).copied(),
                    reached: run.rows_per_stage[m],
                    answered,
                    share_answered: answered as f64 / n as f64,
                    seconds: run.seconds_per_stage[m],
                    macs_per_sample: member.model.macs_per_sample(),
                }
            })
            .collect();
        let macs = stages
            .iter()
            .map(|s| s.macs_per_sample.map(|m| m * s.reached as u64))
            .sum();
        Ok(CascadeReport {
            escalated_to_last: run.rows_per_stage[self.members.len() - 1] as f64 / n as f64,
            stages,
            samples: n,
            accuracy,
            last_member_accuracy,
            seconds: run.seconds_per_stage.iter().sum(),
            last_member_seconds,
            macs,
            last_member_macs: last.model.macs_per_sample().map(|m| m * n as u64),
        })
    }

    /// The accuracy / escalation trade-off as the first stage's threshold sweeps over
    /// `points` quantiles of its confidence on `data` (later thresholds as calibrated).
    pub fn curve(&self, data: &Dataset, points: usize) -> Result<Vec<CurvePoint>> {
        data.ensure_trainable()?;
        check_labels(data.labels(), self.n_classes)?;
        let probas = member_probas(&self.members, data.features())?;
        let mut conf: Vec<f32> = (0..data.len())
            .map(|i| self.confidence.of(probas[0].row(i)))
            .collect();
        conf.sort_by(f32::total_cmp);
        let points = points.max(2);
        let mut thresholds: Vec<f32> = (0..points)
            .map(|p| conf[(p * (conf.len() - 1)) / (points - 1)])
            .chain([NEVER])
            .collect();
        thresholds.dedup();
        Ok(thresholds
            .into_iter()
            .map(|t| {
                let mut trial = self.thresholds.clone();
                if let Some(first) = trial.first_mut() {
                    *first = t;
                }
                let stage = simulate(&probas, &trial, self.confidence);
                CurvePoint {
                    threshold: t,
                    escalated: stage.iter().filter(|&&s| s > 0).count() as f64 / data.len() as f64,
                    accuracy: simulated_accuracy(&probas, &stage, data.labels()),
                }
            })
            .collect())
    }
}
