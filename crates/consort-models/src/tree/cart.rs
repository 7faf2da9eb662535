//! CART classification tree (Breiman et al. 1984): greedy binary splits on one feature at a
//! threshold, chosen to minimise the weighted impurity of the children.

use consort_core::{
    Classifier, ConsortError, Fit, Matrix, ParamGuard, Result, check_input, check_labels,
};
use consort_data::Dataset;
use serde::{Deserialize, Serialize};

use crate::linear::one_hot;

/// Node impurity measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SplitCriterion {
    /// Gini impurity `1 - sum p_k^2`.
    #[default]
    Gini,
    /// Shannon entropy `-sum p_k ln p_k`.
    Entropy,
}

impl SplitCriterion {
    /// Impurity of a node with class mass `counts` summing to `total`.
    fn impurity(self, counts: &[f64], total: f64) -> f64 {
        if total <= 0.0 {
            return 0.0;
        }
        match self {
            Self::Gini => 1.0 - counts.iter().map(|c| (c / total).powi(2)).sum::<f64>(),
            Self::Entropy => -counts
                .iter()
                .filter(|&&c| c > 0.0)
                .map(|c| (c / total) * (c / total).ln())
                .sum::<f64>(),
        }
    }
}

/// Hyperparameters of a [`DecisionTree`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeConfig {
    /// Depth limit (`None`: grow until leaves are pure or too small).
    pub max_depth: Option<usize>,
    /// A node with fewer samples is not split.
    pub min_samples_split: usize,
    /// Each child of a split keeps at least this many samples.
    pub min_samples_leaf: usize,
    /// Impurity measure.
    pub criterion: SplitCriterion,
}

impl Default for DecisionTreeConfig {
    fn default() -> Self {
        Self {
            max_depth: Some(10),
            min_samples_split: 2,
            min_samples_leaf: 1,
            criterion: SplitCriterion::Gini,
        }
    }
}

impl ParamGuard for DecisionTreeConfig {
    fn check(&self) -> Result<()> {
        if self.max_depth == Some(0) {
            return Err(ConsortError::config("decision tree max_depth must be >= 1"));
        }
        if self.min_samples_split < 2 || self.min_samples_leaf < 1 {
            return Err(ConsortError::config(format!(
                "decision tree needs min_samples_split >= 2 and min_samples_leaf >= 1, got {} and {}",
                self.min_samples_split, self.min_samples_leaf
            )));
        }
        Ok(())
    }
}

/// A node of the fitted tree, stored in a flat arena.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Node {
    Leaf {
        proba: Vec<f32>,
    },
    Split {
        feature: usize,
        threshold: f32,
        left: usize,
        right: usize,
    },
}

/// A fitted classification tree; leaves hold class distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionTree {
    nodes: Vec<Node>,
    n_features: usize,
    n_classes: usize,
}

struct Builder<'a> {
    config: &'a DecisionTreeConfig,
    x: &'a Matrix,
    /// Per-sample class mass (one-hot for hard labels), row-major `n x k`.
    y: &'a Matrix,
    k: usize,
    nodes: Vec<Node>,
}

struct BestSplit {
    feature: usize,
    threshold: f32,
    score: f64,
}

impl Builder<'_> {
    fn class_mass(&self, idx: &[usize]) -> Vec<f64> {
        let mut m = vec![0.0; self.k];
        for &i in idx {
            for (a, &v) in m.iter_mut().zip(self.y.row(i)) {
                *a += f64::from(v);
            }
        }
        m
    }

    fn leaf(&mut self, mass: &[f64]) -> usize {
        let total: f64 = mass.iter().sum();
        let proba = mass
            .iter()
            .map(|&m| {
                if total > 0.0 {
                    (m / total) as f32
                } else {
                    1.0 / self.k as f32
                }
            })
            .collect();
        self.nodes.push(Node::Leaf { proba });
        self.nodes.len() - 1
    }

    fn best_split(&self, idx: &mut [usize], mass: &[f64]) -> Option<BestSplit> {
        let n = idx.len();
        let total: f64 = mass.iter().sum();
        let min_leaf = self.config.min_samples_leaf;
        let parent = self.config.criterion.impurity(mass, total) * total;
        let mut best: Option<BestSplit> = None;
        let mut left = vec![0.0; self.k];
        let mut right = vec![0.0; self.k];
        for feature in 0..self.x.cols() {
            idx.sort_unstable_by(|&a, &b| {
                self.x.get(a, feature).total_cmp(&self.x.get(b, feature))
            });
            left.iter_mut().for_each(|v| *v = 0.0);
            let (mut left_total, mut right_total) = (0.0, total);
            right.copy_from_slice(mass);
            for pos in 0..n - 1 {
                for (c, &v) in self.y.row(idx[pos]).iter().enumerate() {
                    left[c] += f64::from(v);
                    right[c] -= f64::from(v);
                }
                let w: f64 = self.y.row(idx[pos]).iter().map(|&v| f64::from(v)).sum();
                left_total += w;
                right_total -= w;
                let (here, next) = (
                    self.x.get(idx[pos], feature),
                    self.x.get(idx[pos + 1], feature),
                );
                if here == next || pos + 1 < min_leaf || n - pos - 1 < min_leaf {
                    continue;
                }
                let c = self.config.criterion;
                let score = c.impurity(&left, left_total) * left_total
                    + c.impurity(&right, right_total) * right_total;
                if best.as_ref().is_none_or(|b| score < b.score - 1e-12) {
                    let mid = here + (next - here) / 2.0;
                    // Guard against the midpoint rounding up to `next` in f32.
                    let threshold = if mid < next { mid } else { here };
                    best = Some(BestSplit {
                        feature,
                        threshold,
                        score,
                    });
                }
            }
        }
        best.filter(|b| b.score < parent - 1e-12)
    }

    fn grow(&mut self, idx: &mut [usize], depth: usize) -> usize {
        let mass = self.class_mass(idx);
        let total: f64 = mass.iter().sum();
        let pure = mass.iter().filter(|&&m| m > 1e-12 * total.max(1.0)).count() <= 1;
        let depth_reached = self.config.max_depth.is_some_and(|d| depth >= d);
        if pure || depth_reached || idx.len() < self.config.min_samples_split {
            return self.leaf(&mass);
        }
        let Some(split) = self.best_split(idx, &mass) else {
            return self.leaf(&mass);
        };
        let (mut l, mut r): (Vec<usize>, Vec<usize>) = idx
            .iter()
            .partition(|&&i| self.x.get(i, split.feature) <= split.threshold);
        // Reserve this node's slot, then grow the children.
        self.nodes.push(Node::Leaf { proba: Vec::new() });
        let me = self.nodes.len() - 1;
        let left = self.grow(&mut l, depth + 1);
        let right = self.grow(&mut r, depth + 1);
        self.nodes[me] = Node::Split {
            feature: split.feature,
            threshold: split.threshold,
            left,
            right,
        };
        me
    }
}

impl DecisionTreeConfig {
    /// Fits on per-sample class distributions (`targets`, one row per sample); hard labels are
    /// one-hot rows. Distillation into trees uses this with a teacher's probabilities.
    pub fn fit_soft(&self, x: &Matrix, targets: &Matrix) -> Result<DecisionTree> {
        self.check()?;
        if x.rows() == 0 {
            return Err(ConsortError::EmptyDataset(
                "a tree needs at least one sample".into(),
            ));
        }
        if targets.rows() != x.rows() || targets.cols() == 0 {
            return Err(ConsortError::ShapeMismatch(format!(
                "targets are {}x{}, need {} rows and >= 1 class",
                targets.rows(),
                targets.cols(),
                x.rows()
            )));
        }
        x.ensure_finite("decision tree input")?;
        targets.ensure_finite("decision tree targets")?;
        if targets.as_slice().iter().any(|&v| v < 0.0) {
            return Err(ConsortError::config(
                "decision tree targets must be non-negative",
            ));
        }
        let mut builder = Builder {
            config: self,
            x,
            y: targets,
            k: targets.cols(),
            nodes: Vec::new(),
        };
        let mut idx: Vec<usize> = (0..x.rows()).collect();
        builder.grow(&mut idx, 0);
        Ok(DecisionTree {
            nodes: builder.nodes,
            n_features: x.cols(),
            n_classes: targets.cols(),
        })
    }
}

impl Fit<Dataset> for DecisionTreeConfig {
    type Object = DecisionTree;

    fn fit(&self, data: &Dataset) -> Result<DecisionTree> {
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        self.fit_soft(data.features(), &one_hot(data.labels(), data.n_classes()))
    }
}

impl DecisionTree {
    /// Depth of the deepest leaf (a lone leaf has depth 0).
    pub fn depth(&self) -> usize {
        fn walk(nodes: &[Node], i: usize) -> usize {
            match &nodes[i] {
                Node::Leaf { .. } => 0,
                Node::Split { left, right, .. } => 1 + walk(nodes, *left).max(walk(nodes, *right)),
            }
        }
        walk(&self.nodes, 0)
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }

    fn leaf_of(&self, row: &[f32]) -> &[f32] {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                Node::Leaf { proba } => return proba,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    i = if row[*feature] <= *threshold {
                        *left
                    } else {
                        *right
                    }
                }
            }
        }
    }
}

impl Classifier for DecisionTree {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.n_features)?;
        let mut out = Matrix::zeros(x.rows(), self.n_classes);
        for (i, row) in x.iter_rows().enumerate() {
            out.row_mut(i).copy_from_slice(self.leaf_of(row));
        }
        Ok(out)
    }
}
