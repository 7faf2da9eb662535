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

/// Memory this process can still get (Linux): the least of the system's `MemAvailable`, the
/// room left under its cgroup's `memory.max` (a container's limit) and under its
/// address-space limit (`ulimit -v`, less what it has mapped). `None` where none is known.
fn available_bytes() -> Option<u64> {
    fn field(text: &str, key: &str) -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        line[key.len()..].split_whitespace().next()?.parse().ok()
    }
    let system = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| field(&m, "MemAvailable:"))
        .map(|kb| kb * 1024);
    let cgroup = (|| {
        let max: u64 = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let current: u64 = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        Some(max.saturating_sub(current))
    })();
    let address_space = (|| {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let limit = field(&limits, "Max address space")?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let mapped = field(&status, "VmSize:")? * 1024;
        Some(limit.saturating_sub(mapped))
    })();
    [system, cgroup, address_space].into_iter().flatten().min()
}

/// Bytes one member holds at its peak while fitting, roughly: a network's weights in five
/// copies (weights, gradients, two Adam moments, the best epoch's) and a batch of
/// activations in three (forward, backward, optimiser); a tree ensemble's nodes (at most two
/// per training row and tree, 48 bytes each). The other models are small beside the data.
pub(crate) fn model_bytes(
    spec: &ModelSpec,
    n_features: usize,
    n_classes: usize,
    rows: usize,
) -> u64 {
    const NODE: u64 = 48;
    let f = |x: usize| x as u64;
    let dense = |widths: &[u64]| -> u64 {
        widths
            .windows(2)
            .map(|w| w[0].saturating_mul(w[1]).saturating_add(w[1]))
            .fold(0, u64::saturating_add)
    };
    let network = |params: u64, activations: u64, batch: usize| {
        params
            .saturating_mul(4 * 5)
            .saturating_add(activations.saturating_mul(f(batch)).saturating_mul(4 * 3))
    };
    let tree_nodes = |trees: usize, depth: Option<usize>| {
        let by_rows = f(rows).saturating_mul(2);
        let by_depth = depth.map_or(u64::MAX, |d| {
            1u64.checked_shl(d as u32 + 1).unwrap_or(u64::MAX)
        });
        f(trees)
            .saturating_mul(by_rows.min(by_depth))
            .saturating_mul(NODE)
    };
    match &spec.kind {
        ModelKind::Mlp(p) => {
            let widths: Vec<u64> = std::iter::once(n_features)
                .chain(p.hidden.iter().copied())
                .chain(std::iter::once(n_classes))
                .map(f)
                .collect();
            let activations = widths.iter().fold(0, |a: u64, &w| a.saturating_add(w));
            network(dense(&widths), activations, p.batch_size)
        }
        ModelKind::Cnn(p) => {
            let side = (n_features as f64).sqrt() as usize;
            let (h, w) = (p.height.unwrap_or(side), p.width.unwrap_or(side));
            let [c1, c2] = p.conv_channels.map(f);
            let pixels = f(h).saturating_mul(f(w));
            let flat = c2
                .saturating_mul(f(h / 4).max(1))
                .saturating_mul(f(w / 4).max(1));
            let params = (9 * c1)
                .saturating_add(c1.saturating_mul(c2).saturating_mul(9))
                .saturating_add(dense(&[flat, f(p.hidden), f(n_classes)]));
            let activations = pixels
                .saturating_mul(c1)
                .saturating_add(pixels.saturating_mul(c2) / 4)
                .saturating_add(f(p.hidden));
            network(params, activations, p.batch_size)
        }
        ModelKind::Transformer(p) | ModelKind::Lstm(p) => {
            let layer = f(p.width)
                .saturating_mul(f(p.width))
                .saturating_mul(4)
                .saturating_add(f(p.width).saturating_mul(f(p.hidden)).saturating_mul(2));
            let params = layer.saturating_mul(f(p.layers));
            network(params, f(p.width).saturating_mul(f(p.hidden)), p.batch_size)
        }
        ModelKind::Forest(c) => tree_nodes(c.n_trees, c.max_depth),
        ModelKind::Boosting(c) => f(c.max_iter)
            .saturating_mul(f(n_classes))
            .saturating_mul(f(c.max_leaf_nodes).saturating_mul(2))
            .saturating_mul(NODE),
        ModelKind::AdaBoost(c) => tree_nodes(c.n_estimators, Some(c.max_depth)),
        ModelKind::Tree(c) => tree_nodes(1, c.max_depth),
        ModelKind::Logistic(_)
        | ModelKind::Knn(_)
        | ModelKind::GaussianNb(_)
        | ModelKind::MultinomialNb(_) => f(n_features + 1).saturating_mul(f(n_classes)) * 8,
    }
}

/// An error when the estimate (the data's copies and the largest member, since members fit
/// one at a time) exceeds the memory available, before any fitting; it names the member
/// and the setting to lower.
pub(crate) fn check_memory(cfg: &ExperimentConfig, train: &Dataset, test: &Dataset) -> Result<()> {
    let data = estimated_bytes(train, test);
    let largest = cfg
        .models
        .iter()
        .map(|m| {
            let bytes = model_bytes(m, train.n_features(), train.n_classes(), train.len());
            (bytes, m)
        })
        .max_by_key(|(b, _)| *b);
    let model = largest.map_or(0, |(b, _)| b);
    let need = data.saturating_add(model);
    match available_bytes() {
        Some(free) if need > free => {
            let gb = |b: u64| b as f64 / 1e9;
            let way_out = match largest {
                Some((b, m)) if b > data => format!(
                    "member {:?} alone needs about {:.1} GB: lower its size (hidden widths, \
                     conv_channels, n_trees, max_iter or max_depth)",
                    m.name,
                    gb(b)
                ),
                _ => "use fewer rows or columns".to_string(),
            };
            Err(ConsortError::InvalidInput(format!(
                "this run needs about {:.1} GB ({:.1} GB for {} rows x {} features in the copies \
                 the folds and scaling make, {:.1} GB for the largest member) but {:.1} GB are \
                 available: {way_out}",
                gb(need),
                gb(data),
                train.len() + test.len(),
                train.n_features(),
                gb(model),
                gb(free)
            )))
        }
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

    #[test]
    fn a_huge_member_is_counted() {
        let spec = |toml: &str| -> ModelSpec {
            let cfg: ExperimentConfig = toml::from_str(&format!(
                "[data]\nembedded = \"iris\"\n[[model]]\nname = \"m\"\n{toml}\n"
            ))
            .unwrap();
            cfg.models[0].clone()
        };
        let small = model_bytes(&spec("mlp = { hidden = [64] }"), 64, 10, 1000);
        let wide = model_bytes(&spec("mlp = { hidden = [1000000, 1000000] }"), 64, 10, 1000);
        assert!(small < 10_000_000, "{small}");
        assert!(wide > 10_000_000_000_000, "{wide}");
        let forest = model_bytes(&spec("forest = { n_trees = 1000000 }"), 64, 10, 100_000);
        assert!(forest > 1_000_000_000_000, "{forest}");
        let cnn = model_bytes(
            &spec("cnn = { conv_channels = [100000, 100000] }"),
            64,
            10,
            1000,
        );
        assert!(cnn > 100_000_000_000, "{cnn}");
    }
}
