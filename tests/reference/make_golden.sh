#!/usr/bin/env bash
# Regenerates tests/data/golden/<fixture>.txt: greedy continuations computed by
# the independent float64 reference (llama_ref.py), not by slmctl. slmctl is
# used only to pack the fixtures and to tokenize the prompt.
#   tests/reference/make_golden.sh BUILD_DIR
set -euo pipefail
BUILD="${1:?usage: make_golden.sh BUILD_DIR}"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
SLMCTL="$BUILD/apps/slmctl/slmctl"
PROMPT="the quick brown fox"
PY=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import numpy' 2>/dev/null; then PY="$p"; break; fi
done
[[ -n "$PY" ]] || { echo "make_golden.sh: needs python3 with numpy (apt-get install python3-numpy)" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
for name in tiny tiny-bpe tiny-tied tiny-gqa tiny-mqa; do
  "$SLMCTL" pack "$SRC/fixtures/$name/spec.yaml" -o "$TMP/$name.slm" >/dev/null
  ids="$("$SLMCTL" run "$TMP/$name.slm" -p "$PROMPT" -n 0 --json |
         "$PY" -c 'import json,sys; print(" ".join(map(str, json.load(sys.stdin)["prompt_tokens"])))')"
  "$PY" "$SRC/tests/reference/llama_ref.py" golden "$TMP/$name.slm" --fixture "$name" \
    --prompt "$PROMPT" --prompt-tokens "$ids" -n 64 > "$SRC/tests/data/golden/$name.txt"
  echo "wrote tests/data/golden/$name.txt" >&2
done
