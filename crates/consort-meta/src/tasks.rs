//! Task families: sinusoid regression and N-way K-shot classification episodes.

use consort_core::seed::{derive_seed, rng};
use consort_core::{ConsortError, Matrix, Result};
use consort_data::Dataset;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};

/// One sinusoid `y = amplitude * sin(x - phase)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SinusoidTask {
    /// In [0.1, 5].
    pub amplitude: f32,
    /// In [0, pi].
    pub phase: f32,
}

impl SinusoidTask {
    /// A task drawn from Finn et al.'s family: amplitude in [0.1, 5], phase in [0, pi].
    pub fn sample(rng: &mut StdRng) -> Self {
        Self {
            amplitude: rng.random_range(0.1..5.0),
            phase: rng.random_range(0.0..std::f32::consts::PI),
        }
    }

    /// The target at `x`.
    pub fn value(&self, x: f32) -> f32 {
        self.amplitude * (x - self.phase).sin()
    }

    /// `k` points with x uniform in [-5, 5]: inputs `[k, 1]` and targets.
    pub fn points(&self, k: usize, rng: &mut StdRng) -> (Matrix, Vec<f32>) {
        let xs: Vec<f32> = (0..k).map(|_| rng.random_range(-5.0..5.0)).collect();
        let ys = xs.iter().map(|&x| self.value(x)).collect();
        (Matrix::new(k, 1, xs).expect("k x 1"), ys)
    }
}

/// Which classes an episode draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaSplit {
    /// Classes for meta-training.
    Train,
    /// Classes for choosing settings.
    Validation,
    /// Classes never seen in meta-training.
    Test,
}

/// A few-shot episode: `support` (K per class) and `query` rows, labels remapped to
/// `0..n_way` in the order of `classes`.
#[derive(Debug, Clone)]
pub struct Episode {
    /// The original class of each episode label.
    pub classes: Vec<usize>,
    /// K labelled rows per class.
    pub support: Dataset,
    /// Rows to classify.
    pub query: Dataset,
}

/// Draws N-way K-shot episodes from a labelled dataset whose classes are split (seeded) into
/// meta-train, meta-validation and meta-test.
#[derive(Debug, Clone)]
pub struct FewShotSampler {
    data: Dataset,
    by_class: Vec<Vec<usize>>,
    train: Vec<usize>,
    validation: Vec<usize>,
    test: Vec<usize>,
    n_way: usize,
    k_shot: usize,
    n_query: usize,
}

impl FewShotSampler {
    /// `n_validation` and `n_test` classes are held out (the rest meta-train); each episode
    /// has `n_way` classes with `k_shot` support and `n_query` query rows each.
    pub fn new(
        data: &Dataset,
        (n_validation, n_test): (usize, usize),
        (n_way, k_shot, n_query): (usize, usize, usize),
        seed: u64,
    ) -> Result<Self> {
        let k = data.n_classes();
        if n_validation + n_test >= k {
            return Err(ConsortError::config(format!(
                "{n_validation} validation and {n_test} test classes leave none of {k} to \
                 meta-train on"
            )));
        }
        let mut classes: Vec<usize> = (0..k).collect();
        classes.shuffle(&mut rng(derive_seed(seed, "class-split")));
        let test = classes[..n_test].to_vec();
        let validation = classes[n_test..n_test + n_validation].to_vec();
        let train = classes[n_test + n_validation..].to_vec();
        Self::with_classes(data, [train, validation, test], (n_way, k_shot, n_query))
    }

    /// Episodes over a given split of the classes: `[train, validation, test]`, disjoint.
    pub fn with_classes(
        data: &Dataset,
        [train, validation, test]: [Vec<usize>; 3],
        (n_way, k_shot, n_query): (usize, usize, usize),
    ) -> Result<Self> {
        let k = data.n_classes();
        if n_way < 2 || k_shot == 0 || n_query == 0 {
            return Err(ConsortError::config(
                "episodes need n_way >= 2, k_shot >= 1 and n_query >= 1",
            ));
        }
        let all: Vec<usize> = train
            .iter()
            .chain(&validation)
            .chain(&test)
            .copied()
            .collect();
        if let Some(&c) = all.iter().find(|&&c| c >= k) {
            return Err(ConsortError::LabelOutOfRange {
                label: c,
                n_classes: k,
            });
        }
        if (1..all.len()).any(|i| all[..i].contains(&all[i])) {
            return Err(ConsortError::config(
                "meta-train, meta-validation and meta-test classes must be disjoint",
            ));
        }
        for (name, set) in [("meta-train", &train), ("meta-test", &test)] {
            if set.len() < n_way {
                return Err(ConsortError::config(format!(
                    "{name} has {} classes, an episode needs {n_way}",
                    set.len()
                )));
            }
        }
        let mut by_class = vec![Vec::new(); k];
        for (i, &y) in data.labels().iter().enumerate() {
            by_class[y].push(i);
        }
        if let Some(&c) = all.iter().find(|&&c| by_class[c].len() < k_shot + n_query) {
            return Err(ConsortError::config(format!(
                "class {c} has {} rows, an episode needs {}",
                by_class[c].len(),
                k_shot + n_query
            )));
        }
        Ok(Self {
            data: data.clone(),
            by_class,
            train,
            validation,
            test,
            n_way,
            k_shot,
            n_query,
        })
    }

    /// The classes of a split.
    pub fn classes(&self, split: MetaSplit) -> &[usize] {
        match split {
            MetaSplit::Train => &self.train,
            MetaSplit::Validation => &self.validation,
            MetaSplit::Test => &self.test,
        }
    }

    /// Features per row of the episodes.
    pub fn n_features(&self) -> usize {
        self.data.n_features()
    }

    /// The dataset's rows of the `split`'s classes, labels remapped to `0..classes.len()`
    /// (for pretraining a baseline on meta-train classes).
    pub fn rows_of(&self, split: MetaSplit) -> Result<Dataset> {
        let classes = self.classes(split);
        let rows: Vec<usize> = classes
            .iter()
            .flat_map(|&c| self.by_class[c].clone())
            .collect();
        let labels = rows
            .iter()
            .map(|&i| {
                classes
                    .iter()
                    .position(|&c| c == self.data.labels()[i])
                    .expect("member")
            })
            .collect();
        Dataset::new(
            self.data.features().select_rows(&rows),
            labels,
            classes.len(),
        )
    }

    /// One episode from `split`.
    pub fn episode(&self, split: MetaSplit, rng: &mut StdRng) -> Result<Episode> {
        let mut pool = self.classes(split).to_vec();
        if pool.len() < self.n_way {
            return Err(ConsortError::config(format!(
                "the split has {} classes, an episode needs {}",
                pool.len(),
                self.n_way
            )));
        }
        pool.shuffle(rng);
        let classes = pool[..self.n_way].to_vec();
        let (mut s_rows, mut s_labels, mut q_rows, mut q_labels) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (label, &c) in classes.iter().enumerate() {
            let picked: Vec<usize> = self.by_class[c]
                .choose_multiple(rng, self.k_shot + self.n_query)
                .copied()
                .collect();
            s_rows.extend(&picked[..self.k_shot]);
            s_labels.extend(std::iter::repeat_n(label, self.k_shot));
            q_rows.extend(&picked[self.k_shot..]);
            q_labels.extend(std::iter::repeat_n(label, self.n_query));
        }
        let x = self.data.features();
        Ok(Episode {
            classes,
            support: Dataset::new(x.select_rows(&s_rows), s_labels, self.n_way)?,
            query: Dataset::new(x.select_rows(&q_rows), q_labels, self.n_way)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consort_data::embedded;

    #[test]
    fn sinusoids_stay_in_their_ranges() {
        let mut r = rng(0);
        for _ in 0..100 {
            let t = SinusoidTask::sample(&mut r);
            assert!(
                (0.1..5.0).contains(&t.amplitude) && (0.0..std::f32::consts::PI).contains(&t.phase)
            );
            let (x, y) = t.points(10, &mut r);
            assert_eq!((x.rows(), y.len()), (10, 10));
            assert!(x.as_slice().iter().all(|v| (-5.0..5.0).contains(v)));
            assert!(y.iter().all(|v| v.abs() <= t.amplitude + 1e-6));
        }
    }

    #[test]
    fn episodes_remap_labels_and_keep_splits_apart() {
        let digits = embedded::digits();
        let s = FewShotSampler::new(&digits, (0, 5), (5, 5, 10), 3).unwrap();
        let train = s.classes(MetaSplit::Train).to_vec();
        let test = s.classes(MetaSplit::Test).to_vec();
        assert!(train.iter().all(|c| !test.contains(c)));
        let mut r = rng(1);
        let e = s.episode(MetaSplit::Test, &mut r).unwrap();
        assert!(e.classes.iter().all(|c| test.contains(c)));
        assert_eq!((e.support.len(), e.query.len()), (25, 50));
        for (i, &y) in e.support.labels().iter().enumerate() {
            assert_eq!(y, i / 5);
            // The remapped label names the original class of the row.
            let row = e.support.features().row(i);
            let original = (0..digits.len())
                .find(|&j| digits.features().row(j) == row)
                .unwrap();
            assert_eq!(digits.labels()[original], e.classes[y]);
        }
        assert!(FewShotSampler::new(&digits, (3, 3), (5, 5, 10), 0).is_err());
        let sizes = (2, 1, 1);
        let given =
            |t: Vec<usize>| FewShotSampler::with_classes(&digits, [vec![0, 1], vec![], t], sizes);
        assert!(given(vec![2, 3]).is_ok());
        assert!(given(vec![1, 3]).is_err(), "overlapping splits");
        assert!(given(vec![2, 30]).is_err(), "a class out of range");
        assert!(FewShotSampler::new(&digits, (0, 5), (5, 200, 10), 0).is_err());
    }
}
