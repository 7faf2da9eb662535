//! Incremental rounds to a target: the mission's incremental step, "repeat collecting,
//! training and updating until the target performance is reached". The driver takes the next
//! chunk of a stream, updates the model in place ([`FitWith`]: an
//! [`IncrementalNetwork`](super::IncrementalNetwork), naive Bayes, logistic regression), scores
//! it on held-out rows, and stops as soon as the score reaches the target, or when the round
//! budget or the stream runs out. It reports every round, the rows it used and why it stopped,
//! so a user sees how much data the target cost.

use consort_core::params::{ensure_at_least, ensure_within};
use consort_core::seed::rng;
use consort_core::{
    Checked, Classifier, ConsortError, Direction, Event, FitWith, ObserverHandle, ParamGuard,
    Result,
};
use consort_data::Dataset;
use rand::seq::SliceRandom;

/// When the rounds stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundsConfig {
    /// The score to reach on the held-out rows.
    pub target: f64,
    /// Whether a higher score is better (accuracy, ROC-AUC) or a lower one (log-loss).
    pub direction: Direction,
    /// The most rounds to run, whatever the score (the budget).
    pub max_rounds: usize,
}

impl RoundsConfig {
    /// Rounds until `target` accuracy (higher is better), at most `max_rounds`.
    pub fn accuracy(target: f64, max_rounds: usize) -> Self {
        Self {
            target,
            direction: Direction::Higher,
            max_rounds,
        }
    }

    fn reached(&self, score: f64) -> bool {
        match self.direction {
            Direction::Higher => score >= self.target,
            Direction::Lower => score <= self.target,
        }
    }
}

impl ParamGuard for RoundsConfig {
    fn check(&self) -> Result<()> {
        ensure_within("target", self.target, f64::MIN, f64::MAX, (true, true))?;
        ensure_at_least("max_rounds", self.max_rounds, 1)
    }
}

/// Why the rounds stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundsStop {
    /// The held-out score reached the target.
    TargetReached,
    /// `max_rounds` rounds ran without reaching it.
    BudgetSpent,
    /// The stream had no more chunks.
    StreamEnded,
}

/// One round: the chunk it trained on and the score after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// 1-based.
    pub round: usize,
    /// Rows in this round's chunk.
    pub rows: usize,
    /// Rows trained on in this and the earlier rounds.
    pub rows_so_far: usize,
    /// The held-out score after the update.
    pub score: f64,
}

/// What [`rounds_to_target`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundsReport {
    /// Every round, in order.
    pub rounds: Vec<Round>,
    /// Why it stopped.
    pub stop: RoundsStop,
}

impl RoundsReport {
    /// Whether the target was reached.
    pub fn reached(&self) -> bool {
        self.stop == RoundsStop::TargetReached
    }

    /// Rows trained on in all.
    pub fn rows_used(&self) -> usize {
        self.rounds.last().map_or(0, |r| r.rows_so_far)
    }

    /// The score after the last round.
    pub fn final_score(&self) -> Option<f64> {
        self.rounds.last().map(|r| r.score)
    }
}

/// Collects the next chunk of `stream`, updates `model` with it, scores the model on
/// `holdout` with `score`, and repeats until the score reaches the target, `max_rounds`
/// rounds have run or the stream ends. `observer` hears each round (a progress step against
/// the budget, and a line with the rows and the score).
pub fn rounds_to_target<M, I>(
    model: &mut M,
    stream: I,
    holdout: &Dataset,
    config: &Checked<RoundsConfig>,
    score: impl Fn(&M, &Dataset) -> Result<f64>,
    observer: &ObserverHandle,
) -> Result<RoundsReport>
where
    M: FitWith<Dataset>,
    I: IntoIterator<Item = Result<Dataset>>,
{
    if holdout.is_empty() {
        return Err(ConsortError::EmptyDataset(
            "the held-out rows that decide when to stop".into(),
        ));
    }
    let mut rounds = Vec::new();
    let mut chunks = stream.into_iter();
    let stop = loop {
        if rounds.len() == config.max_rounds {
            break RoundsStop::BudgetSpent;
        }
        let Some(chunk) = chunks.next() else {
            break RoundsStop::StreamEnded;
        };
        let chunk = chunk?;
        model.fit_with(&chunk)?;
        let value = score(model, holdout)?;
        if !value.is_finite() {
            return Err(ConsortError::NonFinite(format!(
                "the held-out score after round {}",
                rounds.len() + 1
            )));
        }
        let rows_so_far = rounds.last().map_or(0, |r: &Round| r.rows_so_far) + chunk.len();
        rounds.push(Round {
            round: rounds.len() + 1,
            rows: chunk.len(),
            rows_so_far,
            score: value,
        });
        observer.notify(&Event::Progress {
            label: "rounds",
            done: rounds.len(),
            total: config.max_rounds,
        });
        observer.notify(&Event::Stage {
            message: &format!(
                "round {}: {rows_so_far} rows so far, held-out score {value:.4} (target {})",
                rounds.len(),
                config.target
            ),
        });
        if config.reached(value) {
            break RoundsStop::TargetReached;
        }
    };
    // The bar ends wherever the rounds stopped.
    observer.notify(&Event::Progress {
        label: "rounds",
        done: config.max_rounds,
        total: config.max_rounds,
    });
    Ok(RoundsReport { rounds, stop })
}

/// Accuracy of `model` on `data`: the usual score to stop on.
pub fn holdout_accuracy<C: Classifier + ?Sized>(model: &C, data: &Dataset) -> Result<f64> {
    let predicted = model.predict(data.features())?;
    let hits = predicted
        .iter()
        .zip(data.labels())
        .filter(|(p, y)| p == y)
        .count();
    Ok(hits as f64 / data.len().max(1) as f64)
}

/// `data`'s rows shuffled by `seed` and cut into chunks of `rows` (the last may be smaller): a
/// stream to replay in rounds.
pub fn chunked_stream(data: &Dataset, rows: usize, seed: u64) -> Result<Vec<Dataset>> {
    ensure_at_least("rows", rows, 1)?;
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.shuffle(&mut rng(seed));
    Ok(order.chunks(rows).map(|c| data.subset(c)).collect())
}
