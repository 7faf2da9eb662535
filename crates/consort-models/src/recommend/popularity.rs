//! The popularity baseline: recommend the items rated most often.

use consort_core::{ConsortError, Recommend, Result, check_user};
use consort_data::Ratings;
use serde::{Deserialize, Serialize};

/// Scores every item by how many training ratings it has, the same for every user: the
/// baseline a personalised recommender must beat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Popularity {
    counts: Vec<f32>,
    n_users: usize,
}

impl Popularity {
    /// Counts the ratings per item.
    pub fn fit(ratings: &Ratings) -> Result<Self> {
        if ratings.is_empty() {
            return Err(ConsortError::EmptyDataset("no ratings to count".into()));
        }
        let mut counts = vec![0.0f32; ratings.n_items()];
        for &i in &ratings.items {
            counts[i] += 1.0;
        }
        Ok(Self {
            counts,
            n_users: ratings.n_users(),
        })
    }
}

impl Recommend for Popularity {
    fn n_users(&self) -> usize {
        self.n_users
    }

    fn n_items(&self) -> usize {
        self.counts.len()
    }

    fn score_items(&self, user: usize) -> Result<Vec<f32>> {
        check_user(user, self.n_users)?;
        Ok(self.counts.clone())
    }
}

impl consort_core::io::Validate for Popularity {
    fn validate(&self) -> Result<()> {
        consort_core::io::ensure(
            !self.counts.is_empty() && self.counts.iter().all(|c| c.is_finite() && *c >= 0.0),
            || "popularity counts must be >= 1 finite non-negative number".into(),
        )
    }
}
