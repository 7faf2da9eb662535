//! Image recognition on Fashion-MNIST (`consort fetch fashion-mnist`: 60,000 training and
//! 10,000 test images, 28x28, 10 classes): the large model, a CNN, extracts features; small
//! models classify on them and on raw pixels; ensembles combine them and a confidence cascade
//! sends only the images the cheap pixel model is unsure of to the CNN.
//!
//! `cargo run --release -p consort-examples --example fashion [-- --train N --epochs E]`
//! (defaults: all 60,000 training images, 6 epochs). A tenth of the training images is held
//! out to fit the ensemble weights and the cascade threshold.

use std::sync::Arc;
use std::time::Instant;

use consort_core::{Classifier, Fit, Result};
use consort_data::fetch::{Asset, fetch_with};
use consort_data::idx::{FASHION_MNIST_CLASSES, idx_dataset};
use consort_data::{Dataset, train_test_split};
use consort_ensemble::{
    AverageEnsemble, CalibrationTarget, Cascade, Confidence, Member, StackingClassifier,
};
use consort_eval::model_accuracy;
use consort_examples::{OnCnnFeatures, f4, print_table};
use consort_models::{CnnConfig, LogisticRegressionConfig, RandomForestConfig};
use consort_tune::{NetworkEstimator, TrainConfig};

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn main() -> Result<()> {
    consort_core::allocator::keep_freed_memory();
    let progress = consort_examples::progress();
    let dir = fetch_with(Asset::FashionMnist, &progress)?;
    let train_rows = arg("--train");
    let epochs = arg("--epochs").unwrap_or(6);
    let all = idx_dataset(
        &dir.join("train-images-idx3-ubyte"),
        &dir.join("train-labels-idx1-ubyte"),
        &FASHION_MNIST_CLASSES,
        train_rows,
    )?;
    let test = idx_dataset(
        &dir.join("t10k-images-idx3-ubyte"),
        &dir.join("t10k-labels-idx1-ubyte"),
        &FASHION_MNIST_CLASSES,
        None,
    )?;
    let (fit, valid): (Dataset, Dataset) = train_test_split(&all, 0.1, 0)?;
    println!(
        "Fashion-MNIST: {} training images ({} held out for the combiners), {} test images; CNN {} epochs\n",
        all.len(),
        valid.len(),
        test.len(),
        epochs
    );
    let acc = |m: &dyn Classifier| model_accuracy(m, test.features(), test.labels());
    let mut rows = Vec::new();
    let timed = |name: &str, f: &mut dyn FnMut() -> Result<Arc<dyn Classifier>>| {
        log::info!("{name}: fitting ...");
        let start = Instant::now();
        let m = f()?;
        let s = start.elapsed().as_secs_f64();
        log::info!("{name}: fitted in {s:.0} s");
        Ok::<_, consort_core::ConsortError>((m, s))
    };

    let (pixels, s_pixels) = timed("logistic on pixels", &mut || {
        Ok(Arc::new(LogisticRegressionConfig::default().fit(&fit)?))
    })?;
    rows.push(vec![
        "logistic regression, pixels".into(),
        f4(acc(pixels.as_ref())?),
        format!("{s_pixels:.0}"),
    ]);

    let (forest, s_forest) = timed("forest on pixels", &mut || {
        Ok(Arc::new(
            RandomForestConfig {
                n_trees: 50,
                seed: 0,
                ..RandomForestConfig::default()
            }
            .fit(&fit)?,
        ))
    })?;
    rows.push(vec![
        "random forest (50 trees), pixels".into(),
        f4(acc(forest.as_ref())?),
        format!("{s_forest:.0}"),
    ]);

    let spec = CnnConfig::new()
        .with_height(28)
        .with_width(28)
        .with_hidden(128)
        .with_dropout(0.25);
    let start = Instant::now();
    let cnn = Arc::new(
        NetworkEstimator::new(
            spec,
            TrainConfig::new()
                .with_epochs(epochs)
                .with_batch_size(64)
                .with_seed(0),
        )
        .with_observer(progress.clone())
        .fit(&fit)?,
    );
    let s_cnn = start.elapsed().as_secs_f64();
    log::info!("CNN: fitted in {s_cnn:.0} s");
    rows.push(vec![
        "CNN (conv16-conv32-pool-dense128)".into(),
        f4(acc(cnn.as_ref())?),
        format!("{s_cnn:.0}"),
    ]);

    let start = Instant::now();
    let features = Dataset::new(cnn.features(fit.features())?, fit.labels().to_vec(), 10)?;
    let head = LogisticRegressionConfig::default().fit(&features)?;
    let on_features: Arc<dyn Classifier> = Arc::new(OnCnnFeatures {
        cnn: cnn.clone(),
        head,
    });
    let s_feat = start.elapsed().as_secs_f64();
    rows.push(vec![
        "logistic regression, CNN features".into(),
        f4(acc(on_features.as_ref())?),
        format!("{s_feat:.0}"),
    ]);

    let members = vec![
        Member::new("logistic pixels", pixels.clone()),
        Member::new("forest pixels", forest.clone()),
        Member::new("cnn", cnn.clone() as Arc<dyn Classifier>),
        Member::new("logistic cnn features", on_features.clone()),
    ];
    let weighted = AverageEnsemble::fit_weights(members.clone(), &valid)?;
    rows.push(vec![
        "weighted average (weights on the held-out tenth)".into(),
        f4(acc(&weighted)?),
        "-".into(),
    ]);
    let stacked = StackingClassifier::fit_prefit(
        members.clone(),
        &LogisticRegressionConfig::default(),
        false,
        &valid,
    )?;
    rows.push(vec![
        "stacking (prefit, logistic meta)".into(),
        f4(acc(&stacked)?),
        "-".into(),
    ]);
    let cascade = Cascade::calibrate(
        vec![members[0].clone(), members[2].clone()],
        Confidence::MaxProbability,
        CalibrationTarget::AccuracyWithin(0.005),
        &valid,
    )?;
    let report = cascade.report(&test)?;
    rows.push(vec![
        "cascade: logistic pixels -> CNN".into(),
        f4(report.accuracy),
        "-".into(),
    ]);
    print_table(&["model", "test accuracy", "fit s"], &rows);
    println!(
        "\nweights: {:?}\ncascade threshold {:.3}: {:.1}% of the test images reach the CNN; \
         predict time {:.0} ms vs {:.0} ms for the CNN alone; {:.0}% of the multiply-accumulates saved",
        weighted.weights(),
        cascade.thresholds()[0],
        report.escalated_to_last * 100.0,
        report.seconds * 1e3,
        report.last_member_seconds * 1e3,
        report.macs_saved().unwrap_or(0.0) * 100.0
    );
    Ok(())
}
