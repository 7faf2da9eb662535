//! Pruning a real tuning run: the MLP's learning rate, width and weight decay on digits,
//! scored by 3-fold cross-validated accuracy after each of up to 20 epochs. The same 24
//! configurations (random sampler, same seed) run unpruned and under successive halving:
//! the pruned study uses at most half the epochs and finds a configuration within 0.5
//! points of the unpruned study's best.

use consort_core::Direction;
use consort_data::{StandardScaler, embedded, train_test_split};
use consort_hpo::objective::network_cv;
use consort_hpo::{RandomSampler, Study, SuccessiveHalving, TrialState};
use consort_models::MlpSpec;
use consort_tune::{NetworkEstimator, TrainConfig};

#[test]
fn successive_halving_halves_the_epochs_of_an_mlp_study() {
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0).unwrap();
    let (train, _) = StandardScaler::standardize_split(&train, &test).unwrap();
    let run = |pruned: bool| {
        let mut epochs = 0;
        let mut study = Study::new(Direction::Higher)
            .with_sampler(RandomSampler)
            .with_seed(1);
        if pruned {
            study = study.with_pruner(SuccessiveHalving::default());
        }
        study
            .optimize(24, |t| {
                let lr = t.suggest_float_log("learning_rate", 1e-4, 1e-1)?;
                let width = t.suggest_int("width", 32, 256, 32)? as usize;
                let decay = t.suggest_float_log("weight_decay", 1e-6, 1e-2)?;
                let config = TrainConfig::new()
                    .with_epochs(20)
                    .with_learning_rate(lr)
                    .with_weight_decay(decay as f32)
                    .with_seed(0);
                let network = NetworkEstimator::new(MlpSpec::new(vec![width]), config);
                let (score, ran) = network_cv(t, &network, &train, 3, 0)?;
                epochs += ran;
                Ok(score)
            })
            .unwrap();
        let n_pruned = study
            .trials()
            .iter()
            .filter(|t| t.state == TrialState::Pruned)
            .count();
        (epochs, study.best_trial().unwrap().value.unwrap(), n_pruned)
    };
    let (full_epochs, full_best, _) = run(false);
    let (epochs, best, n_pruned) = run(true);
    eprintln!(
        "unpruned: {full_epochs} epochs, best CV accuracy {full_best:.4}; successive halving: \
         {epochs} epochs ({:.0}%), {n_pruned} of 24 pruned, best {best:.4}",
        100.0 * epochs as f64 / full_epochs as f64
    );
    assert!(epochs as f64 <= 0.5 * full_epochs as f64);
    assert!(full_best - best <= 0.005, "{best} vs {full_best}");
}
