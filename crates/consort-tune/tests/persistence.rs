//! Every network saves and loads with burn's format: identical probabilities after the trip.

use consort_core::{BackendKind, Classifier, ConsortError, Fit, Matrix};
use consort_data::synthetic::{order_sequences, order_vocab_size};
use consort_data::{Dataset, embedded, train_test_split};
use consort_models::{
    CnnConfig, LstmClassifierConfig, MlpSpec, NetworkClassifier, NetworkSpec,
    TransformerClassifierConfig,
};
use consort_tune::{NetworkEstimator, TrainConfig};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<S>(spec: S, train: &Dataset, x: &Matrix)
where
    S: NetworkSpec + Serialize + DeserializeOwned,
{
    let model = NetworkEstimator::new(spec.clone(), TrainConfig::new().with_epochs(2))
        .fit(train)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(&spec, dir.path()).unwrap();
    let device = BackendKind::Flex.device().unwrap();
    let back = NetworkClassifier::<S::Net>::load::<S>(dir.path(), &device).unwrap();
    assert_eq!(
        model.predict_proba(x).unwrap(),
        back.predict_proba(x).unwrap(),
        "{}",
        spec.name()
    );
    assert_eq!(back.n_features(), train.n_features());
}

#[test]
fn every_network_round_trips() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    round_trip(MlpSpec::new(vec![32, 16]), &train, test.features());
    round_trip(CnnConfig::new(), &train, test.features());
    let seq = order_sequences(200, 16, 8, 0).unwrap();
    let vocab = order_vocab_size(8);
    round_trip(LstmClassifierConfig::new(vocab), &seq, seq.features());
    round_trip(
        TransformerClassifierConfig::new(vocab),
        &seq,
        seq.features(),
    );
}

#[test]
fn loading_what_is_not_there_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let device = BackendKind::Flex.device().unwrap();
    let missing = NetworkClassifier::<consort_models::Mlp>::load::<MlpSpec>(dir.path(), &device);
    assert!(matches!(missing, Err(ConsortError::Io { .. })));
    // A manifest without its weights file.
    let (train, _) = train_test_split(&embedded::iris(), 0.25, 0).unwrap();
    let spec = MlpSpec::new(vec![8]);
    let model = NetworkEstimator::new(spec.clone(), TrainConfig::new().with_epochs(1))
        .fit(&train)
        .unwrap();
    model.save(&spec, dir.path()).unwrap();
    std::fs::remove_file(dir.path().join("weights.bpk")).unwrap();
    let no_weights = NetworkClassifier::<consort_models::Mlp>::load::<MlpSpec>(dir.path(), &device);
    assert!(matches!(no_weights, Err(ConsortError::Io { .. })));
}
