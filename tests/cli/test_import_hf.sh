#!/usr/bin/env bash
# slmctl import of Hugging Face llama directories. tests/reference/make_hf_dir.py
# writes a fixture's f32 weights as an HF checkpoint (HF names, q/k rows in
# HF's rotate-half order, byte-level tokenizer.json); the import must give the
# same logits as the packed fixture, bit for bit, and the same token ids.
# Then one broken directory per error the importer reports.
source "$(dirname "$0")/lib.sh"
FIX="$SOURCE_DIR/fixtures"
MAKE_HF=("$PY" "$SOURCE_DIR/tests/reference/make_hf_dir.py")

if ! "$PY" -c 'import numpy' 2>/dev/null; then
  fail "$PY lacks numpy: install python3-numpy (scripts/install-deps.sh --test)"
  finish
  exit 1
fi

cat > texts.json <<'EOF'
["the quick brown fox", "", " leading space", "tabs\tand\nnewlines  ", "caf\u00e9 \ud83d\ude42", "it's 2026", "<s> literal", "forty two dogs and a fox"]
EOF

# same_run NAME ORIG.slm IMPORTED.slm: identical logits dump, prompt/generated ids and token ids.
same_run() {
  local name="$1" orig="$2" imp="$3"
  "$SLMCTL" run "$orig" -p "the quick brown fox" -n 24 --json --dump-logits "$name.orig.f32" >"$name.orig.json" 2>/dev/null
  expect_exit 0 "run imported $name" -- "$SLMCTL" run "$imp" -p "the quick brown fox" -n 24 --json \
    --dump-logits "$name.imp.f32"
  cp "$WORK/out" "$name.imp.json"
  [[ -s "$name.orig.f32" ]] && cmp -s "$name.orig.f32" "$name.imp.f32" && ok ||
    fail "$name: logits of the import differ from the packed fixture"
  "$PY" - "$name.orig.json" "$name.imp.json" <<'PY' && ok || fail "$name: prompt or generated ids differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["prompt_tokens"] == b["prompt_tokens"], (a["prompt_tokens"], b["prompt_tokens"])
assert a["generated_tokens"] == b["generated_tokens"]
PY
  "$SLMCTL" tokenize "$orig" --batch texts.json >"$name.orig.ids" 2>/dev/null
  expect_exit 0 "tokenize imported $name" -- "$SLMCTL" tokenize "$imp" --batch texts.json
  if cmp -s "$name.orig.ids" "$WORK/out"; then ok; else
    fail "$name: token ids differ"; diff "$name.orig.ids" "$WORK/out" | head -10 >&2
  fi
}

# GQA (4 query heads, 2 KV heads), MQA (1 KV head), tied output, and a GPT-2 BPE vocabulary
# with its merges written both ways tokenizer.json allows.
for spec in tiny-gqa tiny-mqa tiny-tied tiny-bpe tiny-bpe:pairs; do
  fx="${spec%%:*}"
  name="${spec/:/-}"
  args=()
  [[ "$spec" == *:pairs ]] && args=(--merges-format pairs)
  "${MAKE_HF[@]}" "$FIX/$fx" "hf-$name" "${args[@]}" && ok || fail "make_hf_dir $name"
  [[ -f "orig-$fx.slm" ]] || expect_exit 0 "pack $fx" -- "$SLMCTL" pack "$FIX/$fx/spec.yaml" -o "orig-$fx.slm"
  expect_exit 0 "import $name" -- "$SLMCTL" import "hf-$name" -o "imp-$name.slm" --json
  grep -q '"source_format": "hf"' "$WORK/out" && ok || fail "$name: auto-detected format is not hf"
  same_run "$name" "orig-$fx.slm" "imp-$name.slm"
done

# The manifest records the source.
"$PY" - "$WORK/imp-tiny-gqa.slm.manifest.json" "$WORK/imp-tiny-gqa.manifest.json" <<'PY' && ok || fail "import manifest"
import json, os, sys
path = next(p for p in sys.argv[1:] if os.path.exists(p))
m = json.load(open(path))
assert m["operator"] == "import", m["operator"]
assert m["operator_parameters"] == {"source_file": "model.safetensors", "source_format": "hf-safetensors"}, m
assert m["parents"][0]["role"] == "import-source" and m["parents"][0]["format"] == "hf-safetensors", m["parents"]
assert m["model"]["n_kv_heads"] == 2 and m["runtime"]["tokenizer"]["kind"] == "BPE1", m
PY

# --format hf, and an lm_head stored next to tied embeddings (dropped when equal).
"${MAKE_HF[@]}" "$FIX/tiny-tied" hf-tied-head --lm-head same
expect_exit 0 "tied lm_head equal to the embeddings" -- "$SLMCTL" import hf-tied-head -o tied-head.slm --format hf
same_run tied-head orig-tiny-tied.slm tied-head.slm

# F16 weights are widened (values change, so only the import and a run are checked).
"${MAKE_HF[@]}" "$FIX/tiny-gqa" hf-f16 --dtype F16
expect_exit 0 "import F16 weights" -- "$SLMCTL" import hf-f16 -o f16.slm
expect_exit 0 "run F16 import" -- "$SLMCTL" run f16.slm -p "the quick brown fox" -n 4

# broken DESCRIPTION EXIT STDERR_FRAGMENT -- make_hf_dir options
broken() {
  local what="$1" code="$2" fragment="$3"; shift 4
  local dir="bad-${what// /-}"
  "${MAKE_HF[@]}" "$FIX/tiny-gqa" "$dir" "$@" || { fail "make_hf_dir for $what"; return; }
  expect_exit "$code" "$what" -- "$SLMCTL" import "$dir" -o "$dir.slm"
  expect_stderr_contains "$fragment" "$what: message"
  [[ ! -e "$dir.slm" ]] && ok || fail "$what: an output was written"
}
broken "missing config field" 3 "config.json: hidden_size: missing" -- --delete hidden_size
broken "unknown architecture" 4 "MistralForCausalLM" -- --set 'architectures=["MistralForCausalLM"]'
broken "rope scaling" 4 "rope_scaling" -- --set 'rope_scaling={"rope_type": "linear", "factor": 2.0}'
broken "head_dim" 4 "head_dim 16" -- --set head_dim=16
broken "sharded" 4 "sharded checkpoints are not supported" -- --shard
broken "wrong shape" 3 "'model.layers.0.self_attn.k_proj.weight' has shape [32, 16], expected [16, 32]" -- \
  --transpose model.layers.0.self_attn.k_proj.weight
broken "unknown tensor" 4 "model.layers.0.self_attn.q_proj.bias" -- --extra model.layers.0.self_attn.q_proj.bias
broken "missing tensor" 3 "'model.norm.weight' is missing" -- --drop model.norm.weight
broken "untied without lm_head" 3 "'lm_head.weight' is missing" -- --drop lm_head.weight
broken "non-finite" 3 "non-finite" -- --nan model.layers.1.mlp.up_proj.weight
broken "vocab mismatch" 3 "vocab_size is 300" -- --set vocab_size=300

# A tied lm_head that differs from the embeddings.
"${MAKE_HF[@]}" "$FIX/tiny-tied" bad-tied --lm-head different
expect_exit 3 "tied lm_head that differs" -- "$SLMCTL" import bad-tied -o bad-tied.slm
expect_stderr_contains "differs from model.embed_tokens.weight" "tied mismatch message"

# A tokenizer.json this runtime cannot reproduce.
"${MAKE_HF[@]}" "$FIX/tiny-gqa" bad-tokenizer
"$PY" - bad-tokenizer/tokenizer.json <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["pre_tokenizer"]["add_prefix_space"] = True
json.dump(t, open(sys.argv[1], "w"))
PY
expect_exit 4 "ByteLevel add_prefix_space" -- "$SLMCTL" import bad-tokenizer -o bad-tokenizer.slm
expect_stderr_contains "tokenizer.json: pre_tokenizer.add_prefix_space" "tokenizer message names the field"

expect_exit 5 "missing directory" -- "$SLMCTL" import no-such-dir -o x.slm --format hf

finish
