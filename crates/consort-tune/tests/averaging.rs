//! Ensembles in weight space on digits: model soups, stochastic weight averaging and snapshot
//! ensembles each at least match the single network they replace, the uniform soup's failure
//! across different starts is real, and the averaging hooks resume from checkpoints exactly.

use consort_core::{BackendKind, Classifier, Fit, Matrix};
use consort_data::{Dataset, StandardScaler, embedded, train_validation_test_split};
use consort_eval::model_accuracy;
use consort_models::{Mlp, MlpConfig, NetworkClassifier};
use consort_tune::averaging::{average_models, parameter_values, weight_average};
use consort_tune::{
    CheckpointConfig, HookFactory, NetworkEstimator, OptimizerConfig, SnapshotConfig,
    SnapshotEnsemble, StochasticWeightAveraging, SwaConfig, TrainConfig, TrainOutcome, greedy_soup,
    uniform_soup,
};

struct Digits {
    train: Dataset,
    valid: Dataset,
    test: Dataset,
}

/// Digits split 60 / 15 / 25, standardised on the training rows.
fn digits() -> Digits {
    let s = train_validation_test_split(&embedded::digits(), 0.15, 0.60, 0).unwrap();
    let scaler = StandardScaler::fit(s.train.features()).unwrap();
    let t = |d: &Dataset| scaler.transform_dataset(d).unwrap();
    Digits {
        train: t(&s.train),
        valid: t(&s.validation),
        test: t(&s.test),
    }
}

fn spec() -> MlpConfig {
    MlpConfig::new(0, vec![128], 0)
}

fn classifier(model: Mlp) -> NetworkClassifier<Mlp> {
    NetworkClassifier::new(model, BackendKind::Flex.device().unwrap(), 64, 10)
}

fn acc(model: &dyn Classifier, data: &Dataset) -> f64 {
    model_accuracy(model, data.features(), data.labels()).unwrap()
}

/// Mean of the members' probabilities: the snapshot ensemble's prediction.
fn ensemble_accuracy(members: &[NetworkClassifier<Mlp>], data: &Dataset) -> f64 {
    let mut sum: Option<Matrix> = None;
    for m in members {
        let p = m.predict_proba(data.features()).unwrap();
        sum = Some(match sum {
            None => p,
            Some(mut s) => {
                for i in 0..s.rows() {
                    for (a, b) in s.row_mut(i).iter_mut().zip(p.row(i)) {
                        *a += b;
                    }
                }
                s
            }
        });
    }
    let sum = sum.unwrap();
    let predicted: Vec<usize> = (0..sum.rows())
        .map(|i| {
            let row = sum.row(i);
            (0..row.len())
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap()
        })
        .collect();
    consort_eval::accuracy(data.labels(), &predicted).unwrap()
}

#[test]
fn averaging_identical_networks_changes_nothing_and_layouts_must_agree() {
    let d = digits();
    let net = NetworkEstimator::new(spec(), TrainConfig::new().with_epochs(2))
        .fit(&d.train)
        .unwrap();
    let same = weight_average(&[classifier(net.model()), classifier(net.model())], None).unwrap();
    let a = net.predict_proba(d.test.features()).unwrap();
    let b = same.predict_proba(d.test.features()).unwrap();
    for (x, y) in a.as_slice().iter().zip(b.as_slice()) {
        assert!((x - y).abs() < 1e-6);
    }
    let other = NetworkEstimator::new(
        MlpConfig::new(0, vec![16], 0),
        TrainConfig::new().with_epochs(1),
    )
    .fit(&d.train)
    .unwrap();
    let err = average_models(&[net.model(), other.model()], None).unwrap_err();
    assert!(err.to_string().contains("layout"), "{err}");
    assert!(average_models::<Mlp>(&[], None).is_err());
    assert!(average_models(&[net.model()], Some(&[1.0, 2.0])).is_err());
    assert!(average_models(&[net.model()], Some(&[f64::NAN])).is_err());
}

/// A network pretrained on a third of the training rows: the shared start of the soups.
/// (The training-mode network on the autodiff device, as fine-tuning starts from it.)
fn pretrained(d: &Dataset) -> Mlp {
    let third: Vec<usize> = (0..d.len()).step_by(3).collect();
    NetworkEstimator::new(spec(), TrainConfig::new().with_epochs(10).with_seed(7))
        .fit_with_history(&d.subset(&third))
        .unwrap()
        .1
        .model
}

/// Fine-tunes a copy of `start` on `train` with one set of hyperparameters.
fn fine_tune(start: &Mlp, train: &Dataset, lr: f64, wd: f32, seed: u64) -> NetworkClassifier<Mlp> {
    NetworkEstimator::new(
        spec(),
        TrainConfig::new()
            .with_epochs(12)
            .with_learning_rate(lr)
            .with_weight_decay(wd)
            .with_seed(seed),
    )
    .with_start(start.clone())
    .fit(train)
    .unwrap()
}

#[test]
fn the_greedy_soup_matches_its_best_ingredient_and_the_uniform_soup_needs_a_shared_start() {
    let d = digits();
    let start = pretrained(&d.train);
    let grid = [
        (5e-3, 0.0, 1),
        (1e-2, 0.0, 2),
        (5e-3, 1e-3, 3),
        (1e-2, 1e-3, 4),
        (7e-3, 0.0, 5),
        (7e-3, 5e-4, 6),
    ];
    let ingredients: Vec<_> = grid
        .iter()
        .map(|&(lr, wd, seed)| fine_tune(&start, &d.train, lr, wd, seed))
        .collect();
    let tests: Vec<f64> = ingredients.iter().map(|m| acc(m, &d.test)).collect();
    let (soup, report) = greedy_soup(&ingredients, &d.valid).unwrap();
    let uniform = uniform_soup(&ingredients).unwrap();
    let best_by_valid = report.steps[0].ingredient;
    eprintln!(
        "ingredients (test) {tests:?}; best on validation #{best_by_valid}; greedy soup keeps {:?}: \
         test {:.4}; uniform soup test {:.4}",
        report.kept(),
        acc(&soup, &d.test),
        acc(&uniform, &d.test)
    );
    // The best ingredient is the one model selection on the validation rows picks (what a
    // user without soups would ship). On those rows the soup is at least as good by
    // construction; on the test rows, as measured. It really is a soup of several.
    assert!(report.score.accuracy >= report.steps[0].alone.accuracy);
    assert!(acc(&soup, &d.test) >= tests[best_by_valid]);
    assert!(report.kept().len() >= 2, "{:?}", report.kept());

    // Different starts: the same architecture trained from three initialisations.
    let independent: Vec<_> = [11, 12, 13]
        .iter()
        .map(|&seed| {
            NetworkEstimator::new(spec(), TrainConfig::new().with_epochs(20).with_seed(seed))
                .fit(&d.train)
                .unwrap()
        })
        .collect();
    let alone: Vec<f64> = independent.iter().map(|m| acc(m, &d.test)).collect();
    let mixed = acc(&uniform_soup(&independent).unwrap(), &d.test);
    eprintln!("independent starts (test) {alone:?}; their uniform soup {mixed:.4}");
    let worst = alone.iter().copied().fold(1.0, f64::min);
    // From one start, the uniform soup stays above its worst ingredient.
    assert!(acc(&uniform, &d.test) >= tests.iter().copied().fold(1.0, f64::min));
    assert!(
        mixed < worst - 0.02,
        "averaging unrelated hidden units should cost accuracy: {mixed} vs {worst}"
    );
}

fn swa_config() -> TrainConfig {
    TrainConfig::new()
        .with_epochs(40)
        .with_learning_rate(0.05)
        .with_batch_size(32)
        .with_optimizer(OptimizerConfig::sgd(0.9))
        .with_seed(3)
}

#[test]
fn swa_and_snapshot_ensembles_match_the_final_epoch_model() {
    let d = digits();
    // Dropout keeps the iterates moving around the minimum, which is what SWA averages over.
    let spec = || spec().with_dropout(0.2);
    let swa = StochasticWeightAveraging::new(SwaConfig::new(21)).unwrap();
    let (last, outcome) = NetworkEstimator::new(spec(), swa_config())
        .with_hook_factory(HookFactory::cloned(swa.clone()))
        .fit_with_history(&d.train)
        .unwrap();
    assert_eq!(swa.count(), 20);
    let averaged = classifier(swa.apply_to(outcome.model).unwrap().unwrap());
    let plain = NetworkEstimator::new(spec(), swa_config())
        .fit(&d.train)
        .unwrap();

    let snapshots = SnapshotEnsemble::new(SnapshotConfig::new(10)).unwrap();
    let (_, snap_outcome) = NetworkEstimator::new(spec(), swa_config())
        .with_hook_factory(HookFactory::cloned(snapshots.clone()))
        .fit_with_history(&d.train)
        .unwrap();
    assert_eq!(snapshots.epochs(), vec![10, 20, 30, 40]);
    let members: Vec<_> = snapshots
        .networks(&snap_outcome.model)
        .unwrap()
        .into_iter()
        .map(classifier)
        .collect();
    let snapshot_acc = ensemble_accuracy(&members, &d.test);
    eprintln!(
        "final epoch (same run) {:.4}, SWA {:.4}; plain run {:.4}; snapshot members {:?}, \
         snapshot ensemble {snapshot_acc:.4}",
        acc(&last, &d.test),
        acc(&averaged, &d.test),
        acc(&plain, &d.test),
        members.iter().map(|m| acc(m, &d.test)).collect::<Vec<_>>()
    );
    assert!(acc(&averaged, &d.test) >= acc(&last, &d.test));
    assert!(acc(&averaged, &d.test) >= acc(&plain, &d.test));
    // The snapshot run's final-epoch model is its last snapshot.
    assert!(snapshot_acc >= acc(members.last().unwrap(), &d.test));
}

fn resumable(
    dir: &std::path::Path,
    stop_at: Option<usize>,
) -> (
    TrainOutcome<Mlp>,
    StochasticWeightAveraging,
    SnapshotEnsemble,
) {
    let swa = StochasticWeightAveraging::new(SwaConfig::new(3)).unwrap();
    let snapshots = SnapshotEnsemble::new(SnapshotConfig::new(2)).unwrap();
    let cfg = TrainConfig::new()
        .with_epochs(stop_at.unwrap_or(8))
        .with_checkpoint(Some(CheckpointConfig::new(dir).with_every(1)));
    let outcome = NetworkEstimator::new(spec(), cfg)
        .with_hook_factory(HookFactory::cloned(swa.clone()))
        .with_hook_factory(HookFactory::cloned(snapshots.clone()))
        .fit_with_history(&digits().train)
        .unwrap()
        .1;
    (outcome, swa, snapshots)
}

fn flat(model: &Mlp) -> Vec<f32> {
    parameter_values(model)
        .into_iter()
        .flat_map(|t| {
            t.into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap()
        })
        .collect()
}

#[test]
fn averages_and_snapshots_resume_from_checkpoints_exactly() {
    let straight_dir = tempfile::tempdir().unwrap();
    let (straight, swa, snaps) = resumable(straight_dir.path(), None);
    let dir = tempfile::tempdir().unwrap();
    resumable(dir.path(), Some(5));
    let (resumed, swa_r, snaps_r) = resumable(dir.path(), None);
    assert_eq!(resumed.resumed_from, Some(5));
    assert_eq!(swa_r.count(), swa.count());
    assert_eq!(snaps_r.epochs(), snaps.epochs());
    let averaged = |s: &StochasticWeightAveraging, o: &TrainOutcome<Mlp>| {
        flat(&s.apply_to(o.model.clone()).unwrap().unwrap())
    };
    assert_eq!(averaged(&swa_r, &resumed), averaged(&swa, &straight));
    let nets = |s: &SnapshotEnsemble, o: &TrainOutcome<Mlp>| {
        s.networks(&o.model)
            .unwrap()
            .iter()
            .map(flat)
            .collect::<Vec<_>>()
    };
    assert_eq!(nets(&snaps_r, &resumed), nets(&snaps, &straight));
}

#[test]
fn the_average_of_two_networks_is_their_midpoint() {
    let d = digits();
    let fit = |seed| {
        NetworkEstimator::new(spec(), TrainConfig::new().with_epochs(1).with_seed(seed))
            .fit_with_history(&d.train)
            .unwrap()
            .1
            .model
    };
    let (a, b) = (fit(1), fit(2));
    let mid = average_models(&[a.clone(), b.clone()], None).unwrap();
    let (fa, fb, fm) = (flat(&a), flat(&b), flat(&mid));
    assert_ne!(fa, fb);
    for ((x, y), m) in fa.iter().zip(&fb).zip(&fm) {
        assert!((m - (x + y) / 2.0).abs() < 1e-6, "{m} vs {x} and {y}");
    }
    // And the network computes with the new weights.
    let (ca, cm) = (classifier(a), classifier(mid));
    assert_ne!(
        ca.predict_proba(d.test.features()).unwrap(),
        cm.predict_proba(d.test.features()).unwrap()
    );
}
