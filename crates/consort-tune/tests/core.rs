//! The training core's guarantees: resume is bit-identical, a checkpoint write interrupted
//! before its rename leaves the previous one loadable, the divergence guard rolls back and
//! recovers (or fails with a typed error), gradient accumulation matches a larger batch, and
//! observers see the run.

mod common;

use std::sync::Arc;

use common::StopAt;
use consort_core::{BackendKind, ConsortError, Fit, Matrix, burn};
use consort_data::{Dataset, StandardScaler, embedded, train_test_split};
use consort_models::{Forward, Mlp, MlpSpec, NetworkClassifier, NetworkSpec};
use consort_tune::{
    Batch, Checkpoint, CheckpointConfig, DivergenceGuard, EpochRecord, NetworkEstimator,
    OptimizerConfig, Schedule, TrainConfig, TrainOutcome, TrainingHook,
};
use consort_tune::{EpochEvents, LossTerm};

fn digits() -> (Dataset, Dataset) {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    StandardScaler::standardize_split(&train, &test).unwrap()
}

/// Logits of `model` on `x`: equal logits on every test row mean equal weights for our
/// purposes (bit for bit, compared with `==`).
fn logits(model: Mlp, x: &Matrix) -> Matrix {
    NetworkClassifier::new(model, BackendKind::Flex.device().unwrap(), 64, 10)
        .logits(x)
        .unwrap()
}

/// Histories without wall times.
fn timeless(history: &[EpochRecord]) -> Vec<EpochRecord> {
    history
        .iter()
        .cloned()
        .map(|mut r| {
            r.seconds = 0.0;
            r
        })
        .collect()
}

fn estimator(
    cfg: TrainConfig,
    dropout: f64,
    schedule: bool,
    stop_at: Option<usize>,
) -> NetworkEstimator<MlpSpec> {
    let mut est = NetworkEstimator::new(MlpSpec::new(vec![32]).with_dropout(dropout), cfg);
    if schedule {
        let cosine = Schedule::CosineWithWarmup {
            warmup_epochs: 2,
            total_epochs: 10,
            min_lr: 1e-4,
        };
        est = est.with_hook(move |_| Ok(Box::new(cosine.hook(3e-3)?)));
    }
    if let Some(e) = stop_at {
        est = est.with_hook(move |_| Ok(Box::new(StopAt(e))));
    }
    est
}

fn fit(est: &NetworkEstimator<MlpSpec>, train: &Dataset) -> TrainOutcome<Mlp> {
    est.fit_with_history(train).unwrap().1
}

fn resume_matches_straight_run(dropout: f64, schedule: bool, validation: f64) {
    let (train, test) = digits();
    let dir = tempfile::tempdir().unwrap();
    let cfg = TrainConfig::new()
        .with_epochs(10)
        .with_learning_rate(3e-3)
        .with_validation_fraction(validation);
    let straight = fit(&estimator(cfg.clone(), dropout, schedule, None), &train);

    let ckpt = CheckpointConfig::new(dir.path()).with_every(5);
    let with_ckpt = cfg.clone().with_checkpoint(Some(ckpt));
    let first = fit(
        &estimator(with_ckpt.clone(), dropout, schedule, Some(5)),
        &train,
    );
    assert_eq!(first.history.len(), 5);
    assert_eq!(Checkpoint::latest(dir.path()).unwrap().unwrap().epoch, 5);

    // Everything dropped: a fresh estimator, which finds the checkpoint and continues.
    let resumed = fit(&estimator(with_ckpt, dropout, schedule, None), &train);
    assert_eq!(resumed.resumed_from, Some(5));
    assert_eq!(timeless(&resumed.history), timeless(&straight.history));
    assert_eq!(resumed.best_epoch, straight.best_epoch);
    assert_eq!(
        logits(resumed.model, test.features()),
        logits(straight.model, test.features()),
        "resumed weights differ from the uninterrupted run"
    );
}

#[test]
fn a_resumed_run_ends_bit_identical_to_the_uninterrupted_one() {
    resume_matches_straight_run(0.0, false, 0.0);
}

#[test]
fn resume_is_exact_with_dropout_a_schedule_and_validation() {
    resume_matches_straight_run(0.3, true, 0.2);
}

/// Aborts the checkpoint write of `epoch` between the temporary folder and the rename.
struct CrashWhileWriting(usize);

impl<M> TrainingHook<M> for CrashWhileWriting {
    fn epoch_events(&mut self) -> Option<&mut dyn EpochEvents<M>> {
        Some(self)
    }
}

impl<M> EpochEvents<M> for CrashWhileWriting {
    fn on_checkpoint_staged(&mut self, staged: &std::path::Path) -> consort_core::Result<()> {
        if staged
            .to_string_lossy()
            .contains(&format!("epoch-{:06}", self.0))
        {
            return Err(ConsortError::Interrupted("killed while writing".into()));
        }
        Ok(())
    }
}

#[test]
fn a_write_interrupted_before_its_rename_leaves_the_previous_checkpoint() {
    let (train, test) = digits();
    let dir = tempfile::tempdir().unwrap();
    let cfg = TrainConfig::new()
        .with_epochs(6)
        .with_checkpoint(Some(CheckpointConfig::new(dir.path()).with_every(2)));
    let est = NetworkEstimator::new(MlpSpec::new(vec![16]), cfg.clone())
        .with_hook(|_| Ok(Box::new(CrashWhileWriting(4))));
    let err = est.fit(&train).unwrap_err();
    assert!(matches!(err, ConsortError::Interrupted(_)), "{err}");
    // The half-written epoch-4 folder is there under its temporary name only.
    assert!(dir.path().join(".epoch-000004.tmp").exists());
    let latest = Checkpoint::latest(dir.path()).unwrap().unwrap();
    assert_eq!(latest.epoch, 2);
    assert_eq!(latest.state().unwrap().history.len(), 2);
    // It loads, and a resumed run finishes where an uninterrupted one does.
    let model = MlpSpec::new(vec![16])
        .build(64, 10, &BackendKind::Flex.device().unwrap())
        .unwrap();
    latest.load_model(model).unwrap();
    let resumed = fit_plain(&cfg, &train);
    let straight = fit_plain(&cfg.clone().with_checkpoint(None), &train);
    assert_eq!(resumed.resumed_from, Some(2));
    assert_eq!(
        logits(resumed.model, test.features()),
        logits(straight.model, test.features())
    );
}

fn fit_plain(cfg: &TrainConfig, train: &Dataset) -> TrainOutcome<Mlp> {
    NetworkEstimator::new(MlpSpec::new(vec![16]), cfg.clone())
        .fit_with_history(train)
        .unwrap()
        .1
}

fn all_finite(model: Mlp, x: &Matrix) -> bool {
    logits(model, x).as_slice().iter().all(|v| v.is_finite())
}

#[test]
fn a_diverging_learning_rate_is_rolled_back_and_recovers() {
    let (train, test) = digits();
    let log = Arc::new(consort_core::EventLog::default());
    // Plain SGD at 1e6 overflows the weights in the first epoch; each rollback divides the
    // rate by 100 until it trains.
    let cfg = TrainConfig::new()
        .with_epochs(5)
        .with_optimizer(OptimizerConfig::sgd(0.0))
        .with_learning_rate(1e6)
        .with_divergence(DivergenceGuard {
            max_retries: 6,
            lr_factor: 0.01,
        });
    let (model, outcome) = NetworkEstimator::new(MlpSpec::new(vec![32]), cfg)
        .with_observer(log.clone())
        .fit_with_history(&train)
        .unwrap();
    eprintln!(
        "rollbacks {}, final lr {:.1e}",
        outcome.rollbacks,
        outcome.history.last().unwrap().learning_rate
    );
    assert!(outcome.rollbacks >= 1);
    assert!(log.lines().iter().any(|l| l.starts_with("RolledBack")));
    assert!(outcome.history.iter().all(|r| r.train_loss.is_finite()));
    assert!(all_finite(outcome.model, test.features()));
    let acc = consort_eval::model_accuracy(&model, test.features(), test.labels()).unwrap();
    assert!(acc > 0.85, "recovered run reaches {acc}");
}

/// A loss term that is always NaN: no learning rate can save this run.
struct PoisonedLoss;

impl TrainingHook<Mlp> for PoisonedLoss {
    fn loss_term(&mut self) -> Option<&mut dyn LossTerm<Mlp>> {
        Some(self)
    }
}

impl LossTerm<Mlp> for PoisonedLoss {
    fn extra_loss(
        &mut self,
        _m: &Mlp,
        _b: &Batch,
        forward: &Forward,
    ) -> Option<burn::tensor::Tensor<1>> {
        Some(forward.logits.clone().sum() * f32::NAN)
    }
}

#[test]
fn a_hopeless_run_ends_in_a_typed_error() {
    let (train, _) = digits();
    let cfg = TrainConfig::new().with_epochs(3);
    let err = NetworkEstimator::new(MlpSpec::new(vec![8]), cfg)
        .with_hook(|_| Ok(Box::new(PoisonedLoss)))
        .fit(&train)
        .unwrap_err();
    match err {
        ConsortError::Diverged {
            epoch, attempts, ..
        } => {
            assert_eq!((epoch, attempts), (1, 3));
        }
        other => panic!("expected Diverged, got {other}"),
    }
}

#[test]
fn accumulating_two_batches_of_32_equals_one_batch_of_64() {
    let (train, test) = digits();
    // 21 batches of 64 exactly, so every accumulated pair matches one large batch.
    let train = train.subset(&(0..21 * 64).collect::<Vec<_>>());
    let sgd = TrainConfig::new()
        .with_epochs(3)
        .with_optimizer(OptimizerConfig::sgd(0.9))
        .with_learning_rate(0.05);
    let big = fit_plain(&sgd.clone().with_batch_size(64), &train);
    let accumulated = fit_plain(&sgd.with_batch_size(32).with_accumulation_steps(2), &train);
    let (a, b) = (
        logits(big.model, test.features()),
        logits(accumulated.model, test.features()),
    );
    let gap = a
        .as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(gap < 1e-3, "logits differ by {gap}");
}

#[test]
fn every_optimiser_learns_digits() {
    let (train, test) = digits();
    for (optimizer, lr) in [
        (OptimizerConfig::Adam, 1e-3),
        (OptimizerConfig::AdamW, 1e-3),
        (OptimizerConfig::sgd(0.9), 0.05),
    ] {
        let cfg = TrainConfig::new()
            .with_epochs(10)
            .with_optimizer(optimizer)
            .with_learning_rate(lr)
            .with_weight_decay(1e-4);
        let model = NetworkEstimator::new(MlpSpec::new(vec![64]), cfg)
            .fit_with_history(&train)
            .unwrap()
            .0;
        let acc = consort_eval::model_accuracy(&model, test.features(), test.labels()).unwrap();
        eprintln!("{optimizer:?}: {acc:.4}");
        assert!(acc > 0.93, "{optimizer:?} reaches {acc}");
    }
    assert!(
        TrainConfig::new()
            .with_optimizer(OptimizerConfig::sgd(1.5))
            .with_epochs(1)
            .checked()
            .is_err()
    );
}

trait Checked {
    fn checked(&self) -> consort_core::Result<()>;
}

impl Checked for TrainConfig {
    fn checked(&self) -> consort_core::Result<()> {
        consort_core::ParamGuard::check(self)
    }
}

/// Fine-tunes that start from one trained network are independent runs: four of them on
/// four threads at once end bit-identical to the same four run one after another. (Every fit
/// starts from its own fork of the start, with fresh autodiff leaves: clones would share the
/// start's leaves, so the autodiff graphs of concurrent, or earlier, fits could meet.)
#[test]
fn fine_tunes_from_one_start_on_threads_match_them_run_one_by_one() {
    let (train, test) = digits();
    let start = fit(
        &estimator(TrainConfig::new().with_epochs(2), 0.0, false, None),
        &train,
    )
    .model;
    let tune = |seed: u64| {
        let cfg = TrainConfig::new()
            .with_epochs(3)
            .with_learning_rate(5e-3)
            .with_seed(seed);
        let est = estimator(cfg, 0.2, false, None).with_start(start.clone());
        logits(fit(&est, &train).model, test.features())
    };
    let start_before = logits(start.clone(), test.features());
    let one_by_one: Vec<Matrix> = (0..4).map(tune).collect();
    let on_threads: Vec<Matrix> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|seed| s.spawn(move || tune(seed))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(one_by_one == on_threads, "a concurrent fine-tune differs");
    // And the start itself is untouched by the fits made from it.
    assert!(logits(start, test.features()) == start_before);
    assert!(
        one_by_one.iter().all(|l| *l != start_before),
        "the fits trained"
    );
}
