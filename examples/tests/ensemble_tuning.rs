//! Fused supervision on digits (the `ensemble_tuning` example's first table): one MLP trained
//! on the five members' fused soft outputs, with unlabelled shifted images, comes within half
//! a point of the ensemble's accuracy while predicting at the cost of one network.

use consort_examples::fused_supervision::fused_supervision_on_digits;

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
