//! Multimodal fusion on the emoji set (the `multimodal` example's table): the best fusion
//! beats the best single modality by at least 3 points, and with a modality removed at test
//! time the network trained with modality dropout loses less than the one trained without.

use consort_examples::multimodal::multimodal_on_emoji;

#[test]
fn fusion_beats_each_modality_and_modality_dropout_degrades_gracefully() {
    let o = multimodal_on_emoji(0).unwrap();
    eprintln!("{o:#?}");
    assert!(
        o.best_fusion() >= o.best_single() + 0.03,
        "best fusion {} vs best single modality {}",
        o.best_fusion(),
        o.best_single()
    );
    let loss = |full: f64, missing: (f64, f64)| (full - missing.0, full - missing.1);
    let (plain_image, plain_text) = loss(o.early, o.early_missing);
    let (drop_image, drop_text) = loss(o.early_dropout, o.early_dropout_missing);
    assert!(
        drop_image < plain_image,
        "image missing: {drop_image} vs {plain_image}"
    );
    assert!(
        drop_text < plain_text,
        "text missing: {drop_text} vs {plain_text}"
    );
}
