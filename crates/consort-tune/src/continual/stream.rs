//! Online learning on a stream: prequential (test-then-train) evaluation one mini-batch at a
//! time, and a Page-Hinkley drift detector on the error stream that, when it fires, switches
//! the learning into an adaptation phase (a higher learning rate and more steps per batch for
//! a while).

use consort_core::seed::seeded;
use consort_core::{BackendKind, Classifier, ConsortError, Result};
use consort_data::Dataset;
use consort_models::nn::{NetworkClassifier, NetworkSpec};

use crate::{NetworkEstimator, TrainConfig};

/// The Page-Hinkley test for an increase in the mean of a stream (here: the 0/1 error):
/// `m_t = sum (x_i - mean_i - delta)`, alarm when `m_t - min_t m_t > threshold`.
#[derive(Debug, Clone, PartialEq)]
pub struct PageHinkley {
    /// Magnitude of change tolerated.
    pub delta: f64,
    /// Alarm threshold (lambda).
    pub threshold: f64,
    /// Observations before an alarm may fire.
    pub warm_up: usize,
    n: usize,
    mean: f64,
    cumulative: f64,
    minimum: f64,
}

impl PageHinkley {
    /// A detector with `delta`, `threshold` and a warm-up of 30 observations.
    pub fn new(delta: f64, threshold: f64) -> Result<Self> {
        if !(delta >= 0.0 && threshold > 0.0 && delta.is_finite() && threshold.is_finite()) {
            return Err(ConsortError::config(
                "Page-Hinkley needs delta >= 0 and a positive threshold",
            ));
        }
        Ok(Self {
            delta,
            threshold,
            warm_up: 30,
            n: 0,
            mean: 0.0,
            cumulative: 0.0,
            minimum: 0.0,
        })
    }

    /// Adds an observation; `true` when the detector fires (it then starts afresh).
    pub fn update(&mut self, x: f64) -> bool {
        self.n += 1;
        self.mean += (x - self.mean) / self.n as f64;
        self.cumulative += x - self.mean - self.delta;
        self.minimum = self.minimum.min(self.cumulative);
        let fired = self.n >= self.warm_up && self.cumulative - self.minimum > self.threshold;
        if fired {
            self.reset();
        }
        fired
    }

    /// Forgets everything seen.
    pub fn reset(&mut self) {
        self.n = 0;
        self.mean = 0.0;
        self.cumulative = 0.0;
        self.minimum = 0.0;
    }
}

/// How the learner reacts when the detector fires.
#[derive(Debug, Clone, PartialEq)]
pub struct Adaptation {
    /// Learning-rate multiplier during the adaptation phase.
    pub lr_factor: f64,
    /// Gradient passes over each mini-batch during it (1 outside).
    pub passes: usize,
    /// Mini-batches the phase lasts.
    pub batches: usize,
}

impl Default for Adaptation {
    /// 5x the learning rate, 3 passes per batch, for 20 batches.
    fn default() -> Self {
        Self {
            lr_factor: 5.0,
            passes: 3,
            batches: 20,
        }
    }
}

/// What a prequential run saw.
#[derive(Debug, Clone)]
pub struct Prequential {
    /// 1 where the prediction made before training on the row was right, per row in stream
    /// order.
    pub hits: Vec<bool>,
    /// Rows (stream positions) at which the detector fired.
    pub alarms: Vec<usize>,
}

impl Prequential {
    /// Accuracy over the `window` rows ending at each row (fewer at the start).
    pub fn rolling_accuracy(&self, window: usize) -> Vec<f64> {
        let window = window.max(1);
        let mut out = Vec::with_capacity(self.hits.len());
        let mut sum = 0usize;
        for (i, &h) in self.hits.iter().enumerate() {
            sum += usize::from(h);
            if i >= window {
                sum -= usize::from(self.hits[i - window]);
            }
            out.push(sum as f64 / (i + 1).min(window) as f64);
        }
        out
    }

    /// Rows after `from` until the rolling accuracy (over `window`) first reaches `level`;
    /// `None` if it never does.
    pub fn recovery(&self, from: usize, level: f64, window: usize) -> Option<usize> {
        self.rolling_accuracy(window)
            .iter()
            .enumerate()
            .skip(from + window)
            .find(|(_, a)| **a >= level)
            .map(|(i, _)| i - from)
    }
}

/// Test-then-train over `stream` in mini-batches of `train.batch_size`: each batch is
/// predicted by the current network, then trained on (one pass, or the adaptation's passes at
/// its higher learning rate after the detector fires). `detector: None` never adapts.
pub fn prequential<S: NetworkSpec>(
    spec: &S,
    train: &TrainConfig,
    stream: &Dataset,
    mut detector: Option<PageHinkley>,
    adaptation: &Adaptation,
) -> Result<Prequential>
where
    NetworkClassifier<S::Net>: Classifier,
{
    let (d, k) = (stream.n_features(), stream.n_classes());
    let device = BackendKind::chosen(None)?.device()?;
    let train_device = device.clone().autodiff();
    let mut model = seeded(&train_device, train.seed, || {
        spec.build(d, k, &train_device)
    })?;
    let mut hits = Vec::with_capacity(stream.len());
    let mut alarms = Vec::new();
    let mut adapting = 0usize;
    let batch = train.batch_size.max(1);
    let mut start = 0;
    while start < stream.len() {
        let rows: Vec<usize> = (start..(start + batch).min(stream.len())).collect();
        let chunk = stream.subset(&rows);
        let current = NetworkClassifier::new(model.clone(), device.clone(), d, k);
        let predicted = current.predict(chunk.features())?;
        for (i, (p, y)) in predicted.iter().zip(chunk.labels()).enumerate() {
            hits.push(p == y);
            if let Some(det) = &mut detector
                && det.update(f64::from(u8::from(p != y)))
            {
                alarms.push(start + i);
                adapting = adaptation.batches;
            }
        }
        let (epochs, lr) = if adapting > 0 {
            adapting -= 1;
            (
                adaptation.passes,
                train.learning_rate * adaptation.lr_factor,
            )
        } else {
            (1, train.learning_rate)
        };
        let cfg = train
            .clone()
            .with_epochs(epochs)
            .with_learning_rate(lr)
            .with_seed(train.seed.wrapping_add(start as u64));
        let (_, outcome) = NetworkEstimator::new(spec.clone(), cfg)
            .with_start(model)
            .fit_with_history(&chunk)?;
        model = outcome.model;
        start += batch;
    }
    Ok(Prequential { hits, alarms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_hinkley_fires_soon_after_the_error_rate_rises_and_not_before() {
        let mut ph = PageHinkley::new(0.005, 5.0).unwrap();
        // 10% errors, then 60% errors from row 500 (a deterministic pattern).
        let error = |i: usize| {
            if i < 500 {
                i.is_multiple_of(10)
            } else {
                i % 5 < 3
            }
        };
        let fired: Vec<usize> = (0..1000)
            .filter(|&i| ph.update(f64::from(u8::from(error(i)))))
            .collect();
        assert!(!fired.is_empty() && fired[0] >= 500, "{fired:?}");
        assert!(fired[0] < 530, "{fired:?}");
        assert!(PageHinkley::new(-1.0, 1.0).is_err());
    }

    #[test]
    fn rolling_accuracy_and_recovery() {
        let p = Prequential {
            hits: vec![true, true, false, false, true, true],
            alarms: vec![],
        };
        assert_eq!(p.rolling_accuracy(2), vec![1.0, 1.0, 0.5, 0.0, 0.5, 1.0]);
        assert_eq!(p.recovery(2, 1.0, 2), Some(3));
        assert_eq!(p.recovery(2, 2.0, 2), None);
    }
}
