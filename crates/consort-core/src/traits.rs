//! The contract every model and combiner implements (linfa's traits, scikit-learn's estimator API).
//!
//! * A *hyperparameter set* (an "estimator") implements [`Fit`]: it validates itself
//!   ([`ParamGuard`]) and turns training data into a fitted model.
//! * A *fitted classifier* implements [`Classifier`]: `predict_proba` returns a
//!   `rows x n_classes` probability [`Matrix`], `predict` its arg-max.
//! * [`ClassifierEstimator`] / [`RegressorEstimator`]: any such `Fit`, type-erased, for code
//!   that refits "any model" (stacking, cross-validation).
//! * A fitted model that can learn from more data without starting over implements [`FitWith`]
//!   (continual learning builds on it).

use std::sync::Arc;

use crate::error::{ConsortError, Result};
use crate::matrix::Matrix;

pub use crate::params::{Checked, ParamGuard};

/// Fits a model of type [`Fit::Object`] on training data `D`.
pub trait Fit<D: ?Sized> {
    /// The fitted model.
    type Object;

    /// Validates the hyperparameters and fits on `data`.
    fn fit(&self, data: &D) -> Result<Self::Object>;
}

/// An already fitted model that can keep learning from new data (`partial_fit`).
pub trait FitWith<D: ?Sized> {
    /// Updates the model in place with `data`.
    fn fit_with(&mut self, data: &D) -> Result<()>;
}

/// An estimator that fits with a weight per training sample (scikit-learn's `sample_weight`):
/// a sample of weight 2 counts as two copies of it. Class weighting (`balanced`) is built on it.
pub trait FitWeighted<D: ?Sized>: Fit<D> {
    /// Validates the hyperparameters and the weights ([`check_sample_weights`]) and fits.
    fn fit_weighted(&self, data: &D, sample_weights: &[f32]) -> Result<Self::Object>;
}

/// Sample weights must be one per row, finite, non-negative and not all zero.
pub fn check_sample_weights(weights: &[f32], rows: usize) -> Result<()> {
    if weights.len() != rows {
        return Err(ConsortError::ShapeMismatch(format!(
            "{} sample weights for {rows} rows",
            weights.len()
        )));
    }
    if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
        return Err(ConsortError::InvalidInput(format!(
            "sample weights must be finite and >= 0, got {w}"
        )));
    }
    if !weights.iter().any(|&w| w > 0.0) {
        return Err(ConsortError::InvalidInput(
            "sample weights are all zero".into(),
        ));
    }
    Ok(())
}

/// "Balanced" class weights as sample weights: `n / (n_classes * count(label))` per row
/// (scikit-learn's `class_weight="balanced"`), so every class carries the same total weight.
pub fn balanced_sample_weights(labels: &[usize], n_classes: usize) -> Vec<f32> {
    let mut counts = vec![0usize; n_classes];
    for &l in labels {
        if l < n_classes {
            counts[l] += 1;
        }
    }
    let present = counts.iter().filter(|&&c| c > 0).count().max(1);
    labels
        .iter()
        .map(|&l| {
            let c = counts.get(l).copied().unwrap_or(0).max(1);
            labels.len() as f32 / (present * c) as f32
        })
        .collect()
}

/// A fitted classifier over feature matrices.
///
/// Implemented alike by networks, classical models and ensembles, so that any of them can be an
/// ensemble member, a teacher or the subject of an evaluation.
pub trait Classifier: Send + Sync {
    /// Number of classes; `predict_proba` returns this many columns.
    fn n_classes(&self) -> usize;

    /// Number of input features the model was fitted on.
    fn n_features(&self) -> usize;

    /// Class probabilities, one row per input row, each row summing to 1.
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix>;

    /// Most probable class per row.
    fn predict(&self, x: &Matrix) -> Result<Vec<usize>> {
        Ok(self.predict_proba(x)?.argmax_rows())
    }

    /// Probabilities and predicted classes in one pass (for models whose prediction is not
    /// the probabilities' arg-max, such as hard voting, this avoids computing twice).
    fn predict_with_proba(&self, x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
        let proba = self.predict_proba(x)?;
        let predicted = proba.argmax_rows();
        Ok((proba, predicted))
    }

    /// Multiply-accumulate operations to predict one sample, where the model can state them
    /// (for the compute reports of cascades); `None` when unknown.
    fn macs_per_sample(&self) -> Option<u64> {
        None
    }
}

/// Shared and boxed classifiers are classifiers (every method forwarded, so overrides such as
/// a cheaper `predict` are kept).
macro_rules! forward_classifier {
    ($($pointer:ident),*) => {$(
        impl<C: Classifier + ?Sized> Classifier for $pointer<C> {
            fn n_classes(&self) -> usize {
                (**self).n_classes()
            }
            fn n_features(&self) -> usize {
                (**self).n_features()
            }
            fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
                (**self).predict_proba(x)
            }
            fn predict(&self, x: &Matrix) -> Result<Vec<usize>> {
                (**self).predict(x)
            }
            fn predict_with_proba(&self, x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
                (**self).predict_with_proba(x)
            }
            fn macs_per_sample(&self) -> Option<u64> {
                (**self).macs_per_sample()
            }
        }
    )*};
}

forward_classifier!(Arc, Box);

/// A fitted regressor over feature matrices: one real-valued prediction per row.
pub trait Regressor: Send + Sync {
    /// Number of input features the model was fitted on.
    fn n_features(&self) -> usize;

    /// Predicted targets, one per input row.
    fn predict(&self, x: &Matrix) -> Result<Vec<f32>>;
}

impl<T: Regressor + ?Sized> Regressor for std::sync::Arc<T> {
    fn n_features(&self) -> usize {
        (**self).n_features()
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>> {
        (**self).predict(x)
    }
}

/// An estimator that fits a classifier on data `D` and hands it back type-erased: what
/// stacking, cross-validation and tuning need to refit "any model" without knowing its type.
/// Every [`Fit`] whose fitted object is a [`Classifier`] is one.
pub trait ClassifierEstimator<D: ?Sized>: Send + Sync {
    /// Fits a fresh classifier on `data`.
    fn fit_classifier(&self, data: &D) -> Result<Arc<dyn Classifier>>;
}

impl<D: ?Sized, E> ClassifierEstimator<D> for E
where
    E: Fit<D> + Send + Sync,
    E::Object: Classifier + 'static,
{
    fn fit_classifier(&self, data: &D) -> Result<Arc<dyn Classifier>> {
        Ok(Arc::new(self.fit(data)?))
    }
}

/// The regression counterpart of [`ClassifierEstimator`].
pub trait RegressorEstimator<D: ?Sized>: Send + Sync {
    /// Fits a fresh regressor on `data`.
    fn fit_regressor(&self, data: &D) -> Result<Arc<dyn Regressor>>;
}

impl<D: ?Sized, E> RegressorEstimator<D> for E
where
    E: Fit<D> + Send + Sync,
    E::Object: Regressor + 'static,
{
    fn fit_regressor(&self, data: &D) -> Result<Arc<dyn Regressor>> {
        Ok(Arc::new(self.fit(data)?))
    }
}

/// A fitted recommender over dense user and item indices (`0..n_users`, `0..n_items`).
pub trait Recommend: Send + Sync {
    /// Number of users the model knows.
    fn n_users(&self) -> usize;

    /// Number of items the model knows.
    fn n_items(&self) -> usize;

    /// A relevance score for every item for `user` (higher is more relevant).
    fn score_items(&self, user: usize) -> Result<Vec<f32>>;

    /// The `k` highest-scoring items for `user` that are not in `exclude` (typically the
    /// items the user already rated), best first; ties go to the lower item index.
    fn recommend(&self, user: usize, k: usize, exclude: &[usize]) -> Result<Vec<usize>> {
        let scores = self.score_items(user)?;
        let mut skip = vec![false; scores.len()];
        for &i in exclude {
            if let Some(s) = skip.get_mut(i) {
                *s = true;
            }
        }
        let mut candidates: Vec<usize> = (0..scores.len()).filter(|&i| !skip[i]).collect();
        candidates.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        candidates.truncate(k);
        Ok(candidates)
    }
}

/// Checks that `user` is below `n_users` (a typed error rather than an index panic).
pub fn check_user(user: usize, n_users: usize) -> Result<()> {
    if user < n_users {
        Ok(())
    } else {
        Err(ConsortError::InvalidInput(format!(
            "user index {user} is out of range: the model knows {n_users} users"
        )))
    }
}

/// Checks that `x` is a finite matrix with the columns a fitted model expects.
///
/// Every `predict_proba` starts with this, so bad input is a typed error, never a panic.
pub fn check_input(x: &Matrix, n_features: usize) -> Result<()> {
    x.ensure_cols(n_features, "input features")?;
    x.ensure_finite("input features")
}

/// Checks that every label is below `n_classes`.
pub fn check_labels(labels: &[usize], n_classes: usize) -> Result<()> {
    match labels.iter().find(|&&l| l >= n_classes) {
        Some(&label) => Err(ConsortError::LabelOutOfRange { label, n_classes }),
        None => Ok(()),
    }
}
