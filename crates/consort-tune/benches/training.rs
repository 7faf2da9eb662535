//! Fit and predict of every small model on embedded digits, and one training epoch of every
//! network, matrix factorisation included (the MLP on each compiled CPU backend, to compare backends in one run).
//!
//! `cargo bench -p consort-tune --bench training`
//! (add `--features consort-core/ndarray` to compare flex with ndarray;
//! `CONSORT_BENCH_WGPU=1` with the wgpu feature to include the GPU).

use std::hint::black_box;

use burn::tensor::Device;
use consort_core::seed::seeded;
use consort_core::{BackendKind, Classifier, Fit, ParamGuard};
use consort_data::synthetic::{order_sequences, order_vocab_size};
use consort_data::{Dataset, StandardScaler, embedded, low_rank_ratings, train_test_split};
use consort_models::{
    AdaBoostConfig, CnnConfig, DecisionTreeConfig, GaussianNbConfig, HistGradientBoostingConfig,
    KNeighborsConfig, LogisticRegressionConfig, LstmClassifierConfig, MatrixFactorizationConfig,
    MlpSpec, MultinomialNbConfig, Network, NetworkSpec, RandomForestConfig,
    TransformerClassifierConfig,
};
use consort_tune::{Objective, TrainConfig, Trainer};
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

fn epoch<S: NetworkSpec>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    kind: BackendKind,
    spec: &S,
    data: &Dataset,
) {
    epoch_of(group, name, kind, data, |device| {
        spec.build(data.n_features(), data.n_classes(), device)
    });
}

/// One epoch of a freshly initialised network built by `build`, on any objective.
fn epoch_of<M: Network, O: Objective<Inputs = consort_core::Matrix>>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    kind: BackendKind,
    data: &O,
    build: impl Fn(&Device) -> consort_core::Result<M>,
) {
    let device = kind.device().unwrap().autodiff();
    let trainer = Trainer::new(
        TrainConfig::new()
            .with_epochs(1)
            .checked()
            .expect("valid settings"),
    );
    group.bench_function(format!("{name}_epoch_{kind}"), |b| {
        b.iter(|| {
            let model = seeded(&device, 0, || build(&device)).unwrap();
            black_box(trainer.fit(model, &device, data, None, &mut []).unwrap());
        })
    });
}

fn small_model<E>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    est: E,
    train: &Dataset,
    test: &Dataset,
) where
    E: Fit<Dataset>,
    E::Object: Classifier,
{
    group.bench_function(format!("{name}_fit"), |b| {
        b.iter(|| black_box(est.fit(train).unwrap()))
    });
    let model = est.fit(train).unwrap();
    group.bench_function(format!("{name}_predict"), |b| {
        b.iter(|| black_box(model.predict_proba(test.features()).unwrap()))
    });
}

fn backends() -> Vec<BackendKind> {
    BackendKind::compiled()
        .into_iter()
        .filter(|&k| k != BackendKind::Wgpu || std::env::var("CONSORT_BENCH_WGPU").is_ok())
        .collect()
}

fn networks(c: &mut Criterion) {
    let (train, _) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let scaler = StandardScaler::fit(train.features()).unwrap();
    let scaled = scaler.transform_dataset(&train).unwrap();
    let sequences = order_sequences(1200, 16, 8, 1).unwrap();
    let vocab = order_vocab_size(8);

    let mut group = c.benchmark_group("network_epoch");
    group.sample_size(10);
    for kind in backends() {
        epoch(
            &mut group,
            "mlp_256x256",
            kind,
            &MlpSpec::new(vec![256, 256]),
            &scaled,
        );
    }
    let kind = BackendKind::default_kind().unwrap();
    epoch(&mut group, "cnn", kind, &CnnConfig::new(), &scaled);
    epoch(
        &mut group,
        "lstm",
        kind,
        &LstmClassifierConfig::new(vocab),
        &sequences,
    );
    epoch(
        &mut group,
        "transformer",
        kind,
        &TransformerClassifierConfig::new(vocab),
        &sequences,
    );
    // 6,000 ratings of 300 users x 200 items, batches of 64 like the other networks.
    let ratings = low_rank_ratings(300, 200, 4, 0.1, 0.1, 11).unwrap();
    let config = MatrixFactorizationConfig::new(300, 200).with_global_mean(ratings.mean());
    epoch_of(
        &mut group,
        "matrix_factorization_16",
        kind,
        &ratings.to_regression().unwrap(),
        |device| config.try_init(device),
    );
    group.finish();
}

fn small_models(c: &mut Criterion) {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let (scaled, scaled_test) = StandardScaler::standardize_split(&train, &test).unwrap();

    let mut group = c.benchmark_group("small_model_digits");
    group.sample_size(10);
    small_model(
        &mut group,
        "logistic_regression",
        LogisticRegressionConfig::default(),
        &scaled,
        &scaled_test,
    );
    small_model(
        &mut group,
        "decision_tree_depth10",
        DecisionTreeConfig::default(),
        &train,
        &test,
    );
    small_model(
        &mut group,
        "gaussian_nb",
        GaussianNbConfig::default(),
        &train,
        &test,
    );
    small_model(
        &mut group,
        "multinomial_nb",
        MultinomialNbConfig::default(),
        &train,
        &test,
    );
    small_model(
        &mut group,
        "knn_k5",
        KNeighborsConfig::default(),
        &train,
        &test,
    );
    small_model(
        &mut group,
        "random_forest_100",
        RandomForestConfig::default(),
        &train,
        &test,
    );
    small_model(
        &mut group,
        "hist_gradient_boosting_100",
        HistGradientBoostingConfig::default(),
        &train,
        &test,
    );
    small_model(
        &mut group,
        "adaboost_stumps_50",
        AdaBoostConfig::default(),
        &train,
        &test,
    );
    group.finish();
}

criterion_group!(benches, networks, small_models);
criterion_main!(benches);
