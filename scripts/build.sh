#!/usr/bin/env bash
# Configures and builds one flavour of slmctl.
#   scripts/build.sh release    -> build/release   (the shipped binary: -O3)
#   scripts/build.sh ci         -> build/ci        (what CI tests: -O1 with ASan+UBSan
#                                  and assertions, warnings as errors, tests, the
#                                  WASM runtime)
#   scripts/build.sh sanitize   -> build/sanitize  (Debug, ASan+UBSan, tests; no WASM
#                                  runtime: for stepping through in a debugger)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
jobs="$(nproc)"
case "$flavour" in
  release)  args=(-DCMAKE_BUILD_TYPE=Release -DSLM_TESTS=OFF) ;;
  # One build serves both checks: optimised enough for the peer and registry
  # suites to run at speed, instrumented so every test also looks for memory
  # errors and undefined behaviour (one build instead of two keeps CI short).
  ci)       args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
                  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1" -DSLM_SANITIZE=ON -DSLM_WERROR=ON -DSLM_UNITY=ON) ;;
  sanitize) args=(-DCMAKE_BUILD_TYPE=Debug -DSLM_SANITIZE=ON -DSLM_WERROR=ON -DSLM_WASM_RUNTIME=OFF) ;;
  *) echo "unknown flavour: $flavour" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${args[@]}" >/dev/null
cmake --build "build/$flavour" -j "$jobs"
