//! all-MiniLM-L6-v2 against the reference Python implementation: the same token ids and the
//! same sentence embeddings (within 1e-4) for the sentences of
//! `tests/data/minilm_reference.json` (plain, accented, CJK, emoji, empty, truncated).
//! The weights come from the cache, fetched on first use (`consort fetch minilm`).
#![cfg(feature = "minilm")]

use consort_core::{BackendKind, ObserverHandle};
use consort_models::nn::{BertConfig, MiniLm, minilm_from_cache};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    truncation: usize,
    sentences: Vec<Sentence>,
}

#[derive(Deserialize)]
struct Sentence {
    text: String,
    ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn reference() -> Reference {
    let text = include_str!("data/minilm_reference.json");
    serde_json::from_str(text).expect("the reference file parses")
}

fn model(max_len: usize) -> MiniLm {
    let device = BackendKind::Flex.device().unwrap();
    minilm_from_cache(max_len, &device).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn token_ids_and_embeddings_match_the_reference_implementation() {
    let reference = reference();
    let model = model(reference.truncation);
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let ids = model.tokenizer().encode(&texts).unwrap();
    for (s, got) in reference.sentences.iter().zip(&ids) {
        assert_eq!(got, &s.ids, "token ids of {:?}", s.text);
    }
    assert!(
        ids.iter().any(|s| s.len() == reference.truncation),
        "one text is truncated"
    );
    // Batched (with padding inside a batch) and one at a time give the same embeddings.
    for batch in [32, 1] {
        let emb = model.embed(&texts, batch, &ObserverHandle::none()).unwrap();
        assert_eq!(emb.shape(), (texts.len(), 384));
        for (i, s) in reference.sentences.iter().enumerate() {
            let gap = emb
                .row(i)
                .iter()
                .zip(&s.embedding)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                gap <= 1e-4,
                "batch {batch}, {:?}: max abs difference {gap}",
                s.text
            );
        }
    }
}

#[test]
fn weights_that_do_not_fit_the_config_are_typed_errors() {
    let dir = consort_data::fetch::fetch(consort_data::fetch::Asset::MiniLm).unwrap();
    let device = BackendKind::Flex.device().unwrap();
    let weights = dir.join("model.safetensors");
    // A wider encoder than the file holds: shapes do not match.
    let wide = BertConfig::new()
        .with_hidden_size(512)
        .with_num_attention_heads(8);
    let err = consort_models::nn::Bert::from_safetensors(&wide, &weights, &device).unwrap_err();
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    // A deeper one: layers 6 and 7 are missing from the file.
    let deep = BertConfig::new().with_num_hidden_layers(8);
    let err = consort_models::nn::Bert::from_safetensors(&deep, &weights, &device).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    // No file.
    let err = consort_models::nn::Bert::from_safetensors(
        &BertConfig::new(),
        &dir.join("absent.safetensors"),
        &device,
    )
    .unwrap_err();
    assert!(err.to_string().contains("absent.safetensors"), "{err}");
}
