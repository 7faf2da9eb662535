//! The hybrid recommender: the large model (matrix factorisation) proposes, the small one
//! (the naive-Bayes content filter) filters. Each model's scores for a user are standardised
//! over the items (mean 0, deviation 1) and added, the filter's with `filter_weight`; items
//! the factorisation never saw in training (cold items: their factors are still the random
//! initialisation) and users it never saw (cold users) are scored by the filter and item
//! popularity instead, so a cold start is an answer, not an error or noise.

use std::sync::Arc;

use consort_core::{ConsortError, Recommend, Result, check_user};
use consort_data::Ratings;

/// Factorisation scores filtered by a content model.
pub struct Hybrid {
    primary: Arc<dyn Recommend>,
    filter: Arc<dyn Recommend>,
    filter_weight: f32,
    user_known: Vec<bool>,
    item_known: Vec<bool>,
    popularity: Vec<f32>,
}

impl std::fmt::Debug for Hybrid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hybrid")
            .field("filter_weight", &self.filter_weight)
            .finish_non_exhaustive()
    }
}

fn standardised(v: &[f32]) -> Vec<f32> {
    let n = v.len().max(1) as f32;
    let mean = v.iter().sum::<f32>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n)
        .sqrt()
        .max(1e-6);
    v.iter().map(|x| (x - mean) / sd).collect()
}

impl Hybrid {
    /// Combines `primary` and `filter`, both fitted on `train` (which says who and what is
    /// known); `filter_weight` >= 0 scales the filter's standardised scores.
    pub fn new(
        primary: Arc<dyn Recommend>,
        filter: Arc<dyn Recommend>,
        filter_weight: f32,
        train: &Ratings,
    ) -> Result<Self> {
        if !(filter_weight.is_finite() && filter_weight >= 0.0) {
            return Err(ConsortError::config(
                "the filter weight must be finite and >= 0",
            ));
        }
        if primary.n_users() != filter.n_users() || primary.n_items() != filter.n_items() {
            return Err(ConsortError::ShapeMismatch(format!(
                "the models know {}x{} and {}x{} users x items",
                primary.n_users(),
                primary.n_items(),
                filter.n_users(),
                filter.n_items()
            )));
        }
        let mut user_known = vec![false; primary.n_users()];
        let mut item_known = vec![false; primary.n_items()];
        let mut popularity = vec![0.0f32; primary.n_items()];
        for (&u, &i) in train.users.iter().zip(&train.items) {
            if u < user_known.len() && i < item_known.len() {
                user_known[u] = true;
                item_known[i] = true;
                popularity[i] += 1.0;
            }
        }
        Ok(Self {
            primary,
            filter,
            filter_weight,
            user_known,
            item_known,
            popularity: standardised(&popularity.iter().map(|c| c.ln_1p()).collect::<Vec<_>>()),
        })
    }
}

impl Recommend for Hybrid {
    fn n_users(&self) -> usize {
        self.primary.n_users()
    }

    fn n_items(&self) -> usize {
        self.primary.n_items()
    }

    fn score_items(&self, user: usize) -> Result<Vec<f32>> {
        check_user(user, self.n_users())?;
        let filter = standardised(&self.filter.score_items(user)?);
        if !self.user_known[user] {
            // A cold user: what is popular, steered by content.
            return Ok(self
                .popularity
                .iter()
                .zip(&filter)
                .map(|(p, f)| p + self.filter_weight * f)
                .collect());
        }
        let raw = self.primary.score_items(user)?;
        // Standardise over the items the factorisation knows; cold items get its mean.
        let known: Vec<f32> = raw
            .iter()
            .zip(&self.item_known)
            .filter(|(_, k)| **k)
            .map(|(s, _)| *s)
            .collect();
        let n = known.len().max(1) as f32;
        let mean = known.iter().sum::<f32>() / n;
        let sd = (known.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n)
            .sqrt()
            .max(1e-6);
        Ok(raw
            .iter()
            .zip(&self.item_known)
            .zip(&filter)
            .map(|((s, known), f)| {
                let primary = if *known { (s - mean) / sd } else { 0.0 };
                primary + self.filter_weight * f
            })
            .collect())
    }
}
