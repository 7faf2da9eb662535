//! Typed inputs through the one loop (images, token ids with masks, pairs of modalities),
//! class-balanced sampling on imbalanced digits, and FitNets on one forward pass per batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, activation};
use consort_core::seed::seeded;
use consort_core::{BackendKind, Classifier, Fit, Matrix, ParamGuard, burn};
use consort_data::synthetic::{order_sequences, order_vocab_size};
use consort_data::{
    Dataset, Dense, ImageRows, ImageShape, Pair, Paired, StandardScaler, TokenRows, embedded,
    train_test_split,
};
use consort_eval::macro_f1;
use consort_models::{
    CnnConfig, Forward, Mlp, MlpSpec, Network, NetworkSpec, TransformerClassifierConfig,
};
use consort_tune::{
    Classification, FeatureDistillation, HintedStudent, InputOf, NetworkEstimator, Objective,
    SamplerKind, TrainConfig, Trainer, evaluate,
};

fn digits() -> (Dataset, Dataset) {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    StandardScaler::standardize_split(&train, &test).unwrap()
}

fn autodiff() -> Device {
    BackendKind::Flex.device().unwrap().autodiff()
}

/// Trains `model` on `train` and returns its accuracy on `test`.
fn train_and_score<O, M>(model: M, train: &O, test: &O, epochs: usize, lr: f64) -> f64
where
    O: Objective,
    M: Network<InputOf<O>>,
{
    let device = autodiff();
    let cfg = TrainConfig::new()
        .with_epochs(epochs)
        .with_learning_rate(lr);
    let out = Trainer::new(cfg.checked().unwrap())
        .fit(model, &device, train, None, &mut [])
        .unwrap();
    evaluate(test, &out.model, &device).unwrap().score
}

#[test]
fn the_cnn_reads_image_tensors() {
    let (train, test) = digits();
    let images = |d: &Dataset| {
        Classification::new(
            ImageRows::new(d.features().clone(), ImageShape::grey(8, 8)).unwrap(),
            d.labels().to_vec(),
            10,
        )
        .unwrap()
    };
    let device = autodiff();
    let cnn = seeded(&device, 0, || CnnConfig::new().build(64, 10, &device)).unwrap();
    let acc = train_and_score(cnn, &images(&train), &images(&test), 8, 1e-3);
    eprintln!("cnn on [N, 1, 8, 8] images: {acc:.4}");
    assert!(acc > 0.95, "{acc}");
}

#[test]
fn the_transformer_reads_integer_ids_with_an_attention_mask() {
    let len = 16;
    let tokens = |d: &Dataset| {
        Classification::new(
            TokenRows::from_matrix(d.features()).unwrap(),
            d.labels().to_vec(),
            2,
        )
        .unwrap()
    };
    let train = tokens(&order_sequences(1200, len, 8, 1).unwrap());
    let test = tokens(&order_sequences(400, len, 8, 3).unwrap());
    let device = autodiff();
    let spec = TransformerClassifierConfig::new(order_vocab_size(8));
    let model = seeded(&device, 0, || spec.build(len, 2, &device)).unwrap();
    let acc = train_and_score(model, &train, &test, 15, 1e-3);
    eprintln!("transformer on token ids + mask: {acc:.4}");
    assert!(acc > 0.9, "{acc}");
}

/// Two branches, one per modality, concatenated before the head.
#[derive(Module, Debug)]
struct TwoTower {
    left: Linear,
    right: Linear,
    head: Linear,
}

impl Network<Pair<Dense, Dense>> for TwoTower {
    fn forward(&self, x: Pair<Dense, Dense>) -> Forward {
        let features = Tensor::cat(
            vec![
                activation::relu(self.left.forward(x.first)),
                activation::relu(self.right.forward(x.second)),
            ],
            1,
        );
        Forward::from_features(features, |f| self.head.forward(f))
    }
}

#[test]
fn a_two_tower_network_learns_from_a_pair_of_inputs() {
    // The top and bottom halves of each digit as two modalities: each alone is ambiguous.
    let (train, test) = digits();
    let halves = |d: &Dataset| {
        let (top, bottom): (Vec<Vec<f32>>, Vec<Vec<f32>>) = d
            .features()
            .iter_rows()
            .map(|r| (r[..32].to_vec(), r[32..].to_vec()))
            .unzip();
        let pair = Paired::new(
            Matrix::from_rows(&top).unwrap(),
            Matrix::from_rows(&bottom).unwrap(),
        )
        .unwrap();
        Classification::new(pair, d.labels().to_vec(), 10).unwrap()
    };
    let device = autodiff();
    let model = seeded(&device, 0, || {
        consort_core::seed::init_now(TwoTower {
            left: LinearConfig::new(32, 32).init(&device),
            right: LinearConfig::new(32, 32).init(&device),
            head: LinearConfig::new(64, 10).init(&device),
        })
    });
    let acc = train_and_score(model, &halves(&train), &halves(&test), 20, 3e-3);
    eprintln!("two-tower on (top, bottom) halves: {acc:.4}");
    assert!(acc > 0.93, "{acc}");
}

#[test]
fn class_balanced_sampling_lifts_macro_f1_on_imbalanced_digits() {
    let (train, test) = digits();
    // Classes 0-4 cut to 10% of their training rows (every tenth); 5-9 keep all of theirs.
    let mut seen = [0usize; 10];
    let keep: Vec<usize> = (0..train.len())
        .filter(|&i| {
            let c = train.labels()[i];
            seen[c] += 1;
            c >= 5 || seen[c] % 10 == 1
        })
        .collect();
    let imbalanced = train.subset(&keep);
    let score = |sampler: SamplerKind| {
        let cfg = TrainConfig::new().with_epochs(20).with_sampler(sampler);
        let model = NetworkEstimator::new(MlpSpec::new(vec![64]), cfg)
            .fit(&imbalanced)
            .unwrap();
        let predicted = model.predict(test.features()).unwrap();
        macro_f1(test.labels(), &predicted, 10).unwrap()
    };
    let (plain, balanced) = (
        score(SamplerKind::Shuffled),
        score(SamplerKind::ClassBalanced),
    );
    eprintln!(
        "{} training rows ({} of classes 0-4): macro-F1 shuffled {plain:.4}, class-balanced {balanced:.4}",
        imbalanced.len(),
        imbalanced.labels().iter().filter(|&&l| l < 5).count()
    );
    assert!(balanced > plain + 0.01, "{balanced} vs {plain}");
}

/// A network that counts its forward passes.
#[derive(Module, Debug)]
struct Counted {
    inner: Mlp,
    #[module(skip)]
    calls: Arc<AtomicUsize>,
}

impl Network for Counted {
    fn forward(&self, x: Dense) -> Forward {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.forward(x)
    }
}

#[test]
fn fitnets_runs_one_student_forward_per_batch() {
    let (train, _) = digits();
    let device = autodiff();
    let calls = Arc::new(AtomicUsize::new(0));
    let student = seeded(&device, 0, || Counted {
        inner: MlpSpec::new(vec![16]).build(64, 10, &device).unwrap(),
        calls: calls.clone(),
    });
    let hinted = HintedStudent::new(student, 64, 8, &device).unwrap();
    calls.store(0, Ordering::Relaxed); // the constructor's probe pass
    let teacher_features = Matrix::zeros(train.len(), 8);
    let mut hints = FeatureDistillation::new(
        Matrix::new(
            train.len(),
            8,
            teacher_features.as_slice().iter().map(|_| 0.5).collect(),
        )
        .unwrap(),
        1.0,
    )
    .unwrap();
    let epochs = 2;
    let cfg = TrainConfig::new().with_epochs(epochs).with_batch_size(64);
    Trainer::new(cfg.checked().unwrap())
        .fit(hinted, &device, &train, None, &mut [&mut hints])
        .unwrap();
    let batches = epochs * train.len().div_ceil(64);
    assert_eq!(calls.load(Ordering::Relaxed), batches);
}
