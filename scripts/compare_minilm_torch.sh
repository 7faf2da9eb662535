#!/usr/bin/env bash
# MiniLM sentence-embedding throughput on the CPU: Consort (criterion, batch 32 x 128 tokens)
# beside the same model in PyTorch (transformers' BertModel, mean pooling, 2 threads) on the
# same token ids, in one run. The PyTorch side is skipped, with a note, where torch or
# transformers is not installed (pip install torch transformers).
set -euo pipefail
cd "$(dirname "$0")/.."
export CONSORT_BACKEND=flex BURN_DEVICE=flex
cargo run -q --release -p consort-cli -- fetch minilm >/dev/null
cargo bench -q -p consort-models --features minilm --bench minilm -- 'minilm/embed_32x128' >/dev/null
ours_ms=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['median']['point_estimate']/1e6)" \
  "${CARGO_TARGET_DIR:-target}/criterion/minilm/embed_32x128/new/estimates.json")
dir=$(cargo run -q --release -p consort-cli -- fetch minilm | sed 's/^minilm: //; s/ (already cached)$//')
python3 - "$ours_ms" "$dir" <<'PY'
import sys, time
ours_ms, model_dir = float(sys.argv[1]), sys.argv[2]
ours = 32 / (ours_ms / 1e3)
print(f"consort (flex): {ours_ms:.1f} ms per batch of 32 x 128 tokens = {ours:.1f} sentences/s")
try:
    import torch
    from transformers import BertModel
except ImportError as e:
    print(f"PyTorch side skipped ({e}); install torch and transformers to compare")
    sys.exit(0)
torch.set_num_threads(2)
model = BertModel.from_pretrained(model_dir).eval()
ids = torch.randint(1000, 29000, (32, 128))
ids[:, 0], ids[:, -1] = 101, 102
mask = torch.ones_like(ids)
times = []
with torch.inference_mode():
    for _ in range(3):
        model(input_ids=ids, attention_mask=mask)
    for _ in range(10):
        t = time.perf_counter()
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
        e = torch.nn.functional.normalize((h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True))
        times.append(time.perf_counter() - t)
times.sort()
torch_ms = 1e3 * times[len(times) // 2]
theirs = 32 / (torch_ms / 1e3)
print(f"pytorch {torch.__version__} (2 threads): {torch_ms:.1f} ms per batch = {theirs:.1f} sentences/s")
print(f"consort / pytorch throughput: {ours / theirs:.2f}")
PY
