//! Consort's half of the side-by-side harness (`bench/side_by_side.sh`): the work that
//! `bench/side_by_side.py` repeats in PyTorch, with the same shapes, batch sizes and optimiser.
//!
//! `cargo bench -p consort-tune --bench side_by_side`
//!
//! - one training epoch (Adam, lr 1e-3, shuffled batches, fresh weights) of the digits MLP
//!   64-256-256-10 at batch 64, of the digits CNN at batch 64 and 256, and of the same CNN on
//!   2,048 random 28x28 images at batch 64 and 256;
//! - prediction (class probabilities through the `Classifier` API, input checks included) of
//!   the 451 digits test rows by the MLP and the CNN, and the bare forward pass of the same
//!   rows (the overhead is the difference);
//! - one epoch of a 256-512-512-10 MLP at batch 512 over 20,000 random rows, and the f32
//!   matrix product of two 1024x1024 matrices on the same backend (the peak it is held to).

use std::hint::black_box;

use burn::tensor::{Distribution, Tensor, TensorData, activation};
use consort_core::seed::seeded;
use consort_core::{BackendKind, Classifier, Fit, Matrix, ParamGuard};
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_models::{CnnConfig, MlpSpec, Network, NetworkSpec};
use consort_tune::{NetworkEstimator, TrainConfig, Trainer};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// `rows` random standard-normal-ish rows of `cols` features, labels uniform over 10 classes.
fn random_dataset(rows: usize, cols: usize, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let values = (0..rows * cols)
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    let labels = (0..rows).map(|_| rng.random_range(0..10)).collect();
    Dataset::new(Matrix::new(rows, cols, values).unwrap(), labels, 10).unwrap()
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

fn epoch<S: NetworkSpec>(c: &mut Group<'_>, name: &str, spec: &S, data: &Dataset, batch: usize) {
    let device = BackendKind::default_kind()
        .unwrap()
        .device()
        .unwrap()
        .autodiff();
    let trainer = Trainer::new(
        TrainConfig::new()
            .with_epochs(1)
            .with_batch_size(batch)
            .checked()
            .expect("valid settings"),
    );
    c.bench_function(name, |b| {
        b.iter(|| {
            let model = seeded(&device, 0, || {
                spec.build(data.n_features(), data.n_classes(), &device)
            })
            .unwrap();
            black_box(trainer.fit(model, &device, data, None, &mut []).unwrap());
        })
    });
}

/// Prediction through the `Classifier` API (input checks, batching, copies in and out) and,
/// for the overhead, the bare forward pass and softmax on a tensor built beforehand.
fn predict<S: NetworkSpec>(c: &mut Group<'_>, name: &str, spec: S, train: &Dataset, test: &Matrix) {
    let model = NetworkEstimator::new(spec, TrainConfig::new().with_epochs(1))
        .fit(train)
        .unwrap();
    c.bench_function(format!("{name}_predict_451"), |b| {
        b.iter(|| black_box(model.predict_proba(test).unwrap()))
    });
    let net = model.model();
    let inputs = Tensor::<2>::from_data(
        TensorData::new(test.as_slice().to_vec(), [test.rows(), test.cols()]),
        model.device(),
    );
    c.bench_function(format!("{name}_forward_451"), |b| {
        b.iter(|| black_box(activation::softmax(net.logits(inputs.clone()), 1).into_data()))
    });
}

fn side_by_side(c: &mut Criterion) {
    consort_core::allocator::keep_freed_memory();
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let (train, test) = StandardScaler::standardize_split(&train, &test).unwrap();
    let images28 = random_dataset(2048, 28 * 28, 1);
    let mlp = MlpSpec::new(vec![256, 256]);
    let cnn = CnnConfig::new();
    let cnn28 = CnnConfig::new().with_height(28).with_width(28);
    let mut group = c.benchmark_group("side_by_side");
    let c = &mut group;

    epoch(c, "mlp_digits_epoch_b64", &mlp, &train, 64);
    epoch(c, "cnn_digits_epoch_b64", &cnn, &train, 64);
    epoch(c, "cnn_digits_epoch_b256", &cnn, &train, 256);
    epoch(c, "cnn28_epoch_b64", &cnn28, &images28, 64);
    epoch(c, "cnn28_epoch_b256", &cnn28, &images28, 256);
    predict(c, "mlp", mlp, &train, test.features());
    predict(c, "cnn", cnn, &train, test.features());
    let wide = random_dataset(20_000, 256, 2);
    epoch(
        c,
        "mlp512_epoch_b512",
        &MlpSpec::new(vec![512, 512]),
        &wide,
        512,
    );
    let device = BackendKind::default_kind().unwrap().device().unwrap();
    let a = Tensor::<2>::random([1024, 1024], Distribution::Normal(0.0, 1.0), &device);
    let b = Tensor::<2>::random([1024, 1024], Distribution::Normal(0.0, 1.0), &device);
    c.bench_function("sgemm_1024", |bench| {
        bench.iter(|| black_box(a.clone().matmul(b.clone()).into_data()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = side_by_side
}
criterion_main!(benches);
