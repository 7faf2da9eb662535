//! One training epoch of the MLP and the fit of each small model on embedded digits.
//!
//! `cargo bench -p consort-tune --bench training`

use std::hint::black_box;

use consort_core::seed::seeded;
use consort_core::{BackendKind, Fit};
use consort_data::{StandardScaler, embedded, train_test_split};
use consort_models::{
    DecisionTreeConfig, GaussianNbConfig, LogisticRegressionConfig, MlpConfig, NetworkSpec,
};
use consort_tune::{TrainConfig, Trainer};
use criterion::{Criterion, criterion_group, criterion_main};

fn benches(c: &mut Criterion) {
    let (train, _) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let scaler = StandardScaler::fit(train.features()).unwrap();
    let scaled = train
        .with_features(scaler.transform(train.features()).unwrap())
        .unwrap();

    let mut group = c.benchmark_group("digits_fit");
    group.sample_size(10);
    for kind in BackendKind::compiled() {
        if kind == BackendKind::Wgpu && std::env::var("CONSORT_BENCH_WGPU").is_err() {
            continue;
        }
        let device = kind.device().unwrap().autodiff();
        let spec = MlpConfig::new(0, vec![256, 256], 0);
        let trainer = Trainer::new(TrainConfig::new().with_epochs(1));
        group.bench_function(format!("mlp_256x256_epoch_{kind}"), |b| {
            b.iter(|| {
                let model = seeded(&device, 0, || spec.build(64, 10, &device)).unwrap();
                black_box(trainer.fit(model, &device, &scaled, None, &mut []).unwrap());
            })
        });
    }
    group.bench_function("logistic_regression", |b| {
        b.iter(|| black_box(LogisticRegressionConfig::default().fit(&scaled).unwrap()))
    });
    group.bench_function("decision_tree_depth10", |b| {
        b.iter(|| black_box(DecisionTreeConfig::default().fit(&train).unwrap()))
    });
    group.bench_function("gaussian_nb", |b| {
        b.iter(|| black_box(GaussianNbConfig::default().fit(&train).unwrap()))
    });
    group.finish();
}

criterion_group!(training, benches);
criterion_main!(training);
