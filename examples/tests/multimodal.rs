//! Multimodal fusion on the emoji set (the `multimodal` example's tables). With the text as
//! TF-IDF, the best fusion beats the best single modality by at least 3 points; with the text
//! through frozen MiniLM the text alone is much stronger and fusion still beats it, by less
//! (the figures are in the README). Either way, with a modality removed at test time the
//! network trained with modality dropout loses less than the one trained without.

use consort_examples::multimodal::{MultimodalOutcome, TextEncoder, multimodal_on_emoji};

fn degrades_gracefully(o: &MultimodalOutcome) {
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

#[test]
fn with_tfidf_text_fusion_beats_each_modality_by_three_points() {
    let o = multimodal_on_emoji(0, TextEncoder::Tfidf).unwrap();
    eprintln!("{o:#?}");
    assert!(
        o.best_fusion() >= o.best_single() + 0.03,
        "best fusion {} vs best single modality {}",
        o.best_fusion(),
        o.best_single()
    );
    degrades_gracefully(&o);
}

#[test]
fn with_minilm_text_fusion_still_helps_and_degrades_gracefully() {
    let o = multimodal_on_emoji(0, TextEncoder::MiniLm).unwrap();
    eprintln!("{o:#?}");
    assert!(
        o.text_only > o.image_only + 0.1,
        "MiniLM text is the strong modality"
    );
    assert!(
        o.best_fusion() > o.best_single(),
        "best fusion {} vs best single modality {}",
        o.best_fusion(),
        o.best_single()
    );
    degrades_gracefully(&o);
}
