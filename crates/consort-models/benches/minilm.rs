//! MiniLM embedding throughput: one batch of 32 sentences of 128 word-piece tokens through the
//! encoder, mean pooling and normalisation (what `MiniLm::embed` does per batch).
//! `scripts/compare_minilm_torch.sh` runs it beside the same model in PyTorch.

use consort_core::{BackendKind, ObserverHandle};
use consort_models::nn::minilm_from_cache;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn embeddings(c: &mut Criterion) {
    consort_core::allocator::keep_freed_memory();
    let device = BackendKind::default_kind()
        .and_then(BackendKind::device)
        .expect("a backend");
    let model = minilm_from_cache(128, &device).expect("MiniLM (consort fetch minilm)");
    let text = "The film opens slowly, but the performances carry it; by the end I cared \
                about every character and the score stayed with me for days. ";
    let long = text.repeat(8);
    let texts: Vec<&str> = vec![long.as_str(); 32];
    let tokens = model.tokenizer().encode(&texts).expect("tokenizes");
    assert!(
        tokens.iter().all(|t| t.len() == 128),
        "every sentence fills 128 tokens"
    );
    let mut group = c.benchmark_group("minilm");
    group.sample_size(10);
    group.throughput(Throughput::Elements(32));
    group.bench_function("embed_32x128", |b| {
        b.iter(|| {
            model
                .embed_tokens(&tokens, 32, &ObserverHandle::none())
                .expect("embeds")
        })
    });
    group.finish();
}

criterion_group!(benches, embeddings);
criterion_main!(benches);
