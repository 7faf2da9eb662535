//! Histogram gradient boosting (the LightGBM / scikit-learn `HistGradientBoosting*` family):
//! features binned once into at most 255 levels, then `max_iter` rounds of Newton boosting,
//! each fitting one tree per class to the gradients and hessians of the loss (softmax
//! cross-entropy for classification, squared error for regression) with leaves grown
//! best-first. Optional early stopping holds out part of the training rows and keeps the
//! rounds up to the best validation loss.

use consort_core::params::{
    ensure_at_least, ensure_count_in, ensure_non_negative, ensure_positive, ensure_within,
};
use consort_core::seed::{derive_seed, rng};
use consort_core::{ConsortError, Matrix, ParamGuard, Result};
use consort_data::split::stratified_indices;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::binning::BinMapper;
use super::histgrow::{Binned, GrowParams, HistTree, LeafRows};
use crate::linear::{log_sum_exp, softmax_into};

mod fitted;

pub use fitted::{HistGradientBoosting, HistGradientBoostingRegressor};

/// Early stopping on a held-out part of the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoostingEarlyStop {
    /// Share of the training rows held out (stratified for classification).
    pub validation_fraction: f64,
    /// Rounds without an improvement of more than `tol` before stopping.
    pub n_iter_no_change: usize,
    /// Improvement of the validation loss that counts.
    pub tol: f64,
}

impl Default for BoostingEarlyStop {
    fn default() -> Self {
        Self {
            validation_fraction: 0.1,
            n_iter_no_change: 10,
            tol: 1e-7,
        }
    }
}

/// Hyperparameters of histogram gradient boosting (classification on a [`Dataset`](consort_data::Dataset),
/// regression on a [`RegressionDataset`](consort_data::RegressionDataset)); the defaults are scikit-learn's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistGradientBoostingConfig {
    /// Boosting rounds at most (one tree per class per round).
    pub max_iter: usize,
    /// Shrinkage of every leaf value.
    pub learning_rate: f64,
    /// Leaves per tree at most.
    pub max_leaf_nodes: usize,
    /// Depth limit of each tree.
    pub max_depth: Option<usize>,
    /// Samples per leaf at least.
    pub min_samples_leaf: usize,
    /// L2 penalty on leaf values (added to the hessian sums).
    pub l2_regularization: f64,
    /// Bins per feature (2..=255).
    pub max_bins: usize,
    /// Early stopping (`None`: run every round).
    pub early_stopping: Option<BoostingEarlyStop>,
    /// Seed of the validation split.
    pub seed: u64,
}

impl Default for HistGradientBoostingConfig {
    fn default() -> Self {
        Self {
            max_iter: 100,
            learning_rate: 0.1,
            max_leaf_nodes: 31,
            max_depth: None,
            min_samples_leaf: 20,
            l2_regularization: 0.0,
            max_bins: 255,
            early_stopping: None,
            seed: 0,
        }
    }
}

impl ParamGuard for HistGradientBoostingConfig {
    fn check(&self) -> Result<()> {
        ensure_count_in("max_iter", self.max_iter, 1..=crate::MAX_ROUNDS)?;
        ensure_count_in("max_leaf_nodes", self.max_leaf_nodes, 2..=crate::MAX_ROUNDS)?;
        ensure_at_least("min_samples_leaf", self.min_samples_leaf, 1)?;
        ensure_positive("learning_rate", self.learning_rate)?;
        ensure_non_negative("l2_regularization", self.l2_regularization)?;
        ensure_count_in("max_bins", self.max_bins, 2..=255)?;
        if let Some(depth) = self.max_depth {
            ensure_at_least("max_depth", depth, 1)?;
        }
        if let Some(e) = self.early_stopping {
            ensure_within(
                "validation_fraction",
                e.validation_fraction,
                0.0,
                1.0,
                (false, false),
            )?;
            ensure_at_least("n_iter_no_change", e.n_iter_no_change, 1)?;
        }
        Ok(())
    }
}

/// The loss being boosted.
#[derive(Clone, Copy)]
enum Loss<'a> {
    /// Softmax cross-entropy on these labels.
    Softmax(&'a [usize]),
    /// Squared error on these targets.
    Squared(&'a [f32]),
}

impl Loss<'_> {
    fn width(&self, n_classes: usize) -> usize {
        match self {
            Loss::Softmax(_) => n_classes,
            Loss::Squared(_) => 1,
        }
    }

    /// What the gradients of one round derive from: the softmax probabilities of every row
    /// (computed once per round, shared by the classes' trees) or the raw scores.
    fn round_state(&self, scores: &[f32], width: usize) -> Vec<f32> {
        match self {
            Loss::Softmax(_) => {
                let mut p = vec![0.0f32; scores.len()];
                let mut z = vec![0.0f64; width];
                for (s, out) in scores.chunks(width).zip(p.chunks_mut(width)) {
                    z.iter_mut().zip(s).for_each(|(a, &b)| *a = f64::from(b));
                    softmax_into(&z, out);
                }
                p
            }
            Loss::Squared(_) => scores.to_vec(),
        }
    }

    /// Gradient and hessian of output `k` for every row, from [`Loss::round_state`].
    fn gradients(&self, state: &[f32], k: usize, width: usize) -> (Vec<f32>, Vec<f32>) {
        let n = state.len() / width;
        match *self {
            Loss::Softmax(labels) => (0..n)
                .map(|i| {
                    let p = state[i * width + k];
                    let y = if labels[i] == k { 1.0 } else { 0.0 };
                    (p - y, (p * (1.0 - p)).max(1e-16))
                })
                .unzip(),
            Loss::Squared(y) => (0..n).map(|i| (state[i] - y[i], 1.0)).unzip(),
        }
    }

    /// Mean loss over `rows`.
    fn value(&self, scores: &[f32], rows: &[usize], width: usize) -> f64 {
        let total: f64 = rows
            .iter()
            .map(|&i| {
                let s = &scores[i * width..(i + 1) * width];
                match *self {
                    Loss::Softmax(labels) => {
                        let z: Vec<f64> = s.iter().map(|&v| f64::from(v)).collect();
                        log_sum_exp(&z) - z[labels[i]]
                    }
                    Loss::Squared(y) => f64::from(s[0] - y[i]).powi(2),
                }
            })
            .sum();
        total / rows.len().max(1) as f64
    }
}

/// What boosting produced: a baseline per output and the trees of every round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Boosted {
    baseline: Vec<f32>,
    /// `rounds[r][k]`: the tree of output `k` in round `r`.
    rounds: Vec<Vec<HistTree>>,
    n_features: usize,
    validation_losses: Vec<f64>,
}

impl Boosted {
    fn raw(&self, row: &[f32]) -> Vec<f32> {
        let mut s = self.baseline.clone();
        for round in &self.rounds {
            for (v, t) in s.iter_mut().zip(round) {
                *v += t.predict(row);
            }
        }
        s
    }
}

impl HistGradientBoostingConfig {
    fn boost(
        &self,
        x: &Matrix,
        loss: Loss<'_>,
        width: usize,
        baseline: Vec<f32>,
        (train, valid): (Vec<usize>, Vec<usize>),
        weights: Option<&[f32]>,
    ) -> Result<Boosted> {
        let mapper = BinMapper::fit(&x.select_rows(&train), self.max_bins)?;
        let codes = mapper.transform(x);
        let binned = Binned::new(&codes, x.rows(), &mapper);
        let params = GrowParams {
            max_leaf_nodes: self.max_leaf_nodes,
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            l2: self.l2_regularization,
            shrinkage: self.learning_rate,
        };
        let mut scores: Vec<f32> = (0..x.rows()).flat_map(|_| baseline.clone()).collect();
        let mut model = Boosted {
            baseline,
            rounds: Vec::new(),
            n_features: x.cols(),
            validation_losses: Vec::new(),
        };
        let (mut best, mut best_round, mut stale) = (f64::INFINITY, 0, 0);
        for _ in 0..self.max_iter {
            let state = loss.round_state(&scores, width);
            let round: Vec<(HistTree, LeafRows)> = (0..width)
                .into_par_iter()
                .map(|k| {
                    let (mut g, mut h) = loss.gradients(&state, k, width);
                    if let Some(w) = weights {
                        g.iter_mut().zip(w).for_each(|(g, w)| *g *= w);
                        h.iter_mut().zip(w).for_each(|(h, w)| *h *= w);
                    }
                    binned.grow(train.clone(), &g, &h, &params)
                })
                .collect();
            let mut trees = Vec::with_capacity(width);
            for (k, (tree, leaves)) in round.into_iter().enumerate() {
                for (rows, value) in leaves {
                    rows.iter().for_each(|&i| scores[i * width + k] += value);
                }
                for &i in &valid {
                    scores[i * width + k] += tree.predict(x.row(i));
                }
                trees.push(tree);
            }
            model.rounds.push(trees);
            let Some(stop) = self.early_stopping else {
                continue;
            };
            let v = loss.value(&scores, &valid, width);
            model.validation_losses.push(v);
            if v < best - stop.tol {
                (best, best_round, stale) = (v, model.rounds.len(), 0);
            } else {
                stale += 1;
                if stale >= stop.n_iter_no_change {
                    break;
                }
            }
        }
        if self.early_stopping.is_some() {
            model.rounds.truncate(best_round.max(1));
        }
        Ok(model)
    }

    /// Training and validation rows: all rows and none without early stopping.
    fn holdout(
        &self,
        n: usize,
        labels: Option<(&[usize], usize)>,
    ) -> Result<(Vec<usize>, Vec<usize>)> {
        let Some(stop) = self.early_stopping else {
            return Ok(((0..n).collect(), Vec::new()));
        };
        let seed = derive_seed(self.seed, "boosting-validation");
        match labels {
            Some((labels, k)) => stratified_indices(labels, k, stop.validation_fraction, seed),
            None => {
                let mut order: Vec<usize> = (0..n).collect();
                order.shuffle(&mut rng(seed));
                let take = ((n as f64 * stop.validation_fraction).round() as usize).clamp(1, n - 1);
                let (mut v, mut t) = (order[..take].to_vec(), order[take..].to_vec());
                v.sort_unstable();
                t.sort_unstable();
                Ok((t, v))
            }
        }
    }
}

impl Boosted {
    /// `outputs` baselines, every round a tree per output, every tree valid.
    fn check(&self, outputs: usize) -> Result<()> {
        use consort_core::io::ensure;
        ensure(self.n_features >= 1, || {
            "a boosted model of 0 features".into()
        })?;
        ensure(
            self.baseline.len() == outputs && self.baseline.iter().all(|b| b.is_finite()),
            || {
                format!(
                    "{} baselines for {outputs} outputs (or one is not finite)",
                    self.baseline.len()
                )
            },
        )?;
        for (r, round) in self.rounds.iter().enumerate() {
            ensure(round.len() == outputs, || {
                format!("round {r} has {} trees for {outputs} outputs", round.len())
            })?;
            for (k, tree) in round.iter().enumerate() {
                tree.check(self.n_features).map_err(|e| {
                    ConsortError::invalid_model(format!("round {r}, tree {k}: {e}"))
                })?;
            }
        }
        Ok(())
    }
}
