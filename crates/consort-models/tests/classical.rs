//! Classical models on the embedded datasets (stratified 75/25 split, seed 0).

use consort_core::{Classifier, ConsortError, Fit, FitWith, Matrix};
use consort_data::{Dataset, embedded, train_test_split};
use consort_models::{
    DecisionTreeConfig, GaussianNb, GaussianNbConfig, LogisticRegressionConfig, SplitCriterion,
    Standardized,
};

fn accuracy(model: &dyn Classifier, test: &Dataset) -> f64 {
    consort_eval::model_accuracy(model, test.features(), test.labels()).unwrap()
}

fn digits_split() -> (Dataset, Dataset) {
    train_test_split(&embedded::digits(), 0.25, 0).unwrap()
}

#[test]
fn logistic_regression_on_digits() {
    let (train, test) = digits_split();
    let model = Standardized(LogisticRegressionConfig::default())
        .fit(&train)
        .unwrap();
    let acc = accuracy(&model, &test);
    eprintln!("logistic regression digits accuracy {acc:.4}");
    assert!(acc >= 0.95, "{acc}");
    let p = model.predict_proba(test.features()).unwrap();
    for row in p.iter_rows() {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
}

#[test]
fn decision_tree_on_digits() {
    let (train, test) = digits_split();
    let tree = DecisionTreeConfig::default().fit(&train).unwrap();
    let acc = accuracy(&tree, &test);
    eprintln!(
        "decision tree digits accuracy {acc:.4}, depth {}",
        tree.depth()
    );
    assert!(acc >= 0.80, "{acc}");
    assert!(tree.depth() <= 10);
    let entropy = DecisionTreeConfig {
        criterion: SplitCriterion::Entropy,
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    assert!(accuracy(&entropy, &test) >= 0.80);
}

#[test]
fn gaussian_nb_on_digits() {
    let (train, test) = digits_split();
    let nb = GaussianNbConfig::default().fit(&train).unwrap();
    let acc = accuracy(&nb, &test);
    eprintln!("gaussian nb digits accuracy {acc:.4}");
    assert!(acc >= 0.80, "{acc}");
}

#[test]
fn every_classical_model_learns_iris() {
    let (train, test) = train_test_split(&embedded::iris(), 0.25, 0).unwrap();
    let models: Vec<Box<dyn Classifier>> = vec![
        Box::new(
            Standardized(LogisticRegressionConfig::default())
                .fit(&train)
                .unwrap(),
        ),
        Box::new(DecisionTreeConfig::default().fit(&train).unwrap()),
        Box::new(GaussianNbConfig::default().fit(&train).unwrap()),
    ];
    for m in &models {
        assert!(accuracy(m.as_ref(), &test) >= 0.90);
    }
}

#[test]
fn incremental_gaussian_nb_equals_batch_fit() {
    let (train, test) = digits_split();
    let batch = GaussianNbConfig::default().fit(&train).unwrap();
    let mut inc = GaussianNb::empty(&GaussianNbConfig::default(), 10, 64).unwrap();
    let half = train.len() / 2;
    let first: Vec<usize> = (0..half).collect();
    let second: Vec<usize> = (half..train.len()).collect();
    inc.fit_with(&train.subset(&first)).unwrap();
    inc.fit_with(&train.subset(&second)).unwrap();
    let (a, b) = (
        batch.predict_proba(test.features()).unwrap(),
        inc.predict_proba(test.features()).unwrap(),
    );
    let max_diff = a
        .as_slice()
        .iter()
        .zip(b.as_slice())
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(max_diff < 1e-4, "{max_diff}");
}

#[test]
fn soft_label_fitting_follows_the_targets() {
    // Targets that disagree with any hard labelling: the model must reproduce them.
    let x = Matrix::from_rows(&[[0.0f32], [0.1], [1.0], [1.1]]).unwrap();
    let soft = Matrix::from_rows(&[[0.9f32, 0.1], [0.9, 0.1], [0.2, 0.8], [0.2, 0.8]]).unwrap();
    let tree = DecisionTreeConfig::default().fit_soft(&x, &soft).unwrap();
    assert_eq!(tree.predict_proba(&x).unwrap(), soft);
    let lr = LogisticRegressionConfig {
        c: 1e4,
        ..Default::default()
    }
    .fit_soft(&x, &soft)
    .unwrap();
    let p = lr.predict_proba(&x).unwrap();
    assert!(
        (p.get(0, 0) - 0.9).abs() < 0.05 && (p.get(3, 1) - 0.8).abs() < 0.05,
        "{p:?}"
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    let (train, test) = digits_split();
    let nb = GaussianNbConfig::default().fit(&train).unwrap();
    assert!(matches!(
        nb.predict_proba(&Matrix::zeros(3, 5)),
        Err(ConsortError::ShapeMismatch(_))
    ));
    let mut bad = test.features().clone();
    bad.as_mut_slice()[7] = f32::NAN;
    assert!(matches!(
        nb.predict_proba(&bad),
        Err(ConsortError::NonFinite(_))
    ));
    assert!(matches!(
        LogisticRegressionConfig {
            c: -1.0,
            ..Default::default()
        }
        .fit(&train),
        Err(ConsortError::InvalidConfig { .. })
    ));
    assert!(matches!(
        DecisionTreeConfig {
            max_depth: Some(0),
            ..Default::default()
        }
        .fit(&train),
        Err(ConsortError::InvalidConfig { .. })
    ));
    let empty = train.subset(&[]);
    assert!(matches!(
        GaussianNbConfig::default().fit(&empty),
        Err(ConsortError::EmptyDataset(_))
    ));
    let one_class: Vec<usize> = (0..train.len())
        .filter(|&i| train.labels()[i] == 3)
        .collect();
    assert!(matches!(
        DecisionTreeConfig::default().fit(&train.subset(&one_class)),
        Err(ConsortError::TooFewClasses(_))
    ));
}
