//! Explicit-feedback ratings `(user, item, rating[, timestamp])` for recommenders.

use std::collections::HashMap;
use std::path::Path;

use consort_core::seed::rng;
use consort_core::{ConsortError, Matrix, Result};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::RegressionDataset;

/// Ratings with users and items mapped to dense indices `0..n_users` and `0..n_items`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratings {
    /// User index of each rating.
    pub users: Vec<usize>,
    /// Item index of each rating.
    pub items: Vec<usize>,
    /// The rating values.
    pub values: Vec<f32>,
    /// Timestamps, when the source had them.
    pub timestamps: Option<Vec<i64>>,
    /// Original user ids, by index.
    pub user_ids: Vec<String>,
    /// Original item ids, by index.
    pub item_ids: Vec<String>,
}

impl Ratings {
    /// Number of ratings.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no ratings.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Number of distinct users.
    pub fn n_users(&self) -> usize {
        self.user_ids.len()
    }

    /// Number of distinct items.
    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }

    /// Mean rating (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        self.values.iter().map(|&v| f64::from(v)).sum::<f64>() / self.len() as f64
    }

    /// The ratings at `indices`, keeping the user and item index spaces.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            users: indices.iter().map(|&i| self.users[i]).collect(),
            items: indices.iter().map(|&i| self.items[i]).collect(),
            values: indices.iter().map(|&i| self.values[i]).collect(),
            timestamps: self
                .timestamps
                .as_ref()
                .map(|t| indices.iter().map(|&i| t[i]).collect()),
            user_ids: self.user_ids.clone(),
            item_ids: self.item_ids.clone(),
        }
    }

    /// The items each user rated, by user index (sorted, without duplicates).
    pub fn items_by_user(&self) -> Vec<Vec<usize>> {
        let mut by_user = vec![Vec::new(); self.n_users()];
        for (&u, &i) in self.users.iter().zip(&self.items) {
            by_user[u].push(i);
        }
        for items in &mut by_user {
            items.sort_unstable();
            items.dedup();
        }
        by_user
    }

    /// `[user, item]` rows (indices as `f32`) with the ratings as targets: explicit feedback
    /// for a matrix-factorisation network.
    pub fn to_regression(&self) -> Result<RegressionDataset> {
        RegressionDataset::new(
            self.pair_rows(&self.users, &self.items)?,
            self.values.clone(),
        )
    }

    /// Implicit feedback: every distinct rated `(user, item)` pair with target 1, plus
    /// `negatives` pairs per positive with target 0, drawn (seeded) from the items the user
    /// did not rate. Users who rated every item get no negatives.
    pub fn to_implicit(&self, negatives: usize, seed: u64) -> Result<RegressionDataset> {
        if self.is_empty() {
            return Err(ConsortError::EmptyDataset("no ratings".into()));
        }
        let mut r = rng(seed);
        let (mut users, mut items, mut targets) = (Vec::new(), Vec::new(), Vec::new());
        for (u, rated) in self.items_by_user().into_iter().enumerate() {
            let unrated: Vec<usize> = (0..self.n_items())
                .filter(|i| rated.binary_search(i).is_err())
                .collect();
            for &i in &rated {
                users.push(u);
                items.push(i);
                targets.push(1.0);
                if unrated.is_empty() {
                    continue;
                }
                for _ in 0..negatives {
                    users.push(u);
                    items.push(unrated[r.random_range(0..unrated.len())]);
                    targets.push(0.0);
                }
            }
        }
        RegressionDataset::new(self.pair_rows(&users, &items)?, targets)
    }

    fn pair_rows(&self, users: &[usize], items: &[usize]) -> Result<Matrix> {
        let rows = users
            .iter()
            .zip(items)
            .flat_map(|(&u, &i)| [u as f32, i as f32])
            .collect();
        Matrix::new(users.len(), 2, rows)
    }

    /// Random split: `test_fraction` of all ratings, drawn with `seed`, go to the test set
    /// (a user or item may then appear only in the test set: a cold start).
    pub fn split_random(&self, test_fraction: f64, seed: u64) -> Result<(Self, Self)> {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(ConsortError::config(format!(
                "test fraction must lie strictly between 0 and 1, got {test_fraction}"
            )));
        }
        if self.len() < 2 {
            return Err(ConsortError::EmptyDataset(
                "fewer than two ratings to split".into(),
            ));
        }
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.shuffle(&mut rng(seed));
        let k = ((self.len() as f64 * test_fraction).round() as usize).clamp(1, self.len() - 1);
        let (mut test, mut train) = (idx[..k].to_vec(), idx[k..].to_vec());
        train.sort_unstable();
        test.sort_unstable();
        Ok((self.subset(&train), self.subset(&test)))
    }

    /// Per-user split: from every user with at least two ratings, `test_fraction` of their
    /// ratings (at least one) go to the test set — the latest ones when timestamps exist
    /// (no peeking into the future), else a seeded random choice. Users with a single rating
    /// stay in training.
    pub fn split_per_user(&self, test_fraction: f64, seed: u64) -> Result<(Self, Self)> {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(ConsortError::config(format!(
                "test fraction must lie strictly between 0 and 1, got {test_fraction}"
            )));
        }
        if self.is_empty() {
            return Err(ConsortError::EmptyDataset("no ratings to split".into()));
        }
        let mut by_user: Vec<Vec<usize>> = vec![Vec::new(); self.n_users()];
        for (i, &u) in self.users.iter().enumerate() {
            by_user[u].push(i);
        }
        let mut r = rng(seed);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for mut idx in by_user {
            if idx.len() < 2 {
                train.extend(idx);
                continue;
            }
            match &self.timestamps {
                Some(t) => idx.sort_by_key(|&i| (t[i], i)),
                None => idx.shuffle(&mut r),
            }
            let k = ((idx.len() as f64 * test_fraction).round() as usize).clamp(1, idx.len() - 1);
            let (a, b) = idx.split_at(idx.len() - k);
            train.extend_from_slice(a);
            test.extend_from_slice(b);
        }
        if test.is_empty() {
            return Err(ConsortError::EmptyDataset(
                "no user has two ratings: nothing to hold out".into(),
            ));
        }
        train.sort_unstable();
        test.sort_unstable();
        Ok((self.subset(&train), self.subset(&test)))
    }
}

/// Reads ratings from a CSV with a header: user, item, rating and optionally a timestamp, in
/// that column order (header names are free). User and item ids may be any strings.
pub fn read_ratings_csv(path: impl AsRef<Path>, delimiter: u8) -> Result<Ratings> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = crate::csv::open_line_limited(path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(file);
    let parse_err = |line: usize, message: String| ConsortError::Parse {
        source_name: name.clone(),
        line,
        message,
    };
    let n_cols = rdr
        .headers()
        .map_err(|e| crate::csv::csv_error(&name, e))?
        .len();
    if !(3..=4).contains(&n_cols) {
        return Err(parse_err(
            1,
            format!("expected columns user, item, rating[, timestamp]; the header has {n_cols}"),
        ));
    }
    let mut users = Indexer::default();
    let mut items = Indexer::default();
    let (mut u, mut it, mut values, mut times) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for record in rdr.records() {
        let record = record.map_err(|e| crate::csv::csv_error(&name, e))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let value: f32 = record[2]
            .parse()
            .map_err(|_| parse_err(line, format!("rating {:?} is not a number", &record[2])))?;
        if !value.is_finite() {
            return Err(ConsortError::NonFinite(format!(
                "{name}, line {line}, rating"
            )));
        }
        if n_cols == 4 {
            times.push(record[3].parse::<i64>().map_err(|_| {
                parse_err(
                    line,
                    format!("timestamp {:?} is not an integer", &record[3]),
                )
            })?);
        }
        u.push(users.index(&record[0]));
        it.push(items.index(&record[1]));
        values.push(value);
    }
    if values.is_empty() {
        return Err(ConsortError::EmptyDataset(format!("{name} has no ratings")));
    }
    Ok(Ratings {
        users: u,
        items: it,
        values,
        timestamps: (n_cols == 4).then_some(times),
        user_ids: users.ids,
        item_ids: items.ids,
    })
}

#[derive(Default)]
struct Indexer {
    map: HashMap<String, usize>,
    ids: Vec<String>,
}

impl Indexer {
    fn index(&mut self, id: &str) -> usize {
        if let Some(&i) = self.map.get(id) {
            return i;
        }
        self.ids.push(id.to_string());
        self.map.insert(id.to_string(), self.ids.len() - 1);
        self.ids.len() - 1
    }
}

/// Ratings from a known low-rank model: `rating = mean + b_u + b_i + <p_u, q_i> + noise`.
///
/// Each user rates `density` of the items (at least two), and, as in real data, not at
/// random: users pick items they like, with probability growing as `exp(2 * affinity)` where
/// `affinity = b_i + <p_u, q_i>` (sampled without replacement by the Gumbel-top-k trick). So
/// which items a user rated carries signal — the premise of top-k recommendation — and
/// popular items are the generally liked ones.
pub fn low_rank_ratings(
    n_users: usize,
    n_items: usize,
    rank: usize,
    density: f64,
    noise: f32,
    seed: u64,
) -> Result<Ratings> {
    if n_users == 0 || n_items < 2 || rank == 0 || !(density > 0.0 && density <= 1.0) {
        return Err(ConsortError::config(
            "low_rank_ratings needs users, at least 2 items, rank >= 1 and density in (0, 1]",
        ));
    }
    let mut r = rng(seed);
    let mut normal = |s: f32| -> f32 {
        // Box-Muller: rand's core crate has no normal distribution.
        let (a, b): (f32, f32) = (r.random_range(1e-7..1.0), r.random());
        s * (-2.0 * a.ln()).sqrt() * (std::f32::consts::TAU * b).cos()
    };
    let scale = 1.0 / (rank as f32).sqrt();
    let p: Vec<f32> = (0..n_users * rank).map(|_| normal(scale)).collect();
    let q: Vec<f32> = (0..n_items * rank).map(|_| normal(scale)).collect();
    let bu: Vec<f32> = (0..n_users).map(|_| normal(0.3)).collect();
    let bi: Vec<f32> = (0..n_items).map(|_| normal(0.5)).collect();
    let noise: Vec<f32> = (0..n_users * n_items).map(|_| normal(noise)).collect();
    let mut r = rng(seed.wrapping_add(1));
    let per_user = ((n_items as f64 * density).round() as usize).clamp(2, n_items);
    let (mut users, mut items, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for u in 0..n_users {
        let dot = |i: usize| -> f32 { (0..rank).map(|k| p[u * rank + k] * q[i * rank + k]).sum() };
        // Gumbel-top-k: the k largest `log-weight + Gumbel noise` are a weighted sample of k
        // items without replacement.
        let mut keyed: Vec<(f32, usize)> = (0..n_items)
            .map(|i| {
                let g: f32 = -(-r.random_range(1e-7f32..1.0).ln()).ln();
                (2.0 * (bi[i] + dot(i)) + g, i)
            })
            .collect();
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut chosen: Vec<usize> = keyed[..per_user].iter().map(|&(_, i)| i).collect();
        chosen.sort_unstable();
        for i in chosen {
            users.push(u);
            items.push(i);
            values.push(3.5 + bu[u] + bi[i] + dot(i) + noise[u * n_items + i]);
        }
    }
    Ok(Ratings {
        users,
        items,
        values,
        timestamps: None,
        user_ids: (0..n_users).map(|u| format!("u{u}")).collect(),
        item_ids: (0..n_items).map(|i| format!("i{i}")).collect(),
    })
}
