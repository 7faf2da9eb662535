//! Model files that were edited by hand or corrupted: every loader validates what it parsed
//! (shapes, ranges, tree structure acyclic and in bounds), so a bad file is a typed error
//! naming it, never a panic or an endless loop at prediction.

use consort_core::io::{JsonModel, Validate};
use consort_core::{Classifier, ConsortError, Fit, Matrix};
use consort_data::embedded;
use consort_models::{
    AdaBoost, AdaBoostConfig, DecisionTree, DecisionTreeConfig, GaussianNb, GaussianNbConfig,
    HistGradientBoosting, HistGradientBoostingConfig, KNeighbors, KNeighborsConfig,
    LogisticRegression, LogisticRegressionConfig, MultinomialNb, MultinomialNbConfig, RandomForest,
    RandomForestConfig, Standardized, StandardizedModel,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Writes `value` as a model file and loads it as `M`.
fn load<M: JsonModel>(value: &Value) -> consort_core::Result<M> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    std::fs::write(&path, value.to_string()).unwrap();
    M::load_json(&path)
}

fn to_value<M: Serialize>(m: &M) -> Value {
    serde_json::to_value(m).unwrap()
}

fn invalid<M: JsonModel + std::fmt::Debug>(value: &Value, expected: &str) {
    match load::<M>(value) {
        Err(ConsortError::InvalidModel { path, message }) => {
            assert!(path.ends_with("model.json"), "{path:?}");
            assert!(message.contains(expected), "{message}");
        }
        other => panic!("expected an invalid-model error containing {expected:?}, got {other:?}"),
    }
}

#[test]
fn the_reproductions_are_typed_errors_naming_the_file() {
    let iris = embedded::iris();
    // Logistic regression: weights that do not fit classes x features.
    let logistic = LogisticRegressionConfig::default().fit(&iris).unwrap();
    let mut v = to_value(&logistic);
    v["weights"].as_array_mut().unwrap().pop();
    invalid::<LogisticRegression>(&v, "weights");
    // Gaussian NB: a negative squared deviation (a negative variance).
    let nb = GaussianNbConfig::default().fit(&iris).unwrap();
    let mut v = to_value(&nb);
    v["m2"][0] = json!(-5.0);
    invalid::<GaussianNb>(&v, "negative");
    // kNN: k of 0, and k above the rows it keeps.
    let knn = KNeighborsConfig::default().fit(&iris).unwrap();
    let mut v = to_value(&knn);
    v["config"]["k"] = json!(0);
    invalid::<KNeighbors>(&v, "k = 0");
    v["config"]["k"] = json!(1000);
    invalid::<KNeighbors>(&v, "k = 1000");
    // A tree whose split points back to the root: a cycle that would loop forever.
    let tree = DecisionTreeConfig::default().fit(&iris).unwrap();
    let mut v = to_value(&tree);
    let nodes = v["tree"]["nodes"].as_array_mut().unwrap();
    let split = nodes.iter_mut().find(|n| n.get("Split").is_some()).unwrap();
    split["Split"]["left"] = json!(0);
    invalid::<DecisionTree>(&v, "children must follow their parent");
    // ... or outside the arena, or on a feature the model does not have.
    let mut v = to_value(&tree);
    v["tree"]["nodes"][0]["Split"]["feature"] = json!(99);
    invalid::<DecisionTree>(&v, "feature 99");
    // A vocabulary with fewer than 2 real entries.
    let vocab: consort_data::Vocabulary =
        serde_json::from_value(json!({"tokens": ["<pad>"]})).unwrap();
    assert!(vocab.validate().is_err());
    // Standardised models check the scaler and the fit between the two.
    let std_model = Standardized(LogisticRegressionConfig::default())
        .fit(&iris)
        .unwrap();
    let mut v = to_value(&std_model);
    v["scaler"]["std"][1] = json!(0.0);
    invalid::<StandardizedModel<LogisticRegression>>(&v, "deviation");
}

/// A JSON edit: one number, array or flag of the file changed.
#[derive(Debug, Clone)]
enum Edit {
    Number(f64),
    Pop,
    Duplicate,
    Clear,
    Flip,
}

/// Every leaf and array of `v`, as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            out.push(at.clone());
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                pointers(item, format!("{at}/{k}"), out);
            }
        }
        _ => out.push(at),
    }
}

fn apply(v: &mut Value, pointer: &str, edit: &Edit) {
    let Some(target) = v.pointer_mut(pointer) else {
        return;
    };
    match (target, edit) {
        (Value::Number(_), Edit::Number(x)) => {
            *v.pointer_mut(pointer).unwrap() = serde_json::Number::from_f64(*x)
                .map(Value::Number)
                .unwrap_or(Value::Null);
        }
        (Value::Array(items), Edit::Pop) => {
            items.pop();
        }
        (Value::Array(items), Edit::Duplicate) => {
            if let Some(first) = items.first().cloned() {
                items.push(first);
            }
        }
        (Value::Array(items), Edit::Clear) => items.clear(),
        (Value::Bool(b), Edit::Flip) => *b = !*b,
        _ => {}
    }
}

/// Parses, validates and, when valid, predicts: nothing may panic or loop.
fn exercise<M: DeserializeOwned + Validate + Classifier>(value: &Value, x: &Matrix) {
    if let Ok(model) = serde_json::from_value::<M>(value.clone())
        && model.validate().is_ok()
        && model.n_features() == x.cols()
    {
        let proba = model.predict_proba(x).unwrap();
        assert_eq!(proba.rows(), x.rows());
    }
}

mod fuzz {
    //! Property tests: 18,000 random edits of valid files, spread over the nine model kinds.

    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    struct Files {
        x: Matrix,
        models: Vec<(&'static str, Value)>,
    }

    fn files() -> &'static Files {
        static FILES: OnceLock<Files> = OnceLock::new();
        FILES.get_or_init(|| {
            let iris = embedded::iris();
            let small = HistGradientBoostingConfig {
                max_iter: 3,
                ..Default::default()
            };
            let forest = RandomForestConfig {
                n_trees: 3,
                max_depth: Some(3),
                ..Default::default()
            };
            let ada = AdaBoostConfig {
                n_estimators: 3,
                ..Default::default()
            };
            Files {
                x: iris.features().select_rows(&[0, 60, 120]),
                models: vec![
                    (
                        "logistic",
                        to_value(&LogisticRegressionConfig::default().fit(&iris).unwrap()),
                    ),
                    (
                        "standardized logistic",
                        to_value(
                            &Standardized(LogisticRegressionConfig::default())
                                .fit(&iris)
                                .unwrap(),
                        ),
                    ),
                    (
                        "tree",
                        to_value(&DecisionTreeConfig::default().fit(&iris).unwrap()),
                    ),
                    ("forest", to_value(&forest.fit(&iris).unwrap())),
                    ("boosting", to_value(&small.fit(&iris).unwrap())),
                    ("adaboost", to_value(&ada.fit(&iris).unwrap())),
                    (
                        "knn",
                        to_value(&KNeighborsConfig::default().fit(&iris).unwrap()),
                    ),
                    (
                        "gaussian nb",
                        to_value(&GaussianNbConfig::default().fit(&iris).unwrap()),
                    ),
                    (
                        "multinomial nb",
                        to_value(&MultinomialNbConfig::default().fit(&iris).unwrap()),
                    ),
                ],
            }
        })
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            prop::sample::select(vec![
                -1.0,
                0.0,
                1.0,
                2.0,
                3.0,
                99.0,
                1e9,
                -1e300,
                0.5,
                4_294_967_296.0,
                1.8e19
            ])
            .prop_map(Edit::Number),
            Just(Edit::Pop),
            Just(Edit::Duplicate),
            Just(Edit::Clear),
            Just(Edit::Flip),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 18_000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn edited_model_files_never_panic(
            kind in 0usize..9,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), edit()), 1..4),
        ) {
            let files = files();
            let (name, original) = &files.models[kind];
            let mut v = original.clone();
            for (index, e) in &edits {
                let mut all = Vec::new();
                pointers(&v, String::new(), &mut all);
                if all.is_empty() {
                    break;
                }
                let pointer = all[index.index(all.len())].clone();
                apply(&mut v, &pointer, e);
            }
            let x = &files.x;
            match *name {
                "logistic" => exercise::<LogisticRegression>(&v, x),
                "standardized logistic" => {
                    exercise::<StandardizedModel<LogisticRegression>>(&v, x)
                }
                "tree" => exercise::<DecisionTree>(&v, x),
                "forest" => exercise::<RandomForest>(&v, x),
                "boosting" => exercise::<HistGradientBoosting>(&v, x),
                "adaboost" => exercise::<AdaBoost>(&v, x),
                "knn" => exercise::<KNeighbors>(&v, x),
                "gaussian nb" => exercise::<GaussianNb>(&v, x),
                _ => exercise::<MultinomialNb>(&v, x),
            }
        }
    }
}
