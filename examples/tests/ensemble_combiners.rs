//! Averaging and voting: exact behaviour on fixed members, and the quality bar on digits.

use std::sync::Arc;

use consort_core::{Classifier, ConsortError, Fit, Matrix, Result};
use consort_data::{Dataset, embedded, train_test_split};
use consort_ensemble::{AverageEnsemble, Member, Voting, VotingEnsemble};
use consort_models::{
    CnnConfig, DecisionTreeConfig, GaussianNbConfig, LogisticRegressionConfig, MlpSpec,
    Standardized,
};
use consort_tune::{NetworkEstimator, TrainConfig};

/// A member that answers the same probability row for every input.
struct Fixed {
    row: Vec<f32>,
    n_features: usize,
}

impl Classifier for Fixed {
    fn n_classes(&self) -> usize {
        self.row.len()
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn predict_proba(&self, x: &Matrix) -> Result<Matrix> {
        let rows: Vec<Vec<f32>> = (0..x.rows()).map(|_| self.row.clone()).collect();
        Matrix::from_rows(&rows)
    }
}

fn fixed(name: &str, row: &[f32]) -> Member {
    Member::new(
        name,
        Arc::new(Fixed {
            row: row.to_vec(),
            n_features: 2,
        }),
    )
}

#[test]
fn average_and_weights_are_exact() {
    let x = Matrix::zeros(1, 2);
    let a = fixed("a", &[0.8, 0.2]);
    let b = fixed("b", &[0.2, 0.8]);
    let avg = AverageEnsemble::new(vec![a.clone(), b.clone()]).unwrap();
    assert_eq!(avg.predict_proba(&x).unwrap().row(0), &[0.5, 0.5]);
    let w = AverageEnsemble::weighted(vec![a, b], vec![3.0, 1.0]).unwrap();
    assert_eq!(w.weights(), &[0.75, 0.25]);
    let p = w.predict_proba(&x).unwrap();
    assert!((p.get(0, 0) - 0.65).abs() < 1e-6);
}

#[test]
fn hard_voting_majority_and_deterministic_ties() {
    let x = Matrix::zeros(1, 2);
    // Two members vote class 0 weakly, one votes class 1 strongly: hard says 0, soft says 1.
    let members = vec![
        fixed("a", &[0.55, 0.45]),
        fixed("b", &[0.55, 0.45]),
        fixed("c", &[0.0, 1.0]),
    ];
    let hard = VotingEnsemble::new(members.clone(), Voting::Hard).unwrap();
    let soft = VotingEnsemble::new(members, Voting::Soft).unwrap();
    assert_eq!(hard.predict(&x).unwrap(), vec![0]);
    assert_eq!(soft.predict(&x).unwrap(), vec![1]);
    let shares = hard.predict_proba(&x).unwrap();
    assert!((shares.get(0, 0) - 2.0 / 3.0).abs() < 1e-6);

    // A 1-1 tie goes to the class with the higher mean probability...
    let tie = VotingEnsemble::new(
        vec![fixed("a", &[0.9, 0.1, 0.0]), fixed("b", &[0.0, 0.6, 0.4])],
        Voting::Hard,
    )
    .unwrap();
    assert_eq!(tie.predict(&x).unwrap(), vec![0]);
    // ...and an exact tie to the lowest class index.
    let exact = VotingEnsemble::new(
        vec![fixed("a", &[0.0, 0.6, 0.4]), fixed("b", &[0.0, 0.4, 0.6])],
        Voting::Hard,
    )
    .unwrap();
    assert_eq!(exact.predict(&x).unwrap(), vec![1]);
}

#[test]
fn bad_member_sets_are_typed_errors() {
    assert!(matches!(
        AverageEnsemble::new(vec![]),
        Err(ConsortError::InvalidConfig { .. })
    ));
    assert!(matches!(
        VotingEnsemble::new(vec![], Voting::Soft),
        Err(ConsortError::InvalidConfig { .. })
    ));
    let two = fixed("two", &[0.5, 0.5]);
    let three = fixed("three", &[0.2, 0.3, 0.5]);
    assert!(matches!(
        AverageEnsemble::new(vec![two.clone(), three]),
        Err(ConsortError::ShapeMismatch(_))
    ));
    let wide = Member::new(
        "wide",
        Arc::new(Fixed {
            row: vec![0.5, 0.5],
            n_features: 9,
        }),
    );
    assert!(matches!(
        VotingEnsemble::new(vec![two.clone(), wide], Voting::Hard),
        Err(ConsortError::ShapeMismatch(_))
    ));
    let pair = vec![two.clone(), two.clone()];
    assert!(matches!(
        AverageEnsemble::weighted(pair.clone(), vec![1.0]),
        Err(ConsortError::ShapeMismatch(_))
    ));
    assert!(matches!(
        AverageEnsemble::weighted(pair.clone(), vec![1.0, -0.5]),
        Err(ConsortError::InvalidConfig { .. })
    ));
    assert!(matches!(
        AverageEnsemble::weighted(pair, vec![0.0, 0.0]),
        Err(ConsortError::InvalidConfig { .. })
    ));
    let avg = AverageEnsemble::new(vec![two]).unwrap();
    assert!(matches!(
        avg.predict_proba(&Matrix::zeros(1, 2)).map(|p| p.cols()),
        Ok(2)
    ));
}

fn accuracy(model: &dyn Classifier, test: &Dataset) -> f64 {
    consort_eval::model_accuracy(model, test.features(), test.labels()).unwrap()
}

#[test]
fn soft_vote_of_large_and_small_models_beats_the_best_small_model() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let small: Vec<Member> = vec![
        Member::new(
            "logistic",
            Arc::new(
                Standardized(LogisticRegressionConfig::default())
                    .fit(&train)
                    .unwrap(),
            ),
        ),
        Member::new(
            "tree",
            Arc::new(DecisionTreeConfig::default().fit(&train).unwrap()),
        ),
        Member::new(
            "gnb",
            Arc::new(GaussianNbConfig::default().fit(&train).unwrap()),
        ),
    ];
    let train_cfg = TrainConfig::new().with_epochs(20);
    let large: Vec<Member> = vec![
        Member::new(
            "mlp",
            Arc::new(
                Standardized(NetworkEstimator::new(
                    MlpSpec::new(vec![256, 256]),
                    train_cfg.clone(),
                ))
                .fit(&train)
                .unwrap(),
            ),
        ),
        Member::new(
            "cnn",
            Arc::new(
                Standardized(NetworkEstimator::new(CnnConfig::new(), train_cfg))
                    .fit(&train)
                    .unwrap(),
            ),
        ),
    ];
    let best_small = small
        .iter()
        .map(|m| accuracy(m.model.as_ref(), &test))
        .fold(0.0, f64::max);
    let all: Vec<Member> = small.into_iter().chain(large).collect();
    let soft = VotingEnsemble::new(all.clone(), Voting::Soft).unwrap();
    let hard = VotingEnsemble::new(all.clone(), Voting::Hard).unwrap();
    let avg = AverageEnsemble::new(all).unwrap();
    let (s, h, a) = (
        accuracy(&soft, &test),
        accuracy(&hard, &test),
        accuracy(&avg, &test),
    );
    eprintln!("best small {best_small:.4}, soft vote {s:.4}, hard vote {h:.4}, average {a:.4}");
    assert!(
        s >= best_small,
        "soft vote {s} < best small model {best_small}"
    );
    assert_eq!(s, a, "soft voting is the uniform average");
    assert!(h >= 0.9, "{h}");
}
