//! Ensemble-based fine-tuning on digits: fused supervision (five members' weighted average
//! trains one CNN backbone, with unlabelled shifted images), then weight-space ensembles of
//! one MLP: model soups, stochastic weight averaging and a snapshot ensemble. Then fused
//! supervision on IMDB sentiment: the stacked MiniLM + TF-IDF ensemble labels 6,000 reviews
//! nobody labelled and an MLP on TF-IDF alone learns it (MiniLM embeds 12,000 reviews: about
//! 5 minutes on 2 cores; the weights and reviews come from `consort fetch minilm imdb`).
//!
//! `cargo run --release -p consort-examples --example ensemble_tuning`

use consort_examples::fused_sentiment::{SentimentSizes, SentimentViews};
use consort_examples::fused_supervision::fused_supervision_on_digits;
use consort_examples::weight_averaging::{
    digits_splits, soups_on_digits, swa_and_snapshots_on_digits,
};
use consort_examples::{f4, print_table};

fn main() -> consort_core::Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    log::info!("[1/3] fused supervision on digits");
    let outcome = fused_supervision_on_digits(0)?;
    println!(
        "fused supervision: {} labelled training rows, {} unlabelled (shifted copies)\n",
        outcome.rows.0, outcome.rows.1
    );
    let macs = |m: Option<u64>| m.map_or("-".to_string(), |m| m.to_string());
    let mut rows: Vec<Vec<String>> = outcome
        .members
        .iter()
        .map(|l| vec![format!("member: {}", l.name), f4(l.accuracy), macs(l.macs)])
        .collect();
    for l in [
        &outcome.ensemble,
        &outcome.backbone_alone,
        &outcome.backbone_fused,
    ] {
        rows.push(vec![l.name.clone(), f4(l.accuracy), macs(l.macs)]);
    }
    print_table(&["model", "test accuracy", "MACs per prediction"], &rows);

    let d = digits_splits()?;
    log::info!("[2/3] model soups");
    let soups = soups_on_digits(&d)?;
    println!(
        "\nmodel soups: MLP 64-128-10 pretrained on a third of the {} training rows, fine-tuned on all of them six ways; \
         greedy soup chosen on {} validation rows, {} test rows\n",
        d.train.len(),
        d.valid.len(),
        d.test.len()
    );
    let mut rows: Vec<Vec<String>> = soups
        .ingredients
        .iter()
        .enumerate()
        .map(|(i, (lr, wd, acc))| {
            let mut name = format!("ingredient {}: lr {lr}, weight decay {wd}", i + 1);
            if i == soups.best_on_validation {
                name.push_str(" (best on validation)");
            }
            vec![name, f4(*acc)]
        })
        .collect();
    let kept: Vec<String> = soups.kept.iter().map(|k| (k + 1).to_string()).collect();
    rows.push(vec![
        format!("greedy soup (ingredients {})", kept.join(", ")),
        f4(soups.greedy),
    ]);
    rows.push(vec!["uniform soup of the six".into(), f4(soups.uniform)]);
    for (i, acc) in soups.independent.iter().enumerate() {
        rows.push(vec![format!("independent start {}", i + 1), f4(*acc)]);
    }
    rows.push(vec![
        "uniform soup of the independent three".into(),
        f4(soups.independent_uniform),
    ]);
    print_table(&["network", "test accuracy"], &rows);

    log::info!("[3/3] stochastic weight averaging and snapshot ensembles");
    let avg = swa_and_snapshots_on_digits(&d)?;
    println!("\nSWA and snapshots: MLP with dropout 0.2, SGD momentum 0.9, 40 epochs\n");
    let mut rows = vec![
        vec!["plain run, final epoch".to_string(), f4(avg.plain)],
        vec!["SWA run, final epoch".into(), f4(avg.swa_final_epoch)],
        vec![
            format!("SWA average of {} epochs", avg.swa_epochs),
            f4(avg.swa),
        ],
    ];
    for (i, acc) in avg.snapshots.iter().enumerate() {
        rows.push(vec![
            format!("snapshot {} (epoch {})", i + 1, 10 * (i + 1)),
            f4(*acc),
        ]);
    }
    rows.push(vec!["snapshot ensemble".into(), f4(avg.snapshot_ensemble)]);
    print_table(&["network", "test accuracy"], &rows);

    let views = SentimentViews::prepare(SentimentSizes::example(), 0)?;
    let mut rows = Vec::new();
    let mut last = None;
    // The backbone's length of training is not tuned on the test rows: every setting shows.
    for epochs in [5, 10, 20, 40] {
        let o = views.backbones(0, epochs)?;
        rows.push(vec![
            format!("MLP on TF-IDF, {epochs} epochs"),
            f4(o.lines.backbone_alone.accuracy),
            f4(o.lines.backbone_fused.accuracy),
            format!(
                "{:+.2}",
                (o.lines.backbone_fused.accuracy - o.lines.ensemble.accuracy) * 100.0
            ),
        ]);
        last = Some(o);
    }
    let o = last.expect("four settings ran");
    println!(
        "\nfused supervision on IMDB sentiment: {} labelled reviews, {} unlabelled, {} test\n",
        o.lines.rows.0,
        o.lines.rows.1,
        views.test_len()
    );
    let mut members: Vec<Vec<String>> = o
        .lines
        .members
        .iter()
        .map(|l| vec![format!("member: {}", l.name), f4(l.accuracy)])
        .collect();
    members.push(vec![
        o.lines.ensemble.name.clone(),
        f4(o.lines.ensemble.accuracy),
    ]);
    print_table(&["model", "test accuracy"], &members);
    println!();
    print_table(
        &[
            "backbone",
            "labels only",
            "fused supervision",
            "fused - ensemble (points)",
        ],
        &rows,
    );
    println!(
        "\nper review: the ensemble needs MiniLM's encoder ({:.1} ms) and its members ({:.3} ms); \
         the backbone reads {} TF-IDF columns ({:.3} ms), {:.0}x faster",
        o.encoder_seconds_per_review * 1e3,
        o.ensemble_seconds_per_review * 1e3,
        o.backbone_inputs,
        o.backbone_seconds_per_review * 1e3,
        (o.encoder_seconds_per_review + o.ensemble_seconds_per_review)
            / o.backbone_seconds_per_review
    );
    Ok(())
}
