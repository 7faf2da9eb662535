//! Experiments end to end on small data: shared predictions, selection, reports, saved
//! models that predict exactly as the run did, one-hot text columns and class weights.

use std::path::Path;

use consort_core::Classifier;
use consort_data::embedded;
use consort_experiment::{
    Categorical, ClassWeight, DataConfig, Experiment, ExperimentConfig, SavedModel, predict_csv,
};

/// Iris with string classes, written as CSV (rows `range` of a fixed shuffle).
fn iris_csv(path: &Path, rows: impl Iterator<Item = usize>) {
    let iris = embedded::iris();
    let mut body = String::from("sepal_l,sepal_w,petal_l,petal_w,species\n");
    for i in rows {
        let r = iris.features().row(i);
        let name = ["setosa", "versicolor", "virginica"][iris.labels()[i]];
        body.push_str(&format!("{},{},{},{},{name}\n", r[0], r[1], r[2], r[3]));
    }
    std::fs::write(path, body).unwrap();
}

fn small_models(data: DataConfig, out: &Path) -> ExperimentConfig {
    let text = r#"
folds = 3
[data]
embedded = "iris"

[[model]]
name = "mlp"
role = "expensive"
mlp = { hidden = [16], epochs = 40 }

[[model]]
name = "logistic regression"
role = "cheap"
logistic = {}

[[model]]
name = "tree"
tree = { max_depth = 4 }

[[model]]
name = "forest"
forest = { n_trees = 25 }

[[combiner]]
kind = "soft-vote"

[[combiner]]
kind = "weighted-average"

[[combiner]]
kind = "stacking"

[[combiner]]
kind = "cascade"
"#;
    let mut cfg = ExperimentConfig::from_toml(text, "small").unwrap();
    cfg.data = data;
    cfg.out = Some(out.to_path_buf());
    cfg
}

#[test]
fn a_run_reports_selects_and_saves_a_model_that_predicts_exactly_as_the_run_did() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (dir.path().join("train.csv"), dir.path().join("test.csv"));
    // Every 4th row is a test row.
    iris_csv(&train, (0..150).filter(|i| i % 4 != 0));
    iris_csv(&test, (0..150).filter(|i| i % 4 == 0));
    let mut data = DataConfig::csv(&train);
    data.test = Some(test.clone());
    data.label = Some("species".into());
    let mut cfg = small_models(data, &dir.path().join("runs"));
    cfg.select = true;
    let out = Experiment::new(cfg).unwrap().run().unwrap();

    // Members, then combiners, every one scored on the given test file.
    let names: Vec<&str> = out.report.results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mlp",
            "logistic regression",
            "tree",
            "forest",
            "soft vote (all)",
            "weighted average (all)",
            "stacking (all, logistic meta)",
            "cascade (logistic regression -> mlp)"
        ]
    );
    assert_eq!(out.report.data.test_samples, 38);
    for r in &out.report.results {
        assert!(
            r.metrics.accuracy >= 0.85,
            "{}: {}",
            r.name,
            r.metrics.accuracy
        );
    }
    // The selection scored all eight out of fold and recommends the best of them.
    let sel = &out.selection;
    assert_eq!(sel.candidates.len(), 8);
    let best = sel
        .candidates
        .iter()
        .map(|c| c.accuracy)
        .fold(0.0, f64::max);
    assert_eq!(sel.recommended().accuracy, best);
    assert!(sel.candidates[5].nested && !sel.candidates[4].nested);

    // Reports: Markdown with the selection, self-contained HTML, figures.
    let md = std::fs::read_to_string(out.dir.as_ref().unwrap().join("report.md")).unwrap();
    assert!(md.contains("## Selection by cross-validation"), "{md}");
    assert!(md.contains("**recommended**"), "{md}");
    let html = std::fs::read_to_string(out.dir.as_ref().unwrap().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<table>"));
    // Figures first, the comparison leading, then the tables.
    let figures: Vec<&str> = out.report.figures.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(figures[0], "comparison.svg", "{figures:?}");
    for file in [
        "cascade.svg",
        "roc.svg",
        "calibration.svg",
        "confusion.svg",
        "diversity.svg",
    ] {
        assert!(figures.contains(&file), "{file} in {figures:?}");
        assert!(
            out.dir.as_ref().unwrap().join(file).is_file(),
            "{file} written"
        );
    }
    assert_eq!(
        html.matches("<svg").count(),
        figures.len(),
        "every figure inlined"
    );
    assert!(
        html.find("<svg").unwrap() < html.find("<table>").unwrap(),
        "the figures come before the tables"
    );
    assert!(!html.contains("src="), "no external assets");
    let confusion =
        std::fs::read_to_string(out.dir.as_ref().unwrap().join("confusion.svg")).unwrap();
    assert!(confusion.contains("virginica"));

    // The saved model, loaded back, predicts the test file exactly as the run did.
    let model_dir = out.saved_model.expect("select saves the model");
    let saved = SavedModel::load(&model_dir).unwrap();
    assert_eq!(saved.name, sel.recommended().name);
    let expected = std::fs::read_to_string(model_dir.join("predictions.csv")).unwrap();
    let predicted = predict_csv(&model_dir, &test).unwrap();
    assert_eq!(predicted.csv, expected);
    assert_eq!(predicted.rows, 38);
    let recommended_acc = out
        .report
        .results
        .iter()
        .find(|r| r.name == saved.name)
        .unwrap()
        .metrics
        .accuracy;
    assert_eq!(predicted.accuracy, Some(recommended_acc));
    // Without the label column, in another column order, the same predictions.
    let unlabelled = dir.path().join("new.csv");
    let text = std::fs::read_to_string(&test).unwrap();
    let mut body = String::new();
    for line in text.lines() {
        let c: Vec<&str> = line.split(',').collect();
        body.push_str(&format!("{},{},{},{}\n", c[3], c[2], c[1], c[0]));
    }
    std::fs::write(&unlabelled, body).unwrap();
    let again = predict_csv(&model_dir, &unlabelled).unwrap();
    assert_eq!(again.csv, expected);
    assert_eq!(again.accuracy, None);
    // A file without a needed column is a clear error.
    std::fs::write(&unlabelled, "sepal_l,sepal_w,petal_l\n1,2,3\n").unwrap();
    let e = predict_csv(&model_dir, &unlabelled)
        .unwrap_err()
        .to_string();
    assert!(e.contains("petal_w"), "{e}");
    assert!(
        SavedModel::load(dir.path())
            .unwrap_err()
            .to_string()
            .contains("--select")
    );
}

#[test]
fn every_saved_member_kind_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
folds = 2
[data]
embedded = "iris"
[[model]]
mlp = { hidden = [16], epochs = 30, learning_rate = 0.02 }
[[model]]
logistic = {}
[[model]]
tree = {}
[[model]]
forest = { n_trees = 5 }
[[model]]
boosting = { max_iter = 10 }
[[model]]
adaboost = { n_estimators = 5 }
[[model]]
knn = {}
[[model]]
gaussian_nb = {}
[[model]]
multinomial_nb = {}
"#;
    let mut cfg = ExperimentConfig::from_toml(text, "kinds").unwrap();
    cfg.out = Some(dir.path().to_path_buf());
    let names: Vec<String> = cfg.models.iter().map(|m| m.name.clone()).collect();
    for (i, name) in names.iter().enumerate() {
        // One member at a time, selected and saved.
        let mut one = cfg.clone();
        one.models = vec![cfg.models[i].clone()];
        one.select = true;
        let out = Experiment::new(one).unwrap().run().unwrap();
        let model_dir = out.saved_model.unwrap();
        let saved = SavedModel::load(&model_dir).unwrap();
        assert_eq!(&saved.name, name);
        let expected = std::fs::read_to_string(model_dir.join("predictions.csv")).unwrap();
        assert_eq!(
            expected.lines().count(),
            out.report.data.test_samples + 1,
            "{name}: a header and a line per test row"
        );
        // The loaded model scores every row of the data; the run's member was useful.
        let proba = saved
            .model
            .predict_proba(embedded::iris().features())
            .unwrap();
        assert_eq!(proba.rows(), 150, "{name}");
        let accuracy = out.report.results[0].metrics.accuracy;
        assert!(accuracy > 0.6, "{name}: {accuracy}");
    }
}

#[test]
fn text_columns_are_one_hot_encoded_from_the_training_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pets.csv");
    // The class follows the colour (a text column) and a number; a colour seen only in
    // the test file must not break prediction.
    let mut body = String::from("colour,weight,kind\n");
    for i in 0..120 {
        let colour = ["red", "green", "blue"][i % 3];
        let kind = if i % 3 == 0 || i % 7 == 0 {
            "cat"
        } else {
            "dog"
        };
        body.push_str(&format!("{colour},{},{kind}\n", (i % 7) as f32 * 1.5));
    }
    std::fs::write(&path, &body).unwrap();
    let test = dir.path().join("pets_test.csv");
    std::fs::write(
        &test,
        "colour,weight,kind\nred,1.5,cat\npurple,0.0,cat\ngreen,3.0,dog\n",
    )
    .unwrap();
    let mut data = DataConfig::csv(&path);
    data.test = Some(test.clone());
    let mut cfg = small_models(data.clone(), &dir.path().join("runs"));
    // Without one-hot: a clear error naming the column.
    let e = Experiment::new(cfg.clone())
        .unwrap()
        .run()
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"colour\"") && e.contains("one-hot"), "{e}");
    cfg.data.categorical = Categorical::OneHot;
    cfg.select = true;
    let out = Experiment::new(cfg).unwrap().run().unwrap();
    assert_eq!(out.report.data.features, 4, "weight + 3 colour indicators");
    assert!(
        out.report
            .notes
            .iter()
            .any(|n| n.contains("one-hot encoded text columns colour")),
        "{:?}",
        out.report.notes
    );
    let lr = out
        .report
        .results
        .iter()
        .find(|r| r.name == "logistic regression")
        .unwrap();
    assert!(lr.metrics.accuracy >= 2.0 / 3.0);
    let predicted = predict_csv(&out.saved_model.unwrap(), &test).unwrap();
    assert_eq!(predicted.rows, 3);
}

#[test]
fn balanced_class_weights_lift_the_minority_class() {
    // 10% of the rows are class 1, which overlaps class 0: unweighted models lean to the
    // majority; balanced weights must raise the minority's recall (macro-F1 and recall).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rare.csv");
    let mut body = String::from("x,y,label\n");
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f32 / (1u64 << 31) as f32
    };
    for i in 0..600 {
        let minority = i % 10 == 0;
        let shift = if minority { 1.0 } else { 0.0 };
        body.push_str(&format!(
            "{},{},{}\n",
            next() * 2.0 + shift,
            next() * 2.0 + shift,
            u8::from(minority)
        ));
    }
    std::fs::write(&path, body).unwrap();
    let text = r#"
folds = 2
[data]
csv = "unused.csv"
[[model]]
name = "logistic regression"
logistic = {}
[[model]]
name = "gaussian nb"
gaussian_nb = {}
"#;
    let recall = |weight: ClassWeight| -> Vec<f64> {
        let mut cfg = ExperimentConfig::from_toml(text, "rare").unwrap();
        cfg.data = DataConfig::csv(&path);
        cfg.data.class_weight = weight;
        cfg.out = Some(dir.path().join("runs"));
        let out = Experiment::new(cfg).unwrap().run().unwrap();
        out.report.results[..2]
            .iter()
            .map(|r| {
                let c = &r.metrics.confusion;
                c[1][1] as f64 / (c[1][0] + c[1][1]) as f64
            })
            .collect()
    };
    let (plain, balanced) = (recall(ClassWeight::None), recall(ClassWeight::Balanced));
    for m in 0..2 {
        assert!(
            balanced[m] >= plain[m] + 0.2,
            "member {m}: minority recall {} unweighted, {} balanced",
            plain[m],
            balanced[m]
        );
    }
}
