//! A trained network behind the [`Classifier`] contract.

use std::sync::Mutex;

use burn::tensor::{Device, activation};
use consort_core::{Classifier, ConsortError, Matrix, Result, check_input};
use consort_data::batch::{rows_to_tensor, tensor_to_matrix};

use super::Network;

/// Rows per forward pass at inference: large enough to amortise dispatch, small enough to
/// bound memory.
const INFERENCE_BATCH: usize = 512;

/// A fitted network: inference-mode weights on an inference device.
///
/// The module sits behind a mutex so that the classifier is `Sync` whatever the backend's
/// tensor types are; inference holds it only to clone the (reference-counted) weights.
#[derive(Debug)]
pub struct NetworkClassifier<M: Network> {
    model: Mutex<M>,
    device: Device,
    n_features: usize,
    n_classes: usize,
}

impl<M: Network> NetworkClassifier<M> {
    /// Wraps a network; `model` is switched to inference mode (`valid()`), and `device` must
    /// be the plain (non-autodiff) device its weights live on.
    pub fn new(model: M, device: Device, n_features: usize, n_classes: usize) -> Self {
        Self {
            model: Mutex::new(model.valid()),
            device,
            n_features,
            n_classes,
        }
    }

    /// A copy of the network's weights (inference mode).
    pub fn model(&self) -> M {
        self.model.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The device inference runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Penultimate-layer features of `x`, one row per input row.
    pub fn features(&self, x: &Matrix) -> Result<Matrix> {
        self.map_batches(x, |m, t| m.features(t))
    }

    /// Raw logits of `x`.
    pub fn logits(&self, x: &Matrix) -> Result<Matrix> {
        self.map_batches(x, |m, t| m.logits(t))
    }

    fn map_batches(
        &self,
        x: &Matrix,
        f: impl Fn(&M, burn::tensor::Tensor<2>) -> burn::tensor::Tensor<2>,
    ) -> Result<Matrix> {
        check_input(x, self.n_features)?;
        let model = self.model();
        let indices: Vec<usize> = (0..x.rows()).collect();
        let mut values = Vec::new();
        let mut cols = 0;
        for chunk in indices.chunks(INFERENCE_BATCH) {
            let out = tensor_to_matrix(f(&model, rows_to_tensor(x, chunk, &self.device)))?;
            cols = out.cols();
            values.extend(out.into_vec());
        }
        if x.rows() == 0 {
            return Ok(Matrix::zeros(0, self.n_classes));
        }
        Matrix::new(x.rows(), cols, values)
    }
}

impl<M: Network> Classifier for NetworkClassifier<M> {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        let proba = self.map_batches(x, |m, t| activation::softmax(m.logits(t), 1))?;
        if proba.rows() > 0 && proba.cols() != self.n_classes {
            return Err(ConsortError::ShapeMismatch(format!(
                "network produced {} classes, expected {}",
                proba.cols(),
                self.n_classes
            )));
        }
        Ok(proba)
    }
}
