//! The image application on a stated subset of Fashion-MNIST (the first 4,000 training
//! images, 10% of them held out for the combiners; the first 2,000 test images): the CNN
//! learns beyond the pixel models, a logistic regression on its penultimate features keeps
//! its accuracy, the weighted ensemble is at least as good as the CNN, and the cascade keeps
//! the CNN's accuracy while calling it on a minority of the images. Full-size figures: the
//! `fashion` example and docs/BENCHMARKS.md.

use std::sync::Arc;

use consort_core::{Classifier, Fit};
use consort_data::fetch::{Asset, fetch};
use consort_data::idx::{FASHION_MNIST_CLASSES, idx_dataset};
use consort_data::{Dataset, train_test_split};
use consort_ensemble::{AverageEnsemble, CalibrationTarget, Cascade, Confidence, Member};
use consort_eval::model_accuracy;
use consort_examples::OnCnnFeatures;
use consort_models::{CnnConfig, LogisticRegressionConfig};
use consort_tune::{NetworkEstimator, TrainConfig};

#[test]
fn cnn_features_ensembles_and_the_cascade_on_a_fashion_mnist_subset() {
    let dir = fetch(Asset::FashionMnist).unwrap();
    let all = idx_dataset(
        &dir.join("train-images-idx3-ubyte"),
        &dir.join("train-labels-idx1-ubyte"),
        &FASHION_MNIST_CLASSES,
        Some(4000),
    )
    .unwrap();
    let test = idx_dataset(
        &dir.join("t10k-images-idx3-ubyte"),
        &dir.join("t10k-labels-idx1-ubyte"),
        &FASHION_MNIST_CLASSES,
        Some(2000),
    )
    .unwrap();
    let (fit, valid): (Dataset, Dataset) = train_test_split(&all, 0.1, 0).unwrap();
    let acc = |m: &dyn Classifier| model_accuracy(m, test.features(), test.labels()).unwrap();
    let pixels: Arc<dyn Classifier> =
        Arc::new(LogisticRegressionConfig::default().fit(&fit).unwrap());
    let cnn = Arc::new(
        NetworkEstimator::new(
            CnnConfig::new()
                .with_height(28)
                .with_width(28)
                .with_dropout(0.25),
            TrainConfig::new()
                .with_epochs(4)
                .with_batch_size(64)
                .with_seed(0),
        )
        .fit(&fit)
        .unwrap(),
    );
    let features = Dataset::new(
        cnn.features(fit.features()).unwrap(),
        fit.labels().to_vec(),
        10,
    )
    .unwrap();
    let on_features: Arc<dyn Classifier> = Arc::new(OnCnnFeatures {
        cnn: cnn.clone(),
        head: LogisticRegressionConfig::default().fit(&features).unwrap(),
    });
    let members = vec![
        Member::new("logistic pixels", pixels.clone()),
        Member::new("cnn", cnn.clone() as Arc<dyn Classifier>),
        Member::new("logistic cnn features", on_features.clone()),
    ];
    let weighted = AverageEnsemble::fit_weights(members.clone(), &valid).unwrap();
    let cascade = Cascade::calibrate(
        vec![members[0].clone(), members[1].clone()],
        Confidence::MaxProbability,
        CalibrationTarget::AccuracyWithin(0.005),
        &valid,
    )
    .unwrap();
    let report = cascade.report(&test).unwrap();
    let (a_pixels, a_cnn, a_features, a_weighted) = (
        acc(pixels.as_ref()),
        acc(cnn.as_ref()),
        acc(on_features.as_ref()),
        acc(&weighted),
    );
    eprintln!(
        "subset: logistic pixels {a_pixels:.4}, CNN {a_cnn:.4}, logistic on CNN features \
         {a_features:.4}, weighted ensemble {a_weighted:.4}, cascade {:.4} with {:.1}% sent to \
         the CNN",
        report.accuracy,
        100.0 * report.escalated_to_last
    );
    assert!(a_pixels > 0.75, "{a_pixels}");
    assert!(
        a_cnn > a_pixels + 0.01,
        "the CNN learns more than the pixel model"
    );
    assert!(
        a_features >= a_cnn - 0.01,
        "features keep the CNN's accuracy"
    );
    assert!(
        a_weighted >= a_cnn - 0.0025,
        "the ensemble at least matches the CNN"
    );
    assert!(report.accuracy >= a_cnn - 0.015);
    assert!(report.escalated_to_last < 0.6);
}
