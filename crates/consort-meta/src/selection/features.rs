//! Meta-features: what a dataset looks like to a model selector.

use consort_core::Result;
use consort_data::Dataset;
use consort_eval::cross_validate;
use consort_models::{DecisionTreeConfig, GaussianNbConfig, KNeighborsConfig, Standardized};
use serde::{Deserialize, Serialize};

/// A dataset's meta-features, by name, in a fixed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaFeatures {
    /// Names, in order.
    pub names: Vec<String>,
    /// Values, in the same order.
    pub values: Vec<f64>,
}

/// Folds of the landmarkers' cross-validation.
const LANDMARK_FOLDS: usize = 3;

fn moments(column: &[f64]) -> (f64, f64) {
    let n = column.len() as f64;
    let mean = column.iter().sum::<f64>() / n;
    let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    if var < 1e-12 {
        return (0.0, 0.0);
    }
    let sd = var.sqrt();
    let skew = column
        .iter()
        .map(|v| ((v - mean) / sd).powi(3))
        .sum::<f64>()
        / n;
    let kurt = column
        .iter()
        .map(|v| ((v - mean) / sd).powi(4))
        .sum::<f64>()
        / n
        - 3.0;
    (skew, kurt)
}

impl MetaFeatures {
    /// Computes the meta-features of `data` (landmarkers cross-validated with `seed`).
    pub fn of(data: &Dataset, seed: u64) -> Result<Self> {
        data.ensure_trainable()?;
        let (n, d, k) = (data.len(), data.n_features(), data.n_classes());
        let mut counts = vec![0usize; k];
        for &l in data.labels() {
            counts[l] += 1;
        }
        let present: Vec<f64> = counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| c as f64 / n as f64)
            .collect();
        let entropy = -present.iter().map(|p| p * p.ln()).sum::<f64>();
        let max_entropy = (present.len() as f64).ln().max(1e-12);
        let minority = present.iter().copied().fold(1.0, f64::min);
        let (mut skews, mut kurts, mut binary) = (Vec::new(), Vec::new(), 0usize);
        let x = data.features();
        for j in 0..d {
            let column: Vec<f64> = (0..n).map(|i| f64::from(x.row(i)[j])).collect();
            let mut distinct = column.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            if distinct.len() <= 2 {
                binary += 1;
            }
            let (s, k) = moments(&column);
            skews.push(s.abs());
            kurts.push(k);
        }
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let landmark = |estimator: &dyn consort_core::ClassifierEstimator<Dataset>| {
            cross_validate(estimator, data, LANDMARK_FOLDS, seed).map(|s| s.mean)
        };
        let stump = landmark(&DecisionTreeConfig {
            max_depth: Some(1),
            ..DecisionTreeConfig::default()
        })?;
        let nn = landmark(&Standardized(KNeighborsConfig {
            k: 1,
            ..KNeighborsConfig::default()
        }))?;
        let nb = landmark(&GaussianNbConfig::default())?;
        let kurtosis = mean(&kurts);
        let pairs = [
            ("log_rows", (n as f64).ln()),
            ("log_features", (d as f64).ln()),
            ("log_features_per_row", (d as f64 / n as f64).ln()),
            ("classes", k as f64),
            ("class_entropy", entropy / max_entropy),
            ("minority_share", minority),
            ("binary_share", binary as f64 / d.max(1) as f64),
            ("mean_abs_skew", mean(&skews).min(50.0)),
            // Signed log: kurtosis runs from -2 to the thousands.
            ("mean_kurtosis", kurtosis.signum() * kurtosis.abs().ln_1p()),
            ("landmark_stump", stump),
            ("landmark_1nn", nn),
            ("landmark_naive_bayes", nb),
        ];
        Ok(Self {
            names: pairs.iter().map(|p| p.0.to_string()).collect(),
            values: pairs.iter().map(|p| p.1).collect(),
        })
    }
}
