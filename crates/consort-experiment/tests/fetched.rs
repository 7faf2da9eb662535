//! Data sets fetched by name: Fashion-MNIST with its own test images.
#![cfg(feature = "fetch")]

use consort_experiment::{DataConfig, prepare};

#[test]
fn fashion_mnist_by_name_keeps_its_own_test_images() {
    let p = prepare(&DataConfig::embedded("fashion-mnist-10k"), 0).unwrap();
    assert_eq!((p.train.len(), p.test.len()), (10_000, 2_000));
    assert_eq!(p.train.n_features(), 784);
    assert_eq!(p.train.class_names()[9], "Ankle boot");
    assert_eq!(p.name, "fashion-mnist-10k");
    let unknown = prepare(&DataConfig::embedded("fashion"), 0).unwrap_err();
    assert!(
        unknown.to_string().contains("fashion-mnist-10k"),
        "{unknown}"
    );
}
