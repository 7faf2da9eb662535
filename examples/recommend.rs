//! Recommendation: matrix factorisation (explicit and implicit feedback) against the global
//! mean and popularity baselines, on generated low-rank ratings (or your own CSV of
//! `user,item,rating[,timestamp]` given as the first argument).
//!
//! `cargo run --release -p consort-examples --example recommend [ratings.csv]`

use consort_core::{Fit, Recommend};
use consort_data::{low_rank_ratings, read_ratings_csv};
use consort_eval::{RankingMetrics, rmse};
use consort_examples::{f4, print_table};
use consort_models::Popularity;
use consort_tune::{Feedback, MatrixFactorizationEstimator};

fn main() -> consort_core::Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    let ratings = match std::env::args().nth(1) {
        Some(path) => read_ratings_csv(&path, b',')?,
        None => low_rank_ratings(300, 200, 4, 0.1, 0.1, 11)?,
    };
    println!(
        "{} ratings of {} users on {} items; 20% of each user's ratings held out\n",
        ratings.len(),
        ratings.n_users(),
        ratings.n_items()
    );
    let (train, test) = ratings.split_per_user(0.2, 0)?;
    let (seen, relevant) = (train.items_by_user(), test.items_by_user());
    let rank = |m: &dyn Recommend| RankingMetrics::compute(m, &seen, &relevant, 10);

    let mut rows = Vec::new();
    let mean = vec![train.mean() as f32; test.len()];
    let popularity = Popularity::fit(&train)?;
    let p = rank(&popularity)?;
    rows.push(vec![
        "global mean / popularity".into(),
        f4(rmse(&test.values, &mean)?),
        f4(p.hit_rate),
        f4(p.ndcg),
    ]);
    for (name, feedback) in [
        ("MF, explicit ratings", Feedback::Explicit),
        (
            "MF, implicit feedback",
            Feedback::Implicit { negatives: 12 },
        ),
    ] {
        let mut est = MatrixFactorizationEstimator {
            feedback,
            ..Default::default()
        };
        if feedback != Feedback::Explicit {
            est.train = est.train.with_epochs(20);
        }
        let mf = est.fit(&train)?;
        let r = rank(&mf)?;
        let error = match feedback {
            Feedback::Explicit => f4(rmse(
                &test.values,
                &mf.predict_pairs(&test.users, &test.items)?,
            )?),
            Feedback::Implicit { .. } => "-".into(),
        };
        rows.push(vec![name.into(), error, f4(r.hit_rate), f4(r.ndcg)]);
        if feedback == Feedback::Explicit {
            let top = mf.recommend(0, 5, &seen[0])?;
            let ids: Vec<&str> = top.iter().map(|&i| train.item_ids[i].as_str()).collect();
            println!("top 5 for user {}: {}", train.user_ids[0], ids.join(", "));
        }
    }
    println!();
    print_table(&["model", "test RMSE", "hit rate@10", "NDCG@10"], &rows);
    Ok(())
}
