//! Ensemble-based fine-tuning on digits (the `ensemble_tuning` example's tables): one MLP
//! trained on five members' fused soft outputs, with unlabelled shifted images and mixup
//! blends, beats the same MLP on labels alone and comes within half a point of the ensemble
//! while predicting at the cost of one network; the greedy soup matches the ingredient
//! validation picks and the uniform soup needs a shared start; SWA and the snapshot ensemble
//! each match the final-epoch model. (The IMDB sentiment case is `tests/fused_sentiment.rs`.)

use std::sync::OnceLock;

use consort_examples::fused_supervision::{FusedOutcome, fused_supervision_on_digits};
use consort_examples::weight_averaging::{
    digits_splits, soups_on_digits, swa_and_snapshots_on_digits,
};

/// The seed-0 scenario, run once for both of its tests.
fn fused_seed_0() -> &'static FusedOutcome {
    static OUTCOME: OnceLock<FusedOutcome> = OnceLock::new();
    OUTCOME.get_or_init(|| fused_supervision_on_digits(0).unwrap())
}

#[test]
fn a_backbone_on_fused_targets_beats_labels_alone_at_one_networks_cost() {
    let o = fused_seed_0();
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

/// Issue 18's bar: within half a point of the ensemble. Seed 0: 0.9845 against 0.9889 (0.44
/// points). Not on every seed: over seeds 0-9 the gap is within half a point on 9 of 10
/// (seed 5: 0.67), mean 0.22, against 5 of 10 and a mean of 0.49 with shifted copies alone
/// (figures in `fused_supervision_on_digits`'s docs).
#[test]
fn a_backbone_on_fused_targets_comes_within_half_a_point_of_the_ensemble() {
    let o = fused_seed_0();
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
