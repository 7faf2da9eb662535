//! Matrix factorisation on generated low-rank ratings whose structure is known.

use consort_core::{ConsortError, Fit, Recommend, Regressor};
use consort_data::{Ratings, low_rank_ratings};
use consort_eval::{RankingMetrics, rmse};
use consort_models::{MfRecommender, Popularity};
use consort_tune::{Feedback, MatrixFactorizationEstimator, TrainConfig};

fn data() -> (Ratings, Ratings) {
    let ratings = low_rank_ratings(300, 200, 4, 0.1, 0.1, 11).unwrap();
    ratings.split_per_user(0.2, 0).unwrap()
}

fn estimator(feedback: Feedback) -> MatrixFactorizationEstimator {
    MatrixFactorizationEstimator {
        feedback,
        ..Default::default()
    }
}

fn hit_rate(model: &dyn Recommend, train: &Ratings, test: &Ratings) -> RankingMetrics {
    RankingMetrics::compute(model, &train.items_by_user(), &test.items_by_user(), 10).unwrap()
}

#[test]
fn explicit_mf_beats_the_global_mean_and_popularity() {
    let (train, test) = data();
    let mf = estimator(Feedback::Explicit).fit(&train).unwrap();
    let predicted = mf.predict_pairs(&test.users, &test.items).unwrap();
    let mf_rmse = rmse(&test.values, &predicted).unwrap();
    let baseline = vec![train.mean() as f32; test.len()];
    let mean_rmse = rmse(&test.values, &baseline).unwrap();
    let mf_rank = hit_rate(&mf, &train, &test);
    let pop_rank = hit_rate(&Popularity::fit(&train).unwrap(), &train, &test);
    println!(
        "rmse mf {mf_rmse:.4} vs global mean {mean_rmse:.4}; HR@10 mf {:.3} vs popularity {:.3}; \
         NDCG@10 {:.3} vs {:.3}",
        mf_rank.hit_rate, pop_rank.hit_rate, mf_rank.ndcg, pop_rank.ndcg
    );
    assert!(mf_rmse <= 0.7 * mean_rmse, "{mf_rmse} vs {mean_rmse}");
    assert!(mf_rank.hit_rate > pop_rank.hit_rate);
}

#[test]
fn implicit_mf_beats_popularity_at_ranking() {
    let (train, test) = data();
    // 12 sampled negatives per positive cover most unrated pairs: with fewer, the static
    // sample is memorised and the factors overfit it.
    let mut est = estimator(Feedback::Implicit { negatives: 12 });
    est.train = est.train.with_epochs(20);
    let mf = est.fit(&train).unwrap();
    let mf_rank = hit_rate(&mf, &train, &test);
    let pop_rank = hit_rate(&Popularity::fit(&train).unwrap(), &train, &test);
    println!(
        "implicit HR@10 {:.3} vs popularity {:.3}; NDCG@10 {:.3} vs {:.3}",
        mf_rank.hit_rate, pop_rank.hit_rate, mf_rank.ndcg, pop_rank.ndcg
    );
    assert!(mf_rank.hit_rate > pop_rank.hit_rate);
    assert!(mf_rank.ndcg > pop_rank.ndcg);
}

#[test]
fn recommendations_skip_seen_items_and_save_load_round_trips() {
    let (train, _) = data();
    let mut est = estimator(Feedback::Explicit);
    est.train = est.train.with_epochs(3);
    let mf = est.fit(&train).unwrap();
    let seen = &train.items_by_user()[5];
    let top = mf.recommend(5, 10, seen).unwrap();
    assert_eq!(top.len(), 10);
    assert!(top.iter().all(|i| !seen.contains(i)));
    let scores = mf.score_items(5).unwrap();
    assert!(top.windows(2).all(|w| scores[w[0]] >= scores[w[1]]));

    let dir = tempfile::tempdir().unwrap();
    mf.save(dir.path()).unwrap();
    let device = consort_core::BackendKind::Flex.device().unwrap();
    let loaded = MfRecommender::load(dir.path(), &device).unwrap();
    assert_eq!(loaded.score_items(5).unwrap(), scores);

    // Out-of-range users and items are typed errors.
    assert!(matches!(
        mf.score_items(10_000),
        Err(ConsortError::InvalidInput(_))
    ));
    let bad = consort_core::Matrix::from_rows(&[[0.0f32, 999.0]]).unwrap();
    assert!(matches!(
        mf.predict(&bad),
        Err(ConsortError::InvalidInput(_))
    ));
}

#[test]
fn validation_reports_rmse_and_bad_configs_are_refused() {
    let (train, _) = data();
    let mut est = estimator(Feedback::Explicit);
    est.train = TrainConfig::new()
        .with_epochs(4)
        .with_batch_size(256)
        .with_learning_rate(0.01)
        .with_validation_fraction(0.2);
    let (_, outcome) = est.fit_with_history(&train).unwrap();
    let scores: Vec<f64> = outcome
        .history
        .iter()
        .map(|r| r.valid_score.unwrap())
        .collect();
    // Validation RMSE falls as the factors fit.
    assert!(scores.last().unwrap() < &scores[0], "{scores:?}");

    let mut bad = estimator(Feedback::Implicit { negatives: 0 });
    assert!(matches!(
        bad.fit(&train),
        Err(ConsortError::InvalidConfig { .. })
    ));
    bad = estimator(Feedback::Explicit);
    bad.n_factors = 0;
    assert!(matches!(
        bad.fit(&train),
        Err(ConsortError::InvalidConfig { .. })
    ));
}
