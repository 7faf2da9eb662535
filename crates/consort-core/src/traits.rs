//! The contract every model and combiner implements (linfa's traits, scikit-learn's estimator API).
//!
//! * A *hyperparameter set* (an "estimator") implements [`Fit`]: it validates itself
//!   ([`ParamGuard`]) and turns training data into a fitted model.
//! * A *fitted classifier* implements [`Classifier`]: `predict_proba` returns a
//!   `rows x n_classes` probability [`Matrix`], `predict` its arg-max.
//! * A fitted model that can learn from more data without starting over implements [`FitWith`]
//!   (continual learning builds on it).

use crate::error::{ConsortError, Result};
use crate::matrix::Matrix;

/// Hyperparameters that check themselves once, before any fitting starts.
pub trait ParamGuard {
    /// Returns a [`ConsortError::InvalidConfig`] naming the first bad value.
    fn check(&self) -> Result<()>;
}

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
}

impl<C: Classifier + ?Sized> Classifier for Box<C> {
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
}

/// A fitted regressor over feature matrices: one real-valued prediction per row.
pub trait Regressor: Send + Sync {
    /// Number of input features the model was fitted on.
    fn n_features(&self) -> usize;

    /// Predicted targets, one per input row.
    fn predict(&self, x: &Matrix) -> Result<Vec<f32>>;
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
