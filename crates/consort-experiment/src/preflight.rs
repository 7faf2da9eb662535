//! Every check that needs no fitting, run before any fitting: a run that cannot finish says
//! so in its first second, not after minutes of work.

use consort_core::{ConsortError, Result};
use consort_data::Dataset;

use crate::config::{ExperimentConfig, ModelKind, ModelSpec};

/// Folds against training rows, and rows per class against the out-of-fold predictions
/// (every fold's training part must hold every class).
pub(crate) fn check_rows(cfg: &ExperimentConfig, train: &Dataset, test: &Dataset) -> Result<()> {
    let folds = cfg.folds.get();
    if train.len() < folds {
        return Err(ConsortError::config(format!(
            "{folds} folds (--folds, `folds`) need at least {folds} training rows; the split \
             left {} of {} rows for training: use fewer folds or more rows",
            train.len(),
            train.len() + test.len()
        )));
    }
    let mut in_train = vec![0usize; train.n_classes()];
    train.labels().iter().for_each(|&l| in_train[l] += 1);
    let mut in_test = vec![0usize; test.n_classes()];
    test.labels().iter().for_each(|&l| in_test[l] += 1);
    if let Some((c, &n)) = in_train.iter().enumerate().find(|&(_, &n)| n < 2) {
        let all = n + in_test.get(c).copied().unwrap_or(0);
        return Err(ConsortError::InvalidInput(format!(
            "class {:?} has {all} row(s), {n} of them for training; the out-of-fold predictions \
             need at least 2 training rows per class: add rows of it, merge it into another \
             class, or remove it",
            train.class_names()[c]
        )));
    }
    Ok(())
}

/// A label column whose values are nearly all distinct is rarely the label: the usual cause
/// is the default (the last column) or a wrong `--label`.
pub(crate) fn check_label_column(label: &str, n_rows: usize, n_classes: usize) -> Result<()> {
    if n_rows >= 4 && n_classes * 2 > n_rows {
        return Err(ConsortError::InvalidInput(format!(
            "label column {label:?} has {n_classes} distinct values in {n_rows} rows: is it the \
             label? choose the label column with --label (`label` in [data])"
        )));
    }
    Ok(())
}

/// The fewest training rows any model sees: a fold's training part.
pub(crate) fn smallest_fit_rows(cfg: &ExperimentConfig, train_rows: usize) -> usize {
    let folds = cfg.folds.get().max(1);
    train_rows - train_rows.div_ceil(folds)
}

/// kNN's `k` above the rows a fit sees is lowered to them, with a note naming the option.
pub(crate) fn clamp_neighbours(spec: &mut ModelSpec, fit_rows: usize, notes: &mut Vec<String>) {
    if let ModelKind::Knn(c) = &mut spec.kind
        && c.k > fit_rows
    {
        notes.push(format!(
            "{}: k = {} exceeds the {fit_rows} rows of the smallest fit (a fold's training \
             part); k lowered to {fit_rows} (set `k` of the model to choose)",
            spec.name, c.k
        ));
        c.k = fit_rows.max(1);
    }
}

/// Bytes a run holds at its peak, roughly: the features as `f32` in several copies (the
/// split, standardised copies, fold subsets) and, per network, a batch of activations.
pub(crate) fn estimated_bytes(train: &Dataset, test: &Dataset) -> u64 {
    let cells = ((train.len() + test.len()) * train.n_features().max(1)) as u64;
    // The data, its standardised copy, a fold's subset and its standardised copy, the
    // out-of-fold probabilities: about six copies.
    cells * 4 * 6
}

/// Memory the system can give (Linux `MemAvailable`); `None` where unknown.
fn available_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// An error when the estimate exceeds the memory available, before any fitting.
pub(crate) fn check_memory(train: &Dataset, test: &Dataset) -> Result<()> {
    let need = estimated_bytes(train, test);
    match available_bytes() {
        Some(free) if need > free => Err(ConsortError::InvalidInput(format!(
            "this run needs about {:.1} GB ({} rows x {} features, in the copies the folds and \
             scaling make) but {:.1} GB are available: use fewer rows or columns",
            need as f64 / 1e9,
            train.len() + test.len(),
            train.n_features(),
            free as f64 / 1e9
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_column_of_distinct_values_is_questioned() {
        let e = check_label_column("id", 60, 60).unwrap_err().to_string();
        assert!(e.contains("60 distinct values in 60 rows"), "{e}");
        assert!(e.contains("--label"), "{e}");
        assert!(check_label_column("class", 60, 3).is_ok());
        assert!(check_label_column("class", 3, 3).is_ok());
    }
}
