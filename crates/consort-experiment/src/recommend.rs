//! `consort recommend`: the recommender application on a ratings file. Trains the
//! candidates (popularity, matrix factorisation on explicit ratings and on implicit
//! feedback, and with an item file the naive-Bayes content filter and the factorisations
//! filtered by it), evaluates them (RMSE on a random 80/20 split; hit rate and NDCG at k with
//! each user's latest 20% held out), refits the one with the best NDCG on all ratings and
//! gives each user's top k.

use std::path::Path;
use std::sync::Arc;

use consort_core::{ConsortError, Event, Fit, ObserverHandle, Recommend, Result};
use consort_data::item_content::read_item_content;
use consort_data::{Ratings, read_ratings_csv};
use consort_eval::{RankingMetrics, rmse};
use consort_models::{ContentFilter, ContentFilterConfig, Hybrid, Popularity};
use consort_tune::{Feedback, MatrixFactorizationEstimator};

/// One candidate's held-out figures.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommenderScore {
    /// Its name.
    pub name: String,
    /// Hit rate at k (time-ordered split).
    pub hit_rate: f64,
    /// NDCG at k (time-ordered split).
    pub ndcg: f64,
}

/// What `consort recommend` found.
#[derive(Debug, Clone)]
pub struct RecommendReport {
    /// The ratings read.
    pub ratings: Ratings,
    /// Test RMSE of the explicit factorisation and of the global mean (random 80/20).
    pub rmse: (f64, f64),
    /// Every candidate on the time-ordered split.
    pub scores: Vec<RecommenderScore>,
    /// The candidate refitted on all ratings.
    pub chosen: String,
    /// Each user's top k (item indices), from the chosen candidate.
    pub top_k: Vec<Vec<usize>>,
}

/// The settings.
#[derive(Debug, Clone)]
pub struct RecommendConfig {
    /// Recommendations per user.
    pub k: usize,
    /// The factorisation's L2 penalty.
    pub l2: f32,
    /// Seed of the splits, negatives and initialisations.
    pub seed: u64,
    /// Where progress goes: a stage per candidate and the factorisations' epochs.
    pub observer: ObserverHandle,
    /// Backend of the factorisations (`None`: the default backend).
    pub backend: Option<consort_core::BackendKind>,
}

impl Default for RecommendConfig {
    fn default() -> Self {
        Self {
            k: 10,
            l2: 0.2,
            seed: 0,
            observer: ObserverHandle::none(),
            backend: None,
        }
    }
}

impl RecommendConfig {
    /// A factorisation with these settings: L2, seed, backend, observer.
    fn factorisation(&self, feedback: Feedback) -> MatrixFactorizationEstimator {
        let mut est = MatrixFactorizationEstimator {
            l2: self.l2,
            feedback,
            backend: self.backend,
            ..Default::default()
        }
        .with_observer(self.observer.clone());
        est.train = est.train.with_seed(self.seed);
        est
    }
}

const CANDIDATES: [&str; 6] = [
    "popularity",
    "MF explicit",
    "MF implicit",
    "content filter",
    "MF explicit + filter",
    "MF implicit + filter",
];

fn build(
    name: &str,
    train: &Ratings,
    content: Option<&consort_core::Matrix>,
    config: &RecommendConfig,
) -> Result<Option<Arc<dyn Recommend>>> {
    let mf = |feedback| -> Result<Arc<dyn Recommend>> {
        let mut est = config.factorisation(feedback);
        if feedback != Feedback::Explicit {
            est.train = est.train.with_epochs(20);
        }
        Ok(Arc::new(est.fit(train)?))
    };
    let filter = |content: &consort_core::Matrix| -> Result<Arc<dyn Recommend>> {
        let c = ContentFilterConfig {
            seed: config.seed,
            ..ContentFilterConfig::default()
        };
        Ok(Arc::new(ContentFilter::fit(&c, train, content)?))
    };
    let implicit = Feedback::Implicit { negatives: 12 };
    Ok(Some(match (name, content) {
        ("popularity", _) => Arc::new(Popularity::fit(train)?),
        ("MF explicit", _) => mf(Feedback::Explicit)?,
        ("MF implicit", _) => mf(implicit)?,
        ("content filter", Some(c)) => filter(c)?,
        ("MF explicit + filter", Some(c)) => Arc::new(Hybrid::new(
            mf(Feedback::Explicit)?,
            filter(c)?,
            1.0,
            train,
        )?),
        ("MF implicit + filter", Some(c)) => {
            Arc::new(Hybrid::new(mf(implicit)?, filter(c)?, 0.5, train)?)
        }
        _ => return Ok(None),
    }))
}

/// Runs the application on `ratings_path` (`user,item,rating[,timestamp]`) with an optional
/// item file (`movieId,title,year,genres`).
pub fn run_recommender(
    ratings_path: &Path,
    items_path: Option<&Path>,
    config: &RecommendConfig,
) -> Result<RecommendReport> {
    if config.k == 0 {
        return Err(ConsortError::config("k must be at least 1"));
    }
    let ratings = read_ratings_csv(ratings_path, b',')?;
    let content = items_path
        .map(|p| read_item_content(p, &ratings, 200).map(|c| c.features))
        .transpose()?;
    let stages = CANDIDATES.len() + 2;
    let stage = |done: usize, what: &str| {
        config.observer.notify(&Event::Stage {
            message: &format!("[{}/{stages}] {what}", done + 1),
        });
    };
    stage(0, "rating prediction: MF explicit on a random 80%");
    let (train, test) = ratings.split_random(0.2, config.seed)?;
    let explicit = config.factorisation(Feedback::Explicit).fit(&train)?;
    let rmse_pair = (
        rmse(
            &test.values,
            &explicit.predict_pairs(&test.users, &test.items)?,
        )?,
        rmse(&test.values, &vec![train.mean() as f32; test.len()])?,
    );
    let (train, test) = ratings.split_per_user(0.2, config.seed)?;
    let (seen, relevant) = (train.items_by_user(), test.items_by_user());
    let mut scores = Vec::new();
    for (i, name) in CANDIDATES.into_iter().enumerate() {
        stage(i + 1, &format!("top-{}: {name}", config.k));
        if let Some(model) = build(name, &train, content.as_ref(), config)? {
            let m = RankingMetrics::compute(model.as_ref(), &seen, &relevant, config.k)?;
            scores.push(RecommenderScore {
                name: name.into(),
                hit_rate: m.hit_rate,
                ndcg: m.ndcg,
            });
        }
    }
    let chosen = scores
        .iter()
        .max_by(|a, b| a.ndcg.total_cmp(&b.ndcg))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "popularity".into());
    stage(stages - 1, &format!("{chosen} refitted on every rating"));
    let model = build(&chosen, &ratings, content.as_ref(), config)?
        .ok_or_else(|| ConsortError::config("the chosen recommender needs the item file"))?;
    let all_seen = ratings.items_by_user();
    let top_k = (0..ratings.n_users())
        .map(|u| model.recommend(u, config.k, &all_seen[u]))
        .collect::<Result<_>>()?;
    Ok(RecommendReport {
        ratings,
        rmse: rmse_pair,
        scores,
        chosen,
        top_k,
    })
}
