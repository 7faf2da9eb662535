//! The recommender application on MovieLens (latest-small, 100,004 ratings, through the
//! fetch command): biased matrix factorisation reaches the rating accuracy of common
//! libraries, the naive-Bayes content filter learns what users like from genres, decades and
//! title words, the filtered hybrid improves the explicit factorisation's top-10, and cold
//! users and items get recommendations instead of errors.

use std::sync::Arc;

use consort_core::{Fit, Recommend};
use consort_data::fetch::{Asset, fetch};
use consort_data::item_content::read_item_content;
use consort_data::{Ratings, read_ratings_csv};
use consort_eval::{RankingMetrics, rmse};
use consort_models::{ContentFilter, ContentFilterConfig, Hybrid};
use consort_tune::{Feedback, MatrixFactorizationEstimator};

fn movielens() -> (Ratings, consort_core::Matrix) {
    let dir = fetch(Asset::MovieLens).unwrap();
    let ratings = read_ratings_csv(dir.join("ratings.csv"), b',').unwrap();
    let content = read_item_content(&dir.join("movies.csv"), &ratings, 200).unwrap();
    (ratings, content.features)
}

fn explicit_mf(train: &Ratings) -> consort_models::MfRecommender {
    MatrixFactorizationEstimator {
        l2: 0.2,
        feedback: Feedback::Explicit,
        ..Default::default()
    }
    .fit(train)
    .unwrap()
}

/// Random 80/20: RMSE under 0.90 (the global mean: 1.06). L2 0.2 is what the example's
/// validation search (a tenth of the training ratings) picks.
#[test]
fn matrix_factorisation_predicts_ratings_to_under_0_90_rmse() {
    let (ratings, _) = movielens();
    assert_eq!(
        (ratings.len(), ratings.n_users(), ratings.n_items()),
        (100_004, 671, 9066)
    );
    let (train, test) = ratings.split_random(0.2, 0).unwrap();
    let mf = explicit_mf(&train);
    let error = rmse(
        &test.values,
        &mf.predict_pairs(&test.users, &test.items).unwrap(),
    )
    .unwrap();
    let mean = rmse(&test.values, &vec![train.mean() as f32; test.len()]).unwrap();
    eprintln!("MovieLens random 80/20: MF RMSE {error:.4}, global mean {mean:.4}");
    assert!(error <= 0.90, "{error}");
    assert!(mean > 1.0);
}

/// Each user's latest 20% held out: the content filter alone finds held-out movies far more
/// often than chance, and filtering the explicit factorisation with it multiplies its
/// hit rate.
#[test]
fn the_content_filter_learns_and_the_hybrid_improves_the_factorisation() {
    let (ratings, content) = movielens();
    let (train, test) = ratings.split_per_user(0.2, 0).unwrap();
    let (seen, relevant) = (train.items_by_user(), test.items_by_user());
    let rank = |m: &dyn Recommend| RankingMetrics::compute(m, &seen, &relevant, 10).unwrap();
    let filter: Arc<dyn Recommend> =
        Arc::new(ContentFilter::fit(&ContentFilterConfig::default(), &train, &content).unwrap());
    let mf: Arc<dyn Recommend> = Arc::new(explicit_mf(&train));
    let hybrid = Hybrid::new(mf.clone(), filter.clone(), 1.0, &train).unwrap();
    let (f, m, h) = (rank(filter.as_ref()), rank(mf.as_ref()), rank(&hybrid));
    // Chance: 10 random unseen movies out of ~9,000 hit a user's ~30 held-out ones with
    // probability about 10 * 30 / 9000 = 0.03.
    let held_out = relevant.iter().map(Vec::len).sum::<usize>() as f64 / relevant.len() as f64;
    let chance = 10.0 * held_out / ratings.n_items() as f64;
    eprintln!(
        "hit rate@10: content filter {:.4}, MF explicit {:.4}, hybrid {:.4}; chance {chance:.4}",
        f.hit_rate, m.hit_rate, h.hit_rate
    );
    assert!(f.hit_rate > 3.0 * chance, "{} vs {chance}", f.hit_rate);
    assert!(h.hit_rate > 2.0 * m.hit_rate && h.ndcg > m.ndcg);
}

/// A user and an item the factorisation never saw get scores from the filter and the
/// popularity: a full top-k, no error.
#[test]
fn cold_users_and_items_are_served() {
    let (ratings, content) = movielens();
    // Hold out every rating of user 0 and of the movie rated first: both are cold.
    let cold_item = ratings.items[0];
    let keep: Vec<usize> = (0..ratings.len())
        .filter(|&i| ratings.users[i] != 0 && ratings.items[i] != cold_item)
        .collect();
    let train = ratings.subset(&keep);
    let filter: Arc<dyn Recommend> =
        Arc::new(ContentFilter::fit(&ContentFilterConfig::default(), &train, &content).unwrap());
    let mf: Arc<dyn Recommend> = Arc::new(explicit_mf(&train));
    let hybrid = Hybrid::new(mf, filter, 1.0, &train).unwrap();
    let top = hybrid.recommend(0, 10, &[]).unwrap();
    assert_eq!(top.len(), 10);
    let scores = hybrid.score_items(1).unwrap();
    assert!(scores.iter().all(|s| s.is_finite()));
    assert!(scores[cold_item].is_finite());
    assert!(
        hybrid.score_items(ratings.n_users()).is_err(),
        "an unknown index is an error"
    );
}
