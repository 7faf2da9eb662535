//! A trained matrix-factorisation model behind [`Recommend`] and [`Regressor`].

use std::path::Path;

use burn::tensor::Device;
use consort_core::{ConsortError, Matrix, Recommend, Regressor, Result, check_user};
use serde::{Deserialize, Serialize};

use super::classifier::{load_manifest, load_weights, save_network};
use super::{MatrixFactorization, MatrixFactorizationConfig, NetworkClassifier};

const ARCHITECTURE: &str = "matrix-factorization";

#[derive(Serialize, Deserialize)]
struct Manifest {
    architecture: String,
    config: MatrixFactorizationConfig,
}

/// A fitted [`MatrixFactorization`]: predicts ratings for `(user, item)` pairs and ranks
/// items for a user.
#[derive(Debug)]
pub struct MfRecommender {
    // The network wrapper gives batched, shape-checked inference; a recommender has two input
    // columns (user, item) and one output.
    network: NetworkClassifier<MatrixFactorization>,
    config: MatrixFactorizationConfig,
}

impl MfRecommender {
    /// Wraps a trained model whose weights live on `device` (a non-autodiff device).
    pub fn new(
        model: MatrixFactorization,
        device: Device,
        config: MatrixFactorizationConfig,
    ) -> Self {
        Self {
            network: NetworkClassifier::new(model, device, 2, 1),
            config,
        }
    }

    /// The configuration the model was built with.
    pub fn config(&self) -> &MatrixFactorizationConfig {
        &self.config
    }

    /// A copy of the model (inference mode).
    pub fn model(&self) -> MatrixFactorization {
        self.network.model()
    }

    /// Predicted rating (or logit, for implicit feedback) of each `(users[k], items[k])`.
    pub fn predict_pairs(&self, users: &[usize], items: &[usize]) -> Result<Vec<f32>> {
        if users.len() != items.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} users but {} items",
                users.len(),
                items.len()
            )));
        }
        let rows: Vec<f32> = users
            .iter()
            .zip(items)
            .flat_map(|(&u, &i)| [u as f32, i as f32])
            .collect();
        self.predict(&Matrix::new(users.len(), 2, rows)?)
    }

    /// Saves the weights (`weights.bpk`) and the configuration (`network.json`) into `dir`,
    /// each written atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let manifest = Manifest {
            architecture: ARCHITECTURE.into(),
            config: self.config.clone(),
        };
        save_network(&self.model(), &manifest, dir)
    }

    /// Loads a recommender saved by [`MfRecommender::save`] onto `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let manifest: Manifest = load_manifest(dir)?;
        if manifest.architecture != ARCHITECTURE {
            return Err(ConsortError::serialization_at(
                dir,
                format!(
                    "holds a {} network, not a {ARCHITECTURE}",
                    manifest.architecture
                ),
            ));
        }
        let model = load_weights(manifest.config.try_init(device)?, dir)?;
        Ok(Self::new(model, device.clone(), manifest.config))
    }
}

impl Regressor for MfRecommender {
    fn n_features(&self) -> usize {
        2
    }

    /// Rows are `[user, item]` indices.
    fn predict(&self, x: &Matrix) -> Result<Vec<f32>> {
        Ok(self.network.logits(x)?.into_vec())
    }
}

impl Recommend for MfRecommender {
    fn n_users(&self) -> usize {
        self.config.n_users
    }

    fn n_items(&self) -> usize {
        self.config.n_items
    }

    fn score_items(&self, user: usize) -> Result<Vec<f32>> {
        check_user(user, self.config.n_users)?;
        let items: Vec<usize> = (0..self.config.n_items).collect();
        self.predict_pairs(&vec![user; items.len()], &items)
    }
}
