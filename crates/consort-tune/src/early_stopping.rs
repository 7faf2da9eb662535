//! Early stopping on a validation metric (lower is better).

/// What [`EarlyStopping::update`] concluded about the latest epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopDecision {
    /// The metric improved: keep these weights as the best so far.
    Improved,
    /// No improvement yet, but patience is not exhausted.
    Wait,
    /// Patience exhausted: stop and restore the best weights.
    Stop,
}

/// Stops training after `patience` epochs without an improvement of more than `min_delta`.
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    patience: usize,
    min_delta: f64,
    best: Option<f64>,
    best_epoch: usize,
    bad_epochs: usize,
}

impl EarlyStopping {
    /// A new tracker; `patience` epochs without improvement trigger [`StopDecision::Stop`].
    pub fn new(patience: usize, min_delta: f64) -> Self {
        Self {
            patience,
            min_delta,
            best: None,
            best_epoch: 0,
            bad_epochs: 0,
        }
    }

    /// Records the metric of `epoch`. A NaN metric never counts as an improvement.
    pub fn update(&mut self, epoch: usize, metric: f64) -> StopDecision {
        let improved = match self.best {
            None => !metric.is_nan(),
            Some(best) => metric < best - self.min_delta,
        };
        if improved {
            self.best = Some(metric);
            self.best_epoch = epoch;
            self.bad_epochs = 0;
            return StopDecision::Improved;
        }
        self.bad_epochs += 1;
        if self.bad_epochs >= self.patience {
            StopDecision::Stop
        } else {
            StopDecision::Wait
        }
    }

    /// The best metric seen.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// The epoch of the best metric.
    pub fn best_epoch(&self) -> usize {
        self.best_epoch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_metric_sequence() {
        let mut es = EarlyStopping::new(2, 0.01);
        let script = [1.0, 0.8, 0.795, 0.9, 0.7, 0.71, 0.75];
        let decisions: Vec<_> = script
            .iter()
            .enumerate()
            .map(|(e, &m)| es.update(e, m))
            .collect();
        use StopDecision::*;
        // 0.795 is within min_delta of 0.8: not an improvement.
        assert_eq!(
            decisions,
            vec![Improved, Improved, Wait, Stop, Improved, Wait, Stop]
        );
        assert_eq!(es.best(), Some(0.7));
        assert_eq!(es.best_epoch(), 4);
    }

    #[test]
    fn nan_is_never_best() {
        let mut es = EarlyStopping::new(1, 0.0);
        assert_eq!(es.update(0, f64::NAN), StopDecision::Stop);
        assert_eq!(es.best(), None);
    }
}
