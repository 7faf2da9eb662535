//! A trained network behind the [`Classifier`] contract.

use std::path::Path;
use std::sync::Mutex;

use burn::tensor::{Device, activation};
use consort_core::io::{load_json, save_json, write_atomic_with};
use consort_core::{Classifier, ConsortError, Matrix, Result, check_input};
use consort_data::batch::{rows_to_tensor, tensor_to_matrix};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Network, NetworkSpec};

/// File names inside a saved network's folder.
const WEIGHTS_FILE: &str = "weights.bpk";
const MANIFEST_FILE: &str = "network.json";

/// What, besides the weights, a saved network needs to be rebuilt.
#[derive(Serialize, Deserialize)]
struct Manifest<S> {
    architecture: String,
    n_features: usize,
    n_classes: usize,
    spec: S,
}

/// Saves `model` into folder `dir`: its weights in burn's format (`weights.bpk`) and
/// `manifest` as JSON (`network.json`). Both files are written to temporary names and renamed
/// into place, so an interrupted save never leaves a half-written file under the real name.
pub(crate) fn save_network<M: Network>(
    model: &M,
    manifest: &impl Serialize,
    dir: &Path,
) -> Result<()> {
    write_atomic_with(&dir.join(WEIGHTS_FILE), |tmp| {
        model
            .clone()
            .save_file(tmp)
            .map_err(|e| ConsortError::serialization_at(tmp, format!("{e:?}")))
    })?;
    save_json(manifest, &dir.join(MANIFEST_FILE))
}

/// The manifest of a network saved by [`save_network`].
pub(crate) fn load_manifest<T: DeserializeOwned>(dir: &Path) -> Result<T> {
    load_json(&dir.join(MANIFEST_FILE))
}

/// Loads the weights saved by [`save_network`] into `model` (built with the same shapes).
pub(crate) fn load_weights<M: Network>(model: M, dir: &Path) -> Result<M> {
    let weights = dir.join(WEIGHTS_FILE);
    if !weights.exists() {
        return Err(ConsortError::io(
            &weights,
            std::io::Error::new(std::io::ErrorKind::NotFound, "weights file missing"),
        ));
    }
    let model = model
        .try_load_file(&weights)
        .map_err(|e| ConsortError::serialization_at(&weights, format!("{e:?}")))?;
    // A record that loads can still hold NaN, infinities or overflowing magnitudes.
    consort_core::io::check_weights(&model, &weights)?;
    Ok(model)
}

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
    macs_per_sample: Option<u64>,
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
            macs_per_sample: None,
        }
    }

    /// States the multiply-accumulates of one forward pass (see
    /// [`NetworkSpec::macs_per_sample`]), for compute reports.
    pub fn with_macs_per_sample(mut self, macs: u64) -> Self {
        self.macs_per_sample = Some(macs);
        self
    }

    /// A copy of the network's weights (inference mode).
    pub fn model(&self) -> M {
        self.model.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The device inference runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Saves the network into folder `dir`: its weights in burn's format (`weights.bpk`) and
    /// a manifest with the architecture `spec` and shapes (`network.json`). Both files are
    /// written to temporary names and renamed into place.
    pub fn save<S>(&self, spec: &S, dir: &Path) -> Result<()>
    where
        S: NetworkSpec<Net = M> + Serialize,
    {
        let manifest = Manifest {
            architecture: spec.name().to_string(),
            n_features: self.n_features,
            n_classes: self.n_classes,
            spec,
        };
        save_network(&self.model(), &manifest, dir)
    }

    /// Loads a network saved by [`NetworkClassifier::save`] onto `device` (an inference
    /// device). The architecture type `S` must be the one it was saved with.
    pub fn load<S>(dir: &Path, device: &Device) -> Result<Self>
    where
        S: NetworkSpec<Net = M> + DeserializeOwned,
    {
        let manifest: Manifest<S> = load_manifest(dir)?;
        if manifest.architecture != manifest.spec.name() {
            return Err(ConsortError::serialization_at(
                dir,
                format!(
                    "holds a {} network, not a {}",
                    manifest.architecture,
                    manifest.spec.name()
                ),
            ));
        }
        let model = manifest
            .spec
            .build(manifest.n_features, manifest.n_classes, device)?;
        let model = load_weights(model, dir)?;
        let macs = manifest
            .spec
            .macs_per_sample(manifest.n_features, manifest.n_classes);
        Ok(Self::new(
            model,
            device.clone(),
            manifest.n_features,
            manifest.n_classes,
        )
        .with_macs_per_sample(macs))
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
        model.check_input(x)?;
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

    fn macs_per_sample(&self) -> Option<u64> {
        self.macs_per_sample
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Mlp, MlpSpec};
    use burn::module::{Module, ModuleMapper, Param};
    use burn::tensor::Tensor;
    use consort_core::BackendKind;

    /// Sets one value of the first weight tensor of `model` to `value`.
    fn poisoned<M: Module>(model: M, value: f32) -> M {
        struct Poison(Option<f32>);
        impl ModuleMapper for Poison {
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
                match self.0.take() {
                    Some(v) => param.map(|t| {
                        let mut values = t.clone().into_data().try_to_vec::<f32>().unwrap();
                        values[0] = v;
                        Tensor::from_data(
                            burn::tensor::TensorData::new(values, t.shape()),
                            &t.device(),
                        )
                    }),
                    None => param,
                }
            }
        }
        model.map(&mut Poison(Some(value)))
    }

    #[test]
    fn weights_that_are_not_finite_or_overflow_are_refused_naming_the_file() {
        let device = BackendKind::Flex.device().unwrap();
        let spec = MlpSpec::new(vec![8]);
        let dir = tempfile::tempdir().unwrap();
        let healthy = spec.build(4, 3, &device).unwrap();
        for (value, ok) in [
            (0.5, true),
            (f32::NAN, false),
            (f32::INFINITY, false),
            (1e30, false),
        ] {
            let net =
                NetworkClassifier::new(poisoned(healthy.clone(), value), device.clone(), 4, 3);
            let to = dir.path().join(format!("net-{ok}-{value}"));
            net.save(&spec, &to).unwrap();
            let loaded = NetworkClassifier::<Mlp>::load::<MlpSpec>(&to, &device);
            match loaded {
                Ok(_) => assert!(ok, "{value} was accepted"),
                Err(e) => {
                    assert!(!ok, "{value}: {e}");
                    let message = e.to_string();
                    assert!(message.contains(WEIGHTS_FILE), "{message}");
                    assert!(message.contains("must be finite"), "{message}");
                }
            }
        }
    }
}
