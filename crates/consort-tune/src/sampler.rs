//! How the loop draws an epoch's batches from the training rows.
//!
//! A [`BatchSampler`] is a pure function of `(rows, batch size, epoch seed)`, so a run resumed from
//! a checkpoint, or an epoch retried by the divergence guard, draws exactly the same batches.
//!
//! * [`Shuffled`]: every row once per epoch in a fresh order (the default);
//! * [`Reshuffled`]: every row once per epoch, the orders drawn in turn from one generator;
//! * [`Weighted`]: rows drawn with replacement in proportion to per-row weights;
//! * [`ClassBalanced`]: [`Weighted`] with each class's rows weighted by 1 / its count, so
//!   every class is drawn equally often (imbalanced data);
//! * [`Mixing`]: each batch takes a fixed share from each of several pools of rows (new data
//!   and a replay buffer, say).

use std::fmt::Debug;

use consort_core::seed::rng;
use consort_core::{ConsortError, Result};
use consort_data::batch::batch_indices;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// Draws one epoch's batches of row indices.
pub trait BatchSampler: Debug + Send + Sync {
    /// Checks once before training that the sampler can serve `n_rows` rows.
    fn check(&self, _n_rows: usize) -> Result<()> {
        Ok(())
    }

    /// The batches of one epoch over rows `0..n_rows`, drawn with `seed`.
    fn batches(&self, n_rows: usize, batch_size: usize, seed: u64) -> Vec<Vec<usize>>;

    /// The batches of epoch `epoch` (1-based), whose seed is `seed`; what the loop calls. The
    /// default draws from the epoch's seed alone; a sampler whose epochs continue one stream
    /// ([`Reshuffled`]) uses the epoch number instead.
    fn epoch_batches(
        &self,
        n_rows: usize,
        batch_size: usize,
        seed: u64,
        _epoch: usize,
    ) -> Vec<Vec<usize>> {
        self.batches(n_rows, batch_size, seed)
    }
}

/// The sampler a [`TrainConfig`](crate::TrainConfig) names; custom samplers go to
/// [`RunOptions::sampler`](crate::RunOptions::sampler) (an estimator's
/// [`with_sampler`](crate::NetworkEstimator::with_sampler)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SamplerKind {
    /// [`Shuffled`].
    #[default]
    Shuffled,
    /// [`ClassBalanced`] over the objective's class labels.
    ClassBalanced,
}

/// Every row once per epoch, in a seeded random order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shuffled;

impl BatchSampler for Shuffled {
    fn batches(&self, n_rows: usize, batch_size: usize, seed: u64) -> Vec<Vec<usize>> {
        batch_indices(n_rows, batch_size, Some(seed))
    }
}

/// Every row once per epoch, one permutation shuffled again at each epoch by one generator
/// seeded once, as PyTorch's `RandomSampler` with a fixed generator draws: epoch `e`'s order
/// is the identity shuffled `e` times. Still a pure function of the epoch, so resumed and
/// retried epochs draw the same batches.
#[derive(Debug, Clone, Copy)]
pub struct Reshuffled {
    seed: u64,
}

impl Reshuffled {
    /// Orders drawn from one generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    fn order(&self, n_rows: usize, epoch: usize) -> Vec<usize> {
        let mut r = rng(self.seed);
        let mut order: Vec<usize> = (0..n_rows).collect();
        for _ in 0..epoch {
            order.shuffle(&mut r);
        }
        order
    }
}

impl BatchSampler for Reshuffled {
    /// Without an epoch number: the first epoch's order.
    fn batches(&self, n_rows: usize, batch_size: usize, _seed: u64) -> Vec<Vec<usize>> {
        self.epoch_batches(n_rows, batch_size, 0, 1)
    }

    fn epoch_batches(
        &self,
        n_rows: usize,
        batch_size: usize,
        _seed: u64,
        epoch: usize,
    ) -> Vec<Vec<usize>> {
        self.order(n_rows, epoch)
            .chunks(batch_size.max(1))
            .map(<[usize]>::to_vec)
            .collect()
    }
}

/// `n_rows` draws per epoch, with replacement, row `i` with probability `weights[i] / sum`.
#[derive(Debug, Clone)]
pub struct Weighted {
    /// Cumulative weights, for inverse-CDF draws.
    cumulative: Vec<f64>,
}

impl Weighted {
    /// From per-row weights (non-negative, finite, not all zero).
    pub fn new(weights: &[f64]) -> Result<Self> {
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(ConsortError::config(
                "sampling weights must be finite and >= 0",
            ));
        }
        let mut total = 0.0;
        let cumulative: Vec<f64> = weights
            .iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        if total <= 0.0 {
            return Err(ConsortError::config("sampling weights are all zero"));
        }
        Ok(Self { cumulative })
    }

    fn draw(&self, r: &mut impl Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&0.0);
        let u = r.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= u)
            .min(self.cumulative.len() - 1)
    }
}

impl BatchSampler for Weighted {
    fn check(&self, n_rows: usize) -> Result<()> {
        if self.cumulative.len() != n_rows {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} sampling weights for {n_rows} training rows",
                self.cumulative.len()
            )));
        }
        Ok(())
    }

    fn batches(&self, n_rows: usize, batch_size: usize, seed: u64) -> Vec<Vec<usize>> {
        let mut r = rng(seed);
        let draws: Vec<usize> = (0..n_rows).map(|_| self.draw(&mut r)).collect();
        draws
            .chunks(batch_size.max(1))
            .map(<[usize]>::to_vec)
            .collect()
    }
}

/// Every class drawn equally often: rows weighted by 1 / (their class's count).
#[derive(Debug, Clone)]
pub struct ClassBalanced(Weighted);

impl ClassBalanced {
    /// From the training rows' class labels.
    pub fn new(labels: &[usize]) -> Result<Self> {
        let n_classes = labels.iter().max().map_or(0, |m| m + 1);
        let mut counts = vec![0usize; n_classes];
        labels.iter().for_each(|&l| counts[l] += 1);
        let weights: Vec<f64> = labels.iter().map(|&l| 1.0 / counts[l] as f64).collect();
        Ok(Self(Weighted::new(&weights)?))
    }
}

impl BatchSampler for ClassBalanced {
    fn check(&self, n_rows: usize) -> Result<()> {
        self.0.check(n_rows)
    }

    fn batches(&self, n_rows: usize, batch_size: usize, seed: u64) -> Vec<Vec<usize>> {
        self.0.batches(n_rows, batch_size, seed)
    }
}

/// Batches that mix pools of rows in fixed shares: with pools `[new, replay]` and shares
/// `[0.75, 0.25]`, each batch of 64 holds 48 new rows and 16 replayed ones. An epoch is as
/// many batches as the first pool needs to be seen once; the other pools are drawn from a
/// fresh shuffle each time they run out.
#[derive(Debug, Clone)]
pub struct Mixing {
    pools: Vec<Vec<usize>>,
    shares: Vec<f64>,
}

impl Mixing {
    /// Pools of row indices and their shares of each batch (positive, summing to 1).
    pub fn new(pools: Vec<Vec<usize>>, shares: Vec<f64>) -> Result<Self> {
        if pools.is_empty() || pools.len() != shares.len() {
            return Err(ConsortError::config(
                "a mixing sampler needs one share per pool, and at least one pool",
            ));
        }
        if pools.iter().any(Vec::is_empty) || shares.iter().any(|s| s.is_nan() || *s <= 0.0) {
            return Err(ConsortError::config(
                "mixing pools must be non-empty with positive shares",
            ));
        }
        let total: f64 = shares.iter().sum();
        if (total - 1.0).abs() > 1e-6 {
            return Err(ConsortError::config(format!(
                "mixing shares must sum to 1, got {total}"
            )));
        }
        Ok(Self { pools, shares })
    }

    /// Rows per batch from each pool (at least one each, the first pool takes the rest).
    fn quotas(&self, batch_size: usize) -> Vec<usize> {
        let mut quotas: Vec<usize> = self
            .shares
            .iter()
            .map(|s| ((s * batch_size as f64).round() as usize).max(1))
            .collect();
        let others: usize = quotas[1..].iter().sum();
        quotas[0] = batch_size.saturating_sub(others).max(1);
        quotas
    }
}

impl BatchSampler for Mixing {
    fn check(&self, n_rows: usize) -> Result<()> {
        match self.pools.iter().flatten().find(|&&i| i >= n_rows) {
            Some(i) => Err(ConsortError::ShapeMismatch(format!(
                "mixing pool row {i} is beyond the {n_rows} training rows"
            ))),
            None => Ok(()),
        }
    }

    fn batches(&self, _n_rows: usize, batch_size: usize, seed: u64) -> Vec<Vec<usize>> {
        let mut r = rng(seed);
        let quotas = self.quotas(batch_size.max(1));
        let n_batches = self.pools[0].len().div_ceil(quotas[0]);
        let mut streams: Vec<(Vec<usize>, usize)> = self
            .pools
            .iter()
            .map(|p| {
                let mut order = p.clone();
                order.shuffle(&mut r);
                (order, 0)
            })
            .collect();
        (0..n_batches)
            .map(|_| {
                let mut batch = Vec::with_capacity(batch_size);
                for (k, (order, pos)) in streams.iter_mut().enumerate() {
                    for _ in 0..quotas[k] {
                        if *pos == order.len() {
                            if k == 0 {
                                break;
                            }
                            order.shuffle(&mut r);
                            *pos = 0;
                        }
                        batch.push(order[*pos]);
                        *pos += 1;
                    }
                }
                batch
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_balanced_draws_each_class_about_equally() {
        // 90 rows of class 0, 10 of class 1.
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 90)).collect();
        let s = ClassBalanced::new(&labels).unwrap();
        let drawn: Vec<usize> = (0..20)
            .flat_map(|e| s.batches(100, 32, e).concat())
            .collect();
        let minority = drawn.iter().filter(|&&i| i >= 90).count() as f64 / drawn.len() as f64;
        assert!((minority - 0.5).abs() < 0.05, "minority share {minority}");
        assert_eq!(s.batches(100, 32, 3), s.batches(100, 32, 3));
        assert!(s.check(99).is_err());
    }

    #[test]
    fn mixing_fills_each_batch_by_share() {
        let new: Vec<usize> = (0..60).collect();
        let replay: Vec<usize> = (60..70).collect();
        let m = Mixing::new(vec![new, replay], vec![0.75, 0.25]).unwrap();
        let batches = m.batches(70, 16, 1);
        assert_eq!(batches.len(), 5); // 60 new rows at 12 per batch
        for b in &batches {
            assert_eq!(b.iter().filter(|&&i| i >= 60).count(), 4);
        }
        let mut seen: Vec<usize> = batches.concat().into_iter().filter(|&i| i < 60).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..60).collect::<Vec<_>>());
        assert!(Mixing::new(vec![vec![0]], vec![0.5]).is_err());
        assert!(m.check(65).is_err());
    }

    #[test]
    fn weights_must_be_usable() {
        assert!(Weighted::new(&[0.0, 0.0]).is_err());
        assert!(Weighted::new(&[1.0, f64::NAN]).is_err());
        let w = Weighted::new(&[0.0, 1.0, 0.0]).unwrap();
        assert!(w.batches(3, 2, 0).concat().iter().all(|&i| i == 1));
    }
}
