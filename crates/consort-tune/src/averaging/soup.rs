//! Model soups (Wortsman et al., 2022): networks fine-tuned from one pretrained start with
//! different hyperparameters, their weights averaged into one network that predicts at the
//! cost of one.
//!
//! * The **uniform soup** averages every ingredient. It works when the ingredients lie in one
//!   basin of the loss, which fine-tuning from a shared start gives; networks trained from
//!   different starts have their hidden units in unrelated orders (any permutation of a
//!   layer's units is the same function), so their average mixes unrelated units and is
//!   usually far worse than either.
//! * The **greedy soup** sorts the ingredients by validation score and adds each to the soup
//!   only if the soup's validation score does not drop, so on the validation rows it is never
//!   worse than its best ingredient.

use consort_core::{Classifier, ConsortError, Result};
use consort_data::Dataset;
use consort_eval::{accuracy, log_loss};
use consort_models::{Network, NetworkClassifier};
use serde::{Deserialize, Serialize};

use super::weights::average_models;

/// A classifier's validation accuracy and log-loss: better means higher accuracy, then lower
/// log-loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SoupScore {
    /// Accuracy on the validation rows.
    pub accuracy: f64,
    /// Log-loss on the validation rows.
    pub log_loss: f64,
}

impl SoupScore {
    /// Scores `model` on `valid`.
    pub fn of(model: &dyn Classifier, valid: &Dataset) -> Result<Self> {
        let (proba, predicted) = model.predict_with_proba(valid.features())?;
        Ok(Self {
            accuracy: accuracy(valid.labels(), &predicted)?,
            log_loss: log_loss(valid.labels(), &proba)?,
        })
    }

    /// At least as good as `other`: higher accuracy, or equal accuracy and no higher log-loss.
    pub fn at_least(&self, other: &Self) -> bool {
        self.accuracy > other.accuracy
            || (self.accuracy == other.accuracy && self.log_loss <= other.log_loss)
    }
}

/// One ingredient's fate in a greedy soup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoupStep {
    /// Index of the ingredient in the caller's list.
    pub ingredient: usize,
    /// The ingredient's own validation score.
    pub alone: SoupScore,
    /// The soup's validation score with the ingredient added.
    pub with_it: SoupScore,
    /// Whether it stayed in the soup.
    pub kept: bool,
}

/// How a greedy soup was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoupReport {
    /// Ingredients in the order tried (best alone first).
    pub steps: Vec<SoupStep>,
    /// The final soup's validation score.
    pub score: SoupScore,
}

impl SoupReport {
    /// Indices of the ingredients in the soup.
    pub fn kept(&self) -> Vec<usize> {
        self.steps
            .iter()
            .filter(|s| s.kept)
            .map(|s| s.ingredient)
            .collect()
    }
}

/// A classifier like `like` (device, sizes, compute) around `model`.
fn classifier_like<M: Network>(like: &NetworkClassifier<M>, model: M) -> NetworkClassifier<M> {
    let out = NetworkClassifier::new(
        model,
        like.device().clone(),
        like.n_features(),
        like.n_classes(),
    );
    match like.macs_per_sample() {
        Some(macs) => out.with_macs_per_sample(macs),
        None => out,
    }
}

fn check_ingredients<M: Network>(ingredients: &[NetworkClassifier<M>]) -> Result<()> {
    let first = ingredients
        .first()
        .ok_or_else(|| ConsortError::EmptyDataset("a soup needs at least one ingredient".into()))?;
    for (i, m) in ingredients.iter().enumerate() {
        if m.n_features() != first.n_features() || m.n_classes() != first.n_classes() {
            return Err(ConsortError::ShapeMismatch(format!(
                "ingredient {i} maps {} features to {} classes, ingredient 0 {} to {}",
                m.n_features(),
                m.n_classes(),
                first.n_features(),
                first.n_classes()
            )));
        }
    }
    Ok(())
}

/// Averages the weights of `ingredients` (`weights`: per ingredient, normalised; `None`:
/// uniform) into one network.
pub fn weight_average<M: Network>(
    ingredients: &[NetworkClassifier<M>],
    weights: Option<&[f64]>,
) -> Result<NetworkClassifier<M>> {
    check_ingredients(ingredients)?;
    let models: Vec<M> = ingredients.iter().map(|c| c.model()).collect();
    Ok(classifier_like(
        &ingredients[0],
        average_models(&models, weights)?,
    ))
}

/// The uniform soup: every ingredient's weights averaged equally.
pub fn uniform_soup<M: Network>(
    ingredients: &[NetworkClassifier<M>],
) -> Result<NetworkClassifier<M>> {
    weight_average(ingredients, None)
}

/// The greedy soup over `ingredients`, scored on `valid` (rows none of them trained on).
pub fn greedy_soup<M: Network>(
    ingredients: &[NetworkClassifier<M>],
    valid: &Dataset,
) -> Result<(NetworkClassifier<M>, SoupReport)> {
    check_ingredients(ingredients)?;
    let alone: Vec<SoupScore> = ingredients
        .iter()
        .map(|m| SoupScore::of(m, valid))
        .collect::<Result<_>>()?;
    let mut order: Vec<usize> = (0..ingredients.len()).collect();
    // Best alone first; the caller's order breaks ties, so the soup is deterministic.
    order.sort_by(|&a, &b| {
        if alone[a].at_least(&alone[b]) && alone[b].at_least(&alone[a]) {
            a.cmp(&b)
        } else if alone[a].at_least(&alone[b]) {
            std::cmp::Ordering::Less
        } else {
            std::cmp::Ordering::Greater
        }
    });
    let first = order[0];
    let mut kept = vec![first];
    let mut best = alone[first];
    let models: Vec<M> = ingredients.iter().map(|c| c.model()).collect();
    let mut soup = classifier_like(&ingredients[first], models[first].clone());
    let mut steps = vec![SoupStep {
        ingredient: first,
        alone: alone[first],
        with_it: best,
        kept: true,
    }];
    for &i in &order[1..] {
        let mut candidate_members = kept.clone();
        candidate_members.push(i);
        let chosen: Vec<M> = candidate_members
            .iter()
            .map(|&k| models[k].clone())
            .collect();
        let candidate = classifier_like(&ingredients[first], average_models(&chosen, None)?);
        let score = SoupScore::of(&candidate, valid)?;
        let keep = score.at_least(&best);
        if keep {
            kept = candidate_members;
            best = score;
            soup = candidate;
        }
        steps.push(SoupStep {
            ingredient: i,
            alone: alone[i],
            with_it: score,
            kept: keep,
        });
    }
    Ok((soup, SoupReport { steps, score: best }))
}
