//! The adaptive controller inside the loop: it probes its stages, freezes what a stage does
//! not train, logs its switches, and resumes from a checkpoint exactly where the
//! uninterrupted run would be. (Its effect across transfer scenarios is tested with the
//! `adaptive` example's scenario, in `examples/tests/adaptive.rs`.)

mod common;

use common::StopAt;
use consort_core::{BackendKind, Classifier};
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_models::{Mlp, MlpConfig, NetworkClassifier};
use consort_tune::{
    AdaptiveConfig, AdaptiveController, CheckpointConfig, HookFactory, NetworkEstimator, Stage,
    TrainConfig, TrainOutcome, count_parameters,
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
    let mut est = NetworkEstimator::new(MlpConfig::new(0, vec![64, 32], 0), cfg)
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
        consort_models::NetworkSpec::build(&MlpConfig::new(0, vec![64, 32], 0), 64, 10, &device)
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
