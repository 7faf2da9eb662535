//! Knowledge distillation with unlabelled transfer data on digits: a 256-256 MLP teacher
//! trained on the whole training split; students that see labels for 10% of it, with and
//! without the teacher's soft labels on all of it, and with its features as FitNets hints.
//!
//! `cargo run --release -p consort-examples --example distill`

use consort_core::burn::tensor::Device;
use consort_core::seed::{derive_seed, seeded};
use consort_core::{BackendKind, Classifier, Fit};
use consort_data::split::stratified_indices;
use consort_data::{StandardScaler, embedded, train_test_split};
use consort_eval::{accuracy, model_accuracy};
use consort_examples::{f4, print_table};
use consort_models::{
    DecisionTreeConfig, LogisticRegressionConfig, Mlp, MlpConfig, Network, NetworkClassifier,
    NetworkSpec,
};
use consort_tune::{
    FeatureDistillation, HintedStudent, KnowledgeDistillation, NetworkEstimator, Objective,
    PartiallyLabelled, TrainConfig, Trainer, TrainingHook, distillation_targets,
};

/// MLP 64-32-10, initialised the same for every student.
fn fresh_student(autodiff: &Device) -> consort_core::Result<Mlp> {
    seeded(autodiff, derive_seed(0, "student"), || {
        MlpConfig::new(0, vec![32], 0).build(64, 10, autodiff)
    })
}

fn train<M: Network, O: Objective>(
    model: M,
    data: &O,
    epochs: usize,
    hooks: &mut [&mut dyn TrainingHook<M>],
) -> consort_core::Result<M> {
    let autodiff = BackendKind::default_kind()?.device()?.autodiff();
    let cfg = TrainConfig::new()
        .with_epochs(epochs)
        .with_learning_rate(3e-3);
    Ok(Trainer::new(cfg)
        .with_label("student")
        .fit(model, &autodiff, data, None, hooks)?
        .model)
}

fn classifier(model: Mlp) -> consort_core::Result<NetworkClassifier<Mlp>> {
    Ok(NetworkClassifier::new(
        model,
        BackendKind::default_kind()?.device()?,
        64,
        10,
    ))
}

fn student<O: Objective>(
    data: &O,
    epochs: usize,
    hooks: &mut [&mut dyn TrainingHook<Mlp>],
) -> consort_core::Result<NetworkClassifier<Mlp>> {
    let autodiff = BackendKind::default_kind()?.device()?.autodiff();
    classifier(train(fresh_student(&autodiff)?, data, epochs, hooks)?)
}

/// A student trained with the teacher's features as hints (and soft targets, if given),
/// regressor dropped.
fn hinted_student<O: Objective>(
    data: &O,
    teacher_features: &consort_core::Matrix,
    soft_targets: Option<&mut KnowledgeDistillation>,
) -> consort_core::Result<NetworkClassifier<Mlp>> {
    let autodiff = BackendKind::default_kind()?.device()?.autodiff();
    let mut hints = FeatureDistillation::new(teacher_features.clone(), 1.0)?;
    let student = fresh_student(&autodiff)?;
    let model = seeded(&autodiff, derive_seed(0, "regressor"), || {
        HintedStudent::new(student, 64, hints.teacher_dim(), &autodiff)
    })?;
    let trained = match soft_targets {
        Some(kd) => train(model, data, 30, &mut [&mut hints, kd])?,
        None => train(model, data, 30, &mut [&mut hints])?,
    };
    classifier(trained.into_student())
}

fn main() -> consort_core::Result<()> {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
    let (train, test) = StandardScaler::standardize_split(&train, &test)?;
    let teacher = NetworkEstimator::new(
        MlpConfig::new(0, vec![256, 256], 0),
        TrainConfig::new().with_epochs(30).with_progress(true),
    )
    .fit(&train)?;
    let teacher_proba = teacher.predict_proba(train.features())?;
    let teacher_features = teacher.features(train.features())?;
    let teacher_test = teacher.predict(test.features())?;
    let (_, labelled) = stratified_indices(train.labels(), train.n_classes(), 0.1, 3)?;
    let few = train.subset(&labelled);
    let mut labels = vec![None; train.len()];
    for &i in &labelled {
        labels[i] = Some(train.labels()[i]);
    }
    println!(
        "teacher trained on {} labelled rows; students get labels for {} of them\n",
        train.len(),
        labelled.len()
    );

    let mut rows = Vec::new();
    let mut add = |name: &str, model: &dyn Classifier| -> consort_core::Result<()> {
        let predicted = model.predict(test.features())?;
        rows.push(vec![
            name.to_string(),
            f4(model_accuracy(model, test.features(), test.labels())?),
            f4(accuracy(&predicted, &teacher_test)?),
        ]);
        Ok(())
    };
    add("teacher MLP 256-256", &teacher)?;
    add("MLP 64-32-10, 10% labels", &student(&few, 300, &mut [])?)?;
    let partial = PartiallyLabelled::from_dataset(&train, &labelled)?;
    let mut kd = KnowledgeDistillation::from_probabilities(&teacher_proba, 4.0, 0.3)?;
    add(
        "MLP 64-32-10, distilled (T=4, alpha=0.3)",
        &student(&partial, 30, &mut [&mut kd])?,
    )?;
    add(
        "MLP 64-32-10, feature hints (FitNets)",
        &hinted_student(&partial, &teacher_features, None)?,
    )?;
    let mut kd = KnowledgeDistillation::from_probabilities(&teacher_proba, 4.0, 0.3)?;
    add(
        "MLP 64-32-10, hints + soft targets",
        &hinted_student(&partial, &teacher_features, Some(&mut kd))?,
    )?;
    let targets = distillation_targets(&teacher_proba, &labels, 0.5)?;
    let lr = LogisticRegressionConfig::default();
    add("logistic regression, 10% labels", &lr.fit(&few)?)?;
    add(
        "logistic regression, distilled",
        &lr.fit_soft(train.features(), &targets)?,
    )?;
    let tree = DecisionTreeConfig::default();
    add("decision tree, 10% labels", &tree.fit(&few)?)?;
    add(
        "decision tree, distilled",
        &tree.fit_soft(train.features(), &targets)?,
    )?;
    print_table(&["model", "test accuracy", "agreement with teacher"], &rows);
    Ok(())
}
