//! Knowledge distillation with unlabelled transfer data: the teacher sees the whole training
//! split with labels; the students see labels for 10% of it and the teacher's soft labels on
//! all of it.

use consort_core::{Classifier, ConsortError, Fit, Matrix};
use consort_data::split::stratified_indices;
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_eval::{accuracy, model_accuracy};
use consort_models::{LogisticRegressionConfig, Mlp, MlpSpec, NetworkClassifier, NetworkSpec};
use consort_tune::{
    FeatureDistillation, HintedSpec, HookFactory, KnowledgeDistillation, NetworkEstimator,
    Objective, PartiallyLabelled, TrainConfig, distillation_targets,
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
        MlpSpec::new(vec![256, 256]),
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

/// The student's architecture: MLP 64-32-10.
fn student_spec() -> MlpSpec {
    MlpSpec::new(vec![32])
}

/// An estimator for `spec` (every fit starts from the same initial weights) with `hooks`.
fn estimator<S: NetworkSpec>(
    spec: S,
    epochs: usize,
    hooks: Vec<HookFactory<S::Net>>,
) -> NetworkEstimator<S> {
    let cfg = TrainConfig::new()
        .with_epochs(epochs)
        .with_learning_rate(3e-3);
    hooks
        .into_iter()
        .fold(NetworkEstimator::new(spec, cfg), |e, h| {
            e.with_hook_factory(h)
        })
}

/// The student trained on `objective` with `hooks`, for `epochs`.
fn student<O>(objective: &O, epochs: usize, hooks: Vec<HookFactory<Mlp>>) -> NetworkClassifier<Mlp>
where
    O: Objective<Inputs = Matrix> + Clone,
{
    estimator(student_spec(), epochs, hooks)
        .fit_with_history(objective)
        .unwrap()
        .0
}

/// The student with a regressor onto the teacher's 256 features, trained on `objective` with
/// the hint loss (plus `extra` hooks); it predicts with the student's own logits.
fn hinted_student(
    objective: &PartiallyLabelled,
    hints: FeatureDistillation,
    extra: Vec<HookFactory<consort_tune::HintedStudent<Mlp>>>,
) -> consort_core::Result<NetworkClassifier<consort_tune::HintedStudent<Mlp>>> {
    let spec = HintedSpec {
        student: student_spec(),
        teacher_dim: hints.teacher_dim(),
    };
    let mut hooks = vec![HookFactory::cloned(hints)];
    hooks.extend(extra);
    Ok(estimator(spec, 30, hooks).fit_with_history(objective)?.0)
}

#[test]
fn distilled_students_beat_students_trained_on_the_labelled_tenth() {
    let s = setup();
    let labelled_only = s.train.subset(&s.labelled);
    let teacher_acc = agreement(&s.teacher_test, s.test.labels());

    // The network student: from scratch on 10% (same number of optimiser steps as the
    // distilled run sees in 30 epochs over all rows), against 10% labels + soft labels on all.
    let scratch = student(&labelled_only, 300, vec![]);
    let partial = PartiallyLabelled::from_dataset(&s.train, &s.labelled).unwrap();
    assert_eq!(partial.n_labelled(), s.labelled.len());
    let kd = KnowledgeDistillation::from_probabilities(&s.teacher_proba, 4.0, 0.3).unwrap();
    let distilled = student(&partial, 30, vec![HookFactory::cloned(kd)]);
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
    let short = KnowledgeDistillation::from_probabilities(
        &s.teacher_proba.select_rows(&[0, 1, 2]),
        4.0,
        0.5,
    )
    .unwrap();
    let err = estimator(student_spec(), 1, vec![HookFactory::cloned(short)])
        .fit_with_history(&partial)
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
    let scratch = acc(&student(&labelled_only, 300, vec![]));

    // FitNets: 10% labels, plus the teacher's 256 features on every row as hints for the
    // student's 32 through a learned 32 -> 256 regressor.
    let hints = FeatureDistillation::new(s.teacher_features.clone(), 1.0).unwrap();
    let hinted_acc = acc(&hinted_student(&partial, hints.clone(), vec![]).unwrap());

    // Hints and soft targets in one run: the two hooks compose.
    let kd = KnowledgeDistillation::from_probabilities(&s.teacher_proba, 4.0, 0.3).unwrap();
    let both_acc = acc(&hinted_student(&partial, hints, vec![HookFactory::cloned(kd)]).unwrap());
    eprintln!(
        "MLP 64-32-10 on {} labels {scratch:.4}; with feature hints on all rows \
         {hinted_acc:.4}; hints + soft targets {both_acc:.4}",
        s.labelled.len()
    );
    assert!(hinted_acc >= scratch + 0.03, "{hinted_acc} vs {scratch}");
    assert!(both_acc >= scratch + 0.03, "{both_acc} vs {scratch}");

    // Hints that do not cover the training rows are refused before training.
    let short = FeatureDistillation::new(s.teacher_features.select_rows(&[0, 1]), 1.0).unwrap();
    let err = hinted_student(&partial, short, vec![]).unwrap_err();
    assert!(matches!(err, ConsortError::ShapeMismatch(_)), "{err}");
    assert!(FeatureDistillation::new(s.teacher_features.clone(), 0.0).is_err());
}
