//! The rest of the small-model zoo: kNN, multinomial NB, ridge and regression trees, and
//! JSON persistence of every classical model.

use consort_core::io::JsonModel;
use consort_core::{Classifier, ConsortError, Fit, FitWith, Matrix, Regressor};
use consort_data::{Dataset, RegressionDataset, embedded, train_test_split};
use consort_models::{
    DecisionTree, DecisionTreeConfig, GaussianNb, GaussianNbConfig, KNeighbors, KNeighborsConfig,
    LogisticRegression, LogisticRegressionConfig, MultinomialNb, MultinomialNbConfig,
    NeighborWeights, RegressionTree, Ridge, RidgeConfig, Standardized, StandardizedModel,
};
use rand::{Rng, SeedableRng, rngs::StdRng};

fn accuracy(model: &dyn Classifier, test: &Dataset) -> f64 {
    consort_eval::model_accuracy(model, test.features(), test.labels()).unwrap()
}

#[test]
fn knn_on_digits() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let knn = KNeighborsConfig::default().fit(&train).unwrap();
    let acc = accuracy(&knn, &test);
    eprintln!("knn (k=5) digits accuracy {acc:.4}");
    assert!(acc >= 0.97, "{acc}");
    let weighted = KNeighborsConfig {
        k: 5,
        weights: NeighborWeights::Distance,
    }
    .fit(&train)
    .unwrap();
    assert!(accuracy(&weighted, &test) >= 0.97);
    // Every training point is its own nearest neighbour.
    let one = KNeighborsConfig {
        k: 1,
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    assert_eq!(accuracy(&one, &train), 1.0);
    assert!(matches!(
        KNeighborsConfig {
            k: 0,
            ..Default::default()
        }
        .fit(&train),
        Err(ConsortError::InvalidConfig { .. })
    ));
}

#[test]
fn multinomial_nb_on_digit_counts() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let nb = MultinomialNbConfig::default().fit(&train).unwrap();
    let acc = accuracy(&nb, &test);
    eprintln!("multinomial nb digits accuracy {acc:.4}");
    assert!(acc >= 0.85, "{acc}");
    // Incremental fitting adds counts: two halves equal one batch.
    let mut inc = MultinomialNb::empty(&MultinomialNbConfig::default(), 10, 64).unwrap();
    let half = train.len() / 2;
    inc.fit_with(&train.subset(&(0..half).collect::<Vec<_>>()))
        .unwrap();
    inc.fit_with(&train.subset(&(half..train.len()).collect::<Vec<_>>()))
        .unwrap();
    assert_eq!(inc, nb);
    let negative = Matrix::from_rows(&[vec![-1.0f32; 64]]).unwrap();
    assert!(matches!(
        nb.predict_proba(&negative),
        Err(ConsortError::InvalidInput(_))
    ));
}

#[test]
fn every_classifier_reaches_090_on_iris() {
    let (train, test) = train_test_split(&embedded::iris(), 0.25, 0).unwrap();
    let models: Vec<(&str, Box<dyn Classifier>)> = vec![
        (
            "logistic",
            Box::new(
                Standardized(LogisticRegressionConfig::default())
                    .fit(&train)
                    .unwrap(),
            ),
        ),
        (
            "tree",
            Box::new(DecisionTreeConfig::default().fit(&train).unwrap()),
        ),
        (
            "gaussian nb",
            Box::new(GaussianNbConfig::default().fit(&train).unwrap()),
        ),
        (
            "multinomial nb",
            Box::new(MultinomialNbConfig::default().fit(&train).unwrap()),
        ),
        (
            "knn",
            Box::new(KNeighborsConfig::default().fit(&train).unwrap()),
        ),
    ];
    for (name, m) in &models {
        let acc = accuracy(m.as_ref(), &test);
        eprintln!("{name} iris accuracy {acc:.4}");
        assert!(acc >= 0.90, "{name}: {acc}");
    }
}

fn linear_problem(n: usize, noise: f32, seed: u64) -> (RegressionDataset, Vec<f64>, f64) {
    let coef = vec![1.5, -2.0, 0.25, 3.0, 0.0];
    let intercept = 0.7;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let x: Vec<f32> = (0..coef.len())
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let clean: f64 = x
            .iter()
            .zip(&coef)
            .map(|(&a, b)| f64::from(a) * b)
            .sum::<f64>()
            + intercept;
        let eps: f32 = rng.random_range(-1.0..1.0) * noise;
        rows.push(x);
        y.push(clean as f32 + eps);
    }
    let data = RegressionDataset::new(Matrix::from_rows(&rows).unwrap(), y).unwrap();
    (data, coef, intercept)
}

#[test]
fn ridge_recovers_known_coefficients() {
    let (data, coef, intercept) = linear_problem(5000, 0.01, 1);
    let ridge = RidgeConfig {
        alpha: 1e-3,
        fit_intercept: true,
    }
    .fit(&data)
    .unwrap();
    for (got, want) in ridge.coefficients().iter().zip(&coef) {
        assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    }
    assert!(
        (ridge.intercept() - intercept).abs() < 1e-3,
        "{}",
        ridge.intercept()
    );
    // A strong penalty shrinks the coefficients towards zero.
    let shrunk = RidgeConfig {
        alpha: 1e5,
        fit_intercept: true,
    }
    .fit(&data)
    .unwrap();
    let norm = |w: &[f64]| w.iter().map(|v| v * v).sum::<f64>();
    assert!(norm(shrunk.coefficients()) < 0.1 * norm(ridge.coefficients()));
    // Collinear features without a penalty are a typed error.
    let dup = Matrix::from_rows(&[[1.0f32, 1.0], [2.0, 2.0], [3.0, 3.0]]).unwrap();
    let singular = RegressionDataset::new(dup, vec![1.0, 2.0, 3.0]).unwrap();
    assert!(matches!(
        RidgeConfig {
            alpha: 0.0,
            fit_intercept: true
        }
        .fit(&singular),
        Err(ConsortError::InvalidInput(_))
    ));
}

#[test]
fn regression_tree_fits_what_a_line_cannot() {
    let mut rng = StdRng::seed_from_u64(2);
    let rows: Vec<[f32; 1]> = (0..800).map(|_| [rng.random_range(-3.0f32..3.0)]).collect();
    let y: Vec<f32> = rows.iter().map(|r| (2.0 * r[0]).sin()).collect();
    let data = RegressionDataset::new(Matrix::from_rows(&rows).unwrap(), y).unwrap();
    let train = data.subset(&(0..600).collect::<Vec<_>>());
    let test = data.subset(&(600..800).collect::<Vec<_>>());
    let mse = |m: &dyn Regressor| {
        let p = m.predict(test.features()).unwrap();
        p.iter()
            .zip(test.targets())
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum::<f64>()
            / 200.0
    };
    let tree: RegressionTree = DecisionTreeConfig {
        max_depth: Some(6),
        ..Default::default()
    }
    .fit(&train)
    .unwrap();
    let ridge: Ridge = RidgeConfig::default().fit(&train).unwrap();
    let (t, r) = (mse(&tree), mse(&ridge));
    eprintln!("sin(2x): tree mse {t:.4}, ridge mse {r:.4}");
    assert!(t < 0.02 && r > 0.3, "tree {t}, ridge {r}");
}

fn round_trip<M: JsonModel + Classifier>(model: &M, x: &Matrix) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    model.save_json(&path).unwrap();
    let back = M::load_json(&path).unwrap();
    assert_eq!(
        model.predict_proba(x).unwrap(),
        back.predict_proba(x).unwrap()
    );
}

#[test]
fn every_classical_model_round_trips_through_json() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let x = test.features();
    round_trip::<StandardizedModel<LogisticRegression>>(
        &Standardized(LogisticRegressionConfig::default())
            .fit(&train)
            .unwrap(),
        x,
    );
    round_trip::<DecisionTree>(&DecisionTreeConfig::default().fit(&train).unwrap(), x);
    round_trip::<GaussianNb>(&GaussianNbConfig::default().fit(&train).unwrap(), x);
    round_trip::<MultinomialNb>(&MultinomialNbConfig::default().fit(&train).unwrap(), x);
    round_trip::<KNeighbors>(&KNeighborsConfig::default().fit(&train).unwrap(), x);
    let (reg, _, _) = linear_problem(100, 0.1, 3);
    let dir = tempfile::tempdir().unwrap();
    let ridge = RidgeConfig::default().fit(&reg).unwrap();
    let path = dir.path().join("ridge.json");
    ridge.save_json(&path).unwrap();
    let back = Ridge::load_json(&path).unwrap();
    assert_eq!(
        ridge.predict(reg.features()).unwrap(),
        back.predict(reg.features()).unwrap()
    );
    let tree: RegressionTree = DecisionTreeConfig::default().fit(&reg).unwrap();
    let path = dir.path().join("tree.json");
    tree.save_json(&path).unwrap();
    assert_eq!(RegressionTree::load_json(&path).unwrap(), tree);

    // A missing or corrupted file is a typed error.
    assert!(matches!(
        GaussianNb::load_json(&dir.path().join("absent.json")),
        Err(ConsortError::Io { .. })
    ));
    std::fs::write(dir.path().join("bad.json"), r#"{"config":{"k":5,"weights":"Uniform"},"x":{"rows":2,"cols":2,"data":[1.0]},"y":[0,1],"n_classes":2}"#).unwrap();
    assert!(matches!(
        KNeighbors::load_json(&dir.path().join("bad.json")),
        Err(ConsortError::SerializationFile { .. })
    ));
}

#[test]
fn a_model_on_a_block_of_columns_reads_only_those() {
    use consort_models::Columns;
    let iris = embedded::iris();
    // Two views side by side: the petal columns, then the sepal columns.
    let petals = iris.features().select_columns(2..4).unwrap();
    let stacked = Matrix::hstack(&[&petals, iris.features()]).unwrap();
    let views = iris.with_features(stacked.clone()).unwrap();
    let on_view = Columns {
        range: 0..2,
        inner: LogisticRegressionConfig::default(),
    }
    .fit(&views)
    .unwrap();
    let direct = LogisticRegressionConfig::default()
        .fit(&iris.with_features(petals.clone()).unwrap())
        .unwrap();
    assert_eq!(on_view.n_features(), 6);
    assert_eq!(
        on_view.predict_proba(&stacked).unwrap(),
        direct.predict_proba(&petals).unwrap()
    );
    assert!(
        on_view.predict_proba(&petals).is_err(),
        "the whole row is expected"
    );
    let bad = Columns {
        range: 4..9,
        inner: LogisticRegressionConfig::default(),
    };
    assert!(
        bad.fit(&views).is_err(),
        "columns past the end are an error"
    );
}

/// `FitWith` for logistic regression: mini-batch gradient steps from the current weights, so
/// a model fitted on a third of the rows and updated with the rest gains on the test rows
/// (measured: 0.931 -> 0.947; the batch fit on all rows, L-BFGS, reaches 0.971).
#[test]
fn logistic_regression_keeps_learning_from_new_rows() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let (train, test) = consort_data::StandardScaler::standardize_split(&train, &test).unwrap();
    let third = train.len() / 3;
    let first = train.subset(&(0..third).collect::<Vec<_>>());
    let rest = train.subset(&(third..train.len()).collect::<Vec<_>>());
    let mut model = LogisticRegressionConfig::default().fit(&first).unwrap();
    let before = accuracy(&model, &test);
    model.fit_with(&rest).unwrap();
    let after = accuracy(&model, &test);
    let batch = accuracy(
        &LogisticRegressionConfig::default().fit(&train).unwrap(),
        &test,
    );
    eprintln!(
        "logistic: a third {before:.4}, updated with the rest {after:.4}, batch fit {batch:.4}"
    );
    assert!(after >= before + 0.01, "{before} {after} (batch {batch})");
    let other = Dataset::new(Matrix::zeros(1, 3), vec![0], 2).unwrap();
    assert!(model.fit_with(&other).is_err());
}
