//! Ensemble-based fine-tuning on digits: fused supervision (five members' weighted average
//! trains one CNN backbone, with unlabelled shifted images), then weight-space ensembles of
//! one MLP: model soups, stochastic weight averaging and a snapshot ensemble.
//!
//! `cargo run --release -p consort-examples --example ensemble_tuning`

use consort_examples::fused_supervision::fused_supervision_on_digits;
use consort_examples::{f4, print_table};

fn main() -> consort_core::Result<()> {
    consort_core::allocator::keep_freed_memory();
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
    Ok(())
}
