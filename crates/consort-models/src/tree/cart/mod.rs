//! CART trees (Breiman et al. 1984): greedy binary splits on one feature at a threshold, chosen
//! to minimise the weighted impurity of the children. One builder serves classification
//! (gini / entropy over class mass, soft labels included) and regression (squared error).

use consort_core::params::ensure_at_least;
use consort_core::{Checked, ConsortError, Matrix, ParamGuard, Result};
use serde::{Deserialize, Serialize};

mod fitted;

pub(crate) use fitted::weighted_one_hot;
pub use fitted::{DecisionTree, RegressionTree};

/// Node impurity measure of classification trees (regression trees use squared error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SplitCriterion {
    /// Gini impurity `1 - sum p_k^2`.
    #[default]
    Gini,
    /// Shannon entropy `-sum p_k ln p_k`.
    Entropy,
}

/// Hyperparameters of a CART tree: the same config fits a [`DecisionTree`] on a [`Dataset`](consort_data::Dataset)
/// and a [`RegressionTree`] on a [`RegressionDataset`](consort_data::RegressionDataset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionTreeConfig {
    /// Depth limit (`None`: grow until leaves are pure or too small).
    pub max_depth: Option<usize>,
    /// A node with fewer samples is not split.
    pub min_samples_split: usize,
    /// Each child of a split keeps at least this many samples.
    pub min_samples_leaf: usize,
    /// Impurity measure of classification trees.
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
        if let Some(depth) = self.max_depth {
            ensure_at_least("max_depth", depth, 1)?;
        }
        ensure_at_least("min_samples_split", self.min_samples_split, 2)?;
        ensure_at_least("min_samples_leaf", self.min_samples_leaf, 1)
    }
}

/// What a node's summed per-sample statistics mean.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Objective {
    /// Stats are class masses; cost is impurity times total mass.
    Classification(SplitCriterion),
    /// Stats are `[count, sum y, sum y^2]`; cost is the sum of squared errors.
    Regression,
}

impl Objective {
    fn cost(self, s: &[f64]) -> f64 {
        match self {
            Self::Classification(c) => {
                let total: f64 = s.iter().sum();
                if total <= 0.0 {
                    return 0.0;
                }
                let impurity = match c {
                    SplitCriterion::Gini => {
                        1.0 - s.iter().map(|m| (m / total).powi(2)).sum::<f64>()
                    }
                    SplitCriterion::Entropy => -s
                        .iter()
                        .filter(|&&m| m > 0.0)
                        .map(|m| (m / total) * (m / total).ln())
                        .sum::<f64>(),
                };
                impurity * total
            }
            Self::Regression if s[0] > 0.0 => (s[2] - s[1] * s[1] / s[0]).max(0.0),
            Self::Regression => 0.0,
        }
    }

    fn leaf(self, s: &[f64]) -> Vec<f32> {
        match self {
            Self::Classification(_) => {
                let total: f64 = s.iter().sum();
                s.iter()
                    .map(|&m| {
                        if total > 0.0 {
                            (m / total) as f32
                        } else {
                            1.0 / s.len() as f32
                        }
                    })
                    .collect()
            }
            Self::Regression => vec![(s[1] / s[0].max(1.0)) as f32],
        }
    }
}

/// A node of a fitted tree, stored in a flat arena.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Node {
    Leaf {
        value: Vec<f32>,
    },
    Split {
        feature: usize,
        threshold: f32,
        left: usize,
        right: usize,
    },
}

/// The fitted arena shared by classification and regression trees (and forests of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
    n_features: usize,
}

impl Tree {
    pub(crate) fn depth(&self) -> usize {
        fn walk(nodes: &[Node], i: usize) -> usize {
            match &nodes[i] {
                Node::Leaf { .. } => 0,
                Node::Split { left, right, .. } => 1 + walk(nodes, *left).max(walk(nodes, *right)),
            }
        }
        walk(&self.nodes, 0)
    }

    fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }

    pub(crate) fn leaf_of(&self, row: &[f32]) -> &[f32] {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                Node::Leaf { value } => return value,
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

struct Builder<'a> {
    config: &'a Checked<DecisionTreeConfig>,
    objective: Objective,
    x: &'a Matrix,
    /// Per-sample statistics, `n x s` (see [`Objective`]).
    stats: &'a Matrix,
    nodes: Vec<Node>,
    /// Features tried per split (`None`: all), drawn from `rng` at each node (random forests).
    max_features: Option<usize>,
    rng: rand::rngs::StdRng,
}

struct BestSplit {
    feature: usize,
    threshold: f32,
    cost: f64,
}

impl Builder<'_> {
    fn sum_stats(&self, idx: &[usize]) -> Vec<f64> {
        let mut s = vec![0.0; self.stats.cols()];
        for &i in idx {
            for (a, &v) in s.iter_mut().zip(self.stats.row(i)) {
                *a += f64::from(v);
            }
        }
        s
    }

    fn leaf(&mut self, stats: &[f64]) -> usize {
        self.nodes.push(Node::Leaf {
            value: self.objective.leaf(stats),
        });
        self.nodes.len() - 1
    }

    /// The order in which one node tries features: all of them in order, or (random
    /// forests) a fresh random permutation of which the first `max_features` non-constant
    /// ones are searched.
    fn candidate_features(&mut self) -> Vec<usize> {
        let d = self.x.cols();
        match self.max_features {
            Some(k) if k < d => rand::seq::index::sample(&mut self.rng, d, d).into_vec(),
            _ => (0..d).collect(),
        }
    }

    fn best_split(
        &self,
        idx: &mut [usize],
        stats: &[f64],
        features: &[usize],
    ) -> Option<BestSplit> {
        let n = idx.len();
        let min_leaf = self.config.min_samples_leaf;
        let parent = self.objective.cost(stats);
        let mut best: Option<BestSplit> = None;
        let mut left = vec![0.0; stats.len()];
        let mut right = vec![0.0; stats.len()];
        // As in scikit-learn, features constant in this node do not count towards
        // `max_features`: the search goes on until that many could have split it.
        let limit = self.max_features.unwrap_or(usize::MAX);
        let mut searched = 0;
        for &feature in features {
            if searched >= limit {
                break;
            }
            idx.sort_unstable_by(|&a, &b| {
                self.x.get(a, feature).total_cmp(&self.x.get(b, feature))
            });
            if self.x.get(idx[0], feature) == self.x.get(idx[n - 1], feature) {
                continue;
            }
            searched += 1;
            left.iter_mut().for_each(|v| *v = 0.0);
            right.copy_from_slice(stats);
            for pos in 0..n - 1 {
                for (c, &v) in self.stats.row(idx[pos]).iter().enumerate() {
                    left[c] += f64::from(v);
                    right[c] -= f64::from(v);
                }
                let here = self.x.get(idx[pos], feature);
                let next = self.x.get(idx[pos + 1], feature);
                if here == next || pos + 1 < min_leaf || n - pos - 1 < min_leaf {
                    continue;
                }
                let cost = self.objective.cost(&left) + self.objective.cost(&right);
                if best.as_ref().is_none_or(|b| cost < b.cost - 1e-12) {
                    let mid = here + (next - here) / 2.0;
                    // Guard against the midpoint rounding up to `next` in f32.
                    let threshold = if mid < next { mid } else { here };
                    best = Some(BestSplit {
                        feature,
                        threshold,
                        cost,
                    });
                }
            }
        }
        best.filter(|b| b.cost < parent - 1e-12 * parent.abs().max(1.0))
    }

    fn grow(&mut self, idx: &mut [usize], depth: usize) -> usize {
        let stats = self.sum_stats(idx);
        let pure = self.objective.cost(&stats) <= 1e-12;
        let depth_reached = self.config.max_depth.is_some_and(|d| depth >= d);
        if pure || depth_reached || idx.len() < self.config.min_samples_split {
            return self.leaf(&stats);
        }
        let features = self.candidate_features();
        let Some(split) = self.best_split(idx, &stats, &features) else {
            return self.leaf(&stats);
        };
        let (mut l, mut r): (Vec<usize>, Vec<usize>) = idx
            .iter()
            .partition(|&&i| self.x.get(i, split.feature) <= split.threshold);
        // Reserve this node's slot, then grow the children.
        self.nodes.push(Node::Leaf { value: Vec::new() });
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

/// How a tree of a forest sees the data: which rows (a bootstrap sample's distinct rows, their
/// counts already folded into the statistics) and how many features each split may try.
pub(crate) struct Sampling {
    pub rows: Vec<usize>,
    pub max_features: Option<usize>,
    pub seed: u64,
}

impl DecisionTreeConfig {
    fn build(
        config: &Checked<Self>,
        x: &Matrix,
        stats: &Matrix,
        objective: Objective,
    ) -> Result<Tree> {
        let all = Sampling {
            rows: (0..x.rows()).collect(),
            max_features: None,
            seed: 0,
        };
        Self::build_on(config, x, stats, objective, all)
    }

    /// Grows a tree on `sampling.rows` of `x` with per-sample `stats`.
    pub(crate) fn build_on(
        config: &Checked<Self>,
        x: &Matrix,
        stats: &Matrix,
        objective: Objective,
        sampling: Sampling,
    ) -> Result<Tree> {
        if x.rows() == 0 {
            return Err(ConsortError::EmptyDataset(
                "a tree needs at least one sample".into(),
            ));
        }
        x.ensure_finite("decision tree input")?;
        let mut builder = Builder {
            config,
            objective,
            x,
            stats,
            nodes: Vec::new(),
            max_features: sampling.max_features,
            rng: consort_core::seed::rng(sampling.seed),
        };
        let mut idx = sampling.rows;
        builder.grow(&mut idx, 0);
        Ok(Tree {
            nodes: builder.nodes,
            n_features: x.cols(),
        })
    }
}

impl Tree {
    /// The arena's invariants: at least one node; split features in `0..n_features`; children
    /// after their parent and inside the arena (so every walk ends at a leaf: no cycle); every
    /// leaf of `leaf_len` finite values.
    pub(crate) fn check(&self, leaf_len: usize) -> Result<()> {
        use consort_core::io::ensure;
        ensure(!self.nodes.is_empty() && self.n_features >= 1, || {
            "a tree needs >= 1 node and >= 1 feature".into()
        })?;
        for (i, node) in self.nodes.iter().enumerate() {
            match node {
                Node::Leaf { value } => ensure(
                    value.len() == leaf_len && value.iter().all(|v| v.is_finite()),
                    || {
                        format!(
                            "tree node {i}: a leaf of {} values, expected {leaf_len} finite",
                            value.len()
                        )
                    },
                )?,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => ensure(
                    *feature < self.n_features
                        && !threshold.is_nan()
                        && (i + 1..self.nodes.len()).contains(left)
                        && (i + 1..self.nodes.len()).contains(right),
                    || {
                        format!(
                            "tree node {i}: split on feature {feature} of {} to children {left} and \
                             {right} of {} nodes (children must follow their parent)",
                            self.n_features,
                            self.nodes.len()
                        )
                    },
                )?,
            }
        }
        Ok(())
    }

    pub(crate) fn n_features(&self) -> usize {
        self.n_features
    }
}
