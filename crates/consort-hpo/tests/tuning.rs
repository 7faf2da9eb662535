//! Tuned beats default: histogram gradient boosting on digits, tuned by 3-fold
//! cross-validated accuracy on the training rows (TPE, 20 trials), scores higher in
//! cross-validation than its defaults; the held-out test accuracy of both is reported.

use consort_core::{ClassifierEstimator, Direction, Fit};
use consort_data::{embedded, train_test_split};
use consort_eval::{cross_validate, model_accuracy};
use consort_hpo::Study;
use consort_models::HistGradientBoostingConfig;

#[test]
fn tuned_gradient_boosting_beats_its_defaults_in_cross_validation() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let cv = |e: &dyn ClassifierEstimator<consort_data::Dataset>| {
        cross_validate(e, &train, 3, 0).unwrap().mean
    };
    let default = HistGradientBoostingConfig {
        max_iter: 50,
        ..HistGradientBoostingConfig::default()
    };
    let default_cv = cv(&default);
    let mut study = Study::new(Direction::Higher).with_seed(0);
    study
        .optimize(20, |t| {
            let config = HistGradientBoostingConfig {
                max_iter: 50,
                learning_rate: t.suggest_float_log("learning_rate", 0.01, 1.0)?,
                max_leaf_nodes: t.suggest_int("max_leaf_nodes", 4, 64, 1)? as usize,
                min_samples_leaf: t.suggest_int("min_samples_leaf", 1, 40, 1)? as usize,
                l2_regularization: t.suggest_float_log("l2_regularization", 1e-3, 10.0)?,
                ..default.clone()
            };
            Ok(cv(&config))
        })
        .unwrap();
    let best = study.best_trial().unwrap();
    let p = &best.params;
    let as_f = |k: &str| match &p[k] {
        consort_hpo::ParamValue::Float(v) => *v,
        consort_hpo::ParamValue::Int(v) => *v as f64,
        other => panic!("{other:?}"),
    };
    let tuned = HistGradientBoostingConfig {
        max_iter: 50,
        learning_rate: as_f("learning_rate"),
        max_leaf_nodes: as_f("max_leaf_nodes") as usize,
        min_samples_leaf: as_f("min_samples_leaf") as usize,
        l2_regularization: as_f("l2_regularization"),
        ..default.clone()
    };
    let test_accuracy = |c: &HistGradientBoostingConfig| {
        model_accuracy(&c.fit(&train).unwrap(), test.features(), test.labels()).unwrap()
    };
    eprintln!(
        "gradient boosting on digits, 3-fold CV: default {default_cv:.4}, tuned {:.4} ({:?}); \
         test: default {:.4}, tuned {:.4}",
        best.value.unwrap(),
        best.params,
        test_accuracy(&default),
        test_accuracy(&tuned)
    );
    assert!(best.value.unwrap() > default_cv);
}
