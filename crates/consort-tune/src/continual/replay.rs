//! Replay buffers: a bounded memory of past rows, mixed into each new experience's batches.

use consort_core::seed::{derive_seed, rng};
use consort_core::{ConsortError, Result};
use consort_data::Dataset;
use rand::Rng;
use rand::seq::SliceRandom;

/// How the buffer chooses what to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferPolicy {
    /// An equal share of the capacity per class seen (a seeded random choice within each
    /// class): old classes keep their voice as new ones arrive.
    ClassBalanced,
    /// Reservoir sampling over every row seen: each has the same chance to be kept, whatever
    /// its class or experience.
    Reservoir,
}

/// The replay strategy's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayConfig {
    /// Rows the buffer holds at most (the memory budget).
    pub capacity: usize,
    /// What it keeps.
    pub policy: BufferPolicy,
    /// Seed of its random choices.
    pub seed: u64,
    /// The share of every batch drawn from the buffer (a [`Mixing`](crate::Mixing) sampler;
    /// an epoch then covers the new rows once). `None`: the buffer's rows join the new ones
    /// and are shuffled with them.
    pub batch_share: Option<f64>,
}

impl ReplayConfig {
    /// A class-balanced buffer of `capacity` rows, seed 0.
    pub fn class_balanced(capacity: usize) -> Self {
        Self {
            capacity,
            policy: BufferPolicy::ClassBalanced,
            seed: 0,
            batch_share: None,
        }
    }

    /// A reservoir of `capacity` rows, seed 0.
    pub fn reservoir(capacity: usize) -> Self {
        Self {
            capacity,
            policy: BufferPolicy::Reservoir,
            seed: 0,
            batch_share: None,
        }
    }
}

/// The rows kept from past experiences.
#[derive(Debug, Clone)]
pub struct ReplayBuffer {
    config: ReplayConfig,
    kept: Option<Dataset>,
    seen: usize,
    updates: usize,
}

impl ReplayBuffer {
    /// An empty buffer.
    pub fn new(config: ReplayConfig) -> Result<Self> {
        if config.capacity == 0 {
            return Err(ConsortError::config(
                "a replay buffer needs a capacity >= 1",
            ));
        }
        Ok(Self {
            config,
            kept: None,
            seen: 0,
            updates: 0,
        })
    }

    /// The rows kept (none before the first update).
    pub fn rows(&self) -> Option<&Dataset> {
        self.kept.as_ref()
    }

    /// Rows kept.
    pub fn len(&self) -> usize {
        self.kept.as_ref().map_or(0, Dataset::len)
    }

    /// Whether nothing is kept yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes in an experience's training rows, within the capacity.
    pub fn update(&mut self, rows: &Dataset) -> Result<()> {
        let mut r = rng(derive_seed(
            self.config.seed,
            &format!("update{}", self.updates),
        ));
        self.updates += 1;
        let pool = match &self.kept {
            Some(kept) => Dataset::concat(&[kept, rows])?,
            None => rows.clone(),
        };
        let keep: Vec<usize> = match self.config.policy {
            BufferPolicy::ClassBalanced => {
                let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); pool.n_classes()];
                for (i, &l) in pool.labels().iter().enumerate() {
                    by_class[l].push(i);
                }
                let present: Vec<&mut Vec<usize>> =
                    by_class.iter_mut().filter(|c| !c.is_empty()).collect();
                let quota = (self.config.capacity / present.len().max(1)).max(1);
                let mut keep = Vec::new();
                for rows_of_class in present {
                    rows_of_class.shuffle(&mut r);
                    keep.extend(rows_of_class.iter().take(quota));
                }
                keep.truncate(self.config.capacity);
                keep
            }
            BufferPolicy::Reservoir => {
                // Kept rows first (they won their places already), then each new row replaces
                // a random slot with probability capacity / rows seen so far.
                let old = self.len();
                let mut slots: Vec<usize> = (0..old).collect();
                for i in old..pool.len() {
                    self.seen += 1;
                    if slots.len() < self.config.capacity {
                        slots.push(i);
                    } else {
                        let j = r.random_range(0..self.seen);
                        if j < self.config.capacity {
                            slots[j] = i;
                        }
                    }
                }
                slots
            }
        };
        let mut keep = keep;
        keep.sort_unstable();
        self.kept = Some(pool.subset(&keep));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consort_data::embedded;

    #[test]
    fn a_class_balanced_buffer_shares_its_capacity_among_the_classes_seen() {
        let digits = embedded::digits();
        let of = |classes: &[usize]| {
            let idx: Vec<usize> = (0..digits.len())
                .filter(|&i| classes.contains(&digits.labels()[i]))
                .collect();
            digits.subset(&idx)
        };
        let mut b = ReplayBuffer::new(ReplayConfig::class_balanced(100)).unwrap();
        b.update(&of(&[0, 1])).unwrap();
        assert_eq!(b.rows().unwrap().class_counts()[..2], [50, 50]);
        b.update(&of(&[2, 3])).unwrap();
        let counts = b.rows().unwrap().class_counts();
        assert_eq!(counts[..4], [25, 25, 25, 25]);
        assert_eq!(b.len(), 100);
    }

    #[test]
    fn a_reservoir_keeps_every_row_with_equal_chance() {
        let digits = embedded::digits();
        let mut b = ReplayBuffer::new(ReplayConfig::reservoir(200)).unwrap();
        let half = digits.len() / 2;
        b.update(&digits.subset(&(0..half).collect::<Vec<_>>()))
            .unwrap();
        b.update(&digits.subset(&(half..digits.len()).collect::<Vec<_>>()))
            .unwrap();
        assert_eq!(b.len(), 200);
        assert!(ReplayBuffer::new(ReplayConfig::reservoir(0)).is_err());
    }
}
