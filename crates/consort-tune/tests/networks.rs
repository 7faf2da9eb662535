//! Networks trained by the one loop on embedded digits (stratified 75/25 split, seed 0).

use burn::tensor::{Tensor, activation};
use consort_core::seed::seeded;
use consort_core::{BackendKind, Classifier, ConsortError, Fit, ParamGuard};
use consort_data::{Dataset, embedded, train_test_split};
use consort_models::Forward;
use consort_models::{CnnConfig, MlpSpec, NetworkSpec, Standardized};
use consort_tune::{
    Batch, Control, EpochRecord, NetworkEstimator, TrainConfig, Trainer, TrainingHook,
};
use consort_tune::{EpochEvents, LossTerm, RateSchedule};

fn accuracy(model: &dyn Classifier, test: &Dataset) -> f64 {
    consort_eval::model_accuracy(model, test.features(), test.labels()).unwrap()
}

fn digits_split() -> (Dataset, Dataset) {
    train_test_split(&embedded::digits(), 0.25, 0).unwrap()
}

fn mlp() -> Standardized<NetworkEstimator<MlpSpec>> {
    Standardized(NetworkEstimator::new(
        MlpSpec::new(vec![256, 256]),
        TrainConfig::new().with_epochs(30),
    ))
}

#[test]
fn mlp_reaches_095_on_digits_and_is_deterministic() {
    let (train, test) = digits_split();
    let a = mlp().fit(&train).unwrap();
    let acc = accuracy(&a, &test);
    eprintln!("mlp digits accuracy {acc:.4}");
    assert!(acc >= 0.95, "{acc}");
    // Same seed, same process: identical probabilities, not merely the same accuracy.
    let b = mlp().fit(&train).unwrap();
    assert_eq!(
        a.predict_proba(test.features()).unwrap(),
        b.predict_proba(test.features()).unwrap()
    );
}

#[test]
fn cnn_reaches_096_on_digits() {
    let (train, test) = digits_split();
    let cnn = Standardized(NetworkEstimator::new(
        CnnConfig::new(),
        TrainConfig::new().with_epochs(25),
    ))
    .fit(&train)
    .unwrap();
    let acc = accuracy(&cnn, &test);
    eprintln!("cnn digits accuracy {acc:.4}");
    assert!(acc >= 0.96, "{acc}");
    // Penultimate features are exposed for transfer learning.
    let feats = cnn
        .inner()
        .features(&cnn.scaler().transform(test.features()).unwrap())
        .unwrap();
    assert_eq!(feats.shape(), (test.len(), 128));
}

#[test]
fn early_stopping_restores_the_best_epoch() {
    let (train, _) = digits_split();
    let est = NetworkEstimator::new(
        MlpSpec::new(vec![64]),
        TrainConfig::new()
            .with_epochs(60)
            .with_learning_rate(3e-3)
            .with_validation_fraction(0.2)
            .with_patience(Some(3)),
    );
    let (_, outcome) = est.fit_with_history(&train).unwrap();
    let best = outcome
        .history
        .iter()
        .min_by(|a, b| a.valid_loss.unwrap().total_cmp(&b.valid_loss.unwrap()))
        .unwrap();
    assert_eq!(outcome.best_epoch, best.epoch);
    if outcome.stopped_early {
        // Stopped exactly `patience` epochs after the last real improvement.
        assert_eq!(outcome.history.len(), outcome.best_epoch + 3);
    }
    assert!(outcome.history.iter().all(|r| r.valid_score.is_some()));
}

/// A hook that scales the task loss, adds an L2 penalty on the logits, decays the learning
/// rate and stops after a fixed number of epochs: every extension point at once.
struct ProbeHook {
    lrs: Vec<f64>,
    extra_calls: usize,
    stop_after: usize,
}

impl<M> TrainingHook<M> for ProbeHook {
    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<M>> {
        Some(self)
    }

    fn rate_schedule(&mut self) -> Option<&mut dyn RateSchedule> {
        Some(self)
    }

    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        Some(self)
    }
}

impl<M> LossTerm<M> for ProbeHook {
    fn extra_loss(&mut self, _m: &M, batch: &Batch, forward: &Forward) -> Option<Tensor<1>> {
        let logits = &forward.logits;
        self.extra_calls += 1;
        assert_eq!(logits.dims()[0], batch.indices.len());
        Some(logits.clone().powi_scalar(2).mean().reshape([1]) * 1e-3)
    }

    fn task_loss_weight(&self) -> f32 {
        0.5
    }
}

impl RateSchedule for ProbeHook {
    fn learning_rate(&mut self, epoch: usize, lr: f64) -> f64 {
        let lr = lr * 0.5f64.powi(epoch as i32 - 1);
        self.lrs.push(lr);
        lr
    }
}

impl<M> EpochEvents<M> for ProbeHook {
    fn on_epoch_end(&mut self, record: &EpochRecord) -> Control {
        if record.epoch >= self.stop_after {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

#[test]
fn hooks_shape_the_loss_schedule_and_stopping() {
    let (train, test) = digits_split();
    let device = BackendKind::Flex.device().unwrap().autodiff();
    let spec = MlpSpec::new(vec![32]);
    let model = seeded(&device, 1, || spec.build(64, 10, &device)).unwrap();
    let mut probe = ProbeHook {
        lrs: vec![],
        extra_calls: 0,
        stop_after: 3,
    };
    let outcome = Trainer::new(
        TrainConfig::new()
            .with_epochs(10)
            .with_batch_size(128)
            .checked()
            .unwrap(),
    )
    .fit(model, &device, &train, Some(&test), &mut [&mut probe])
    .unwrap();
    assert_eq!(outcome.history.len(), 3);
    assert!(outcome.stopped_early);
    assert_eq!(probe.lrs, vec![1e-3, 5e-4, 2.5e-4]);
    assert_eq!(probe.extra_calls, 3 * train.len().div_ceil(128));
    // Half-weighted cross-entropy: the first epoch's loss sits well below ln(10) = 2.30.
    let first = outcome.history[0].train_loss;
    assert!(first < 2.0, "{first}");
    let p = activation::softmax(Tensor::<2>::zeros([1, 3], &device), 1);
    assert_eq!(p.dims(), [1, 3]);
}

#[test]
fn invalid_training_configs_are_typed_errors() {
    let (train, _) = digits_split();
    for cfg in [
        TrainConfig::new().with_epochs(0),
        TrainConfig::new().with_learning_rate(-1.0),
        TrainConfig::new().with_validation_fraction(1.5),
        TrainConfig::new().with_patience(Some(0)),
    ] {
        let est = NetworkEstimator::new(MlpSpec::new(vec![8]), cfg);
        assert!(matches!(
            est.fit(&train),
            Err(ConsortError::InvalidConfig { .. })
        ));
    }
    let bad = NetworkEstimator::new(MlpSpec::new(vec![0]), TrainConfig::new());
    assert!(matches!(
        bad.fit(&train),
        Err(ConsortError::InvalidConfig { .. })
    ));
    let cnn = NetworkEstimator::new(CnnConfig::new(), TrainConfig::new());
    // Iris's 4 features form a valid 2x2 image; 3 features form no image at all.
    let iris = embedded::iris();
    let three = consort_core::Matrix::from_rows(
        &iris
            .features()
            .iter_rows()
            .map(|r| r[..3].to_vec())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let iris3 = Dataset::new(three, iris.labels().to_vec(), 3).unwrap();
    assert!(matches!(
        cnn.fit(&iris3),
        Err(ConsortError::ShapeMismatch(_))
    ));
}

/// burn initialises parameters lazily; constructors force it inside `seeded`, so draws made
/// between construction and first use (another model, another thread) change nothing.
#[test]
fn seeded_construction_fixes_the_weights_before_first_use() {
    use burn::tensor::Distribution;
    use consort_models::{HasHead, Network};
    let device = BackendKind::Flex.device().unwrap();
    let build = || {
        seeded(&device, 5, || {
            CnnConfig::new()
                .build(64, 10, &device)
                .unwrap()
                .with_new_head(3, &device)
        })
    };
    let first = build();
    // Draws from the same generator before `first` is ever used.
    let _ = Tensor::<2>::random([64, 64], Distribution::Default, &device).into_data();
    let second = build();
    let x = Tensor::<2>::ones([2, 64], &device);
    first
        .logits(x.clone())
        .into_data()
        .assert_eq(&second.logits(x).into_data(), true);
}
