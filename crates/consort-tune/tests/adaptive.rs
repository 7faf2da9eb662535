//! The adaptive controller inside the loop: it probes its stages, freezes what a stage does
//! not train, logs its switches, and resumes from a checkpoint exactly where the
//! uninterrupted run would be. (Its effect across transfer scenarios is tested with the
//! `adaptive` example's scenario, in `examples/tests/adaptive.rs`.)

mod common;

use common::StopAt;
use consort_core::{BackendKind, Classifier};
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_models::{Mlp, MlpSpec, NetworkClassifier};
use consort_tune::{
    AdaptiveConfig, AdaptiveController, Augmentation, CheckpointConfig, HookFactory,
    NetworkEstimator, Stage, TrainConfig, TrainOutcome, count_parameters,
};

fn digits() -> (Dataset, Dataset) {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    StandardScaler::standardize_split(&train, &test).unwrap()
}

fn controller() -> AdaptiveController {
    AdaptiveController::new(AdaptiveConfig::ladder(&["hidden.1"]).with_probe(2)).unwrap()
}

fn run(
    train: &Dataset,
    dir: Option<&std::path::Path>,
    stop_at: Option<usize>,
) -> (TrainOutcome<Mlp>, AdaptiveController) {
    let adaptive = controller();
    let mut cfg = TrainConfig::new()
        .with_epochs(14)
        .with_validation_fraction(0.2)
        .with_learning_rate(3e-3);
    if let Some(d) = dir {
        cfg = cfg.with_checkpoint(Some(CheckpointConfig::new(d).with_every(1)));
    }
    let mut est = NetworkEstimator::new(MlpSpec::new(vec![64, 32]), cfg)
        .with_hook_factory(HookFactory::cloned(adaptive.clone()));
    if let Some(e) = stop_at {
        est = est.with_hook(move |_| Ok(Box::new(StopAt(e))));
    }
    (est.fit_with_history(train).unwrap().1, adaptive)
}

fn probabilities(model: Mlp, test: &Dataset) -> Vec<f32> {
    NetworkClassifier::new(model, BackendKind::Flex.device().unwrap(), 64, 10)
        .predict_proba(test.features())
        .unwrap()
        .into_vec()
}

#[test]
fn the_controller_probes_switches_and_resumes_exactly() {
    let (train, test) = digits();
    let (straight, adaptive) = run(&train, None, None);
    let switches = adaptive.switches();
    assert!(!switches.is_empty());
    assert!(
        switches[0]
            .reason
            .starts_with("probe of 2 epochs per stage"),
        "{}",
        switches[0].reason
    );
    assert_eq!(switches[0].epoch, 6, "three stages of two epochs");

    let dir = tempfile::tempdir().unwrap();
    run(&train, Some(dir.path()), Some(8));
    let (resumed, resumed_adaptive) = run(&train, Some(dir.path()), None);
    assert_eq!(resumed.resumed_from, Some(8));
    assert_eq!(resumed_adaptive.switches(), switches);
    assert_eq!(
        probabilities(resumed.model, &test),
        probabilities(straight.model, &test)
    );
}

#[test]
fn a_stage_trains_only_its_parameters() {
    let device = BackendKind::Flex.device().unwrap().autodiff();
    let model = consort_core::seed::seeded(&device, 0, || {
        consort_models::NetworkSpec::build(&MlpSpec::new(vec![64, 32]), 64, 10, &device)
    })
    .unwrap();
    let all = count_parameters(&model).total;
    let head = count_parameters(&Stage::head_only().apply(model.clone()));
    assert_eq!(head.trainable, 32 * 10 + 10);
    let upper = Stage::layers("upper", &["hidden.1", "head"], 1.0).apply(model.clone());
    assert_eq!(
        count_parameters(&upper).trainable,
        64 * 32 + 32 + 32 * 10 + 10
    );
    let full = Stage::full(1.0).apply(Stage::head_only().apply(model));
    assert_eq!(count_parameters(&full).trainable, all);
}

#[test]
fn invalid_controller_settings_are_config_errors() {
    let mut config = AdaptiveConfig::ladder(&["hidden.1"]);
    config.stages.clear();
    assert!(AdaptiveController::new(config).is_err());
    let mut config = AdaptiveConfig::ladder(&["hidden.1"]);
    config.lr_decay = 1.5;
    assert!(AdaptiveController::new(config).is_err());
    let mut config = AdaptiveConfig::ladder(&["hidden.1"]);
    config.l2sp = vec![-1.0];
    assert!(AdaptiveController::new(config).is_err());
}

/// Few labels: 10 digits per class for training (8x8 images, standardised).
fn few_digits() -> (Dataset, Dataset, StandardScaler) {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let few = train.with_classes(0..10, Some(10), 0).unwrap();
    let scaler = StandardScaler::fit(few.features()).unwrap();
    (
        scaler.transform_dataset(&few).unwrap(),
        scaler.transform_dataset(&test).unwrap(),
        scaler,
    )
}

fn accuracy(model: Mlp, test: &Dataset) -> f64 {
    let classifier = NetworkClassifier::new(model, BackendKind::Flex.device().unwrap(), 64, 10);
    consort_eval::model_accuracy(&classifier, test.features(), test.labels()).unwrap()
}

/// Augmentation is a real strategy: on 100 labelled digits, one-pixel shifts (moved in pixel
/// units, standardised again) lift an MLP's test accuracy over the same 150 epochs without
/// them: 0.9069 against 0.8825 here; +2.4 / +2.7 / +2.2 / +1.6 / +3.6 points with training
/// seeds 0-4 (over 60 epochs the gain is smaller and mixed, +0 to +2.9: shifted rows are
/// learnt more slowly).
#[test]
fn image_shifts_lift_accuracy_on_few_labelled_digits() {
    let (few, test, scaler) = few_digits();
    let shift = Augmentation::shift_grey(8, 8, 1).standardised_by(&scaler);
    let fit = |augment: bool| {
        let cfg = TrainConfig::new().with_epochs(150).with_learning_rate(3e-3);
        let mut est = NetworkEstimator::new(MlpSpec::new(vec![128]), cfg);
        if augment {
            let shift = shift.clone();
            est = est.with_hook(move |_| Ok(Box::new(shift.clone())));
        }
        accuracy(est.fit_with_history(&few).unwrap().1.model, &test)
    };
    let (plain, shifted) = (fit(false), fit(true));
    eprintln!("100 digits: plain {plain:.4}, with shifts {shifted:.4}");
    assert!(shifted > plain + 0.015, "shifts {shifted} vs plain {plain}");
}

/// The controller turns its augmentation on at the first overfitting, before any L2-SP raise,
/// logs it, and the run from there differs from the same run without augmentation.
#[test]
fn the_controller_turns_augmentation_on_when_it_overfits() {
    let (few, test, scaler) = few_digits();
    let shift = Augmentation::shift_grey(8, 8, 1).standardised_by(&scaler);
    let fit = |config: AdaptiveConfig| {
        let adaptive = AdaptiveController::new(config).unwrap();
        let cfg = TrainConfig::new()
            .with_epochs(60)
            .with_validation_fraction(0.3)
            .with_learning_rate(1e-2);
        let est = NetworkEstimator::new(MlpSpec::new(vec![64, 32]), cfg)
            .with_hook_factory(HookFactory::cloned(adaptive.clone()));
        let model = est.fit_with_history(&few).unwrap().1.model;
        (probabilities(model, &test), adaptive.switches())
    };
    // Everything trains from the first epoch, on 70 rows: it overfits.
    let mut ladder = AdaptiveConfig::ladder(&["hidden.1"]);
    ladder.stages = vec![Stage::full(1.0)];
    let (plain, plain_switches) = fit(ladder.clone());
    let (augmented, switches) = fit(ladder.with_augmentation(shift));
    let overfits: Vec<&str> = switches
        .iter()
        .filter(|s| s.trend == consort_tune::Trend::Overfitting)
        .map(|s| s.reason.as_str())
        .collect();
    assert!(!overfits.is_empty(), "{switches:?}");
    assert!(
        overfits[0].ends_with("augmentation on (image shifts of up to 1 px)"),
        "{}",
        overfits[0]
    );
    assert!(overfits[1..].iter().all(|r| !r.contains("augmentation on")));
    // Up to that switch the two runs are the same run.
    let first = switches
        .iter()
        .position(|s| s.reason.contains("augmentation"))
        .unwrap();
    assert_eq!(switches[..first], plain_switches[..first]);
    assert_ne!(augmented, plain);
}

#[test]
fn invalid_augmentations_are_config_errors() {
    let mut config = AdaptiveConfig::ladder(&["hidden.1"]);
    config.augmentation = Some(Augmentation::Noise { std: -1.0 });
    assert!(AdaptiveController::new(config).is_err());
    let (_, _, scaler) = few_digits();
    // A scaler of 64 features for images of 9 pixels.
    let config = AdaptiveConfig::ladder(&["hidden.1"])
        .with_augmentation(Augmentation::shift_grey(3, 3, 1).standardised_by(&scaler));
    assert!(AdaptiveController::new(config).is_err());
}
