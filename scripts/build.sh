#!/usr/bin/env bash
# Configures and builds one flavour of slmctl.
#   scripts/build.sh release    -> build/release   (the shipped binary)
#   scripts/build.sh ci         -> build/ci        (Release, warnings as errors, tests)
#   scripts/build.sh sanitize   -> build/sanitize  (Debug, ASan+UBSan, tests; no WASM
#                                  runtime: the ci flavour builds and tests it)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
jobs="$(nproc)"
case "$flavour" in
  release)  args=(-DCMAKE_BUILD_TYPE=Release -DSLM_TESTS=OFF) ;;
  ci)       args=(-DCMAKE_BUILD_TYPE=Release -DSLM_WERROR=ON) ;;
  sanitize) args=(-DCMAKE_BUILD_TYPE=Debug -DSLM_SANITIZE=ON -DSLM_WERROR=ON -DSLM_WASM_RUNTIME=OFF) ;;
  *) echo "unknown flavour: $flavour" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${args[@]}" >/dev/null
cmake --build "build/$flavour" -j "$jobs"
