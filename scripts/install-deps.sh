#!/usr/bin/env bash
# Installs the Debian packages slmctl needs to build and test, only when one
# is missing (idempotent; needs root for apt-get).
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   build + test dependencies
#   scripts/install-deps.sh --train  build + training (tools/train) dependencies
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libcli11-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libssl-dev
  libzstd-dev libxxhash-dev libcurl4-openssl-dev libeigen3-dev python3
  # slm_runtime.wasm (cmake/WasmRuntime.cmake): clang for wasm32-wasi, its
  # linker, C and C++ libraries and builtins
  clang-14 lld-14 wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(doctest-dev clang-14 libclang-rt-14-dev python3-jsonschema python3-numpy xxhash git
    docker-registry skopeo openssl)
  # The unit tests run the AVX-512 kernels on any CPU through SIMDe.
  packages+=(libsimde-dev)
  # The llama.cpp peers (tests/peers) come from npm and need node >= 20: keep
  # a node that is already there, otherwise take Debian's.
  command -v node >/dev/null || packages+=(nodejs npm)
  # The browser end-to-end test (tests/browser) drives Debian's chromium
  # (a font, so that its screenshots show text on a minimal system).
  packages+=(chromium fonts-dejavu-core curl)
fi
if [[ "${1:-}" == "--train" ]]; then
  # Debian's torch calls whatever libblas.so.3 is selected; the reference BLAS
  # is some 30x slower than OpenBLAS, which takes over the alternative.
  packages+=(python3-torch python3-numpy libopenblas0-pthread)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
