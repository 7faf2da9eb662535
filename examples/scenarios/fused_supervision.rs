//! Fused supervision on digits, shared by the `ensemble_tuning` example and its test: five
//! members (CNN, MLP, logistic regression, random forest, kNN) trained on the labelled
//! training rows, fused by a weighted average fitted on validation rows; the MLP's architecture
//! as the backbone then learns the fused soft outputs on the labelled rows and on a transfer
//! set nobody labelled (shifted copies of the training images and mixup blends of them), to
//! predict at one small network's cost.

use std::sync::Arc;

use consort_core::{Classifier, Fit, Matrix, Result};
use consort_data::augment::{ImageShape, mixup_rows, shifted_copies};
use consort_data::{StandardScaler, embedded, train_validation_test_split};
use consort_ensemble::{AverageEnsemble, Member};
use consort_eval::model_accuracy;
use consort_models::{
    CnnConfig, KNeighborsConfig, LogisticRegressionConfig, MlpSpec, RandomForestConfig,
};
use consort_tune::{FusedSupervision, NetworkEstimator, TrainConfig};

/// One model's line in the table.
#[derive(Debug, Clone)]
pub struct Line {
    /// What it is.
    pub name: String,
    /// Accuracy on the test rows.
    pub accuracy: f64,
    /// Multiply-accumulates per prediction, where the model states them.
    pub macs: Option<u64>,
}

/// The outcome: members, the fused ensemble, the CNN trained on labels alone and the
/// backbone trained on the fused targets.
#[derive(Debug, Clone)]
pub struct FusedOutcome {
    /// Each member alone.
    pub members: Vec<Line>,
    /// The weighted average of the members.
    pub ensemble: Line,
    /// The backbone architecture trained on the labels only (the MLP member).
    pub backbone_alone: Line,
    /// The backbone trained on the fused soft targets.
    pub backbone_fused: Line,
    /// Labelled and unlabelled training rows.
    pub rows: (usize, usize),
}

fn cnn() -> CnnConfig {
    CnnConfig::new().with_dropout(0.25)
}

/// The backbone: the MLP member's architecture.
fn mlp() -> MlpSpec {
    MlpSpec::new(vec![256, 256])
}

/// Runs the scenario with the given seed for splits and training: 3 mixup blends per
/// training row join the shifted copies in the transfer set, and the backbone trains 60
/// epochs. Chosen on seeds 0-4 and checked on seeds 5-9 (gap to the ensemble in points):
/// without blends, 40 epochs, 0.67 0.67 0.67 0.44 0.44 | 0.67 1.11 -0.22 0.22 0.22 (mean
/// 0.49); with them, 60 epochs, 0.44 0.44 -0.44 0.44 0.00 | 0.67 0.44 0.00 -0.22 0.44 (mean
/// 0.22). Blends alone at 40 epochs: mean 0.40 on seeds 0-4; 60 epochs alone: 0.36 on 5-9.
pub fn fused_supervision_on_digits(seed: u64) -> Result<FusedOutcome> {
    fused_supervision_with(seed, 3, 60)
}

/// The scenario with `mixup_per_row` blends of training rows per row added to the unlabelled
/// transfer set and `epochs` of backbone training.
pub fn fused_supervision_with(
    seed: u64,
    mixup_per_row: usize,
    epochs: usize,
) -> Result<FusedOutcome> {
    let splits = train_validation_test_split(&embedded::digits(), 0.15, 0.25, seed)?;
    // Unlabelled rows: every training image shifted by up to one pixel (8 new views each),
    // made before standardising so the background stays 0.
    let shifted = shifted_copies(&splits.train, ImageShape::grey(8, 8), 1, 0.0)?;
    let scaler = StandardScaler::fit(splits.train.features())?;
    let train = scaler.transform_dataset(&splits.train)?;
    let valid = scaler.transform_dataset(&splits.validation)?;
    let test = scaler.transform_dataset(&splits.test)?;
    let mut unlabelled = scaler.transform(shifted.features())?;
    // Blends between training images: inputs off the data, where a student left alone
    // extrapolates its own way and the ensemble's answer says most about its function.
    if mixup_per_row > 0 {
        let blends = mixup_rows(train.features(), mixup_per_row, seed)?;
        unlabelled = Matrix::vstack(&[&unlabelled, &blends])?;
    }
    let net_config = |epochs| TrainConfig::new().with_epochs(epochs).with_seed(seed);
    let line = |name: &str, model: &dyn Classifier| -> Result<Line> {
        Ok(Line {
            name: name.to_string(),
            accuracy: model_accuracy(model, test.features(), test.labels())?,
            macs: model.macs_per_sample(),
        })
    };

    let mlp_alone = Arc::new(NetworkEstimator::new(mlp(), net_config(30)).fit(&train)?);
    let members: Vec<(&str, Arc<dyn Classifier>)> = vec![
        (
            "CNN",
            Arc::new(NetworkEstimator::new(cnn(), net_config(30)).fit(&train)?),
        ),
        ("MLP 64-256-256", mlp_alone.clone()),
        (
            "logistic regression",
            Arc::new(LogisticRegressionConfig::default().fit(&train)?),
        ),
        (
            "random forest",
            Arc::new(
                RandomForestConfig {
                    seed,
                    ..Default::default()
                }
                .fit(&train)?,
            ),
        ),
        (
            "kNN (k = 3)",
            Arc::new(
                KNeighborsConfig {
                    k: 3,
                    ..Default::default()
                }
                .fit(&train)?,
            ),
        ),
    ];
    let member_lines = members
        .iter()
        .map(|(name, m)| line(name, &**m))
        .collect::<Result<Vec<_>>>()?;
    let fused: Arc<dyn Classifier> = Arc::new(AverageEnsemble::fit_weights(
        members
            .iter()
            .map(|(name, m)| Member::new(*name, m.clone()))
            .collect(),
        &valid,
    )?);
    let mut ensemble = line("weighted average of the 5", &*fused)?;
    // The ensemble runs every member: its cost is theirs summed (where all state one).
    ensemble.macs = member_lines.iter().map(|l| l.macs).sum();
    // The fused distribution itself is the target (temperature 1, no hard-label term): on
    // seeds 0-4 this matched or beat T = 4 with alpha = 0.1 on every seed.
    let (backbone, _) = FusedSupervision::default().train(
        &NetworkEstimator::new(mlp(), net_config(epochs)),
        fused,
        &train,
        Some(&unlabelled),
    )?;
    Ok(FusedOutcome {
        members: member_lines,
        ensemble,
        backbone_alone: line("MLP 64-256-256, labels only", &*mlp_alone)?,
        backbone_fused: line("MLP 64-256-256, fused supervision", &backbone)?,
        rows: (train.len(), unlabelled.rows()),
    })
}
