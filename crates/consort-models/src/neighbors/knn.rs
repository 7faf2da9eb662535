//! k-nearest-neighbours classification (exact, Euclidean distance): a k-d tree in low
//! dimension, blocked matrix-product distances otherwise.

use std::sync::OnceLock;

use consort_core::params::ensure_at_least;
use consort_core::{
    Classifier, ConsortError, Fit, Matrix, ParamGuard, Result, check_input, check_labels,
};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use super::search::{KD_TREE_MAX_FEATURES, KdTree, Neighbour, nearest_by_products};

/// How neighbours' votes are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NeighborWeights {
    /// Every neighbour counts the same.
    #[default]
    Uniform,
    /// Closer neighbours count more (weight `1 / distance`; an exact match takes all).
    Distance,
}

/// Hyperparameters of [`KNeighbors`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KNeighborsConfig {
    /// Neighbours consulted.
    pub k: usize,
    /// Vote weighting.
    pub weights: NeighborWeights,
}

impl Default for KNeighborsConfig {
    fn default() -> Self {
        Self {
            k: 5,
            weights: NeighborWeights::Uniform,
        }
    }
}

impl ParamGuard for KNeighborsConfig {
    fn check(&self) -> Result<()> {
        ensure_at_least("k", self.k, 1)
    }
}

/// A fitted kNN classifier: it keeps the training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KNeighbors {
    config: KNeighborsConfig,
    x: Matrix,
    y: Vec<usize>,
    n_classes: usize,
    /// Built on first use in low dimension (and rebuilt after loading).
    #[serde(skip)]
    tree: LazyTree,
}

/// The search index, derived from the training rows: built on first use, never serialised,
/// and ignored by equality (two models with the same rows are the same model).
#[derive(Debug, Clone, Default)]
struct LazyTree(OnceLock<KdTree>);

impl PartialEq for LazyTree {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Fit<Dataset> for KNeighborsConfig {
    type Object = KNeighbors;

    fn fit(&self, data: &Dataset) -> Result<KNeighbors> {
        self.check()?;
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        if self.k > data.len() {
            return Err(ConsortError::config(format!(
                "k = {} exceeds the {} training samples",
                self.k,
                data.len()
            )));
        }
        Ok(KNeighbors {
            config: self.clone(),
            x: data.features().clone(),
            y: data.labels().to_vec(),
            n_classes: data.n_classes(),
            tree: LazyTree::default(),
        })
    }
}

impl KNeighbors {
    /// The `k` nearest training rows of every row of `x`, nearest first (ties by training
    /// row): a k-d tree up to 12 features, blocked matrix products above.
    fn neighbours(&self, x: &Matrix) -> Vec<Vec<Neighbour>> {
        use rayon::prelude::*;
        let k = self.config.k;
        if self.x.cols() <= KD_TREE_MAX_FEATURES {
            let tree = self.tree.0.get_or_init(|| KdTree::build(&self.x));
            (0..x.rows())
                .into_par_iter()
                .map(|i| tree.nearest(&self.x, x.row(i), k))
                .collect()
        } else {
            nearest_by_products(&self.x, x, k)
        }
    }
}

impl Classifier for KNeighbors {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.x.cols()
    }

    /// A squared distance to every training row (brute force; the k-d tree visits fewer).
    fn macs_per_sample(&self) -> Option<u64> {
        Some((self.x.rows() * self.x.cols()) as u64)
    }

    /// Each class's (weighted) share of the `k` nearest training samples. Distance ties are
    /// broken by training-row order, so results are deterministic.
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.x.cols())?;
        let mut out = Matrix::zeros(x.rows(), self.n_classes);
        for (i, nearest) in self.neighbours(x).iter().enumerate() {
            let row = out.row_mut(i);
            match self.config.weights {
                NeighborWeights::Uniform => {
                    for &(_, j) in nearest.iter() {
                        row[self.y[j]] += 1.0;
                    }
                }
                NeighborWeights::Distance if nearest[0].0 == 0.0 => {
                    for &(d, j) in nearest.iter().filter(|(d, _)| *d == 0.0) {
                        row[self.y[j]] += 1.0 + d;
                    }
                }
                NeighborWeights::Distance => {
                    for &(d2, j) in nearest.iter() {
                        row[self.y[j]] += 1.0 / d2.sqrt();
                    }
                }
            }
            let total: f32 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= total);
        }
        Ok(out)
    }
}

impl consort_core::io::Validate for KNeighbors {
    fn validate(&self) -> Result<()> {
        use consort_core::io::ensure;
        let n = self.x.rows();
        ensure(n >= 1 && self.x.cols() >= 1, || {
            "kNN keeps >= 1 training row of >= 1 feature".into()
        })?;
        ensure(self.y.len() == n, || {
            format!("{} labels for {n} training rows", self.y.len())
        })?;
        ensure((1..=n).contains(&self.config.k), || {
            format!(
                "k = {} must lie in 1..={n} (the training rows)",
                self.config.k
            )
        })?;
        ensure(
            self.n_classes >= 2 && self.y.iter().all(|&c| c < self.n_classes),
            || format!("labels must lie in 0..{} (>= 2 classes)", self.n_classes),
        )?;
        ensure(self.x.as_slice().iter().all(|v| v.is_finite()), || {
            "a training row is not finite".into()
        })
    }
}
