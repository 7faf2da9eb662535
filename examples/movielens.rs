//! Recommendation on MovieLens (latest-small, 2016: 100,004 ratings of 671 users on 9,066
//! movies, through `consort fetch movielens`): the large model, matrix factorisation (biases
//! and factors; explicit ratings and implicit feedback), and the small one, a naive-Bayes
//! filter over the movies' genres, decades and title words and the user's history, alone and
//! combined (the filter re-ranks the factorisation's scores; cold items and users fall to
//! it).
//!
//! `cargo run --release -p consort-examples --example movielens`

use std::sync::Arc;
use std::time::Instant;

use consort_core::{Fit, Recommend, Result};
use consort_data::fetch::{Asset, fetch_with};
use consort_data::item_content::read_item_content;
use consort_data::{Ratings, read_ratings_csv};
use consort_eval::{RankingMetrics, rmse};
use consort_examples::{f4, print_table};
use consort_models::{ContentFilter, ContentFilterConfig, Hybrid, MfRecommender, Popularity};
use consort_tune::{Feedback, MatrixFactorizationEstimator};

/// The factorisation's L2 candidates; the one with the lowest RMSE on a validation tenth of
/// the training ratings is refitted on all of them.
const L2_GRID: [f32; 5] = [0.02, 0.05, 0.1, 0.2, 0.4];

fn mf(l2: f32, feedback: Feedback, train: &Ratings) -> Result<MfRecommender> {
    let mut est = MatrixFactorizationEstimator {
        l2,
        feedback,
        ..Default::default()
    };
    if feedback != Feedback::Explicit {
        est.train = est.train.with_epochs(20);
    }
    est.fit(train)
}

fn choose_l2(train: &Ratings) -> Result<(f32, f64)> {
    let (fit, validation) = train.split_random(0.1, 1)?;
    let mut best = (L2_GRID[0], f64::INFINITY);
    for l2 in L2_GRID {
        let m = mf(l2, Feedback::Explicit, &fit)?;
        let e = rmse(
            &validation.values,
            &m.predict_pairs(&validation.users, &validation.items)?,
        )?;
        if e < best.1 {
            best = (l2, e);
        }
    }
    Ok(best)
}

fn main() -> Result<()> {
    consort_core::allocator::keep_freed_memory();
    let progress = consort_examples::progress();
    let dir = fetch_with(Asset::MovieLens, &progress)?;
    let ratings = read_ratings_csv(dir.join("ratings.csv"), b',')?;
    let content = read_item_content(&dir.join("movies.csv"), &ratings, 200)?;
    println!(
        "{} ratings of {} users on {} movies; item content: {} tokens (genres, decades, title words)\n",
        ratings.len(),
        ratings.n_users(),
        ratings.n_items(),
        content.tokens.len()
    );

    // Rating prediction, random 80/20 split.
    let (train, test) = ratings.split_random(0.2, 0)?;
    log::info!("[1/2] rating prediction: choosing MF's L2 on a validation split, then fitting");
    let start = Instant::now();
    let (l2, validation_rmse) = choose_l2(&train)?;
    let model = mf(l2, Feedback::Explicit, &train)?;
    let secs = start.elapsed().as_secs_f64();
    let mean = vec![train.mean() as f32; test.len()];
    let cold_items = {
        let mut known = vec![false; ratings.n_items()];
        train.items.iter().for_each(|&i| known[i] = true);
        test.items.iter().filter(|&&i| !known[i]).count()
    };
    print_table(
        &["rating prediction (random 80/20)", "test RMSE"],
        &[
            vec!["global mean".into(), f4(rmse(&test.values, &mean)?)],
            vec![
                format!(
                    "biased MF, 16 factors, L2 {l2} (validation RMSE {validation_rmse:.4}; {secs:.0} s with the search)"
                ),
                f4(rmse(
                    &test.values,
                    &model.predict_pairs(&test.users, &test.items)?,
                )?),
            ],
        ],
    );
    println!("({cold_items} test ratings are of movies with no training rating)\n");

    // Top-10 recommendation, each user's latest 20% of ratings held out.
    let (train, test) = ratings.split_per_user(0.2, 0)?;
    log::info!("[2/2] top-10: fitting explicit and implicit MF and the content filter");
    let (seen, relevant) = (train.items_by_user(), test.items_by_user());
    let rank = |m: &dyn Recommend| RankingMetrics::compute(m, &seen, &relevant, 10);
    let explicit: Arc<dyn Recommend> = Arc::new(mf(l2, Feedback::Explicit, &train)?);
    let implicit: Arc<dyn Recommend> =
        Arc::new(mf(l2, Feedback::Implicit { negatives: 12 }, &train)?);
    let filter: Arc<dyn Recommend> = Arc::new(ContentFilter::fit(
        &ContentFilterConfig::default(),
        &train,
        &content.features,
    )?);
    let mut rows = Vec::new();
    let mut row = |name: &str, m: &dyn Recommend| -> Result<()> {
        let r = rank(m)?;
        rows.push(vec![name.to_string(), f4(r.hit_rate), f4(r.ndcg)]);
        Ok(())
    };
    row("popularity", &Popularity::fit(&train)?)?;
    row("naive-Bayes content filter alone", filter.as_ref())?;
    row("MF, explicit ratings", explicit.as_ref())?;
    row("MF, implicit feedback", implicit.as_ref())?;
    for weight in [0.5, 1.0] {
        row(
            &format!("MF explicit + NB filter (weight {weight})"),
            &Hybrid::new(explicit.clone(), filter.clone(), weight, &train)?,
        )?;
        row(
            &format!("MF implicit + NB filter (weight {weight})"),
            &Hybrid::new(implicit.clone(), filter.clone(), weight, &train)?,
        )?;
    }
    print_table(
        &[
            "top-10 (each user's latest 20% held out)",
            "hit rate@10",
            "NDCG@10",
        ],
        &rows,
    );
    Ok(())
}
