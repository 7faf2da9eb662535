//! The fitted CART models: a classification tree (leaves hold class distributions) and a
//! regression tree (leaves hold means), both over the arena [`Tree`] that the builder grows.

use consort_core::{
    Checked, Classifier, ConsortError, Fit, FitWeighted, Matrix, ParamGuard, Regressor, Result,
    check_input, check_labels, check_sample_weights,
};
use consort_data::{Dataset, RegressionDataset};
use serde::{Deserialize, Serialize};

use super::{DecisionTreeConfig, Objective, Tree};
use crate::linear::one_hot;

impl DecisionTreeConfig {
    /// Fits a classification tree on per-sample class distributions (`targets`, one row per
    /// sample); hard labels are one-hot rows. Distillation into trees uses this with a
    /// teacher's probabilities.
    pub fn fit_soft(&self, x: &Matrix, targets: &Matrix) -> Result<DecisionTree> {
        Self::fit_soft_checked(&self.clone().checked()?, x, targets)
    }

    /// [`fit_soft`](Self::fit_soft) with settings already checked (boosting fits many trees
    /// of one configuration).
    pub(crate) fn fit_soft_checked(
        config: &Checked<Self>,
        x: &Matrix,
        targets: &Matrix,
    ) -> Result<DecisionTree> {
        if targets.rows() != x.rows() || targets.cols() == 0 {
            return Err(ConsortError::ShapeMismatch(format!(
                "targets are {}x{}, need {} rows and >= 1 class",
                targets.rows(),
                targets.cols(),
                x.rows()
            )));
        }
        targets.ensure_finite("decision tree targets")?;
        if targets.as_slice().iter().any(|&v| v < 0.0) {
            return Err(ConsortError::InvalidInput(
                "decision tree targets must be non-negative".into(),
            ));
        }
        Ok(DecisionTree {
            tree: Self::build(
                config,
                x,
                targets,
                Objective::Classification(config.criterion),
            )?,
            n_classes: targets.cols(),
        })
    }
}

/// A fitted classification tree; leaves hold class distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionTree {
    tree: Tree,
    n_classes: usize,
}

impl Fit<Dataset> for DecisionTreeConfig {
    type Object = DecisionTree;

    fn fit(&self, data: &Dataset) -> Result<DecisionTree> {
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        self.fit_soft(data.features(), &one_hot(data.labels(), data.n_classes()))
    }
}

/// Each sample's one-hot target row scaled by its weight: weighted class counts drive the
/// split criterion and the leaf distributions.
impl FitWeighted<Dataset> for DecisionTreeConfig {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<DecisionTree> {
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        check_sample_weights(sample_weights, data.len())?;
        self.fit_soft(
            data.features(),
            &weighted_one_hot(data.labels(), data.n_classes(), sample_weights),
        )
    }
}

/// One-hot rows scaled by per-sample weights.
pub(crate) fn weighted_one_hot(labels: &[usize], n_classes: usize, weights: &[f32]) -> Matrix {
    let mut m = one_hot(labels, n_classes);
    for (i, &w) in weights.iter().enumerate() {
        m.row_mut(i).iter_mut().for_each(|v| *v *= w);
    }
    m
}

impl DecisionTree {
    /// Depth of the deepest leaf (a lone leaf has depth 0).
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.tree.n_leaves()
    }
}

impl Classifier for DecisionTree {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.tree.n_features
    }

    /// At most one comparison per level.
    fn macs_per_sample(&self) -> Option<u64> {
        Some(self.tree.depth().max(1) as u64)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.tree.n_features)?;
        let mut out = Matrix::zeros(x.rows(), self.n_classes);
        for (i, row) in x.iter_rows().enumerate() {
            out.row_mut(i).copy_from_slice(self.tree.leaf_of(row));
        }
        Ok(out)
    }
}

/// A fitted regression tree; leaves hold the mean target of their samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionTree {
    tree: Tree,
}

impl RegressionTree {
    /// Depth of the deepest leaf.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.tree.n_leaves()
    }
}

impl Fit<RegressionDataset> for DecisionTreeConfig {
    type Object = RegressionTree;

    /// Squared-error CART (the `criterion` field applies to classification only).
    fn fit(&self, data: &RegressionDataset) -> Result<RegressionTree> {
        data.ensure_trainable()?;
        let stats: Vec<[f32; 3]> = data.targets().iter().map(|&y| [1.0, y, y * y]).collect();
        let stats = Matrix::from_rows(&stats)?;
        Ok(RegressionTree {
            tree: Self::build(
                &self.clone().checked()?,
                data.features(),
                &stats,
                Objective::Regression,
            )?,
        })
    }
}

impl Regressor for RegressionTree {
    fn n_features(&self) -> usize {
        self.tree.n_features
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>> {
        check_input(x, self.tree.n_features)?;
        Ok(x.iter_rows().map(|r| self.tree.leaf_of(r)[0]).collect())
    }
}

impl consort_core::io::Validate for DecisionTree {
    fn validate(&self) -> Result<()> {
        consort_core::io::ensure(self.n_classes >= 2, || {
            format!(
                "a classification tree needs >= 2 classes, has {}",
                self.n_classes
            )
        })?;
        self.tree.check(self.n_classes)
    }
}

impl consort_core::io::Validate for RegressionTree {
    fn validate(&self) -> Result<()> {
        self.tree.check(1)
    }
}
