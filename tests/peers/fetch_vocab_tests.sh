#!/usr/bin/env bash
# Extracts llama.cpp's tokenizer test vectors from the llama.cpp source that
# node-llama-cpp ships as a git bundle (llama/gitRelease.bundle), offline.
#   .cache/peers/llama.cpp-src/   the llama.cpp tree (clone of the bundle)
#   .cache/peers/vocab/           ggml-vocab-{llama-spm,gpt-2}.gguf{,.inp,.out}
# Idempotent. Exit codes as install.sh (77 = npm registry unreachable and
# the peers are not installed yet). Override the location with SLM_PEERS_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
peers="${SLM_PEERS_DIR:-$root/.cache/peers}"
export SLM_PEERS_DIR="$peers"
say() { echo "vocab: $*" >&2; }
die() { echo "vocab: error: $*" >&2; exit 1; }

rc=0; bash "$here/install.sh" || rc=$?
((rc == 0)) || exit "$rc"
command -v git >/dev/null || die "git not found"

bundle="$peers/node_modules/node-llama-cpp/llama/gitRelease.bundle"
src="$peers/llama.cpp-src"
want="$(git bundle list-heads "$bundle" | awk '$2 == "HEAD" {print $1}')"
[[ -n "$want" ]] || die "no HEAD in $bundle"
if [[ "$(git -C "$src" rev-parse HEAD 2>/dev/null || true)" != "$want" ]]; then
  say "cloning $bundle -> $src"
  rm -rf "$src"
  git -c advice.detachedHead=false clone --quiet "$bundle" "$src"
fi

mkdir -p "$peers/vocab"
for name in llama-spm gpt-2; do
  for ext in gguf gguf.inp gguf.out; do
    f="$src/models/ggml-vocab-$name.$ext"
    [[ -f "$f" ]] || die "missing $f"
    cp "$f" "$peers/vocab/"
  done
done
say "llama.cpp commit ${want:0:12} (node-llama-cpp $(node -p 'require(process.argv[1]).version' \
  "$peers/node_modules/node-llama-cpp/package.json")); vectors in $peers/vocab:"
ls -l "$peers/vocab" >&2
