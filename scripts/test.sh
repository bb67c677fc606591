#!/usr/bin/env bash
# Installs what is missing, builds and runs every test:
#   1. One build with warnings as errors, ASan + UBSan and assertions (-O1):
#      unit tests, CLI suites, registry reliability, llama.cpp and GPT-2 peers,
#      the WASM runtime in Node.js and the browser app in headless Chromium
#   2. libFuzzer targets for the parsers, each for a bounded time
#   The peer suites (npm packages installed on first use) must not skip here:
#   SLM_REQUIRE_PEERS=1.
# Used by .ci/run. Set SLM_FUZZ_SECONDS to change the fuzzing budget.
set -euo pipefail
export SLM_REQUIRE_PEERS=1
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

jobs="$(nproc)"
step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "build: warnings as errors, ASan + UBSan, assertions"
scripts/build.sh ci
step "tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/ci --output-on-failure -j "$jobs"

if [[ -x scripts/fuzz.sh ]]; then
  step "fuzzing (${SLM_FUZZ_SECONDS:-30}s per target)"
  scripts/fuzz.sh "${SLM_FUZZ_SECONDS:-30}"
fi
step "all tests passed"
