//! The content filter: multinomial naive Bayes that predicts whether an item is relevant to
//! a user from the item's content (genres, decade, title words) and the user's history (how
//! much of what the user liked shares each of those tokens). The small model beside the
//! large one: it knows every item that has a description, rated or not, and every user with
//! a history, so it filters the factorisation's candidates and covers cold items.
//!
//! Training rows: every (user, item) the user rated at or above `like_threshold` is
//! relevant; as many items the user never rated, drawn with the seed, are not. A row's
//! features are the item's token counts followed by the same counts weighted by the user's
//! affinity to each token (the share of the user's liked items that carry it), so that
//! "a comedy" and "a comedy for someone who likes comedies" are different evidence.

use consort_core::seed::rng;
use consort_core::{
    Classifier, ConsortError, FitWith, Matrix, ParamGuard, Recommend, Result, check_user,
};
use consort_data::{Dataset, Ratings};
use rand::Rng;

use crate::bayes::{MultinomialNb, MultinomialNbConfig};

/// The content filter's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentFilterConfig {
    /// Ratings at or above this count as liked.
    pub like_threshold: f32,
    /// Unrated items drawn per liked one as "not relevant".
    pub negatives_per_positive: usize,
    /// Naive Bayes smoothing.
    pub alpha: f64,
    /// Seed of the negatives.
    pub seed: u64,
}

impl Default for ContentFilterConfig {
    fn default() -> Self {
        Self {
            like_threshold: 4.0,
            negatives_per_positive: 1,
            alpha: 1.0,
            seed: 0,
        }
    }
}

impl ParamGuard for ContentFilterConfig {
    fn check(&self) -> Result<()> {
        if !self.like_threshold.is_finite() || self.negatives_per_positive == 0 {
            return Err(ConsortError::config(
                "the content filter needs a finite like threshold and >= 1 negative per positive",
            ));
        }
        MultinomialNbConfig { alpha: self.alpha }.check()
    }
}

/// A fitted content filter.
#[derive(Debug, Clone)]
pub struct ContentFilter {
    nb: MultinomialNb,
    content: Matrix,
    /// Per user, the affinity to each token.
    profiles: Vec<Vec<f32>>,
}

/// Rows fed to naive Bayes at a time (bounded memory on large rating sets).
const CHUNK: usize = 4096;

impl ContentFilter {
    /// Fits on `ratings` with item `content` (`n_items x tokens` counts).
    pub fn fit(config: &ContentFilterConfig, ratings: &Ratings, content: &Matrix) -> Result<Self> {
        config.check()?;
        if content.rows() != ratings.n_items() {
            return Err(ConsortError::ShapeMismatch(format!(
                "content for {} items, the ratings have {}",
                content.rows(),
                ratings.n_items()
            )));
        }
        if ratings.is_empty() {
            return Err(ConsortError::EmptyDataset(
                "no ratings to learn from".into(),
            ));
        }
        let t = content.cols();
        let mut liked: Vec<Vec<usize>> = vec![Vec::new(); ratings.n_users()];
        let mut rated: Vec<Vec<usize>> = vec![Vec::new(); ratings.n_users()];
        for ((&u, &i), &v) in ratings
            .users
            .iter()
            .zip(&ratings.items)
            .zip(&ratings.values)
        {
            rated[u].push(i);
            if v >= config.like_threshold {
                liked[u].push(i);
            }
        }
        let profiles: Vec<Vec<f32>> = liked
            .iter()
            .map(|items| {
                let mut p = vec![0.0f32; t];
                for &i in items {
                    for (acc, &c) in p.iter_mut().zip(content.row(i)) {
                        *acc += c;
                    }
                }
                let n = items.len().max(1) as f32;
                p.iter_mut().for_each(|v| *v /= n);
                p
            })
            .collect();
        let mut filter = Self {
            nb: MultinomialNb::empty(
                &MultinomialNbConfig {
                    alpha: config.alpha,
                },
                2,
                2 * t,
            )?,
            content: content.clone(),
            profiles,
        };
        let mut r = rng(config.seed);
        let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
        for (u, items) in liked.iter().enumerate() {
            let mut seen = rated[u].clone();
            seen.sort_unstable();
            for &i in items {
                pairs.push((u, i, 1));
                for _ in 0..config.negatives_per_positive {
                    // An unrated item (a few tries; a user who rated everything has none).
                    for _ in 0..32 {
                        let j = r.random_range(0..ratings.n_items());
                        if seen.binary_search(&j).is_err() {
                            pairs.push((u, j, 0));
                            break;
                        }
                    }
                }
            }
        }
        if !pairs.iter().any(|p| p.2 == 1) {
            return Err(ConsortError::TooFewClasses(format!(
                "no rating reaches the like threshold {}",
                config.like_threshold
            )));
        }
        for chunk in pairs.chunks(CHUNK) {
            let mut x = Matrix::zeros(chunk.len(), 2 * t);
            for (row, &(u, i, _)) in chunk.iter().enumerate() {
                filter.features_into(u, i, x.row_mut(row));
            }
            let labels = chunk.iter().map(|p| p.2).collect();
            filter.nb.fit_with(&Dataset::new(x, labels, 2)?)?;
        }
        Ok(filter)
    }

    fn features_into(&self, user: usize, item: usize, out: &mut [f32]) {
        let t = self.content.cols();
        let c = self.content.row(item);
        out[..t].copy_from_slice(c);
        for ((o, &v), &a) in out[t..].iter_mut().zip(c).zip(&self.profiles[user]) {
            *o = v * a;
        }
    }

    /// The probability that each item is relevant to `user`.
    pub fn relevance(&self, user: usize) -> Result<Vec<f32>> {
        check_user(user, self.profiles.len())?;
        let n = self.content.rows();
        let mut out = Vec::with_capacity(n);
        for start in (0..n).step_by(CHUNK) {
            let end = (start + CHUNK).min(n);
            let mut x = Matrix::zeros(end - start, 2 * self.content.cols());
            for i in start..end {
                self.features_into(user, i, x.row_mut(i - start));
            }
            let p = self.nb.predict_proba(&x)?;
            out.extend((0..end - start).map(|r| p.row(r)[1]));
        }
        Ok(out)
    }
}

impl Recommend for ContentFilter {
    fn n_users(&self) -> usize {
        self.profiles.len()
    }

    fn n_items(&self) -> usize {
        self.content.rows()
    }

    fn score_items(&self, user: usize) -> Result<Vec<f32>> {
        self.relevance(user)
    }
}
