//! Sample weights: a row of weight 2 counts as two copies of it.

use consort_core::{Classifier, Fit, FitWeighted, Matrix, balanced_sample_weights};
use consort_data::{Dataset, embedded};
use consort_models::{
    AdaBoostConfig, DecisionTreeConfig, GaussianNbConfig, HistGradientBoostingConfig,
    LogisticRegressionConfig, MultinomialNbConfig, RandomForestConfig, Standardized,
};

/// Iris with rows `i % 3 == 0` weighted 2, and the same data with those rows duplicated.
fn weighted_and_duplicated() -> (Dataset, Vec<f32>, Dataset) {
    let iris = embedded::iris();
    let weights: Vec<f32> = (0..iris.len())
        .map(|i| if i % 3 == 0 { 2.0 } else { 1.0 })
        .collect();
    let mut rows: Vec<usize> = (0..iris.len()).collect();
    rows.extend((0..iris.len()).filter(|i| i % 3 == 0));
    let duplicated = iris.subset(&rows);
    (iris, weights, duplicated)
}

fn max_gap(a: &Matrix, b: &Matrix) -> f32 {
    a.as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn integer_weights_equal_duplicated_rows() {
    let (data, w, dup) = weighted_and_duplicated();
    let x = data.features();
    // Trees: the same weighted counts, the same splits and leaves.
    let tree = DecisionTreeConfig::default();
    assert_eq!(
        tree.fit_weighted(&data, &w)
            .unwrap()
            .predict_proba(x)
            .unwrap(),
        tree.fit(&dup).unwrap().predict_proba(x).unwrap()
    );
    // Gaussian naive Bayes: the same weighted means, variances and priors.
    let nb = GaussianNbConfig::default();
    let gap = max_gap(
        &nb.fit_weighted(&data, &w)
            .unwrap()
            .predict_proba(x)
            .unwrap(),
        &nb.fit(&dup).unwrap().predict_proba(x).unwrap(),
    );
    assert!(gap < 1e-5, "naive Bayes gap {gap}");
    // Logistic regression: the same objective up to a constant factor (loss and penalty
    // are both divided by the row count), so the same optimum (L-BFGS to tolerance).
    let lr = LogisticRegressionConfig {
        c: 1.0,
        max_iter: 2000,
        tol: 1e-9,
    };
    let gap = max_gap(
        &lr.fit_weighted(&data, &w)
            .unwrap()
            .predict_proba(x)
            .unwrap(),
        &lr.fit(&dup).unwrap().predict_proba(x).unwrap(),
    );
    assert!(gap < 1e-3, "logistic gap {gap}");
    // Multinomial naive Bayes: the same weighted counts.
    let mnb = MultinomialNbConfig::default();
    let gap = max_gap(
        &mnb.fit_weighted(&data, &w)
            .unwrap()
            .predict_proba(x)
            .unwrap(),
        &mnb.fit(&dup).unwrap().predict_proba(x).unwrap(),
    );
    assert!(gap < 1e-5, "multinomial naive Bayes gap {gap}");
    // AdaBoost: the same first-round distribution, so the same stumps and votes.
    let ada = AdaBoostConfig::default();
    let gap = max_gap(
        &ada.fit_weighted(&data, &w)
            .unwrap()
            .predict_proba(x)
            .unwrap(),
        &ada.fit(&dup).unwrap().predict_proba(x).unwrap(),
    );
    assert!(gap < 1e-4, "AdaBoost gap {gap}");
    // Boosting bins and counts leaf rows, so duplicates are not weights there; unit
    // weights must change nothing.
    let hgb = HistGradientBoostingConfig {
        max_iter: 20,
        ..Default::default()
    };
    assert_eq!(
        hgb.fit_weighted(&data, &vec![1.0; data.len()])
            .unwrap()
            .predict_proba(x)
            .unwrap(),
        hgb.fit(&data).unwrap().predict_proba(x).unwrap()
    );
    // Through the scaler, too.
    let std_fit = Standardized(LogisticRegressionConfig::default())
        .fit_weighted(&data, &w)
        .unwrap();
    assert_eq!(std_fit.predict_proba(x).unwrap().rows(), data.len());
}

#[test]
fn balanced_weights_give_every_class_the_same_total_and_bad_weights_are_errors() {
    let labels = [0, 0, 0, 1, 2, 2];
    let w = balanced_sample_weights(&labels, 3);
    let total = |c: usize| -> f32 {
        labels
            .iter()
            .zip(&w)
            .filter(|(l, _)| **l == c)
            .map(|(_, w)| w)
            .sum()
    };
    assert!((total(0) - 2.0).abs() < 1e-6 && (total(1) - 2.0).abs() < 1e-6);
    assert!((total(2) - 2.0).abs() < 1e-6);
    let data = embedded::iris();
    let tree = DecisionTreeConfig::default();
    assert!(
        tree.fit_weighted(&data, &[1.0; 3]).is_err(),
        "one weight per row"
    );
    let mut bad = vec![1.0; data.len()];
    bad[7] = f32::NAN;
    assert!(tree.fit_weighted(&data, &bad).is_err());
    bad[7] = -1.0;
    assert!(
        GaussianNbConfig::default()
            .fit_weighted(&data, &bad)
            .is_err()
    );
    assert!(
        RandomForestConfig::default()
            .fit_weighted(&data, &vec![0.0; data.len()])
            .is_err(),
        "all-zero weights"
    );
}
