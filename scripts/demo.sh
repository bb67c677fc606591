#!/usr/bin/env bash
# The main job: installs what is missing, builds slmctl in Release and walks
# through a release cycle on the bundled trained skills (fixtures/skills/), in a
# fresh embedded registry (build/demo/registry).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
release_slmctl build/demo
export SLM_HOME="$OUT/registry"
A=skill.arith-add

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ slmctl %s\n' "$*" >&2; "$SLMCTL" "$@"; }
# Runs a command that is expected to fail and shows its exit code.
refused() { set +e; run "$@"; local rc=$?; set -e; echo "exit code: $rc"; }

step "1. pack: three trained skills (YAML spec + safetensors -> .slm + skill manifest + in-toto provenance), added to the registry"
for t in arith-add text-reverse date-iso; do
  run pack "fixtures/skills/$t/spec.yaml" -o "$OUT/$t.slm" --add
done

step "2. verify: structure, checksum, digest vs manifest, release policy (contracts, memory, safety tier)"
cat > "$OUT/policy.yaml" <<'YAML'
allowed_input_contracts: [text-arith/v1, text/v1, text-date/v1]
allowed_output_contracts: [integer/v1, text/v1, json-date/v1]
supported_backends: [cpu]
memory_ceiling_bytes: 16777216
max_safety_tier: medium
YAML
run verify "$OUT/arith-add.slm" --policy "$OUT/policy.yaml"

step "3. inspect: what is inside"
run inspect "$OUT/arith-add.slm"

step "4. quantize: ggml-exact q8_0 and q4_0 of the registry version, each a new version with a quality report"
run quantize "$A:1.0.0" --to q8_0 -o "$OUT/arith-add-q8_0.slm" --report-text evals/skills/arith-add-gate.txt --add
run quantize "$A:1.0.0" --to q4_0 -o "$OUT/arith-add-q4_0.slm" --report-text evals/skills/arith-add-gate.txt --add
run ls "$A"

step "5. eval: held-out suites (sidecars attached in the registry, JUnit for CI); quantized versions also against the f32 parent"
mkdir -p "$OUT/evals"
for t in arith-add text-reverse date-iso; do
  run eval "skill.$t:1.0.0" --suite "evals/skills/$t.yaml" --out "$OUT/evals" --junit "$OUT/evals/$t.junit.xml" --add
done
run eval skill.date-iso:1.0.0 --suite evals/skills/date-iso-schema.yaml --out "$OUT/evals" --add
for v in q8-0 q4-0; do
  set +e
  run eval "$A:1.0.0+$v" --suite evals/skills/arith-add.yaml --out "$OUT/evals" --add
  run eval "$A:1.0.0+$v" --suite evals/skills/arith-add-gate.yaml --parent "$A:1.0.0" --out "$OUT/evals" --add
  echo "exit code: $? (gate, $v)"
  set -e
done

step "6. promote: each skill to champion on its evidence, then ask the champions"
for t in arith-add text-reverse date-iso; do
  run promote "skill.$t:1.0.0" --to champion --reason "first release"
done
ask() { printf '%-22s -> ' "$2"; "$SLMCTL" run "$1" -p "$2" -n 32 2>/dev/null; echo; }
ask "$A@champion" "482+359="
ask skill.text-reverse@champion "registry>"
ask skill.date-iso@champion "July 4, 1976 ->"
ask skill.date-iso@champion "24.11.2026 ->"

step "7. a worse candidate is refused: q4_0 failed the KL gate against its parent; q8_0 passes and becomes champion"
refused promote "$A:1.0.0+q4-0" --to champion --reason "smaller"
run promote "$A:1.0.0+q8-0" --to champion --reason "3.5x smaller, passes the gate"
ask "$A@champion" "482+359="

step "8. adapter: subtraction as a low-rank adapter on arith-add, applied, evaluated and released as its own skill"
run pack fixtures/skills/arith-sub/spec.yaml -o "$OUT/arith-sub-tuned.slm" >/dev/null
run adapter create "$OUT/arith-add.slm" "$OUT/arith-sub-tuned.slm" --kind lowrank --rank 32 -o "$OUT/sub.adp"
run adapter-apply "$A:1.0.0" "$OUT/sub.adp" -o "$OUT/arith-sub.slm" --name skill.arith-sub --version 1.0.0 --add
run eval skill.arith-sub:1.0.0 --suite evals/skills/arith-sub.yaml --out "$OUT/evals" --add
run promote skill.arith-sub:1.0.0 --to champion --reason "subtraction via adapter"
ask skill.arith-sub@champion "907-358="

step "9. rollback: champion of arith-add back to the f32 release; the journal keeps every move"
run rollback "$A" --reason "demo: back to f32"
run log "$A" --alias champion
run fsck

step "10. interop: export to GGUF for llama.cpp and import it back, byte for byte"
run export "$OUT/arith-add-q8_0.slm" -o "$OUT/arith-add-q8_0.gguf"
run import "$OUT/arith-add-q8_0.gguf" -o "$OUT/arith-add-q8_0.reimported.slm"
cmp "$OUT/arith-add-q8_0.slm" "$OUT/arith-add-q8_0.reimported.slm" && echo "identical .slm bytes after the round trip"

step "11. a corrupted copy is refused (exit 3)"
cp "$OUT/arith-add.slm" "$OUT/corrupt.slm"
# One bit flipped in the tensor data, as a bad disk or download would.
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(-1000, 2); b = f.read(1); f.seek(-1000, 2); f.write(bytes([b[0] ^ 0x10]))' \
  "$OUT/corrupt.slm"
set +e
"$SLMCTL" verify "$OUT/corrupt.slm" --manifest "$OUT/arith-add.manifest.json" | grep -E "FAIL|NOT"
echo "exit code: ${PIPESTATUS[0]}"
set -e

step "12. the WebAssembly runtime this release emits (same C++ sources), with its digests; the champion run in it"
run runtime wasm -o "$OUT/runtime"
if command -v node >/dev/null && [[ -f "$OUT/runtime/slm_runtime.wasm" ]]; then
  printf '$ node: %s in slm_runtime.wasm -> ' "482+359="
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    const [dir, model, prompt] = process.argv.slice(1);
    const { loadRuntime } = await import(dir + "/slm.mjs");
    const rt = await loadRuntime(new URL("slm_runtime.wasm", "file://" + dir + "/"));
    rt.loadModel(readFileSync(model));
    rt.configure({ maxTokens: 32 });
    console.log(rt.generate(prompt).text);' "$OUT/runtime" "$OUT/arith-add.slm" "482+359="
fi

printf '\nDone. Artifacts are in %s\n' "${OUT#"$PWD/"}"
