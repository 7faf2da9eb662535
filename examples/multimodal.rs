//! Multimodal fusion on real paired data: emoji (npm `emoji-datasource-google`, fetched by
//! `consort fetch emoji`) as a 16x16 image, a short text and a Unicode record each, 9
//! categories. Single modalities, late fusion (weighted average, stacking) of image and text
//! and of all three, early fusion of image and text (concatenated representations), gated
//! fusion; then the early-fusion network with one modality missing at test time, trained with
//! and without modality dropout. The text goes through frozen MiniLM, then through TF-IDF.
//!
//! `cargo run --release -p consort-examples --example multimodal`

use consort_examples::multimodal::{TextEncoder, multimodal_on_emoji};
use consort_examples::{f4, print_table};

fn main() -> consort_core::Result<()> {
    // Stage lines and progress bars on standard error (-q silences them).
    let _ = consort_examples::progress();
    consort_core::allocator::keep_freed_memory();
    for (encoder, text) in [
        (TextEncoder::MiniLm, "MiniLM embeddings + MLP"),
        (TextEncoder::Tfidf, "TF-IDF + MLP"),
    ] {
        let o = multimodal_on_emoji(0, encoder)?;
        let (train, valid, test, classes) = o.sizes;
        println!(
            "\nemoji, text through {text}: {train} training, {valid} validation, {test} test \
             items; {classes} categories\n"
        );
        let rows = vec![
            vec!["image only (CNN)".into(), f4(o.image_only)],
            vec![format!("text only ({text})"), f4(o.text_only)],
            vec![
                "Unicode record only (random forest)".into(),
                f4(o.tabular_only),
            ],
            vec![
                "image + text: late fusion (weighted average)".into(),
                f4(o.late),
            ],
            vec![
                "image + text: late fusion (stacking, 5-fold out-of-fold)".into(),
                f4(o.late_stacked),
            ],
            vec![
                "all three: late fusion (weighted average)".into(),
                f4(o.late_all),
            ],
            vec![
                "all three: late fusion (stacking, 5-fold out-of-fold)".into(),
                f4(o.late_all_stacked),
            ],
            vec![
                "image + text: early fusion (concatenation)".into(),
                f4(o.early),
            ],
            vec!["image + text: gated fusion".into(), f4(o.gated)],
            vec![
                "image + text: early fusion + modality dropout 0.3".into(),
                f4(o.early_dropout),
            ],
        ];
        print_table(&["model", "test accuracy"], &rows);
        println!();
        let rows = vec![
            vec![
                "early fusion".to_string(),
                f4(o.early),
                f4(o.early_missing.0),
                f4(o.early_missing.1),
            ],
            vec![
                "early fusion + modality dropout".into(),
                f4(o.early_dropout),
                f4(o.early_dropout_missing.0),
                f4(o.early_dropout_missing.1),
            ],
        ];
        print_table(&["network", "both", "image missing", "text missing"], &rows);
    }
    Ok(())
}
