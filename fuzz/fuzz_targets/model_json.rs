//! The model loaders on arbitrary JSON: a model that passes validation predicts without
//! panicking or looping.
#![no_main]

use consort_core::Classifier;
use consort_core::io::Validate;
use consort_models::{
    AdaBoost, DecisionTree, GaussianNb, HistGradientBoosting, KNeighbors, LogisticRegression,
    MultinomialNb, RandomForest,
};
use libfuzzer_sys::fuzz_target;

fn exercise<M: serde::de::DeserializeOwned + Validate + Classifier>(bytes: &[u8]) {
    if let Ok(model) = serde_json::from_slice::<M>(bytes)
        && model.validate().is_ok()
        && model.n_features() <= 64
    {
        let x = consort_core::Matrix::zeros(2, model.n_features());
        let proba = model.predict_proba(&x).expect("a valid model predicts");
        assert_eq!(proba.rows(), 2);
    }
}

fuzz_target!(|input: (u8, &[u8])| {
    let (kind, bytes) = input;
    match kind % 8 {
        0 => exercise::<LogisticRegression>(bytes),
        1 => exercise::<DecisionTree>(bytes),
        2 => exercise::<RandomForest>(bytes),
        3 => exercise::<HistGradientBoosting>(bytes),
        4 => exercise::<AdaBoost>(bytes),
        5 => exercise::<KNeighbors>(bytes),
        6 => exercise::<GaussianNb>(bytes),
        _ => exercise::<MultinomialNb>(bytes),
    }
});
