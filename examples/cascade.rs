//! Ensembles on digits: members, fitted-weight average, stacking and the small-then-large
//! cascade, with the compute the cascade saves.
//!
//! `cargo run --release -p consort-examples --example cascade`

use std::sync::Arc;

use consort_core::{Classifier, Fit};
use consort_data::{embedded, train_test_split};
use consort_ensemble::{
    AverageEnsemble, CalibrationTarget, Cascade, Confidence, Member, StackingClassifier,
};
use consort_eval::model_accuracy;
use consort_examples::{f4, print_table};
use consort_models::{
    CnnConfig, DecisionTreeConfig, GaussianNbConfig, LogisticRegressionConfig, Standardized,
};
use consort_tune::{NetworkEstimator, TrainConfig};

fn main() -> consort_core::Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
    // Members fit on 80% of the training split; weights, meta-learner and thresholds learn on
    // the other 20%, which the members never saw.
    let (fit, valid) = train_test_split(&train, 0.2, 1)?;
    let members = vec![
        Member::new(
            "logistic",
            Arc::new(Standardized(LogisticRegressionConfig::default()).fit(&fit)?),
        ),
        Member::new("tree", Arc::new(DecisionTreeConfig::default().fit(&fit)?)),
        Member::new(
            "gaussian nb",
            Arc::new(GaussianNbConfig::default().fit(&fit)?),
        ),
        Member::new(
            "cnn",
            Arc::new(
                Standardized(NetworkEstimator::new(
                    CnnConfig::new(),
                    TrainConfig::new().with_epochs(20),
                ))
                .fit(&fit)?,
            ),
        ),
    ];
    let acc = |m: &dyn Classifier| model_accuracy(m, test.features(), test.labels());
    let mut rows = Vec::new();
    for m in &members {
        rows.push(vec![m.name.clone(), f4(acc(m.model.as_ref())?)]);
    }
    let weighted = AverageEnsemble::fit_weights(members.clone(), &valid)?;
    rows.push(vec!["weighted average".into(), f4(acc(&weighted)?)]);
    let stacked = StackingClassifier::fit_prefit(
        members.clone(),
        &LogisticRegressionConfig::default(),
        false,
        &valid,
    )?;
    rows.push(vec!["stacking (prefit)".into(), f4(acc(&stacked)?)]);
    let cascade = Cascade::calibrate(
        vec![members[0].clone(), members[3].clone()],
        Confidence::MaxProbability,
        CalibrationTarget::AccuracyWithin(0.005),
        &valid,
    )?;
    let report = cascade.report(&test)?;
    rows.push(vec!["cascade logistic -> cnn".into(), f4(report.accuracy)]);
    print_table(&["model", "test accuracy"], &rows);
    println!(
        "\nweights: {:?}\ncascade threshold {:.3}: {:.1}% of the test samples reach the CNN; \
         predict time {:.2} ms vs {:.2} ms for the CNN alone; {:.0}% of the multiply-accumulates \
         saved",
        weighted.weights(),
        cascade.thresholds()[0],
        report.escalated_to_last * 100.0,
        report.seconds * 1e3,
        report.last_member_seconds * 1e3,
        report.macs_saved().unwrap_or(0.0) * 100.0
    );
    Ok(())
}
