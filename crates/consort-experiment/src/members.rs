//! From a [`ModelSpec`] to a fitted member that can also save itself: the estimator side of
//! the experiment's members, refitted per fold for the out-of-fold predictions.

use std::path::Path;
use std::sync::Arc;

use consort_core::seed::derive_seed;
use consort_core::{
    BackendKind, Classifier, ClassifierEstimator, ConsortError, Fit, FitWeighted, Matrix,
    ObserverHandle, Result, balanced_sample_weights,
};
use consort_data::Dataset;
use consort_models::{
    HistGradientBoostingConfig, NetworkClassifier, NetworkSpec, RandomForestConfig, Standardized,
    StandardizedModel,
};
use consort_tune::{NetworkEstimator, TrainConfig};
use serde::Serialize;

use crate::config::{ModelKind, ModelSpec};

/// A fitted member that can write itself into a folder ([`crate::SavedModel`] reads it back).
pub(crate) trait SaveableClassifier: Classifier {
    /// Writes the model into `dir` (which exists and is empty).
    fn save_to(&self, dir: &Path) -> Result<()>;
}

/// How the experiment trains its networks.
#[derive(Debug, Clone)]
pub(crate) struct NetworkSettings {
    /// The experiment's seed.
    pub seed: u64,
    /// Backend (`None`: the default).
    pub backend: Option<BackendKind>,
    /// Epochs of every network, when given.
    pub epochs: Option<usize>,
    /// Training events.
    pub observer: ObserverHandle,
}

/// A member's estimator: the spec, resolved against the data (the CNN's image side) and the
/// experiment's network settings.
#[derive(Debug, Clone)]
pub(crate) struct MemberEstimator {
    pub spec: ModelSpec,
    /// The training seed's label: the kind for the first member of a kind, so the shipped
    /// main job keeps its figures, the kind and name for later ones.
    pub seed_label: String,
    pub network: NetworkSettings,
    /// Fit with balanced class weights where the model takes sample weights.
    pub balanced: bool,
    /// Image height and width for a CNN.
    pub image: Option<(usize, usize)>,
    /// The block of columns the member reads (text mode: embeddings or token ids); `None`:
    /// all of them.
    pub view: Option<std::ops::Range<usize>>,
    /// Word-piece vocabulary size for sequence networks (text mode).
    pub vocab_size: usize,
}

impl MemberEstimator {
    /// Whether this member's model takes sample weights (class weighting reaches it): all
    /// but kNN, whose vote has no place for them.
    pub fn takes_weights(&self) -> bool {
        !matches!(self.spec.kind, ModelKind::Knn(_))
    }

    /// A network's epochs on `n_rows`: the experiment's override, else the member's own cut
    /// to its step budget (at least one); with the member's own for comparison. `None` for
    /// classical members.
    pub fn planned_epochs(&self, n_rows: usize) -> Option<(usize, usize)> {
        let (epochs, batch, max_steps) = match &self.spec.kind {
            ModelKind::Mlp(p) => (p.epochs, p.batch_size, p.max_steps),
            ModelKind::Cnn(p) => (p.epochs, p.batch_size, p.max_steps),
            ModelKind::Transformer(p) | ModelKind::Lstm(p) => (p.epochs, p.batch_size, p.max_steps),
            _ => return None,
        };
        if let Some(e) = self.network.epochs {
            return Some((e, e));
        }
        let steps_per_epoch = n_rows.div_ceil(batch.max(1)).max(1);
        Some(((max_steps / steps_per_epoch).clamp(1, epochs), epochs))
    }

    /// A stochastic classical member's seed: derived from the experiment's seed (so `--seed`
    /// reaches it, as it reaches the networks' initialisation and shuffles) and the member's
    /// own `seed` key, which picks another stream under the same experiment seed.
    fn member_seed(&self, own: u64) -> u64 {
        derive_seed(self.network.seed, &format!("{}/seed{own}", self.seed_label))
    }

    /// A network's epochs on `data` (see [`MemberEstimator::planned_epochs`]).
    fn epochs(&self, data: &Dataset) -> usize {
        self.planned_epochs(data.len())
            .map_or(1, |(epochs, _)| epochs)
    }

    /// A network's training seed: the experiment's, derived by the member's label.
    fn seed(&self) -> u64 {
        derive_seed(self.network.seed, &self.seed_label)
    }

    fn network<S: NetworkSpec>(&self, spec: S, train: TrainConfig) -> NetworkEstimator<S> {
        let mut est =
            NetworkEstimator::new(spec, train).with_observer(self.network.observer.clone());
        est.backend = self.network.backend;
        est
    }

    /// Fits on `data` (its `view` columns when it has one; with balanced sample weights when
    /// asked and possible).
    pub fn fit_member(&self, data: &Dataset) -> Result<Arc<dyn SaveableClassifier>> {
        let Some(range) = &self.view else {
            return self.fit_all_columns(data);
        };
        let view = data.with_features(data.features().select_columns(range.clone())?)?;
        Ok(Arc::new(ViewMember {
            range: range.clone(),
            n_features: data.n_features(),
            inner: self.fit_all_columns(&view)?,
        }))
    }

    fn fit_all_columns(&self, data: &Dataset) -> Result<Arc<dyn SaveableClassifier>> {
        let weights = (self.balanced && self.takes_weights())
            .then(|| balanced_sample_weights(data.labels(), data.n_classes()));
        let weights = weights.as_deref();
        let std = self.spec.standardize;
        let key = self.spec.kind.key();
        Ok(match &self.spec.kind {
            ModelKind::Mlp(p) => {
                let spec = p.network();
                let est =
                    self.network(spec.clone(), p.train_config(self.epochs(data), self.seed()));
                Arc::new(fit_network(spec, est, std, weights, data)?)
            }
            ModelKind::Cnn(p) => {
                let (h, w) = self.image.ok_or_else(|| {
                    ConsortError::config("a cnn member needs an image height and width")
                })?;
                let spec = p.network((h, w));
                let est =
                    self.network(spec.clone(), p.train_config(self.epochs(data), self.seed()));
                Arc::new(fit_network(spec, est, std, weights, data)?)
            }
            ModelKind::Logistic(c) => fit_weighted(key, c, std, weights, data)?,
            ModelKind::Tree(c) => fit_weighted(key, c, std, weights, data)?,
            ModelKind::Forest(c) => {
                let c = RandomForestConfig {
                    seed: self.member_seed(c.seed),
                    ..c.clone()
                };
                fit_weighted(key, &c, std, weights, data)?
            }
            ModelKind::GaussianNb(c) => fit_weighted(key, c, std, weights, data)?,
            ModelKind::Boosting(c) => {
                let c = HistGradientBoostingConfig {
                    seed: self.member_seed(c.seed),
                    ..c.clone()
                };
                fit_weighted(key, &c, std, weights, data)?
            }
            ModelKind::AdaBoost(c) => fit_weighted(key, c, std, weights, data)?,
            ModelKind::MultinomialNb(c) => fit_weighted(key, c, std, weights, data)?,
            ModelKind::Knn(c) => fit_plain(key, c, std, data)?,
            ModelKind::Transformer(p) => {
                let spec = p.transformer(self.vocab_size, data.n_features());
                let est =
                    self.network(spec.clone(), p.train_config(self.epochs(data), self.seed()));
                Arc::new(fit_network(spec, est, false, weights, data)?)
            }
            ModelKind::Lstm(p) => {
                let spec = p.lstm(self.vocab_size);
                let est =
                    self.network(spec.clone(), p.train_config(self.epochs(data), self.seed()));
                Arc::new(fit_network(spec, est, false, weights, data)?)
            }
        })
    }
}

/// A member fitted on a block of columns (one view of text mode): it reads only those.
struct ViewMember {
    range: std::ops::Range<usize>,
    n_features: usize,
    inner: Arc<dyn SaveableClassifier>,
}

impl Classifier for ViewMember {
    fn n_classes(&self) -> usize {
        self.inner.n_classes()
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        consort_core::check_input(x, self.n_features)?;
        self.inner
            .predict_proba(&x.select_columns(self.range.clone())?)
    }
    fn macs_per_sample(&self) -> Option<u64> {
        self.inner.macs_per_sample()
    }
}

impl SaveableClassifier for ViewMember {
    fn save_to(&self, _dir: &Path) -> Result<()> {
        Err(ConsortError::config(
            "models of text columns cannot be saved yet (their input needs MiniLM at predict \
             time)",
        ))
    }
}

impl ClassifierEstimator<Dataset> for MemberEstimator {
    fn fit_classifier(&self, data: &Dataset) -> Result<Arc<dyn Classifier>> {
        Ok(self.fit_member(data)?)
    }
}

/// A fitted member: the model (behind its scaler or not) and how it is written to disk.
pub(crate) struct Fitted<M, P> {
    model: Scaled<M>,
    persist: P,
}

/// How a fitted model of type `M` is written into a member folder.
pub(crate) trait Persist<M>: Send + Sync {
    fn save(&self, model: &Scaled<M>, dir: &Path) -> Result<()>;
}

/// Classical models: the model (and its scaler) as JSON, under the kind's key.
pub(crate) struct AsJson(&'static str);

/// Networks: the scaler as JSON, the architecture and weights in burn's format.
pub(crate) struct AsNetwork<S>(S);

/// A model with or without the scaler fitted in front of it.
pub(crate) enum Scaled<M> {
    Plain(M),
    Standardized(StandardizedModel<M>),
}

impl<M: Classifier> Scaled<M> {
    fn get(&self) -> &dyn Classifier {
        match self {
            Self::Plain(m) => m,
            Self::Standardized(m) => m,
        }
    }
}

/// What `member.json` holds.
#[derive(Serialize, serde::Deserialize)]
pub(crate) struct MemberFile<T> {
    pub kind: String,
    pub standardized: bool,
    pub model: T,
}

fn fit_plain<E>(
    key: &'static str,
    est: &E,
    standardize: bool,
    data: &Dataset,
) -> Result<Arc<dyn SaveableClassifier>>
where
    E: Fit<Dataset> + Clone,
    E::Object: Classifier + Serialize + 'static,
{
    let model = if standardize {
        Scaled::Standardized(Standardized(est.clone()).fit(data)?)
    } else {
        Scaled::Plain(est.fit(data)?)
    };
    Ok(Arc::new(Fitted {
        model,
        persist: AsJson(key),
    }))
}

fn fit_weighted<E>(
    key: &'static str,
    est: &E,
    standardize: bool,
    weights: Option<&[f32]>,
    data: &Dataset,
) -> Result<Arc<dyn SaveableClassifier>>
where
    E: FitWeighted<Dataset> + Clone,
    E::Object: Classifier + Serialize + 'static,
{
    let Some(w) = weights else {
        return fit_plain(key, est, standardize, data);
    };
    let model = if standardize {
        Scaled::Standardized(Standardized(est.clone()).fit_weighted(data, w)?)
    } else {
        Scaled::Plain(est.fit_weighted(data, w)?)
    };
    Ok(Arc::new(Fitted {
        model,
        persist: AsJson(key),
    }))
}

impl<M: Classifier, P: Persist<M>> Classifier for Fitted<M, P> {
    fn n_classes(&self) -> usize {
        self.model.get().n_classes()
    }
    fn n_features(&self) -> usize {
        self.model.get().n_features()
    }
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        self.model.get().predict_proba(x)
    }
    fn predict_with_proba(&self, x: &Matrix) -> Result<(Matrix, Vec<usize>)> {
        self.model.get().predict_with_proba(x)
    }
    fn macs_per_sample(&self) -> Option<u64> {
        self.model.get().macs_per_sample()
    }
}

impl<M: Classifier, P: Persist<M>> SaveableClassifier for Fitted<M, P> {
    fn save_to(&self, dir: &Path) -> Result<()> {
        self.persist.save(&self.model, dir)
    }
}

impl<M: Serialize> Persist<M> for AsJson {
    fn save(&self, model: &Scaled<M>, dir: &Path) -> Result<()> {
        let json = match model {
            Scaled::Plain(m) => serde_json::to_value(m),
            Scaled::Standardized(m) => serde_json::to_value(m),
        }
        .map_err(|e| ConsortError::Serialization(e.to_string()))?;
        let file = MemberFile {
            kind: self.0.to_string(),
            standardized: matches!(model, Scaled::Standardized(_)),
            model: json,
        };
        consort_core::io::save_json(&file, &dir.join("member.json"))
    }
}

fn fit_network<S>(
    spec: S,
    est: NetworkEstimator<S>,
    standardize: bool,
    weights: Option<&[f32]>,
    data: &Dataset,
) -> Result<Fitted<NetworkClassifier<S::Net>, AsNetwork<S>>>
where
    S: NetworkSpec + Serialize,
{
    let model = match (standardize, weights) {
        (true, Some(w)) => Scaled::Standardized(Standardized(est).fit_weighted(data, w)?),
        (true, None) => Scaled::Standardized(Standardized(est).fit(data)?),
        (false, Some(w)) => Scaled::Plain(est.fit_weighted(data, w)?),
        (false, None) => Scaled::Plain(est.fit(data)?),
    };
    Ok(Fitted {
        model,
        persist: AsNetwork(spec),
    })
}

impl<S: NetworkSpec + Serialize> Persist<NetworkClassifier<S::Net>> for AsNetwork<S> {
    fn save(&self, model: &Scaled<NetworkClassifier<S::Net>>, dir: &Path) -> Result<()> {
        let (net, scaler) = match model {
            Scaled::Plain(m) => (m, None),
            Scaled::Standardized(m) => (m.inner(), Some(m.scaler())),
        };
        consort_core::io::save_json(
            &MemberFile {
                kind: self.0.name().to_string(),
                standardized: scaler.is_some(),
                model: scaler,
            },
            &dir.join("member.json"),
        )?;
        net.save(&self.0, &dir.join("network"))
    }
}
