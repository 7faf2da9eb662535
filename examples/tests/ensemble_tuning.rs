//! Ensemble-based fine-tuning on digits (the `ensemble_tuning` example's tables): one MLP
//! trained on five members' fused soft outputs, with unlabelled shifted images, comes within
//! half a point of the ensemble's accuracy while predicting at the cost of one network; the
//! greedy soup matches the ingredient validation picks and the uniform soup needs a shared
//! start; SWA and the snapshot ensemble each match the final-epoch model.

use consort_examples::fused_supervision::fused_supervision_on_digits;
use consort_examples::weight_averaging::{
    digits_splits, soups_on_digits, swa_and_snapshots_on_digits,
};

#[test]
fn a_backbone_on_fused_targets_reaches_the_ensemble_at_one_networks_cost() {
    let o = fused_supervision_on_digits(0).unwrap();
    eprintln!("{o:#?}");
    let best_member = o.members.iter().map(|l| l.accuracy).fold(0.0, f64::max);
    assert!(
        o.ensemble.accuracy >= best_member,
        "the ensemble is worth distilling"
    );
    assert!(
        o.backbone_fused.accuracy >= o.ensemble.accuracy - 0.005,
        "fused backbone {} vs ensemble {}",
        o.backbone_fused.accuracy,
        o.ensemble.accuracy
    );
    assert!(o.backbone_fused.accuracy > o.backbone_alone.accuracy);
    // One network's compute: the backbone's MACs are the MLP member's, a fraction of the
    // ensemble's.
    assert_eq!(o.backbone_fused.macs, o.backbone_alone.macs);
    assert!(o.backbone_fused.macs < o.ensemble.macs);
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
