//! Knowledge distillation with unlabelled transfer data on digits: a 256-256 MLP teacher
//! trained on the whole training split; students that see labels for 10% of it, with and
//! without the teacher's soft labels on all of it, and with its features as FitNets hints.
//!
//! `cargo run --release -p consort-examples --example distill`

use std::sync::Arc;

use consort_core::{Classifier, Fit, Matrix};
use consort_data::split::stratified_indices;
use consort_data::{StandardScaler, embedded, train_test_split};
use consort_eval::{accuracy, model_accuracy};
use consort_examples::{f4, print_table};
use consort_models::{DecisionTreeConfig, LogisticRegressionConfig, MlpSpec, NetworkClassifier};
use consort_tune::{
    FeatureDistillation, HintedSpec, KnowledgeDistillation, NetworkEstimator, PartiallyLabelled,
    TrainConfig, distillation_targets,
};

/// The student's training settings: MLP 64-32-10, the same initial weights every run.
fn train_config(epochs: usize) -> TrainConfig {
    TrainConfig::new()
        .with_epochs(epochs)
        .with_learning_rate(3e-3)
}

/// Soft targets from `teacher` on each fit's own training rows.
fn soft_targets<M>(
    teacher: &Arc<dyn Classifier>,
) -> impl Fn(
    &consort_tune::FitContext<'_>,
) -> consort_core::Result<Box<dyn consort_tune::TrainingHook<M>>>
+ Send
+ Sync
+ 'static {
    let teacher = teacher.clone();
    move |ctx| {
        let rows = ctx.rows.expect("dense rows");
        Ok(Box::new(KnowledgeDistillation::new(
            &*teacher, rows, 4.0, 0.3,
        )?))
    }
}

fn main() -> consort_core::Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
    let (train, test) = StandardScaler::standardize_split(&train, &test)?;
    let teacher = NetworkEstimator::new(
        MlpSpec::new(vec![256, 256]),
        TrainConfig::new().with_epochs(30),
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
    let teacher: Arc<dyn Classifier> = Arc::new(teacher);
    let student = MlpSpec::new(vec![32]);
    let scratch = NetworkEstimator::new(student.clone(), train_config(300)).fit(&few)?;
    add("MLP 64-32-10, 10% labels", &scratch)?;
    let partial = PartiallyLabelled::from_dataset(&train, &labelled)?;
    let distilled = NetworkEstimator::new(student.clone(), train_config(30))
        .with_hook(soft_targets(&teacher))
        .fit_with_history(&partial)?
        .0;
    add("MLP 64-32-10, distilled (T=4, alpha=0.3)", &distilled)?;
    // FitNets: the student plus a regressor onto the teacher's 256 features, hinted by them.
    let hinted = |with_soft_targets: bool| -> consort_core::Result<NetworkClassifier<_>> {
        let spec = HintedSpec {
            student: student.clone(),
            teacher_dim: teacher_features.cols(),
        };
        let features: Matrix = teacher_features.clone();
        let mut estimator = NetworkEstimator::new(spec, train_config(30))
            .with_hook(move |_| Ok(Box::new(FeatureDistillation::new(features.clone(), 1.0)?)));
        if with_soft_targets {
            estimator = estimator.with_hook(soft_targets(&teacher));
        }
        Ok(estimator.fit_with_history(&partial)?.0)
    };
    add("MLP 64-32-10, feature hints (FitNets)", &hinted(false)?)?;
    add("MLP 64-32-10, hints + soft targets", &hinted(true)?)?;
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
