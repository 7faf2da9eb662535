//! Predict-time overhead of the combiners over their members, and the cascade's throughput
//! against always running the large model, on embedded digits (450 test rows).
//!
//! `cargo bench -p consort-examples --bench ensembles`
//!
//! Compare `average` and `stacking` with `members_in_sequence` (the sum of the members'
//! predict times, measured in the same run), and `cascade_lr_cnn` with `cnn_alone`.

use std::hint::black_box;
use std::sync::Arc;

use consort_core::{Classifier, Fit};
use consort_data::{embedded, train_test_split};
use consort_ensemble::{
    AverageEnsemble, CalibrationTarget, Cascade, Confidence, Member, OutOfFold, StackingClassifier,
};
use consort_models::{
    CnnConfig, DecisionTreeConfig, GaussianNbConfig, LogisticRegressionConfig, MlpSpec,
    Standardized,
};
use consort_tune::{NetworkEstimator, TrainConfig};
use criterion::{Criterion, criterion_group, criterion_main};

fn combiners(c: &mut Criterion) {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let (fit, valid) = train_test_split(&train, 0.2, 1).unwrap();
    let epochs = TrainConfig::new().with_epochs(10);
    let members = vec![
        Member::new(
            "logistic",
            Arc::new(
                Standardized(LogisticRegressionConfig::default())
                    .fit(&fit)
                    .unwrap(),
            ),
        ),
        Member::new(
            "tree",
            Arc::new(DecisionTreeConfig::default().fit(&fit).unwrap()),
        ),
        Member::new(
            "gnb",
            Arc::new(GaussianNbConfig::default().fit(&fit).unwrap()),
        ),
        Member::new(
            "mlp",
            Arc::new(
                Standardized(NetworkEstimator::new(
                    MlpSpec::new(vec![256, 256]),
                    epochs.clone(),
                ))
                .fit(&fit)
                .unwrap(),
            ),
        ),
        Member::new(
            "cnn",
            Arc::new(
                Standardized(NetworkEstimator::new(CnnConfig::new(), epochs))
                    .fit(&fit)
                    .unwrap(),
            ),
        ),
    ];
    let x = test.features();
    let average = AverageEnsemble::new(members.clone()).unwrap();
    // The meta-learner's cost does not depend on how its training probabilities were made:
    // held-out probabilities of the fitted members stand in for out-of-fold ones.
    let oof = OutOfFold {
        folds: Vec::new(),
        probas: members
            .iter()
            .map(|m| m.model.predict_proba(valid.features()).unwrap())
            .collect(),
    };
    let stacking = StackingClassifier::from_out_of_fold(
        members.clone(),
        &oof,
        &LogisticRegressionConfig::default(),
        false,
        &valid,
    )
    .unwrap();
    let cascade = Cascade::calibrate(
        vec![members[0].clone(), members[4].clone()],
        Confidence::MaxProbability,
        CalibrationTarget::AccuracyWithin(0.005),
        &valid,
    )
    .unwrap();

    let mut group = c.benchmark_group("ensemble_predict_digits_test");
    group.sample_size(20);
    group.bench_function("members_in_sequence", |b| {
        b.iter(|| {
            for m in &members {
                black_box(m.model.predict_proba(x).unwrap());
            }
        })
    });
    group.bench_function("average", |b| {
        b.iter(|| black_box(average.predict_proba(x).unwrap()))
    });
    group.bench_function("stacking", |b| {
        b.iter(|| black_box(stacking.predict_proba(x).unwrap()))
    });
    // The combiners' own work on precomputed member outputs: what they add over the members.
    let meta_input = stacking.meta_features(x).unwrap();
    group.bench_function("stacking_meta_learner_only", |b| {
        b.iter(|| black_box(stacking.meta().predict_proba(&meta_input).unwrap()))
    });
    group.bench_function("cnn_alone", |b| {
        b.iter(|| black_box(members[4].model.predict_proba(x).unwrap()))
    });
    group.bench_function("cascade_lr_cnn", |b| {
        b.iter(|| black_box(cascade.predict_proba(x).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, combiners);
criterion_main!(benches);
