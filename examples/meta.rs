//! Meta-learning: first-order MAML and Reptile against the pretrained-on-all-tasks baseline
//! on sinusoid regression (K = 10; MSE after 0, 1, 5 and 10 SGD steps on 100 held-out tasks,
//! 95% intervals), and prototypical networks on digit classes and on glyph classes
//! (`consort fetch glyphs`) never seen in meta-training against nearest centroid and
//! fine-tuning. `--out DIR` writes the adaptation curve (SVG).
//!
//! `cargo run --release -p consort-examples --example meta [-- --out DIR]`

use consort_core::{Fit, Matrix, ObserverHandle};
use consort_data::fetch::{Asset, GLYPH_SIDE, fetch_with, read_glyphs_csv};
use consort_data::{Dataset, embedded};
use consort_eval::LineChart;
use consort_meta::maml::{MetaAlgorithm, MetaConfig, adaptation_curve, meta_train_sinusoid};
use consort_meta::protonet::{ProtoConfig, ProtoNet, fine_tune, nearest_centroid, over_episodes};
use consort_meta::tasks::{FewShotSampler, MetaSplit};
use consort_models::{CnnConfig, HasHead, MlpSpec, NetworkSpec};
use consort_tune::{NetworkEstimator, TrainConfig};

fn main() -> consort_core::Result<()> {
    consort_core::allocator::keep_freed_memory();
    let progress = consort_examples::progress();
    let out = consort_examples::out_dir();
    let config = MetaConfig {
        iterations: 10_000,
        meta_batch: 25,
        ..MetaConfig::default()
    };
    let reptile = MetaConfig {
        inner_steps: 5,
        inner_lr: 0.02,
        ..config.clone()
    };
    println!(
        "## Sinusoid regression, K = 10 (MSE on 100 held-out tasks after n SGD steps of 0.01)\n"
    );
    println!("| method | 0 steps | 1 step | 5 steps | 10 steps |");
    println!("|---|---:|---:|---:|---:|");
    let steps = [0, 1, 2, 3, 5, 7, 10];
    let mut chart = LineChart::new(
        "Sinusoids: adaptation on held-out tasks",
        "SGD steps",
        "MSE",
    );
    for (name, algorithm, c) in [
        (
            "pretrained on all tasks",
            MetaAlgorithm::Pretrained,
            &config,
        ),
        ("first-order MAML", MetaAlgorithm::FirstOrderMaml, &config),
        (
            "Reptile (5 inner steps of 0.02)",
            MetaAlgorithm::Reptile,
            &reptile,
        ),
    ] {
        log::info!("{name} ...");
        let run = meta_train_sinusoid(algorithm, c, &progress)?;
        let curve = adaptation_curve(&run, &config, 100, &steps, 99)?;
        let at = |s: usize| {
            curve
                .iter()
                .find(|(k, _)| *k == s)
                .map(|(_, m)| m.to_string())
                .unwrap_or_default()
        };
        println!(
            "| {name} | {} | {} | {} | {} |",
            at(0),
            at(1),
            at(5),
            at(10)
        );
        chart = chart.with_series(
            name,
            curve.iter().map(|(s, m)| (*s as f64, m.mean)).collect(),
        );
    }

    let digits = embedded::digits();
    let x = digits.features();
    let scaled = Matrix::new(
        x.rows(),
        x.cols(),
        x.as_slice().iter().map(|v| v / 16.0).collect(),
    )?;
    let data = Dataset::new(scaled, digits.labels().to_vec(), 10)?;
    let mlp = MlpSpec::new(vec![128]);
    few_shot_table(
        "Digits",
        &data,
        5,
        (&mlp, "MLP 64-128-64"),
        (&MlpSpec::new(vec![128, 64]), "MLP", 30),
        600,
    )?;
    let glyphs = read_glyphs_csv(&fetch_with(Asset::Glyphs, &progress)?.join("glyphs.csv"))?;
    let cnn = CnnConfig::new()
        .with_height(GLYPH_SIDE)
        .with_width(GLYPH_SIDE);
    few_shot_table(
        "Glyphs (138 characters x 67 fonts)",
        &glyphs,
        38,
        (&cnn, "CNN"),
        (&cnn, "CNN", 10),
        300,
    )?;
    few_shot_table(
        "Glyphs, MLP embedding and MLP baseline",
        &glyphs,
        38,
        (&MlpSpec::new(vec![256]), "MLP 784-256-64"),
        (&MlpSpec::new(vec![256, 64]), "MLP", 30),
        300,
    )?;
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir).map_err(|e| consort_core::ConsortError::io(&dir, e))?;
        let path = dir.join("sinusoid-adaptation.svg");
        chart.write_svg(&path)?;
        println!("\nfigure: {}", path.display());
    }
    Ok(())
}

/// 5-way 5-shot on `n_test` classes never seen in meta-training: a prototypical network with
/// the `embedding`, nearest centroid on the raw pixels, and the `baseline` network pretrained
/// for its epochs on the meta-train classes then fine-tuned on each episode's 25 examples.
fn few_shot_table<E: NetworkSpec, B: NetworkSpec>(
    title: &str,
    data: &Dataset,
    n_test: usize,
    (embedding, embedding_name): (&E, &str),
    (baseline, baseline_name, epochs): (&B, &str, usize),
    episodes: usize,
) -> consort_core::Result<()>
where
    B::Net: HasHead,
{
    let sampler = FewShotSampler::new(data, (0, n_test), (5, 5, 15), 0)?;
    let proto = ProtoNet::train(
        &sampler,
        embedding,
        data.n_features(),
        &ProtoConfig::default(),
        &ObserverHandle::none(),
    )?;
    let pretrained = NetworkEstimator::new(
        baseline.clone(),
        TrainConfig::new().with_epochs(epochs).with_seed(0),
    )
    .fit(&sampler.rows_of(MetaSplit::Train)?)?
    .model();
    println!(
        "\n## {title}, 5-way 5-shot on {n_test} classes never seen in meta-training ({} \
         meta-train classes, {episodes} episodes)\n",
        sampler.classes(MetaSplit::Train).len()
    );
    println!("| method | accuracy |\n|---|---:|");
    let test = |f: &dyn Fn(&consort_meta::tasks::Episode) -> consort_core::Result<f64>| {
        over_episodes(&sampler, MetaSplit::Test, episodes, 7, f)
    };
    println!(
        "| prototypical network ({embedding_name}) | {} |",
        test(&|e| proto.episode_accuracy(e))?
    );
    println!(
        "| nearest centroid, raw pixels | {} |",
        test(&nearest_centroid)?
    );
    println!(
        "| pretrained {baseline_name}, new head, 50 Adam steps on the 25 examples | {} |",
        test(&|e| fine_tune(&pretrained, e, 50, 1e-3, 0))?
    );
    Ok(())
}
