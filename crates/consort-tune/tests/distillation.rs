//! Knowledge distillation with unlabelled transfer data: the teacher sees the whole training
//! split with labels; the students see labels for 10% of it and the teacher's soft labels on
//! all of it.

use consort_core::burn;
use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Classifier, ConsortError, Fit, Matrix};
use consort_data::split::stratified_indices;
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_eval::{accuracy, model_accuracy};
use consort_models::{
    LogisticRegressionConfig, Mlp, MlpConfig, Network, NetworkClassifier, NetworkSpec,
};
use consort_tune::{
    FeatureDistillation, HintedStudent, KnowledgeDistillation, NetworkEstimator, PartiallyLabelled,
    TrainConfig, Trainer, TrainingHook, distillation_targets,
};

struct Setup {
    train: Dataset,
    test: Dataset,
    labelled: Vec<usize>,
    teacher_proba: Matrix,
    /// The teacher's penultimate features (256 wide) of the training rows.
    teacher_features: Matrix,
    teacher_test: Vec<usize>,
}

/// One teacher for every test of this file.
fn setup() -> &'static Setup {
    static SETUP: std::sync::OnceLock<Setup> = std::sync::OnceLock::new();
    SETUP.get_or_init(train_teacher)
}

fn train_teacher() -> Setup {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let (train, test) = StandardScaler::standardize_split(&train, &test).unwrap();
    let teacher = NetworkEstimator::new(
        MlpConfig::new(0, vec![256, 256], 0),
        TrainConfig::new().with_epochs(30),
    )
    .fit(&train)
    .unwrap();
    let (_, labelled) = stratified_indices(train.labels(), train.n_classes(), 0.1, 3).unwrap();
    Setup {
        teacher_proba: teacher.predict_proba(train.features()).unwrap(),
        teacher_features: teacher.features(train.features()).unwrap(),
        teacher_test: teacher.predict(test.features()).unwrap(),
        train,
        test,
        labelled,
    }
}

fn agreement(a: &[usize], b: &[usize]) -> f64 {
    accuracy(a, b).unwrap()
}

/// The student: MLP 64-32-10, always initialised the same.
fn fresh_student(device: &burn::tensor::Device) -> Mlp {
    let spec = MlpConfig::new(0, vec![32], 0);
    seeded(device, derive_seed(0, "student"), || {
        spec.build(64, 10, device)
    })
    .unwrap()
}

/// A fresh student with a seeded regressor onto `teacher_dim` teacher features.
fn hinted_student(device: &burn::tensor::Device, teacher_dim: usize) -> HintedStudent<Mlp> {
    let student = fresh_student(device);
    seeded(device, derive_seed(0, "regressor"), || {
        HintedStudent::new(student, 64, teacher_dim, device)
    })
    .unwrap()
}

/// `model` trained by the loop on `objective` with `hooks`, for `epochs`.
fn train<M: Network, O: consort_tune::Objective<Inputs = consort_core::Matrix>>(
    model: M,
    objective: &O,
    epochs: usize,
    hooks: &mut [&mut dyn TrainingHook<M>],
) -> M {
    let autodiff = BackendKind::Flex.device().unwrap().autodiff();
    let cfg = TrainConfig::new()
        .with_epochs(epochs)
        .with_learning_rate(3e-3);
    Trainer::new(cfg)
        .fit(model, &autodiff, objective, None, hooks)
        .unwrap()
        .model
}

fn classifier(model: Mlp) -> NetworkClassifier<Mlp> {
    NetworkClassifier::new(model, BackendKind::Flex.device().unwrap(), 64, 10)
}

/// MLP 64-32-10 trained by the loop on `objective` with `hooks`, for `epochs`.
fn student<O: consort_tune::Objective<Inputs = consort_core::Matrix>>(
    objective: &O,
    epochs: usize,
    hooks: &mut [&mut dyn TrainingHook<Mlp>],
) -> NetworkClassifier<Mlp> {
    let autodiff = BackendKind::Flex.device().unwrap().autodiff();
    classifier(train(fresh_student(&autodiff), objective, epochs, hooks))
}

#[test]
fn distilled_students_beat_students_trained_on_the_labelled_tenth() {
    let s = setup();
    let labelled_only = s.train.subset(&s.labelled);
    let teacher_acc = agreement(&s.teacher_test, s.test.labels());

    // The network student: from scratch on 10% (same number of optimiser steps as the
    // distilled run sees in 30 epochs over all rows), against 10% labels + soft labels on all.
    let scratch = student(&labelled_only, 300, &mut []);
    let partial = PartiallyLabelled::from_dataset(&s.train, &s.labelled).unwrap();
    assert_eq!(partial.n_labelled(), s.labelled.len());
    let mut kd = KnowledgeDistillation::from_probabilities(&s.teacher_proba, 4.0, 0.3).unwrap();
    let distilled = student(&partial, 30, &mut [&mut kd]);
    let acc = |m: &dyn Classifier| model_accuracy(m, s.test.features(), s.test.labels()).unwrap();
    let agree =
        |m: &dyn Classifier| agreement(&m.predict(s.test.features()).unwrap(), &s.teacher_test);
    let (mlp_scratch, mlp_distilled) = (acc(&scratch), acc(&distilled));
    eprintln!(
        "teacher {teacher_acc:.4}; MLP 64-32-10 on {} labels {mlp_scratch:.4} (agrees with \
         teacher {:.4}), distilled {mlp_distilled:.4} (agrees {:.4})",
        s.labelled.len(),
        agree(&scratch),
        agree(&distilled)
    );
    assert!(
        mlp_distilled >= mlp_scratch + 0.03,
        "{mlp_distilled} vs {mlp_scratch}"
    );

    // The classical student: logistic regression on the 10%, against soft targets on all rows.
    let lr = LogisticRegressionConfig::default();
    let lr_scratch = lr.fit(&labelled_only).unwrap();
    let mut labels = vec![None; s.train.len()];
    for &i in &s.labelled {
        labels[i] = Some(s.train.labels()[i]);
    }
    let targets = distillation_targets(&s.teacher_proba, &labels, 0.5).unwrap();
    let lr_distilled = lr.fit_soft(s.train.features(), &targets).unwrap();
    let (a, b) = (acc(&lr_scratch), acc(&lr_distilled));
    eprintln!(
        "logistic regression on {} labels {a:.4} (agrees {:.4}), distilled {b:.4} (agrees {:.4})",
        s.labelled.len(),
        agree(&lr_scratch),
        agree(&lr_distilled)
    );
    assert!(b >= a + 0.03, "{b} vs {a}");

    // Teacher targets that do not cover the training rows are refused before training.
    let mut short = KnowledgeDistillation::from_probabilities(
        &s.teacher_proba.select_rows(&[0, 1, 2]),
        4.0,
        0.5,
    )
    .unwrap();
    let device = BackendKind::Flex.device().unwrap().autodiff();
    let model = MlpConfig::new(0, vec![8], 0)
        .build(64, 10, &device)
        .unwrap();
    let err = Trainer::new(TrainConfig::new().with_epochs(1))
        .fit(model, &device, &partial, None, &mut [&mut short])
        .unwrap_err();
    assert!(matches!(err, ConsortError::ShapeMismatch(_)), "{err}");
    assert!(KnowledgeDistillation::from_probabilities(&s.teacher_proba, 4.0, 1.5).is_err());
}

#[test]
fn feature_hints_teach_the_student_from_unlabelled_rows() {
    let s = setup();
    let labelled_only = s.train.subset(&s.labelled);
    let partial = PartiallyLabelled::from_dataset(&s.train, &s.labelled).unwrap();
    let acc = |m: &dyn Classifier| model_accuracy(m, s.test.features(), s.test.labels()).unwrap();
    let autodiff = BackendKind::Flex.device().unwrap().autodiff();
    let scratch = acc(&student(&labelled_only, 300, &mut []));

    // FitNets: 10% labels, plus the teacher's 256 features on every row as hints for the
    // student's 32 through a learned 32 -> 256 regressor.
    let mut hints = FeatureDistillation::new(s.teacher_features.clone(), 1.0).unwrap();
    let hinted = hinted_student(&autodiff, hints.teacher_dim());
    let hinted = train(hinted, &partial, 30, &mut [&mut hints]).into_student();
    let hinted_acc = acc(&classifier(hinted));

    // Hints and soft targets in one run: the two hooks compose.
    let mut hints = FeatureDistillation::new(s.teacher_features.clone(), 1.0).unwrap();
    let mut kd = KnowledgeDistillation::from_probabilities(&s.teacher_proba, 4.0, 0.3).unwrap();
    let both = hinted_student(&autodiff, hints.teacher_dim());
    let both = train(both, &partial, 30, &mut [&mut hints, &mut kd]).into_student();
    let both_acc = acc(&classifier(both));
    eprintln!(
        "MLP 64-32-10 on {} labels {scratch:.4}; with feature hints on all rows \
         {hinted_acc:.4}; hints + soft targets {both_acc:.4}",
        s.labelled.len()
    );
    assert!(hinted_acc >= scratch + 0.03, "{hinted_acc} vs {scratch}");
    assert!(both_acc >= scratch + 0.03, "{both_acc} vs {scratch}");

    // Hints that do not cover the training rows are refused before training.
    let mut short = FeatureDistillation::new(s.teacher_features.select_rows(&[0, 1]), 1.0).unwrap();
    let model = hinted_student(&autodiff, 256);
    let err = Trainer::new(TrainConfig::new().with_epochs(1))
        .fit(model, &autodiff, &partial, None, &mut [&mut short])
        .unwrap_err();
    assert!(matches!(err, ConsortError::ShapeMismatch(_)), "{err}");
    assert!(FeatureDistillation::new(s.teacher_features.clone(), 0.0).is_err());
}
