//! Weight averaging's arithmetic and bookkeeping: averages are exact midpoints, layouts must
//! agree, and the SWA and snapshot hooks resume from checkpoints exactly. (Their learning
//! effects on digits are tested with the `ensemble_tuning` example's scenarios, in
//! `examples/tests/ensemble_tuning.rs`.)

use consort_core::{BackendKind, Classifier, Fit};
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_models::{Mlp, MlpSpec, NetworkClassifier};
use consort_tune::averaging::{average_models, parameter_values, weight_average};
use consort_tune::{
    CheckpointConfig, HookFactory, NetworkEstimator, SnapshotConfig, SnapshotEnsemble,
    StochasticWeightAveraging, SwaConfig, TrainConfig, TrainOutcome,
};

struct Digits {
    train: Dataset,
    test: Dataset,
}

fn digits() -> Digits {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let (train, test) = StandardScaler::standardize_split(&train, &test).unwrap();
    Digits { train, test }
}

fn spec() -> MlpSpec {
    MlpSpec::new(vec![128])
}

fn classifier(model: Mlp) -> NetworkClassifier<Mlp> {
    NetworkClassifier::new(model, BackendKind::Flex.device().unwrap(), 64, 10)
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
    let other = NetworkEstimator::new(MlpSpec::new(vec![16]), TrainConfig::new().with_epochs(1))
        .fit(&d.train)
        .unwrap();
    let err = average_models(&[net.model(), other.model()], None).unwrap_err();
    assert!(err.to_string().contains("layout"), "{err}");
    assert!(average_models::<Mlp>(&[], None).is_err());
    assert!(average_models(&[net.model()], Some(&[1.0, 2.0])).is_err());
    assert!(average_models(&[net.model()], Some(&[f64::NAN])).is_err());
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

#[test]
fn invalid_settings_are_typed_errors() {
    use consort_core::ConsortError;
    use consort_tune::FusedSupervision;
    let config = |r: consort_core::Result<()>| matches!(r, Err(ConsortError::InvalidConfig { .. }));
    assert!(config(
        StochasticWeightAveraging::new(SwaConfig::new(0)).map(|_| ())
    ));
    assert!(config(
        StochasticWeightAveraging::new(SwaConfig::new(3).with_learning_rate(f64::NAN)).map(|_| ())
    ));
    assert!(config(
        SnapshotEnsemble::new(SnapshotConfig::new(1)).map(|_| ())
    ));
    assert!(config(
        SnapshotEnsemble::new(SnapshotConfig::new(5).with_keep(0)).map(|_| ())
    ));
    // Fused supervision: bad settings, and an ensemble of another label set.
    let d = digits();
    let teacher: std::sync::Arc<dyn Classifier> = std::sync::Arc::new(
        consort_models::GaussianNbConfig::default()
            .fit(&embedded::iris())
            .unwrap(),
    );
    let backbone = NetworkEstimator::new(spec(), TrainConfig::new().with_epochs(1));
    let bad = FusedSupervision {
        temperature: 0.0,
        alpha: 0.0,
    };
    assert!(config(
        bad.train(&backbone, teacher.clone(), &d.train, None)
            .map(|_| ())
    ));
    let wrong = FusedSupervision::default().train(&backbone, teacher, &d.train, None);
    assert!(matches!(wrong, Err(ConsortError::ShapeMismatch(_))));
    // Across views: the ensemble's view must have the backbone's rows, and the targets are
    // computed for the rows as given, so no validation split may reorder them.
    let members = consort_models::GaussianNbConfig::default()
        .fit(&d.train)
        .unwrap();
    let fused = FusedSupervision::default();
    let x = d.train.features();
    let short = x.select_rows(&[0, 1, 2]);
    let mismatch = fused.train_across_views(&backbone, &members, &short, None, &d.train, None);
    assert!(matches!(mismatch, Err(ConsortError::ShapeMismatch(_))));
    let half = fused.train_across_views(&backbone, &members, x, Some(x), &d.train, None);
    assert!(matches!(half, Err(ConsortError::ShapeMismatch(_))));
    let split = NetworkEstimator::new(
        spec(),
        TrainConfig::new()
            .with_epochs(1)
            .with_validation_fraction(0.2),
    );
    let reordered = fused.train_across_views(&split, &members, x, None, &d.train, None);
    assert!(config(reordered.map(|_| ())));
}

/// Fused supervision across views: the ensemble reads columns the backbone never sees, and
/// the backbone still learns its function. Teacher: Gaussian naive Bayes on all 64 pixels;
/// backbone: an MLP on the left half of the image only, trained on the teacher's targets.
#[test]
fn fused_supervision_across_views_learns_the_ensembles_function_from_other_columns() {
    use consort_tune::FusedSupervision;
    let d = digits();
    let teacher = consort_models::GaussianNbConfig::default()
        .fit(&d.train)
        .unwrap();
    let left: Vec<usize> = (0..64).filter(|j| j % 8 < 4).collect();
    let view = |data: &Dataset| {
        data.with_features(data.features().select_columns_by(&left).unwrap())
            .unwrap()
    };
    let (train_left, test_left) = (view(&d.train), view(&d.test));
    let backbone = NetworkEstimator::new(spec(), TrainConfig::new().with_epochs(30).with_seed(0));
    let (student, _) = FusedSupervision::default()
        .train_across_views(
            &backbone,
            &teacher,
            d.train.features(),
            None,
            &train_left,
            None,
        )
        .unwrap();
    // Agreement with the teacher on test rows it never trained on: the student learnt the
    // teacher's answers (including its mistakes), not only the labels.
    let agree = |a: &[usize], b: &[usize]| {
        a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
    };
    let teacher_says = teacher.predict(d.test.features()).unwrap();
    let student_says = student.predict(test_left.features()).unwrap();
    let labels_only = backbone.fit(&train_left).unwrap();
    let alone_says = labels_only.predict(test_left.features()).unwrap();
    let (fused_agree, alone_agree) = (
        agree(&student_says, &teacher_says),
        agree(&alone_says, &teacher_says),
    );
    eprintln!("agreement with the teacher: fused {fused_agree:.4}, labels only {alone_agree:.4}");
    assert!(fused_agree > alone_agree);
}
