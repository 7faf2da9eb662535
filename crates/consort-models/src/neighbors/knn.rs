//! k-nearest-neighbours classification (brute force, Euclidean distance).

use consort_core::{
    Classifier, ConsortError, Fit, Matrix, ParamGuard, Result, check_input, check_labels,
};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

/// How neighbours' votes are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum NeighborWeights {
    /// Every neighbour counts the same.
    #[default]
    Uniform,
    /// Closer neighbours count more (weight `1 / distance`; an exact match takes all).
    Distance,
}

/// Hyperparameters of [`KNeighbors`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        if self.k == 0 {
            return Err(ConsortError::config("k-nearest neighbours needs k >= 1"));
        }
        Ok(())
    }
}

/// A fitted kNN classifier: it keeps the training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KNeighbors {
    config: KNeighborsConfig,
    x: Matrix,
    y: Vec<usize>,
    n_classes: usize,
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
        })
    }
}

impl Classifier for KNeighbors {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.x.cols()
    }

    /// Each class's (weighted) share of the `k` nearest training samples. Distance ties are
    /// broken by training-row order, so results are deterministic.
    /// A squared distance to every training row.
    fn macs_per_sample(&self) -> Option<u64> {
        Some((self.x.rows() * self.x.cols()) as u64)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.x.cols())?;
        let k = self.config.k;
        let mut out = Matrix::zeros(x.rows(), self.n_classes);
        let mut dist: Vec<(f32, usize)> = Vec::with_capacity(self.x.rows());
        for (i, q) in x.iter_rows().enumerate() {
            dist.clear();
            dist.extend(self.x.iter_rows().enumerate().map(|(j, r)| {
                let d2: f32 = r.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum();
                (d2, j)
            }));
            let order =
                |a: &(f32, usize), b: &(f32, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            dist.select_nth_unstable_by(k - 1, order);
            let nearest = &mut dist[..k];
            nearest.sort_unstable_by(order);
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
