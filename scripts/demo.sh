#!/usr/bin/env bash
# The main job: installs what is missing, builds slmctl in Release and walks
# through a release cycle on the bundled fixture models, in a fresh embedded
# registry (build/demo/registry).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release >/dev/null
SLMCTL="$PWD/build/release/apps/slmctl/slmctl"
OUT="$PWD/build/demo"
rm -rf "$OUT" && mkdir -p "$OUT"
export SLM_HOME="$OUT/registry"
N=skill.fixture.tiny

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ slmctl %s\n' "$*" >&2; "$SLMCTL" "$@"; }

step "1. pack: a YAML skill spec + safetensors weights -> .slm + skill manifest + in-toto provenance, added to the registry"
run pack fixtures/tiny/spec.yaml -o "$OUT/tiny.slm" --add

step "2. verify: structure, checksum, digest vs manifest, release policy"
cat > "$OUT/policy.yaml" <<'YAML'
allowed_input_contracts: [text/v1]
allowed_output_contracts: [text/v1]
supported_backends: [cpu]
memory_ceiling_bytes: 67108864
max_safety_tier: medium
YAML
run verify "$OUT/tiny.slm" --policy "$OUT/policy.yaml"

step "3. inspect: what is inside"
run inspect "$OUT/tiny.slm"

step "4. quantize: ggml-exact q8_0 and q4_0 from the registry version, each a new version with a quality report"
run quantize "$N:0.1.0" --to q8_0 -o "$OUT/tiny-q8_0.slm" --add
run quantize "$N:0.1.0" --to q4_0 -o "$OUT/tiny-q4_0.slm" --add
run ls "$N"

step "5. run: greedy generation from the q8_0 artifact (random weights: expect noise, not prose)"
run run "$OUT/tiny-q8_0.slm" -p "Once upon a time" -n 24 --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("generated ids:", r["generated_tokens"])
print("decode: %.0f tok/s on %d thread(s), %s kernels" % (r["decode_tok_s"], r["threads"], r["kernel"]))'

step "6. every fixture packs and verifies (BPE tokenizer, tied output, GQA, MQA)"
for name in tiny-bpe tiny-tied tiny-gqa tiny-mqa; do
  "$SLMCTL" pack "fixtures/$name/spec.yaml" -o "$OUT/$name.slm" 2>/dev/null
  printf '%-10s ' "$name"; "$SLMCTL" verify "$OUT/$name.slm" | tail -n 1
done

step "7. eval: each fixture against its suite (expected ids from an independent float64 reference)"
run eval "$N:0.1.0" --suite evals/fixtures/tiny.yaml --out "$OUT/evals" --junit "$OUT/evals/tiny.junit.xml" --add
run eval "$OUT/tiny-gqa.slm" --suite evals/fixtures/tiny-gqa.yaml --out "$OUT/evals" --junit "$OUT/evals/tiny-gqa.junit.xml"

step "8. release: promote with evidence, serve the champion, refuse a worse candidate, roll back"
run promote "$N:0.1.0" --to champion --reason "first release"
run run "$N@champion" -p "Once upon a time" -n 12 >/dev/null && echo "ran $N@champion"
for dt in q8-0 q4-0; do
  set +e
  run eval "$N:0.1.0+$dt" --suite evals/examples/gate-quantized.yaml --parent "$N:0.1.0" --out "$OUT/evals" --add
  echo "exit code: $? ($dt)"
  set -e
done
set +e
run promote "$N:0.1.0+q4-0" --to champion --reason "smaller"
echo "exit code: $? (q4_0 refused: its evidence failed the KL gate)"
set -e
run promote "$N:0.1.0+q8-0" --to champion --reason "4x smaller, passes the gate"
run rollback "$N" --reason "demo: back to f32"
run log "$N" --alias champion
run fsck

step "9. interop: export to GGUF for llama.cpp and import it back, byte for byte"
run export "$OUT/tiny-q8_0.slm" -o "$OUT/tiny-q8_0.gguf"
run import "$OUT/tiny-q8_0.gguf" -o "$OUT/tiny-q8_0.reimported.slm"
cmp "$OUT/tiny-q8_0.slm" "$OUT/tiny-q8_0.reimported.slm" && echo "identical .slm bytes after the round trip"

step "10. a corrupted copy is refused (exit 3)"
cp "$OUT/tiny.slm" "$OUT/corrupt.slm"
printf '\x00' | dd of="$OUT/corrupt.slm" bs=1 seek=4096 conv=notrunc status=none
set +e
"$SLMCTL" verify "$OUT/corrupt.slm" --manifest "$OUT/tiny.manifest.json" | grep -E "FAIL|NOT"
echo "exit code: ${PIPESTATUS[0]}"
set -e

printf '\nDone. Artifacts are in %s\n' "${OUT#"$PWD/"}"
