//! Consort meta-learning: models that learn across a family of tasks so that a new task needs
//! only a few examples and a few gradient steps.
//!
//! - [`tasks`]: the sinusoid regression family and an N-way K-shot episode sampler over any
//!   labelled [`consort_data::Dataset`] (classes split into meta-train / meta-validation /
//!   meta-test, labels remapped per episode, seeded).
//! - [`maml`]: first-order MAML and Reptile, each an inner loop that adapts a clone of the
//!   model and an outer loop through the project's optimisers, with the pretrained-on-all-tasks
//!   baseline and the adaptation curve (loss after 0, 1, 5, 10 steps, mean and 95% interval).
//!   burn's autodiff is first order (no gradient through the inner steps), so MAML here is
//!   first-order MAML (Finn et al.'s FOMAML): the query gradient at the adapted weights is the
//!   meta-gradient.
//! - [`protonet`]: prototypical networks (Snell et al. 2017) with the nearest-centroid and
//!   fine-tuning baselines.
//! - [`selection`]: meta-learned model selection: meta-features, a knowledge base of the
//!   portfolio's results on real datasets, nearest-dataset ranking, try-and-switch, and the
//!   leave-one-dataset-out evaluation.

#![warn(missing_docs)]

pub mod maml;
pub mod protonet;
pub mod selection;
pub mod stats;
pub mod tasks;
