//! Prototypical networks (Snell et al. 2017): an embedding trained on episodes so that each
//! query lands nearest its class's prototype (the mean embedding of the class's support rows),
//! with the two baselines a few-shot method must beat: nearest centroid on the raw features,
//! and a network pretrained on the meta-train classes fine-tuned (new head) on the support
//! rows.

use burn::optim::GradientsParams;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use consort_core::seed::{derive_seed, rng, seeded};
use consort_core::{BackendKind, ConsortError, Event, ObserverHandle, ParamGuard, Result};
use consort_data::Dataset;
use consort_data::batch::{rows_to_tensor, tensor_to_matrix};
use consort_models::{HasHead, Network, NetworkSpec};
use consort_tune::{OptimizerConfig, TrainConfig, Trainer};

use crate::stats::MeanInterval;
use crate::tasks::{Episode, FewShotSampler, MetaSplit};

/// Settings of prototypical-network training (the embedding network's architecture is a
/// [`NetworkSpec`] given to [`ProtoNet::train`]; its outputs are the embedding).
#[derive(Debug, Clone, PartialEq)]
pub struct ProtoConfig {
    /// Embedding size.
    pub embedding_dim: usize,
    /// Training episodes.
    pub episodes: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seed of initialisation and episodes.
    pub seed: u64,
    /// Backend of the embedding network (`None`: the default backend).
    pub backend: Option<BackendKind>,
}

impl Default for ProtoConfig {
    /// 64-d embeddings, 2,000 episodes, Adam 1e-3.
    fn default() -> Self {
        Self {
            embedding_dim: 64,
            episodes: 2000,
            learning_rate: 1e-3,
            seed: 0,
            backend: None,
        }
    }
}

impl ParamGuard for ProtoConfig {
    fn check(&self) -> Result<()> {
        if self.embedding_dim == 0 || self.episodes == 0 {
            return Err(ConsortError::config(
                "prototypical networks need an embedding, layers and episodes >= 1",
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(ConsortError::config("the learning rate must be positive"));
        }
        Ok(())
    }
}

/// A trained embedding.
#[derive(Debug)]
pub struct ProtoNet<N> {
    embedding: N,
    device: Device,
}

fn all_rows(data: &Dataset, device: &Device) -> Tensor<2> {
    let rows: Vec<usize> = (0..data.len()).collect();
    rows_to_tensor(data.features(), &rows, device)
}

fn labels(data: &Dataset, device: &Device) -> Tensor<2, Int> {
    let v: Vec<i64> = data.labels().iter().map(|&y| y as i64).collect();
    Tensor::from_data(TensorData::new(v, [data.len(), 1]), device)
}

/// Logits of the query rows: minus squared distances to the prototypes of the support rows
/// (grouped by class, K each, as [`FewShotSampler`] lays them out).
fn prototype_logits<N: Network>(embed: &N, episode: &Episode, device: &Device) -> Tensor<2> {
    let n = episode.support.n_classes();
    let k = episode.support.len() / n;
    let support = embed.forward(all_rows(&episode.support, device)).logits;
    let d = support.dims()[1];
    let prototypes = support.reshape([n, k, d]).mean_dim(1).reshape([n, d]);
    let query = embed.forward(all_rows(&episode.query, device)).logits;
    let q2 = query.clone().powi_scalar(2).sum_dim(1);
    let p2 = prototypes.clone().powi_scalar(2).sum_dim(1).reshape([1, n]);
    let cross = query.matmul(prototypes.transpose());
    (q2 + p2 - cross * 2.0).neg()
}

/// Share of `logits`' row-wise argmax equal to `data`'s labels.
fn accuracy(logits: Tensor<2>, data: &Dataset) -> Result<f64> {
    let m = tensor_to_matrix(logits)?;
    let hits = m
        .argmax_rows()
        .iter()
        .zip(data.labels())
        .filter(|(a, b)| a == b)
        .count();
    Ok(hits as f64 / data.len().max(1) as f64)
}

impl<N: Network> ProtoNet<N> {
    /// Trains an embedding built by `spec` (`n_features` inputs, `embedding_dim` outputs) on
    /// episodes of the meta-train classes.
    pub fn train<S: NetworkSpec<Net = N>>(
        sampler: &FewShotSampler,
        spec: &S,
        n_features: usize,
        config: &ProtoConfig,
        observer: &ObserverHandle,
    ) -> Result<Self> {
        config.check()?;
        if n_features != sampler.n_features() {
            return Err(ConsortError::ShapeMismatch(format!(
                "an embedding of {n_features} inputs for episodes of {} features",
                sampler.n_features()
            )));
        }
        let plain = BackendKind::chosen(config.backend)?.device()?;
        let device = plain.clone().autodiff();
        let mut embed = seeded(&device, derive_seed(config.seed, "protonet-init"), || {
            spec.build(n_features, config.embedding_dim, &device)
        })?;
        let mut optim = OptimizerConfig::Adam.init(0.0, None)?;
        let mut r = rng(derive_seed(config.seed, "protonet-episodes"));
        for e in 0..config.episodes {
            let episode = sampler.episode(MetaSplit::Train, &mut r)?;
            let logits = prototype_logits(&embed, &episode, &device);
            let loss = log_softmax(logits, 1)
                .gather(1, labels(&episode.query, &device))
                .mean()
                .neg();
            let grads = GradientsParams::from_grads(loss.backward(), &embed);
            embed = optim.step(config.learning_rate, embed, grads);
            observer.notify(&Event::Progress {
                label: "protonet",
                done: e + 1,
                total: config.episodes,
            });
        }
        Ok(Self {
            embedding: embed.valid(),
            device: plain,
        })
    }

    /// Accuracy on the query rows of one episode.
    pub fn episode_accuracy(&self, episode: &Episode) -> Result<f64> {
        accuracy(
            prototype_logits(&self.embedding, episode, &self.device),
            &episode.query,
        )
    }
}

/// Mean accuracy and interval of `score` over `episodes` episodes of `split`, drawn with
/// `seed` (the same episodes for every method given the same seed).
pub fn over_episodes(
    sampler: &FewShotSampler,
    split: MetaSplit,
    episodes: usize,
    seed: u64,
    mut score: impl FnMut(&Episode) -> Result<f64>,
) -> Result<MeanInterval> {
    let mut r = rng(derive_seed(seed, "evaluation-episodes"));
    let mut scores = Vec::with_capacity(episodes);
    for _ in 0..episodes {
        scores.push(score(&sampler.episode(split, &mut r)?)?);
    }
    Ok(MeanInterval::of(&scores))
}

/// The nearest-centroid baseline on raw features: each query row takes the class whose
/// support mean is nearest (Euclidean).
pub fn nearest_centroid(episode: &Episode) -> Result<f64> {
    let n = episode.support.n_classes();
    let x = episode.support.features();
    let d = x.cols();
    let mut centroids = vec![vec![0.0f64; d]; n];
    let mut counts = vec![0usize; n];
    for (row, &y) in x.iter_rows().zip(episode.support.labels()) {
        counts[y] += 1;
        for (c, &v) in centroids[y].iter_mut().zip(row) {
            *c += f64::from(v);
        }
    }
    for (c, &k) in centroids.iter_mut().zip(&counts) {
        c.iter_mut().for_each(|v| *v /= k.max(1) as f64);
    }
    let hits = episode
        .query
        .features()
        .iter_rows()
        .zip(episode.query.labels())
        .filter(|(row, y)| {
            let best = (0..n).min_by(|&a, &b| {
                let da: f64 = centroids[a]
                    .iter()
                    .zip(*row)
                    .map(|(c, &v)| (c - f64::from(v)).powi(2))
                    .sum();
                let db: f64 = centroids[b]
                    .iter()
                    .zip(*row)
                    .map(|(c, &v)| (c - f64::from(v)).powi(2))
                    .sum();
                da.total_cmp(&db)
            });
            best == Some(**y)
        })
        .count();
    Ok(hits as f64 / episode.query.len().max(1) as f64)
}

/// The fine-tuning baseline: `pretrained` (a classifier of the meta-train classes, inference
/// weights) gets a fresh head for the episode's classes, then every weight trains for
/// `steps` full-batch Adam steps of `lr` on the support rows, through the supervised loop,
/// on the backend `pretrained` lives on.
pub fn fine_tune<N: HasHead>(
    pretrained: &N,
    episode: &Episode,
    steps: usize,
    lr: f64,
    seed: u64,
) -> Result<f64> {
    let plain = match pretrained.devices().into_iter().next() {
        Some(device) => device,
        None => BackendKind::chosen(None)?.device()?,
    };
    let device = plain.clone().autodiff();
    let support = &episode.support;
    let model = seeded(&device, seed, || {
        pretrained
            .clone()
            .fork(&device)
            .train()
            .with_new_head(support.n_classes(), &device)
    });
    let config = TrainConfig::new()
        .with_epochs(steps)
        .with_batch_size(support.len())
        .with_learning_rate(lr)
        .with_seed(seed)
        .checked()?;
    let outcome =
        Trainer::new(config)
            .with_label("fine-tune")
            .fit(model, &device, support, None, &mut [])?;
    let model = outcome.model.valid();
    accuracy(
        model.forward(all_rows(&episode.query, &plain)).logits,
        &episode.query,
    )
}
