#!/usr/bin/env bash
# Checks the peers themselves (no slmctl needed): install, extract the vocab
# vectors, load the prebuilt llama.cpp, and hold gpt-3-encoder to llama.cpp's
# GPT-2 vectors (two independent references must agree).
# Exit codes: 0 all passed, 1 a check failed, 77 npm registry unreachable.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
peers="${SLM_PEERS_DIR:-$root/.cache/peers}"
export SLM_PEERS_DIR="$peers"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
check() {  # check NAME COMMAND...
  if "${@:2}" >"$tmp/log" 2>&1; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1"; tail -n 20 "$tmp/log"; fi
}

rc=0; bash "$here/fetch_vocab_tests.sh" || rc=$?
((rc == 77)) && exit 77
((rc == 0)) || { echo "FAIL fetch_vocab_tests.sh (exit $rc)"; exit 1; }

for name in llama-spm gpt-2; do
  check "vocab_vectors $name" bash -c "python3 '$here/vocab_vectors.py' '$peers/vocab/ggml-vocab-$name.gguf' \
    -o '$tmp/$name.json' && python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); \
    assert len(v) >= 40 and all(isinstance(i, int) for t in v for i in t[\"ids\"])' '$tmp/$name.json'"
done
check "gpt2_encode agrees with llama.cpp's gpt-2 vectors" bash -c "node '$here/gpt2_encode.mjs' \
  <'$tmp/gpt-2.json' >'$tmp/enc.json' && python3 -c 'import json,sys; \
  a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); \
  bad=[x[\"text\"] for x,y in zip(a,b) if x[\"ids\"]!=y[\"ids\"]]; \
  assert len(a)==len(b) and not bad, bad' '$tmp/gpt-2.json' '$tmp/enc.json'"
# A file, not node -e: node-llama-cpp tests its binary in a child process that
# inherits node's flags, and --input-type breaks that child.
cat >"$tmp/load.mjs" <<'JS'
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = "true";
const { getLlama } = await import(process.argv[2]);
const llama = await getLlama({ gpu: false, build: "never", skipDownload: true });
if (llama.gpu !== false || !llama.systemInfo.includes("CPU")) process.exit(1);
console.log(llama.llamaCppRelease.release, llama.systemInfo);
JS
check "prebuilt llama.cpp loads (CPU, no download, no build)" \
  node "$tmp/load.mjs" "$peers/node_modules/node-llama-cpp/dist/index.js"

echo "peers selftest: $passed passed, $failed failed"
((failed == 0))
