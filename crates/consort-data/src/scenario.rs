//! Continual-learning scenarios: a stream of experiences built from any labelled dataset
//! (the vocabulary of Avalanche).
//!
//! - **Class-incremental**: the classes are split into groups, one per experience; one head
//!   over every class, and at test time the task is not known.
//! - **Task-incremental**: the same split, but the task (the experience's classes) is known at
//!   test time, so a prediction chooses among the task's classes only.
//! - **Domain-incremental**: every experience has every class, the inputs shifted: here each
//!   experience applies its own fixed permutation of the features (permuted digits; the
//!   first experience is the original data).
//!
//! Every experience keeps the full label space (`n_classes` of the source), so one network
//! head serves the stream.

use consort_core::seed::{derive_seed, rng};
use consort_core::{ConsortError, Result};
use rand::seq::SliceRandom;

use crate::Dataset;

/// Which of the three scenarios a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioKind {
    /// New classes per experience; task unknown at test time.
    ClassIncremental,
    /// New classes per experience; task known at test time.
    TaskIncremental,
    /// The same classes, shifted inputs.
    DomainIncremental,
}

/// One step of the stream: its training and test rows, and the classes it holds.
#[derive(Debug, Clone)]
pub struct Experience {
    /// Position in the stream (0-based).
    pub id: usize,
    /// The classes of its rows (all of them in a domain-incremental stream).
    pub classes: Vec<usize>,
    /// Rows to train on.
    pub train: Dataset,
    /// Rows to test on.
    pub test: Dataset,
}

/// A seeded stream of experiences.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The kind of stream.
    pub kind: ScenarioKind,
    /// The experiences, in order.
    pub experiences: Vec<Experience>,
}

impl Scenario {
    /// Splits the classes (in an order shuffled by `seed`) into `n_experiences` groups of
    /// (nearly) equal size: class-incremental.
    pub fn class_incremental(
        train: &Dataset,
        test: &Dataset,
        n_experiences: usize,
        seed: u64,
    ) -> Result<Self> {
        Self::by_classes(
            ScenarioKind::ClassIncremental,
            train,
            test,
            n_experiences,
            seed,
        )
    }

    /// The class split of [`Scenario::class_incremental`], task known at test time.
    pub fn task_incremental(
        train: &Dataset,
        test: &Dataset,
        n_experiences: usize,
        seed: u64,
    ) -> Result<Self> {
        Self::by_classes(
            ScenarioKind::TaskIncremental,
            train,
            test,
            n_experiences,
            seed,
        )
    }

    /// `n_experiences` copies of the data, each with its features permuted by a fixed,
    /// seeded permutation (the first one the identity): domain-incremental.
    pub fn permuted(
        train: &Dataset,
        test: &Dataset,
        n_experiences: usize,
        seed: u64,
    ) -> Result<Self> {
        check_pair(train, test, n_experiences)?;
        let d = train.n_features();
        let classes: Vec<usize> = (0..train.n_classes()).collect();
        let experiences = (0..n_experiences)
            .map(|id| {
                let mut order: Vec<usize> = (0..d).collect();
                if id > 0 {
                    order.shuffle(&mut rng(derive_seed(seed, &format!("permutation{id}"))));
                }
                let permute =
                    |data: &Dataset| data.with_features(data.features().select_columns_by(&order)?);
                Ok(Experience {
                    id,
                    classes: classes.clone(),
                    train: permute(train)?,
                    test: permute(test)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            kind: ScenarioKind::DomainIncremental,
            experiences,
        })
    }

    fn by_classes(
        kind: ScenarioKind,
        train: &Dataset,
        test: &Dataset,
        n_experiences: usize,
        seed: u64,
    ) -> Result<Self> {
        check_pair(train, test, n_experiences)?;
        let k = train.n_classes();
        if n_experiences > k {
            return Err(ConsortError::config(format!(
                "{n_experiences} experiences need at least as many classes, the data has {k}"
            )));
        }
        let mut order: Vec<usize> = (0..k).collect();
        order.shuffle(&mut rng(derive_seed(seed, "class order")));
        let experiences = (0..n_experiences)
            .map(|id| {
                let classes: Vec<usize> =
                    order[id * k / n_experiences..(id + 1) * k / n_experiences].to_vec();
                let rows = |data: &Dataset| {
                    let idx: Vec<usize> = (0..data.len())
                        .filter(|&i| classes.contains(&data.labels()[i]))
                        .collect();
                    data.subset(&idx)
                };
                let (tr, te) = (rows(train), rows(test));
                if tr.is_empty() || te.is_empty() {
                    return Err(ConsortError::EmptyDataset(format!(
                        "experience {id} (classes {classes:?}) has no training or no test rows"
                    )));
                }
                Ok(Experience {
                    id,
                    classes,
                    train: tr,
                    test: te,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { kind, experiences })
    }

    /// Experiences in the stream.
    pub fn len(&self) -> usize {
        self.experiences.len()
    }

    /// Whether the stream is empty (never: the builders refuse 0 experiences).
    pub fn is_empty(&self) -> bool {
        self.experiences.is_empty()
    }

    /// Whether predictions choose among the experience's classes only.
    pub fn task_known(&self) -> bool {
        self.kind == ScenarioKind::TaskIncremental
    }
}

fn check_pair(train: &Dataset, test: &Dataset, n_experiences: usize) -> Result<()> {
    if n_experiences == 0 {
        return Err(ConsortError::config(
            "a scenario needs at least one experience",
        ));
    }
    if train.n_features() != test.n_features() || train.n_classes() != test.n_classes() {
        return Err(ConsortError::ShapeMismatch(format!(
            "training rows have {} features and {} classes, test rows {} and {}",
            train.n_features(),
            train.n_classes(),
            test.n_features(),
            test.n_classes()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{embedded, train_test_split};

    #[test]
    fn class_splits_partition_the_classes_and_keep_the_label_space() {
        let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
        let s = Scenario::class_incremental(&train, &test, 5, 3).unwrap();
        let mut seen: Vec<usize> = s
            .experiences
            .iter()
            .flat_map(|e| e.classes.clone())
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        for e in &s.experiences {
            assert_eq!(e.classes.len(), 2);
            assert_eq!(e.train.n_classes(), 10);
            assert!(e.train.labels().iter().all(|l| e.classes.contains(l)));
            assert!(e.test.labels().iter().all(|l| e.classes.contains(l)));
        }
        let total: usize = s.experiences.iter().map(|e| e.train.len()).sum();
        assert_eq!(total, train.len());
        // Seeded: the same seed, the same order.
        let again = Scenario::class_incremental(&train, &test, 5, 3).unwrap();
        assert_eq!(again.experiences[0].classes, s.experiences[0].classes);
        assert!(Scenario::class_incremental(&train, &test, 11, 3).is_err());
        assert!(Scenario::class_incremental(&train, &test, 0, 3).is_err());
    }

    #[test]
    fn permuted_experiences_shuffle_columns_the_same_way_for_train_and_test() {
        let (train, test) = train_test_split(&embedded::iris(), 0.25, 0).unwrap();
        let s = Scenario::permuted(&train, &test, 3, 1).unwrap();
        assert_eq!(s.experiences[0].train.features(), train.features());
        let p = &s.experiences[2];
        let row = train.features().row(0);
        let mut permuted = p.train.features().row(0).to_vec();
        let mut original = row.to_vec();
        permuted.sort_by(f32::total_cmp);
        original.sort_by(f32::total_cmp);
        assert_eq!(permuted, original);
        assert_eq!(p.classes, vec![0, 1, 2]);
    }
}
