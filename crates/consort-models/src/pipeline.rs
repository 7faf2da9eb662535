//! Preprocessing in front of a model: standardisation fitted on the training data only.

use consort_core::{Classifier, Fit, FitWeighted, Matrix, Result};
use consort_data::{Dataset, StandardScaler};

/// Fits a [`StandardScaler`] on the training features, then the inner estimator on the
/// standardised data. Prediction applies the same scaling first.
#[derive(Debug, Clone)]
pub struct Standardized<E>(pub E);

/// A fitted model behind the scaler learnt on its training data.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StandardizedModel<C> {
    scaler: StandardScaler,
    inner: C,
}

impl<C: Classifier> StandardizedModel<C> {
    /// A fitted scaler and the model fitted behind it (a saved pair, loaded back); they must
    /// agree on the number of features.
    pub fn from_parts(scaler: StandardScaler, inner: C) -> Result<Self> {
        if scaler.n_features() != inner.n_features() {
            return Err(consort_core::ConsortError::ShapeMismatch(format!(
                "a scaler of {} features in front of a model of {}",
                scaler.n_features(),
                inner.n_features()
            )));
        }
        Ok(Self { scaler, inner })
    }
}

impl<C> StandardizedModel<C> {
    /// The wrapped model (which expects standardised input).
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The fitted scaler.
    pub fn scaler(&self) -> &StandardScaler {
        &self.scaler
    }
}

impl<E: Fit<Dataset>> Fit<Dataset> for Standardized<E> {
    type Object = StandardizedModel<E::Object>;

    fn fit(&self, data: &Dataset) -> Result<Self::Object> {
        data.ensure_trainable()?;
        let scaler = StandardScaler::fit(data.features())?;
        let scaled = scaler.transform_dataset(data)?;
        Ok(StandardizedModel {
            scaler,
            inner: self.0.fit(&scaled)?,
        })
    }
}

/// The scaler is fitted unweighted (it only centres and scales); the weights reach the model.
impl<E: FitWeighted<Dataset>> FitWeighted<Dataset> for Standardized<E> {
    fn fit_weighted(&self, data: &Dataset, sample_weights: &[f32]) -> Result<Self::Object> {
        data.ensure_trainable()?;
        let scaler = StandardScaler::fit(data.features())?;
        let scaled = scaler.transform_dataset(data)?;
        Ok(StandardizedModel {
            scaler,
            inner: self.0.fit_weighted(&scaled, sample_weights)?,
        })
    }
}

impl<C: Classifier> Classifier for StandardizedModel<C> {
    fn n_classes(&self) -> usize {
        self.inner.n_classes()
    }

    fn n_features(&self) -> usize {
        self.scaler.n_features()
    }

    /// The scaling (one per feature) plus the inner model's.
    fn macs_per_sample(&self) -> Option<u64> {
        self.inner
            .macs_per_sample()
            .map(|m| m + self.scaler.n_features() as u64)
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        consort_core::check_input(x, self.n_features())?;
        self.inner.predict_proba(&self.scaler.transform(x)?)
    }
}

/// Fits the inner estimator on a contiguous block of columns only: one view of data whose
/// features stack several views (sentence embeddings beside TF-IDF, say), so that members
/// reading different views still share one feature matrix and join the same ensembles,
/// stacking and cascade.
#[derive(Debug, Clone)]
pub struct Columns<E> {
    /// The block of columns the model reads.
    pub range: std::ops::Range<usize>,
    /// The estimator fitted on them.
    pub inner: E,
}

/// A model fitted on a block of columns: it reads only those of its input.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnsModel<C> {
    range: std::ops::Range<usize>,
    n_features: usize,
    inner: C,
}

impl<E: Fit<Dataset>> Fit<Dataset> for Columns<E> {
    type Object = ColumnsModel<E::Object>;

    fn fit(&self, data: &Dataset) -> Result<Self::Object> {
        let view = data.with_features(data.features().select_columns(self.range.clone())?)?;
        Ok(ColumnsModel {
            range: self.range.clone(),
            n_features: data.n_features(),
            inner: self.inner.fit(&view)?,
        })
    }
}

impl<C: Classifier> Classifier for ColumnsModel<C> {
    fn n_classes(&self) -> usize {
        self.inner.n_classes()
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn macs_per_sample(&self) -> Option<u64> {
        self.inner.macs_per_sample()
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        consort_core::check_input(x, self.n_features)?;
        self.inner
            .predict_proba(&x.select_columns(self.range.clone())?)
    }
}

impl<C: Classifier + consort_core::io::Validate> consort_core::io::Validate
    for StandardizedModel<C>
{
    fn validate(&self) -> Result<()> {
        self.scaler.validate()?;
        self.inner.validate()?;
        consort_core::io::ensure(self.scaler.n_features() == self.inner.n_features(), || {
            format!(
                "a scaler of {} features in front of a model of {}",
                self.scaler.n_features(),
                self.inner.n_features()
            )
        })
    }
}
