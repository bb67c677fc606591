#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, writes seed corpora and runs each
# fuzzer for a bounded time. Fails when a fuzzer reports a crash, a sanitizer
# error, a leak, a timeout or running out of memory.
#
#   scripts/fuzz.sh [SECONDS]      seconds per fuzzer (default 30)
#
# Environment: CC/CXX (default clang-14/clang++-14), BUILD_DIR (default
# build-fuzz), FUZZ_JOBS (parallel workers per fuzzer, default 1).
set -euo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-fuzz}"
jobs="${FUZZ_JOBS:-1}"
export CC="${CC:-clang-14}" CXX="${CXX:-clang++-14}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLM_TESTS=ON -DSLM_FUZZ=ON -DSLM_WASM_RUNTIME=OFF >/dev/null
cmake --build "$build" --target fuzz_slm_reader fuzz_tokenizer_section fuzz_gguf fuzz_registry_journal fuzz_adapter \
  fuzz_make_seeds

fuzz_dir="$build/tests/fuzz"
seeds="$build/fuzz-seeds"
work="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
rm -rf "$seeds"
mkdir -p "$seeds" "$artifacts"
"$fuzz_dir/fuzz_make_seeds" "$seeds"
cp -r "$root/tests/fuzz/seeds/." "$seeds/"  # committed seeds (a real registry journal)

extra=()
if [ "$jobs" -gt 1 ]; then extra=(-jobs="$jobs" -workers="$jobs"); fi

status=0
for target in slm_reader tokenizer_section gguf registry_journal adapter; do
    mkdir -p "$work/$target"
    log="$build/fuzz-$target.log"
    echo "== fuzz_$target for ${seconds}s (log: $log)"
    # New inputs go to the first directory; the seeds are read only.
    if ! "$fuzz_dir/fuzz_$target" "$work/$target" "$seeds/$target" \
            -dict="$root/tests/fuzz/slm.dict" \
            -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
        echo "fuzz_$target FAILED; see $log and $artifacts" >&2
        grep -E "ERROR|==[0-9]+==|Test unit written" "$log" | head -20 >&2 || true
        status=1
    fi
    grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$log" || true
done
exit "$status"
