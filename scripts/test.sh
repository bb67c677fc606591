#!/usr/bin/env bash
# Installs what is missing, builds and runs every test:
#   1. Release build with warnings as errors: unit tests + CLI suites (ctest)
#   2. Debug build with ASan+UBSan: the same tests but the peer, WASM and
#      browser suites
#   3. libFuzzer targets for the parsers, each for a bounded time
#   The peer suites (llama.cpp, GPT-2's encoder; npm packages installed on first
#   use) run in step 1 and must not skip here: SLM_REQUIRE_PEERS=1.
# Used by .ci/run. Set SLM_FUZZ_SECONDS to change the fuzzing budget.
set -euo pipefail
export SLM_REQUIRE_PEERS=1
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

jobs="$(nproc)"
step() { printf '\n== %s\n' "$*"; }

step "release build (warnings as errors)"
scripts/build.sh ci
step "tests: release"
ctest --test-dir build/ci --output-on-failure -j "$jobs"

step "sanitizer build (ASan + UBSan)"
scripts/build.sh sanitize
step "tests: sanitizers"
# The registry reliability suites run in full in the release step; here a
# shorter run looks for memory errors in the same code paths.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  CRASH_ITERATIONS=80 CONCURRENCY_WORKERS=8 CONCURRENCY_OPS=25 \
  ctest --test-dir build/sanitize --output-on-failure -j "$jobs" -E '^(peers|wasm|browser)[.]'

if [[ -x scripts/fuzz.sh ]]; then
  step "fuzzing (${SLM_FUZZ_SECONDS:-30}s per target)"
  scripts/fuzz.sh "${SLM_FUZZ_SECONDS:-30}"
fi
step "all tests passed"
