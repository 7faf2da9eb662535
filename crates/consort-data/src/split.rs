//! Seeded stratified splits: train/test, train/validation/test and k-fold.

use consort_core::seed::rng;
use consort_core::{ConsortError, Result};
use rand::seq::SliceRandom;

use crate::dataset::Dataset;

/// Row indices of each class, shuffled with `seed`.
fn shuffled_by_class(labels: &[usize], n_classes: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut by_class = vec![Vec::new(); n_classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let mut r = rng(seed);
    for idx in &mut by_class {
        idx.shuffle(&mut r);
    }
    by_class
}

fn check_fraction(name: &str, f: f64) -> Result<()> {
    if f.is_finite() && f > 0.0 && f < 1.0 {
        Ok(())
    } else {
        Err(ConsortError::config(format!(
            "{name} must lie strictly between 0 and 1, got {f}"
        )))
    }
}

fn check_splittable(dataset: &Dataset) -> Result<()> {
    if dataset.is_empty() {
        return Err(ConsortError::EmptyDataset(format!(
            "cannot split {}: it has no samples",
            dataset.name()
        )));
    }
    let present = dataset.class_counts().iter().filter(|&&c| c > 0).count();
    if present < 2 {
        return Err(ConsortError::TooFewClasses(format!(
            "a stratified split of {} needs at least 2 classes, it has {present}",
            dataset.name()
        )));
    }
    Ok(())
}

/// Indices of a stratified split: each class contributes `round(n_c * fraction)` samples to the
/// second part. Both parts come back sorted.
pub fn stratified_indices(
    labels: &[usize],
    n_classes: usize,
    fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    check_fraction("split fraction", fraction)?;
    let mut first = Vec::new();
    let mut second = Vec::new();
    for idx in shuffled_by_class(labels, n_classes, seed) {
        let take = ((idx.len() as f64) * fraction).round() as usize;
        let (a, b) = idx.split_at(idx.len() - take);
        first.extend_from_slice(a);
        second.extend_from_slice(b);
    }
    if first.is_empty() || second.is_empty() {
        return Err(ConsortError::EmptyDataset(format!(
            "a {fraction} split of {} samples leaves one side empty",
            labels.len()
        )));
    }
    first.sort_unstable();
    second.sort_unstable();
    Ok((first, second))
}

/// Stratified train/test split; `test_fraction` of each class goes to the test set.
pub fn train_test_split(
    dataset: &Dataset,
    test_fraction: f64,
    seed: u64,
) -> Result<(Dataset, Dataset)> {
    check_splittable(dataset)?;
    let (train, test) =
        stratified_indices(dataset.labels(), dataset.n_classes(), test_fraction, seed)?;
    Ok((dataset.subset(&train), dataset.subset(&test)))
}

/// A train / validation / test split of one dataset.
#[derive(Debug, Clone)]
pub struct Splits {
    /// Data to fit on.
    pub train: Dataset,
    /// Held-out data for early stopping, weights and thresholds.
    pub validation: Dataset,
    /// Data for the final report only.
    pub test: Dataset,
}

/// Stratified three-way split: `test_fraction` of the whole to test, then `validation_fraction`
/// of the whole to validation.
pub fn train_validation_test_split(
    dataset: &Dataset,
    validation_fraction: f64,
    test_fraction: f64,
    seed: u64,
) -> Result<Splits> {
    check_fraction("validation fraction", validation_fraction)?;
    check_fraction("test fraction", test_fraction)?;
    if validation_fraction + test_fraction >= 1.0 {
        return Err(ConsortError::config(format!(
            "validation ({validation_fraction}) + test ({test_fraction}) fractions must be below 1"
        )));
    }
    let (rest, test) = train_test_split(dataset, test_fraction, seed)?;
    let inner = validation_fraction / (1.0 - test_fraction);
    let (train, validation) = train_test_split(&rest, inner, seed.wrapping_add(1))?;
    Ok(Splits {
        train,
        validation,
        test,
    })
}

/// One fold of a k-fold split: indices into the original dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// Rows to fit on.
    pub train: Vec<usize>,
    /// Rows to score (the out-of-fold rows).
    pub test: Vec<usize>,
}

/// Data whose rows can be taken by index: what splits and folds cut.
pub trait Rows: Sized {
    /// The rows at `indices`, in that order.
    fn rows_at(&self, indices: &[usize]) -> Self;
}

impl Rows for Dataset {
    fn rows_at(&self, indices: &[usize]) -> Self {
        self.subset(indices)
    }
}

impl Rows for crate::RegressionDataset {
    fn rows_at(&self, indices: &[usize]) -> Self {
        self.subset(indices)
    }
}

impl Rows for crate::RawTable {
    fn rows_at(&self, indices: &[usize]) -> Self {
        self.subset(indices)
    }
}

/// The values at `indices`, in that order: the per-row columns every subset takes.
pub fn take<T: Clone>(values: &[T], indices: &[usize]) -> Vec<T> {
    indices.iter().map(|&i| values[i].clone()).collect()
}

impl Fold {
    /// The fold's training rows and held-out rows of `data`.
    pub fn parts<D: Rows>(&self, data: &D) -> (D, D) {
        (data.rows_at(&self.train), data.rows_at(&self.test))
    }
}

/// The k-fold loop, written once: `each(training rows, held-out rows)` for every fold, in
/// order; the results in fold order.
pub fn over_folds<D: Rows, T>(
    data: &D,
    folds: &[Fold],
    mut each: impl FnMut(D, D) -> Result<T>,
) -> Result<Vec<T>> {
    folds
        .iter()
        .map(|fold| {
            let (train, held_out) = fold.parts(data);
            each(train, held_out)
        })
        .collect()
}

/// Stratified k-fold: each class is dealt round-robin over the folds, so every fold holds
/// about `1/k` of each class and every row is in exactly one test fold.
pub fn stratified_kfold(
    labels: &[usize],
    n_classes: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<Fold>> {
    if k < 2 {
        return Err(ConsortError::config(format!(
            "k-fold needs k >= 2, got {k}"
        )));
    }
    if labels.len() < k {
        return Err(ConsortError::EmptyDataset(format!(
            "{k} folds need at least {k} samples, got {}",
            labels.len()
        )));
    }
    // Continue the deal where the previous class stopped, so small classes do not all land in
    // fold 0 and fold sizes stay within one of each other.
    let order: Vec<usize> = shuffled_by_class(labels, n_classes, seed)
        .into_iter()
        .flatten()
        .collect();
    Ok(deal_folds(&order, k))
}

/// Plain (unstratified) k-fold over `n` rows, for regression: rows are shuffled with `seed`
/// and dealt round-robin, so fold sizes differ by at most one.
pub fn kfold(n: usize, k: usize, seed: u64) -> Result<Vec<Fold>> {
    if k < 2 {
        return Err(ConsortError::config(format!(
            "k-fold needs k >= 2, got {k}"
        )));
    }
    if n < k {
        return Err(ConsortError::EmptyDataset(format!(
            "{k} folds need at least {k} samples, got {n}"
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng(seed));
    Ok(deal_folds(&order, k))
}

/// Deals the rows in `order` round-robin over `k` folds.
fn deal_folds(order: &[usize], k: usize) -> Vec<Fold> {
    let mut fold_of = vec![0usize; order.len()];
    for (position, &i) in order.iter().enumerate() {
        fold_of[i] = position % k;
    }
    (0..k)
        .map(|f| {
            let (test, train) = (0..order.len()).partition(|&i| fold_of[i] == f);
            Fold { train, test }
        })
        .collect()
}
