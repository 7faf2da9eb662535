//! Random forests (Breiman 2001): CART trees grown on bootstrap samples, each split choosing
//! among a random subset of the features; predictions average the trees. The rows a tree did
//! not draw give an out-of-bag estimate of accuracy (or R²) for free.
//!
//! Each tree draws from its own seed (`derive_seed(seed, "tree<i>")`), so the forest is the
//! same whatever the number of threads growing it.

use consort_core::params::{ensure_count_in, ensure_within};
use consort_core::seed::{derive_seed, rng};
use consort_core::{
    Checked, Classifier, ConsortError, Fit, FitWeighted, Matrix, ParamGuard, Regressor, Result,
    check_input, check_labels, check_sample_weights,
};
use consort_data::{Dataset, RegressionDataset};
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cart::{
    DecisionTreeConfig, Objective, Sampling, SplitCriterion, Tree, weighted_one_hot,
};
use crate::linear::one_hot;

/// How many features each split may try.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MaxFeatures {
    /// `round(sqrt(d))`, at least 1 (the usual choice for classification).
    #[default]
    Sqrt,
    /// `round(d * fraction)`, at least 1 (a third is usual for regression).
    Fraction(f64),
    /// All `d` features (bagged trees).
    All,
}

impl MaxFeatures {
    fn of(self, d: usize) -> usize {
        let k = match self {
            Self::Sqrt => (d as f64).sqrt().round() as usize,
            Self::Fraction(f) => (d as f64 * f).round() as usize,
            Self::All => d,
        };
        k.clamp(1, d.max(1))
    }
}

/// Hyperparameters of a random forest (classification on a [`Dataset`], regression on a
/// [`RegressionDataset`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomForestConfig {
    /// Trees in the forest.
    pub n_trees: usize,
    /// Features tried per split.
    pub max_features: MaxFeatures,
    /// Depth limit of each tree (`None`: grow until pure).
    pub max_depth: Option<usize>,
    /// Each child of a split keeps at least this many distinct samples.
    pub min_samples_leaf: usize,
    /// Impurity measure for classification.
    pub criterion: SplitCriterion,
    /// Draw each tree's rows with replacement (`false`: every tree sees every row, and there
    /// is no out-of-bag estimate).
    pub bootstrap: bool,
    /// Seed of the bootstrap samples and feature draws.
    pub seed: u64,
}

impl Default for RandomForestConfig {
    fn default() -> Self {
        Self {
            n_trees: 100,
            max_features: MaxFeatures::Sqrt,
            max_depth: None,
            min_samples_leaf: 1,
            criterion: SplitCriterion::Gini,
            bootstrap: true,
            seed: 0,
        }
    }
}

impl ParamGuard for RandomForestConfig {
    fn check(&self) -> Result<()> {
        ensure_count_in("n_trees", self.n_trees, 1..=crate::MAX_ROUNDS)?;
        if let MaxFeatures::Fraction(f) = self.max_features {
            ensure_within("max_features", f, 0.0, 1.0, (false, true))?;
        }
        self.tree_config().check()
    }
}

/// One grown tree and the rows it did not draw.
struct Grown {
    tree: Tree,
    out_of_bag: Vec<usize>,
}

impl RandomForestConfig {
    fn tree_config(&self) -> DecisionTreeConfig {
        DecisionTreeConfig {
            max_depth: self.max_depth,
            min_samples_split: 2,
            min_samples_leaf: self.min_samples_leaf,
            criterion: self.criterion,
        }
    }

    /// Grows every tree (in parallel) on `stats`, the per-sample statistics of one draw,
    /// weighted by how often the bootstrap drew the row.
    fn grow(
        config: &Checked<Self>,
        x: &Matrix,
        stats: &Matrix,
        objective: Objective,
    ) -> Result<Vec<Grown>> {
        if x.rows() == 0 {
            return Err(ConsortError::EmptyDataset(
                "a forest needs at least one sample".into(),
            ));
        }
        x.ensure_finite("random forest input")?;
        let n = x.rows();
        let max_features = Some(config.max_features.of(x.cols()));
        // The forest's check checks the trees' settings.
        let tree_config = config.part(Self::tree_config);
        (0..config.n_trees)
            .into_par_iter()
            .map(|t| {
                let seed = derive_seed(config.seed, &format!("tree{t}"));
                let mut counts = vec![0u32; n];
                if config.bootstrap {
                    let mut r = rng(seed);
                    (0..n).for_each(|_| counts[r.random_range(0..n)] += 1);
                } else {
                    counts.fill(1);
                }
                let mut weighted = stats.clone();
                for (i, &c) in counts.iter().enumerate() {
                    weighted.row_mut(i).iter_mut().for_each(|v| *v *= c as f32);
                }
                let (rows, out_of_bag) = (0..n).partition(|&i| counts[i] > 0);
                let sampling = Sampling {
                    rows,
                    max_features,
                    seed: derive_seed(seed, "features"),
                };
                let tree =
                    DecisionTreeConfig::build_on(&tree_config, x, &weighted, objective, sampling)?;
                Ok(Grown { tree, out_of_bag })
            })
            .collect()
    }
}

/// Sums each tree's leaf values over the rows it left out; returns the sums and how many
/// trees voted on each row.
fn out_of_bag_sums(x: &Matrix, grown: &[Grown], width: usize) -> (Matrix, Vec<usize>) {
    let mut sums = Matrix::zeros(x.rows(), width);
    let mut votes = vec![0usize; x.rows()];
    for g in grown {
        for &i in &g.out_of_bag {
            let leaf = g.tree.leaf_of(x.row(i));
            sums.row_mut(i)
                .iter_mut()
                .zip(leaf)
                .for_each(|(s, v)| *s += v);
            votes[i] += 1;
        }
    }
    (sums, votes)
}

/// Mean of the trees' leaf values for every row of `x`.
fn mean_of_trees(trees: &[Tree], x: &Matrix, width: usize) -> Matrix {
    let mut out = Matrix::zeros(x.rows(), width);
    let scale = 1.0 / trees.len() as f32;
    for (i, row) in x.iter_rows().enumerate() {
        let o = out.row_mut(i);
        for t in trees {
            o.iter_mut()
                .zip(t.leaf_of(row))
                .for_each(|(a, v)| *a += v * scale);
        }
    }
    out
}

/// A fitted classification forest: class probabilities are the trees' mean leaf
/// distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomForest {
    trees: Vec<Tree>,
    n_features: usize,
    n_classes: usize,
    oob_accuracy: Option<f64>,
}

impl RandomForest {
    /// Accuracy on each training row of the trees that did not draw it (rows every tree drew
    /// are skipped); `None` without bootstrap.
    pub fn oob_accuracy(&self) -> Option<f64> {
        self.oob_accuracy
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }
}

impl Fit<Dataset> for RandomForestConfig {
    type Object = RandomForest;

    fn fit(&self, data: &Dataset) -> Result<RandomForest> {
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        self.fit_on_targets(data, &one_hot(data.labels(), data.n_classes()))
    }
}

/// Every tree sees its bootstrap sample's one-hot rows scaled by the samples' weights.
impl FitWeighted<Dataset> for RandomForestConfig {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<RandomForest> {
        data.ensure_trainable()?;
        check_labels(data.labels(), data.n_classes())?;
        check_sample_weights(sample_weights, data.len())?;
        let targets = weighted_one_hot(data.labels(), data.n_classes(), sample_weights);
        self.fit_on_targets(data, &targets)
    }
}

impl RandomForestConfig {
    fn fit_on_targets(&self, data: &Dataset, targets: &Matrix) -> Result<RandomForest> {
        let k = data.n_classes();
        let x = data.features();
        let grown = Self::grow(
            &self.clone().checked()?,
            x,
            targets,
            Objective::Classification(self.criterion),
        )?;
        let oob_accuracy = self.bootstrap.then(|| {
            let (sums, votes) = out_of_bag_sums(x, &grown, k);
            let (mut hit, mut seen) = (0usize, 0usize);
            for (i, &label) in data.labels().iter().enumerate() {
                if votes[i] > 0 {
                    seen += 1;
                    hit += usize::from(consort_core::matrix::argmax(sums.row(i)) == label);
                }
            }
            hit as f64 / seen.max(1) as f64
        });
        Ok(RandomForest {
            trees: grown.into_iter().map(|g| g.tree).collect(),
            n_features: x.cols(),
            n_classes: k,
            oob_accuracy,
        })
    }
}

impl Classifier for RandomForest {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    /// One comparison per level of every tree.
    fn macs_per_sample(&self) -> Option<u64> {
        Some(self.trees.iter().map(|t| t.depth().max(1) as u64).sum())
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        check_input(x, self.n_features)?;
        Ok(mean_of_trees(&self.trees, x, self.n_classes))
    }
}

/// A fitted regression forest: predictions are the trees' mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomForestRegressor {
    trees: Vec<Tree>,
    n_features: usize,
    oob_r2: Option<f64>,
}

impl RandomForestRegressor {
    /// R² of the out-of-bag predictions on the training rows; `None` without bootstrap.
    pub fn oob_r2(&self) -> Option<f64> {
        self.oob_r2
    }
}

impl Fit<RegressionDataset> for RandomForestConfig {
    type Object = RandomForestRegressor;

    fn fit(&self, data: &RegressionDataset) -> Result<RandomForestRegressor> {
        data.ensure_trainable()?;
        let stats: Vec<[f32; 3]> = data.targets().iter().map(|&y| [1.0, y, y * y]).collect();
        let x = data.features();
        let grown = Self::grow(
            &self.clone().checked()?,
            x,
            &Matrix::from_rows(&stats)?,
            Objective::Regression,
        )?;
        let oob_r2 = self.bootstrap.then(|| {
            let (sums, votes) = out_of_bag_sums(x, &grown, 1);
            let pairs: Vec<(f64, f64)> = (0..x.rows())
                .filter(|&i| votes[i] > 0)
                .map(|i| {
                    let y = f64::from(data.targets()[i]);
                    (y, f64::from(sums.get(i, 0)) / votes[i] as f64)
                })
                .collect();
            let mean = pairs.iter().map(|p| p.0).sum::<f64>() / pairs.len().max(1) as f64;
            let ss_res: f64 = pairs.iter().map(|(y, p)| (y - p).powi(2)).sum();
            let ss_tot: f64 = pairs.iter().map(|(y, _)| (y - mean).powi(2)).sum();
            1.0 - ss_res / ss_tot.max(f64::MIN_POSITIVE)
        });
        Ok(RandomForestRegressor {
            trees: grown.into_iter().map(|g| g.tree).collect(),
            n_features: x.cols(),
            oob_r2,
        })
    }
}

impl Regressor for RandomForestRegressor {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>> {
        check_input(x, self.n_features)?;
        Ok(mean_of_trees(&self.trees, x, 1).into_vec())
    }
}

/// Every tree valid, of `n_features` and leaves of `leaf_len`, and at least one tree.
fn check_trees(trees: &[Tree], n_features: usize, leaf_len: usize) -> Result<()> {
    consort_core::io::ensure(!trees.is_empty(), || "a forest without trees".into())?;
    for (t, tree) in trees.iter().enumerate() {
        tree.check(leaf_len)
            .map_err(|e| ConsortError::invalid_model(format!("tree {t}: {e}")))?;
        consort_core::io::ensure(tree.n_features() == n_features, || {
            format!(
                "tree {t} takes {} features, the forest {n_features}",
                tree.n_features()
            )
        })?;
    }
    Ok(())
}

impl consort_core::io::Validate for RandomForest {
    fn validate(&self) -> Result<()> {
        consort_core::io::ensure(self.n_classes >= 2, || {
            format!(
                "a forest classifier needs >= 2 classes, has {}",
                self.n_classes
            )
        })?;
        check_trees(&self.trees, self.n_features, self.n_classes)
    }
}

impl consort_core::io::Validate for RandomForestRegressor {
    fn validate(&self) -> Result<()> {
        check_trees(&self.trees, self.n_features, 1)
    }
}
