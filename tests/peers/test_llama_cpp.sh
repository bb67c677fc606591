#!/usr/bin/env bash
# Generation held to llama.cpp: every fixture and the stories15M-shaped bench
# model, in f32, q8_0 and q4_0, exported to GGUF; 64 greedy tokens from the
# same prompt ids must be identical in slmctl and llama.cpp (crosscheck.py),
# and with `slmctl run --numerics ggml` every logit must be bit-identical too
# (required when llama.cpp loads its haswell CPU build, reported otherwise).
# Exit 77 = skip (npm registry unreachable), unless SLM_REQUIRE_PEERS=1.
source "$SOURCE_DIR/tests/cli/lib.sh"
source "$SOURCE_DIR/tests/peers/lib.sh"
require_peers install.sh "generation against llama.cpp"

models=()
for f in tiny tiny-bpe tiny-tied tiny-gqa tiny-mqa; do
  "$SLMCTL" pack "$SOURCE_DIR/fixtures/$f/spec.yaml" -o "$f.slm" 2>/dev/null || fail "pack $f"
  models+=("$f.slm")
done
"$MAKE_FIXTURES" --bench bench >/dev/null 2>&1 || fail "make_fixtures --bench"
"$SLMCTL" pack bench/bench-15m/spec.yaml -o bench-15m.slm 2>/dev/null || fail "pack bench model"
for m in tiny tiny-bpe tiny-tied tiny-gqa tiny-mqa bench-15m; do
  for dt in q8_0 q4_0; do
    "$SLMCTL" quantize "$m.slm" --to "$dt" -o "$m-$dt.slm" --no-report 2>/dev/null || fail "quantize $m $dt"
    models+=("$m-$dt.slm")
  done
done
models+=(bench-15m.slm)

if $PY "$PEERS_SRC/crosscheck.py" --slmctl "$SLMCTL" --work cross --results crosscheck.json "${models[@]}"; then
  ok
else
  fail "slmctl and llama.cpp disagree (table above)"
fi
finish
