//! Random forests on embedded digits (stratified 75/25 split, seed 0) and on a noisy curve.

use consort_core::{Classifier, ConsortError, Fit, Matrix, Regressor};
use consort_data::{RegressionDataset, embedded, train_test_split};
use consort_eval::model_accuracy;
use consort_models::{
    AdaBoostConfig, BoostingEarlyStop, DecisionTreeConfig, HistGradientBoostingConfig, MaxFeatures,
    RandomForestConfig,
};

#[test]
fn a_forest_of_100_trees_beats_one_tree_on_digits_by_8_points() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let forest = RandomForestConfig::default().fit(&train).unwrap();
    let tree = DecisionTreeConfig::default().fit(&train).unwrap();
    let acc = |m: &dyn Classifier| model_accuracy(m, test.features(), test.labels()).unwrap();
    let (f, t) = (acc(&forest), acc(&tree));
    let oob = forest.oob_accuracy().unwrap();
    eprintln!("random forest (100 trees) {f:.4}, out-of-bag {oob:.4}; one tree {t:.4}");
    assert!(f >= 0.97, "{f}");
    assert!(f >= t + 0.08, "{f} vs {t}");
    // The out-of-bag estimate tracks the held-out accuracy.
    assert!((oob - f).abs() < 0.03, "oob {oob} vs test {f}");
    // Rows of probabilities, and the same forest again from the same seed.
    let p = forest.predict_proba(test.features()).unwrap();
    assert!(
        p.iter_rows()
            .all(|r| (r.iter().sum::<f32>() - 1.0).abs() < 1e-4)
    );
    assert_eq!(forest, RandomForestConfig::default().fit(&train).unwrap());
    assert_ne!(
        forest,
        RandomForestConfig {
            seed: 1,
            ..Default::default()
        }
        .fit(&train)
        .unwrap()
    );
}

#[test]
fn a_regression_forest_smooths_a_noisy_curve() {
    // y = sin(2x) + noise on [-3, 3]; the test curve is noise-free.
    let mut r = consort_core::seed::rng(4);
    let noisy: Vec<(f32, f32)> = (0..400)
        .map(|_| {
            use rand::Rng;
            let x: f32 = r.random_range(-3.0..3.0);
            (x, (2.0 * x).sin() + r.random_range(-0.3..0.3))
        })
        .collect();
    let train = RegressionDataset::new(
        Matrix::from_rows(&noisy.iter().map(|p| [p.0]).collect::<Vec<_>>()).unwrap(),
        noisy.iter().map(|p| p.1).collect(),
    )
    .unwrap();
    let grid: Vec<f32> = (0..200).map(|i| -2.9 + 5.8 * i as f32 / 199.0).collect();
    let x = Matrix::from_rows(&grid.iter().map(|&v| [v]).collect::<Vec<_>>()).unwrap();
    let mse = |pred: Vec<f32>| {
        pred.iter()
            .zip(&grid)
            .map(|(p, &g)| (p - (2.0 * g).sin()).powi(2))
            .sum::<f32>()
            / grid.len() as f32
    };
    let forest = RandomForestConfig {
        max_features: MaxFeatures::All,
        min_samples_leaf: 3,
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    let tree = DecisionTreeConfig {
        max_depth: None,
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    let (f, t) = (
        mse(forest.predict(&x).unwrap()),
        mse(tree.predict(&x).unwrap()),
    );
    let r2 = forest.oob_r2().unwrap();
    eprintln!("sin(2x): forest mse {f:.4} (oob R² {r2:.3}), one deep tree {t:.4}");
    assert!(f < 0.5 * t, "{f} vs {t}");
    assert!(r2 > 0.8, "{r2}");
}

#[test]
fn bad_forest_settings_are_typed_errors() {
    let (train, _) = train_test_split(&embedded::iris(), 0.25, 0).unwrap();
    for config in [
        RandomForestConfig {
            n_trees: 0,
            ..Default::default()
        },
        RandomForestConfig {
            max_features: MaxFeatures::Fraction(1.5),
            ..Default::default()
        },
        RandomForestConfig {
            max_depth: Some(0),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            Fit::<consort_data::Dataset>::fit(&config, &train),
            Err(ConsortError::InvalidConfig { .. })
        ));
    }
    let forest = RandomForestConfig {
        bootstrap: false,
        n_trees: 5,
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    assert_eq!(forest.oob_accuracy(), None);
    assert!(forest.predict_proba(&Matrix::zeros(2, 3)).is_err());
}

#[test]
fn histogram_boosting_reaches_096_on_digits_and_stops_early_on_held_out_rows() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let acc = |m: &dyn Classifier| model_accuracy(m, test.features(), test.labels()).unwrap();
    let boosted = HistGradientBoostingConfig::default().fit(&train).unwrap();
    let tree = acc(&DecisionTreeConfig::default().fit(&train).unwrap());
    let b = acc(&boosted);
    eprintln!(
        "histogram boosting ({} rounds) {b:.4}; one tree {tree:.4}",
        boosted.n_iter()
    );
    assert!(b >= 0.96, "{b}");
    assert!(b >= tree + 0.08, "{b} vs {tree}");
    assert_eq!(boosted.n_iter(), 100);
    // Early stopping keeps the rounds up to the best validation loss.
    let stopped = HistGradientBoostingConfig {
        max_iter: 500,
        early_stopping: Some(BoostingEarlyStop::default()),
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    let losses = stopped.validation_losses();
    eprintln!(
        "early stopping: {} of {} rounds run kept, test accuracy {:.4}",
        stopped.n_iter(),
        losses.len(),
        acc(&stopped)
    );
    assert!(losses.len() < 500, "ran every round");
    let best = losses.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(losses[stopped.n_iter() - 1], best);
    assert!(acc(&stopped) >= 0.95);
}

#[test]
fn boosted_regression_fits_a_curve() {
    let x: Vec<[f32; 1]> = (0..300).map(|i| [-3.0 + 6.0 * i as f32 / 299.0]).collect();
    let y: Vec<f32> = x.iter().map(|r| (2.0 * r[0]).sin()).collect();
    let data = RegressionDataset::new(Matrix::from_rows(&x).unwrap(), y.clone()).unwrap();
    let model = HistGradientBoostingConfig {
        min_samples_leaf: 5,
        ..Default::default()
    }
    .fit(&data)
    .unwrap();
    let p = model.predict(data.features()).unwrap();
    let mse = p.iter().zip(&y).map(|(a, b)| (a - b).powi(2)).sum::<f32>() / y.len() as f32;
    eprintln!("boosted sin(2x) training mse {mse:.5}");
    assert!(mse < 0.01, "{mse}");
    assert!(
        HistGradientBoostingConfig {
            learning_rate: 0.0,
            ..Default::default()
        }
        .fit(&data)
        .is_err()
    );
}

#[test]
fn adaboost_lifts_stumps_far_above_one_stump() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let acc = |m: &dyn Classifier| model_accuracy(m, test.features(), test.labels()).unwrap();
    let stump = DecisionTreeConfig {
        max_depth: Some(1),
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    let boosted = AdaBoostConfig {
        n_estimators: 200,
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    let deeper = AdaBoostConfig {
        n_estimators: 100,
        max_depth: 3,
        learning_rate: 0.5,
    }
    .fit(&train)
    .unwrap();
    let (s, b, d) = (acc(&stump), acc(&boosted), acc(&deeper));
    eprintln!(
        "one stump {s:.4}; SAMME over {} stumps {b:.4}; over 100 depth-3 trees {d:.4}",
        boosted.n_learners()
    );
    // A stump separates at most two groups of ten classes.
    assert!(s < 0.25, "{s}");
    assert!(b >= s + 0.4, "{b} vs {s}");
    assert!(d >= 0.85, "{d}");
    // Every kept learner beats chance among 10 classes.
    assert!(boosted.learner_errors().iter().all(|&e| e < 0.9));
    let p = boosted.predict_proba(test.features()).unwrap();
    assert!(
        p.iter_rows()
            .all(|r| (r.iter().sum::<f32>() - 1.0).abs() < 1e-4)
    );
}
