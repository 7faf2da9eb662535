//! Fitted weights, stacking and the cascade: the quality bars on digits, and typed
//! errors on bad input.

use std::sync::{Arc, OnceLock};

use consort_core::seed::rng;
use consort_core::{Classifier, ConsortError, Fit, Matrix, Regressor};
use consort_data::{Dataset, RegressionDataset, embedded, train_test_split};
use consort_ensemble::{
    AverageEnsemble, CalibrationTarget, Cascade, ClassifierCandidate, Combine, Confidence, Member,
    NamedEstimator, RegressionEnsemble, RegressorCandidate, RegressorMember, StackingClassifier,
    StackingConfig, StackingRegressor,
};
use consort_eval::{log_loss, model_accuracy, mse};
use consort_models::{
    CnnConfig, DecisionTreeConfig, GaussianNbConfig, LogisticRegressionConfig, MlpSpec,
    RidgeConfig, Standardized,
};
use consort_tune::{NetworkEstimator, TrainConfig};
use rand::Rng;

fn accuracy(model: &dyn Classifier, data: &Dataset) -> f64 {
    model_accuracy(model, data.features(), data.labels()).unwrap()
}

fn mlp() -> Standardized<NetworkEstimator<MlpSpec>> {
    Standardized(NetworkEstimator::new(
        MlpSpec::new(vec![128]),
        TrainConfig::new().with_epochs(20),
    ))
}

/// Digits 75/25, the training part split again 80/20 into fit and validation (for weights
/// and thresholds, which must come from data the members did not see).
struct Digits {
    train: Dataset,
    fit: Dataset,
    valid: Dataset,
    test: Dataset,
}

fn digits() -> &'static Digits {
    static DATA: OnceLock<Digits> = OnceLock::new();
    DATA.get_or_init(|| {
        let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
        let (fit, valid) = train_test_split(&train, 0.2, 1).unwrap();
        Digits {
            train,
            fit,
            valid,
            test,
        }
    })
}

/// Logistic regression, tree, Gaussian NB and CNN fitted once on the fit split.
fn fitted_members() -> &'static Vec<Member> {
    static MEMBERS: OnceLock<Vec<Member>> = OnceLock::new();
    MEMBERS.get_or_init(|| {
        let fit = &digits().fit;
        vec![
            Member::new(
                "logistic",
                Arc::new(
                    Standardized(LogisticRegressionConfig::default())
                        .fit(fit)
                        .unwrap(),
                ),
            ),
            Member::new(
                "tree",
                Arc::new(DecisionTreeConfig::default().fit(fit).unwrap()),
            ),
            Member::new(
                "gnb",
                Arc::new(GaussianNbConfig::default().fit(fit).unwrap()),
            ),
            Member::new(
                "cnn",
                Arc::new(
                    Standardized(NetworkEstimator::new(
                        CnnConfig::new(),
                        TrainConfig::new().with_epochs(20),
                    ))
                    .fit(fit)
                    .unwrap(),
                ),
            ),
        ]
    })
}

#[test]
fn stacking_is_at_least_as_good_as_its_best_member() {
    let d = digits();
    let candidates: Vec<ClassifierCandidate> = vec![
        NamedEstimator::new("mlp", Box::new(mlp())),
        NamedEstimator::new(
            "logistic",
            Box::new(Standardized(LogisticRegressionConfig::default())),
        ),
        NamedEstimator::new("tree", Box::new(DecisionTreeConfig::default())),
        NamedEstimator::new("gnb", Box::new(GaussianNbConfig::default())),
    ];
    let config = StackingConfig::default();
    let stack = StackingClassifier::fit(
        &candidates,
        &LogisticRegressionConfig::default(),
        &config,
        &d.train,
    )
    .unwrap();
    let members: Vec<(String, f64)> = stack
        .members()
        .iter()
        .map(|m| (m.name.clone(), accuracy(m.model.as_ref(), &d.test)))
        .collect();
    let best = members.iter().map(|m| m.1).fold(0.0, f64::max);
    let stacked = accuracy(&stack, &d.test);
    eprintln!("stacking {stacked:.4} vs members {members:?}");
    assert!(
        stacked >= best - 0.005,
        "stacking {stacked} vs best member {best}"
    );
    // The meta-learner sees 4 members x 10 class probabilities.
    assert_eq!(stack.meta_features(d.test.features()).unwrap().cols(), 40);

    // Passthrough adds the 64 pixel features; prefit stacking trains the meta-learner on
    // held-out data only.
    let prefit = StackingClassifier::fit_prefit(
        fitted_members().clone(),
        &LogisticRegressionConfig::default(),
        true,
        &d.valid,
    )
    .unwrap();
    assert_eq!(
        prefit.meta_features(d.test.features()).unwrap().cols(),
        40 + 64
    );
    let prefit_acc = accuracy(&prefit, &d.test);
    eprintln!("prefit stacking with passthrough {prefit_acc:.4}");
    assert!(prefit_acc > 0.9);
}

#[test]
fn fitted_weights_beat_the_simple_average_on_validation_log_loss() {
    let d = digits();
    let members = fitted_members().clone();
    let simple = AverageEnsemble::new(members.clone()).unwrap();
    let fitted = AverageEnsemble::fit_weights(members, &d.valid).unwrap();
    let loss = |m: &AverageEnsemble, data: &Dataset| {
        log_loss(data.labels(), &m.predict_proba(data.features()).unwrap()).unwrap()
    };
    let (s, f) = (loss(&simple, &d.valid), loss(&fitted, &d.valid));
    eprintln!(
        "validation log-loss simple {s:.4} vs fitted {f:.4} (test {:.4} vs {:.4}); weights {:?}",
        loss(&simple, &d.test),
        loss(&fitted, &d.test),
        fitted.weights()
    );
    assert!(f <= s);
    assert!((fitted.weights().iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(fitted.weights().iter().all(|&w| w >= 0.0));
}

#[test]
fn calibrated_cascade_keeps_cnn_accuracy_while_sending_at_most_half_to_it() {
    let d = digits();
    let members = fitted_members();
    let cascade = Cascade::calibrate(
        vec![members[0].clone(), members[3].clone()],
        Confidence::MaxProbability,
        CalibrationTarget::AccuracyWithin(0.005),
        &d.valid,
    )
    .unwrap();
    let report = cascade.report(&d.test).unwrap();
    eprintln!(
        "cascade: threshold {:?}, accuracy {:.4} vs cnn {:.4}, escalated {:.3}, time saved \
         {:.2}, MACs saved {:?}",
        cascade.thresholds(),
        report.accuracy,
        report.last_member_accuracy,
        report.escalated_to_last,
        report.time_saved(),
        report.macs_saved()
    );
    assert!(report.accuracy >= report.last_member_accuracy - 0.005);
    assert!(report.escalated_to_last <= 0.5);
    assert_eq!(
        report.stages.iter().map(|s| s.answered).sum::<usize>(),
        d.test.len()
    );
    assert!(report.macs_saved().unwrap() > 0.4);

    // A budget calibration escalates at most that share of the validation samples.
    let budget = Cascade::calibrate(
        vec![members[0].clone(), members[3].clone()],
        Confidence::Margin,
        CalibrationTarget::EscalationBudget(0.1),
        &d.valid,
    )
    .unwrap();
    assert!(budget.report(&d.valid).unwrap().escalated_to_last <= 0.1);

    // The curve runs from "stop everything at stage 0" to "escalate everything".
    let curve = cascade.curve(&d.test, 20).unwrap();
    assert!(curve.first().unwrap().escalated < 0.05);
    assert_eq!(curve.last().unwrap().escalated, 1.0);
    assert!((curve.last().unwrap().accuracy - report.last_member_accuracy).abs() < 1e-12);
}

/// y = 2 x0 - x1 + sin(3 x2) + noise: a linear part the tree staircases and a non-linear
/// part ridge cannot fit.
fn nonlinear(n: usize, seed: u64) -> RegressionDataset {
    let mut r = rng(seed);
    let mut rows = Vec::with_capacity(n * 3);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let x: [f32; 3] = [
            r.random_range(-2.0..2.0),
            r.random_range(-2.0..2.0),
            r.random_range(-2.0..2.0),
        ];
        rows.extend_from_slice(&x);
        y.push(2.0 * x[0] - x[1] + (3.0 * x[2]).sin() + r.random_range(-0.1..0.1));
    }
    RegressionDataset::new(Matrix::new(n, 3, rows).unwrap(), y).unwrap()
}

#[test]
fn regression_stacking_beats_each_member() {
    let (train, test) = (nonlinear(800, 0), nonlinear(400, 1));
    let candidates: Vec<RegressorCandidate> = vec![
        NamedEstimator::new("ridge", Box::new(RidgeConfig::default())),
        NamedEstimator::new("tree", Box::new(DecisionTreeConfig::default())),
    ];
    let config = StackingConfig {
        passthrough: true,
        ..Default::default()
    };
    let stack =
        StackingRegressor::fit(&candidates, &RidgeConfig::default(), &config, &train).unwrap();
    let test_mse =
        |m: &dyn Regressor| mse(test.targets(), &m.predict(test.features()).unwrap()).unwrap();
    let members: Vec<f64> = stack
        .members()
        .iter()
        .map(|m| test_mse(m.model.as_ref()))
        .collect();
    let stacked = test_mse(&stack);
    eprintln!("regression stacking mse {stacked:.4} vs members {members:?}");
    assert!(members.iter().all(|&m| stacked < m));

    // Mean, median and fitted weights of the same members.
    let regs: Vec<RegressorMember> = stack.members().to_vec();
    let mean = RegressionEnsemble::new(regs.clone(), Combine::Mean).unwrap();
    let median = RegressionEnsemble::new(regs.clone(), Combine::Median).unwrap();
    // Two members: the median is their mean.
    assert_eq!(
        mean.predict(test.features()).unwrap(),
        median.predict(test.features()).unwrap()
    );
    let valid = nonlinear(300, 2);
    let fitted = RegressionEnsemble::fit_weights(regs, &valid).unwrap();
    let valid_mse =
        |m: &dyn Regressor| mse(valid.targets(), &m.predict(valid.features()).unwrap()).unwrap();
    assert!(valid_mse(&fitted) <= valid_mse(&mean));
}

#[test]
fn bad_ensembles_are_typed_errors() {
    let d = digits();
    let members = fitted_members();
    // Empty member lists.
    assert!(matches!(
        Cascade::new(vec![], Confidence::Margin, vec![]),
        Err(ConsortError::InvalidConfig { .. })
    ));
    assert!(matches!(
        StackingClassifier::fit(
            &[],
            &LogisticRegressionConfig::default(),
            &StackingConfig::default(),
            &d.train
        ),
        Err(ConsortError::InvalidConfig { .. })
    ));
    assert!(matches!(
        RegressionEnsemble::new(vec![], Combine::Median),
        Err(ConsortError::InvalidConfig { .. })
    ));
    // Thresholds that do not match the members; negative ones.
    assert!(matches!(
        Cascade::new(members.clone(), Confidence::Margin, vec![0.5]),
        Err(ConsortError::ShapeMismatch(_))
    ));
    assert!(matches!(
        Cascade::new(members[..2].to_vec(), Confidence::Margin, vec![-0.5]),
        Err(ConsortError::InvalidConfig { .. })
    ));
    // Weights that do not match, or are negative.
    assert!(matches!(
        AverageEnsemble::weighted(members.clone(), vec![1.0]),
        Err(ConsortError::ShapeMismatch(_))
    ));
    assert!(matches!(
        AverageEnsemble::weighted(members.clone(), vec![1.0, -1.0, 1.0, 1.0]),
        Err(ConsortError::InvalidConfig { .. })
    ));
    // Members with other class counts or feature counts.
    let iris = embedded::iris();
    let iris_lr = Member::new(
        "iris",
        Arc::new(LogisticRegressionConfig::default().fit(&iris).unwrap()),
    );
    let mixed = vec![members[0].clone(), iris_lr];
    assert!(matches!(
        Cascade::calibrate(
            mixed.clone(),
            Confidence::Margin,
            CalibrationTarget::EscalationBudget(0.2),
            &d.valid
        ),
        Err(ConsortError::ShapeMismatch(_))
    ));
    assert!(matches!(
        StackingClassifier::fit_prefit(
            mixed,
            &LogisticRegressionConfig::default(),
            false,
            &d.valid
        ),
        Err(ConsortError::ShapeMismatch(_))
    ));
    // Validation data of another shape; bad calibration targets; too few folds.
    assert!(matches!(
        AverageEnsemble::fit_weights(members.clone(), &iris),
        Err(ConsortError::ShapeMismatch(_))
    ));
    assert!(matches!(
        Cascade::calibrate(
            members[..2].to_vec(),
            Confidence::Margin,
            CalibrationTarget::EscalationBudget(1.5),
            &d.valid
        ),
        Err(ConsortError::InvalidConfig { .. })
    ));
    let folds = StackingConfig {
        folds: 1,
        ..Default::default()
    };
    let one: Vec<ClassifierCandidate> = vec![NamedEstimator::new(
        "gnb",
        Box::new(GaussianNbConfig::default()),
    )];
    assert!(matches!(
        StackingClassifier::fit(&one, &LogisticRegressionConfig::default(), &folds, &d.train),
        Err(ConsortError::InvalidConfig { .. })
    ));
}

#[test]
fn cross_validation_matches_the_out_of_fold_scores() {
    let d = digits();
    let config = StackingConfig {
        seed: 7,
        ..Default::default()
    };
    let cv = consort_eval::cross_validate(&GaussianNbConfig::default(), &d.train, 5, 7).unwrap();
    let candidates: Vec<ClassifierCandidate> = vec![NamedEstimator::new(
        "gnb",
        Box::new(GaussianNbConfig::default()),
    )];
    let oof = consort_ensemble::OutOfFold::compute(&candidates, &config, &d.train).unwrap();
    assert_eq!(cv.folds, oof.fold_accuracies(0, d.train.labels()));
    eprintln!("gaussian nb 5-fold accuracy {cv}");
    assert!(cv.mean > 0.75 && cv.std > 0.0 && cv.std < 0.1);
}
