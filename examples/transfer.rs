//! Transfer learning and LoRA: a CNN trained on digits 0-4 moves to digits 5-9 with 10
//! labelled images per class. Compares training from scratch, a frozen convolutional
//! backbone with a new head, full fine-tuning, discriminative learning rates, gradual
//! unfreezing, a linear probe and LoRA adapters (on the dense layer, and on the convolutions
//! with rank dropout); saves the adapter alone. The last row trains on all 5-9 training images:
//! the ceiling any 50-image method works under.
//!
//! `cargo run --release -p consort-examples --example transfer`

use burn::module::Module;
use consort_core::seed::seeded;
use consort_core::{Result, burn};
use consort_data::{
    Dataset, ImageShape, StandardScaler, embedded, shifted_copies, train_test_split,
};
use consort_eval::model_accuracy;
use consort_examples::{f4, print_table};
use consort_models::{
    Cnn, CnnConfig, HasHead, LogisticRegressionConfig, NetworkClassifier, NetworkSpec,
};
use consort_tune::{
    DiscriminativeLr, GradualUnfreezing, HookFactory, LinearProbe, LoraConfig, LoraModel,
    NetworkEstimator, TrainConfig, count_parameters, freeze_backbone, freeze_paths,
};

struct Run<'a> {
    target: &'a Dataset,
    test: &'a Dataset,
}

impl Run<'_> {
    /// Fine-tunes `model` (pretrained, frozen in parts, or carrying adapters) on the 50
    /// target images with an optional strategy; returns it with its 5-9 test accuracy.
    fn tune(&self, model: Cnn, lr: f64, hook: Option<HookFactory<Cnn>>) -> Result<(Cnn, f64)> {
        let cfg = TrainConfig::new().with_epochs(100).with_learning_rate(lr);
        let mut estimator = NetworkEstimator::new(CnnConfig::new(), cfg).with_start(model);
        if let Some(h) = hook {
            estimator = estimator.with_hook_factory(h);
        }
        let (classifier, outcome) = estimator.fit_with_history(self.target)?;
        let acc = model_accuracy(&classifier, self.test.features(), self.test.labels())?;
        Ok((outcome.model, acc))
    }
}

fn main() -> Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    let (train, test) = train_test_split(&embedded::digits(), 0.25, 0)?;
    let scaler = StandardScaler::fit(train.features())?;
    // Pretraining sees every 0-4 image shifted by up to one pixel (raw pixels, blank border,
    // then standardised): translation-tolerant conv features are what carries over.
    let source = shifted_copies(
        &train.with_classes(0..5, None, 0)?,
        ImageShape::grey(8, 8),
        1,
        0.0,
    )?;
    let (source, target, target_test, all_target) = (
        scaler.transform_dataset(&source)?,
        scaler.transform_dataset(&train.with_classes(5..10, Some(10), 0)?)?,
        scaler.transform_dataset(&test.with_classes(5..10, None, 0)?)?,
        scaler.transform_dataset(&train.with_classes(5..10, None, 0)?)?,
    );
    let device = consort_examples::backend()?.device()?.autodiff();
    // One network for every row.
    let config = CnnConfig::new();
    let pretrained = NetworkEstimator::new(config.clone(), TrainConfig::new().with_epochs(15))
        .fit_with_history(&source)?
        .1
        .model;
    let run = Run {
        target: &target,
        test: &target_test,
    };
    let new_head = || seeded(&device, 2, || pretrained.clone().with_new_head(5, &device));
    let share = |m: &Cnn| format!("{:.1}%", count_parameters(m).trainable_share() * 100.0);

    let mut rows = Vec::new();
    let scratch = seeded(&device, 2, || config.build(64, 5, &device))?;
    rows.push(vec![
        "from scratch".into(),
        share(&scratch),
        f4(run.tune(scratch, 2e-3, None)?.1),
    ]);
    let frozen = freeze_paths(new_head(), &["conv"]);
    rows.push(vec![
        "frozen conv backbone, new head".into(),
        share(&frozen),
        f4(run.tune(frozen, 2e-3, None)?.1),
    ]);
    let head_only = freeze_backbone(new_head());
    rows.push(vec![
        "frozen all but the head".into(),
        share(&head_only),
        f4(run.tune(head_only, 2e-3, None)?.1),
    ]);
    rows.push(vec![
        "full fine-tuning".into(),
        share(&new_head()),
        f4(run.tune(new_head(), 2e-3, None)?.1),
    ]);
    let discriminative = DiscriminativeLr::new(vec![(vec!["conv".into(), "dense".into()], 0.1)])?;
    let discriminative = HookFactory::cloned(discriminative);
    rows.push(vec![
        "discriminative LR (backbone x0.1)".into(),
        share(&new_head()),
        f4(run.tune(new_head(), 2e-3, Some(discriminative))?.1),
    ]);
    let gradual = GradualUnfreezing::new(
        vec![
            vec!["dense".into()],
            vec!["conv2".into()],
            vec!["conv1".into()],
        ],
        20,
    )?;
    let gradual = HookFactory::cloned(gradual);
    rows.push(vec![
        "gradual unfreezing (every 20 epochs)".into(),
        "grows".into(),
        f4(run
            .tune(freeze_backbone(new_head()), 2e-3, Some(gradual))?
            .1),
    ]);
    let probe = LinearProbe::fit(
        NetworkClassifier::new(pretrained.clone(), device.clone().without_autodiff(), 64, 5),
        &LogisticRegressionConfig::default(),
        &target,
    )?;
    rows.push(vec![
        "linear probe (logistic regression)".into(),
        "-".into(),
        f4(model_accuracy(
            &probe,
            target_test.features(),
            target_test.labels(),
        )?),
    ]);
    let mut lora = LoraModel::new(
        new_head(),
        LoraConfig::new(8, &["dense.weight"]).with_trainable(&["head"]),
        &device,
    )?;
    let lora_share = share(lora.model());
    // Adapters start from a zero update and take a higher rate than full fine-tuning.
    let (trained, lora_acc) = run.tune(lora.model().clone(), 5e-3, None)?;
    lora.set_model(trained);
    rows.push(vec![
        "LoRA r=8 on dense + new head".into(),
        lora_share,
        f4(lora_acc),
    ]);
    let conv_lora = LoraModel::new(
        new_head(),
        LoraConfig::new(8, &["conv1.weight", "conv2.weight", "dense.weight"])
            .with_trainable(&["head"])
            .with_rank_dropout(0.25),
        &device,
    )?;
    rows.push(vec![
        "LoRA r=8 on conv1, conv2, dense + new head, rank dropout 0.25".into(),
        share(conv_lora.model()),
        f4(run.tune(conv_lora.model().clone(), 5e-3, None)?.1),
    ]);
    let ceiling = NetworkEstimator::new(config.clone(), TrainConfig::new().with_epochs(40))
        .fit_with_history(&all_target)?
        .0;
    rows.push(vec![
        format!(
            "ceiling: from scratch on all {} 5-9 images",
            all_target.len()
        ),
        "100.0%".into(),
        f4(model_accuracy(
            &ceiling,
            target_test.features(),
            target_test.labels(),
        )?),
    ]);
    print_table(&["strategy", "trainable", "5-9 test accuracy"], &rows);

    let dir = std::env::temp_dir().join("consort-transfer-example");
    let adapter = lora.save_adapter(&dir)?;
    let full = dir.join("full.bpk");
    lora.merged()
        .save_file(&full)
        .map_err(|e| consort_core::ConsortError::Serialization(format!("{e:?}")))?;
    println!(
        "\nadapter saved to {} ({} bytes; the merged model is {} bytes)",
        adapter.display(),
        std::fs::metadata(&adapter)
            .map_err(|e| consort_core::ConsortError::io(&adapter, e))?
            .len(),
        std::fs::metadata(&full)
            .map_err(|e| consort_core::ConsortError::io(&full, e))?
            .len()
    );
    Ok(())
}
