//! Objectives from the project: any classifier estimator scored by stratified k-fold
//! cross-validated accuracy, and a network trained epoch by epoch on every fold at once so
//! that its mean validation accuracy is reported after each epoch and a pruner can stop it.

use consort_core::{Classifier, ClassifierEstimator, FitWith, Result};
use consort_data::{Dataset, over_folds, stratified_kfold};
use consort_eval::{cross_validate, model_accuracy};
use consort_models::{NetworkClassifier, NetworkSpec};
use consort_tune::NetworkEstimator;
use consort_tune::continual::IncrementalNetwork;

use crate::trial::Trial;

/// Mean accuracy of `estimator` over `folds` stratified folds of `data`.
pub fn cv_accuracy(
    estimator: &dyn ClassifierEstimator<Dataset>,
    data: &Dataset,
    folds: usize,
    seed: u64,
) -> Result<f64> {
    Ok(cross_validate(estimator, data, folds, seed)?.mean)
}

/// Trains `network` (its architecture, settings, backend and hooks; its `epochs` is the most
/// epochs run) on each of `folds` stratified folds of `data`, one epoch at a time (weights and
/// optimiser state carry over, so this is the same training as one long fit); after each epoch
/// reports the mean held-out accuracy to `trial` and stops when the trial should be pruned.
/// Returns the last mean accuracy and the epochs run (per fold).
pub fn network_cv<S: NetworkSpec>(
    trial: &mut Trial<'_>,
    network: &NetworkEstimator<S>,
    data: &Dataset,
    folds: usize,
    seed: u64,
) -> Result<(f64, usize)>
where
    NetworkClassifier<S::Net>: Classifier,
{
    let train = &network.train;
    let splits = stratified_kfold(data.labels(), data.n_classes(), folds, seed)?;
    let mut one_epoch = network.clone();
    one_epoch.train = train.clone().with_epochs(1);
    let mut nets = splits
        .iter()
        .map(|_| IncrementalNetwork::new(one_epoch.clone(), data.n_features(), data.n_classes()))
        .collect::<Result<Vec<_>>>()?;
    let parts: Vec<(Dataset, Dataset)> =
        over_folds(data, &splits, |fit, held_out| Ok((fit, held_out)))?;
    let mut score = 0.0;
    for epoch in 1..=train.epochs {
        let mut sum = 0.0;
        for (net, (fit, held_out)) in nets.iter_mut().zip(&parts) {
            net.fit_with(fit)?;
            sum += model_accuracy(net, held_out.features(), held_out.labels())?;
        }
        score = sum / parts.len() as f64;
        trial.report(epoch, score)?;
        if trial.should_prune() {
            return Ok((score, epoch));
        }
    }
    Ok((score, train.epochs))
}
