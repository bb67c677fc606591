#!/usr/bin/env bash
# Benchmarks on a stories15M-shaped model (dim 288, 6 layers, 6 heads, FFN 768,
# vocab 32000, context 256, tied output; random fixed-seed weights) in f32,
# q8_0 and q4_0. Measures decode/prefill tok/s, load time and peak RSS at 1 and
# 2 threads (quantized models with f32 and with int8 activations), the same
# decode in Node.js through slm_runtime.wasm (1 thread), plus
# quantize and verify throughput beside sha256sum on the same file, registry
# promote/rollback latency with a 10,000-record journal, and writes
# docs/benchmarks.md; when the llama.cpp peer is installed (tests/peers), adds
# the side-by-side decode table from crosscheck.py --timing. Numbers, not
# assertions: run it on a quiet machine.
#   bench/run.sh [REPEATS]      best of REPEATS runs (default 3)
# BUILD_DIR (default build/release) is configured and built first. On a shared
# machine BENCH_WAIT_IDLE=1 waits (up to 2 minutes) before each timed command
# until the CPUs were at least 95% idle for 2 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${1:-3}"
build="${BUILD_DIR:-build/release}"
scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLM_TESTS=OFF >/dev/null
cmake --build "$build" --target slmctl make_fixtures bench_quant >/dev/null
SLMCTL="$PWD/$build/apps/slmctl/slmctl"
OUT="$PWD/build/bench"
rm -rf "$OUT" && mkdir -p "$OUT"
"$build/tools/make_fixtures" --bench "$OUT" 2>/dev/null
"$SLMCTL" pack "$OUT/bench-15m/spec.yaml" -o "$OUT/f32.slm" 2>/dev/null

now() { date +%s.%N; }
busy_total() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
wait_idle() {
  [[ "${BENCH_WAIT_IDLE:-0}" == 1 ]] || return 0
  local start b0 t0 b1 t1; start=$(date +%s)
  while (($(date +%s) - start < 120)); do
    read -r b0 t0 < <(busy_total); sleep 2; read -r b1 t1 < <(busy_total)
    ((100 * (b1 - b0) <= 5 * (t1 - t0))) && return 0
  done
}
best_seconds() {  # best wall time of $repeats runs of "$@"
  local best=""
  for _ in $(seq "$repeats"); do
    wait_idle
    local t0 t1; t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
    best=$(python3 -c "a='$best'; d=$t1-$t0; print(d if a=='' else min(float(a), d))")
  done
  echo "$best"
}

results="$OUT/results.jsonl"
: > "$results"
# Appends the JSON object in file $1, with the fields in $2 (Python keyword
# arguments) added, to $results. The timed command writes to a file first:
# a Python started on a pipe would take a core while it is still running
# and spoil the 2-thread figures.
tag_json() {
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); r.update($2); print(json.dumps(r))" "$1" >> "$results"
}
for dt in q8_0 q4_0; do
  secs=$(best_seconds "$SLMCTL" quantize "$OUT/f32.slm" --to "$dt" -o "$OUT/$dt.slm" --no-report)
  echo "{\"kind\":\"quantize\",\"dtype\":\"$dt\",\"seconds\":$secs,\"bytes\":$(stat -c %s "$OUT/f32.slm")}" >> "$results"
done
wait_idle
"$build/bench/bench_quant" --quantizers >> "$results"
for m in f32 q8_0 q4_0; do
  secs=$(best_seconds "$SLMCTL" verify "$OUT/$m.slm")
  sha=$(best_seconds sha256sum "$OUT/$m.slm")
  echo "{\"kind\":\"verify\",\"model\":\"$m\",\"seconds\":$secs,\"sha256sum_seconds\":$sha,\"bytes\":$(stat -c %s "$OUT/$m.slm")}" >> "$results"
done
# Repetitions outermost, so that a disturbance hits one sample of many
# configurations rather than every sample of one. Each repetition also
# measures the machine's memory read bandwidth with 1 and 2 threads.
for _ in $(seq "$repeats"); do
  wait_idle
  "$build/bench/bench_quant" --bandwidth >> "$results"
  for m in f32 q8_0 q4_0; do
    activations="f32"
    [[ $m != f32 ]] && activations="f32 q8_0"
    for act in $activations; do
      for threads in 1 2; do
        wait_idle
        "$SLMCTL" run "$OUT/$m.slm" -p "once upon a time there was" -n 128 --ignore-eos --threads "$threads" \
          --activations "$act" --json > "$OUT/run.json"
        tag_json "$OUT/run.json" "kind='run', model='$m', bytes=$(stat -c %s "$OUT/$m.slm")"
      done
    done
  done
done
# Prefill of a 130-token prompt, one position at a time (--batch-size 1)
# against batches (the default), in the same run.
long_prompt=$(printf 'once upon a time there was a little girl named lily who liked to play outside in the sun with her dog %.0s' 1 2)
for _ in $(seq "$repeats"); do
  for m in f32 q8_0 q4_0; do
    activations="f32"
    [[ $m != f32 ]] && activations="f32 q8_0"
    for act in $activations; do
      for threads in 1 2; do
        for batch in 1 32; do
          wait_idle
          "$SLMCTL" run "$OUT/$m.slm" -p "$long_prompt" -n 1 --threads "$threads" --activations "$act" \
            --batch-size "$batch" --json > "$OUT/run.json"
          tag_json "$OUT/run.json" "kind='prefill', model='$m', batch=$batch"
        done
      done
    done
  done
done
# Each kernel set this CPU supports (the rows above use the best), 1 thread;
# quantized models with int8 activations, whose kernels differ most by set.
kernel_sets=$("$SLMCTL" run --help | sed -n 's/.*--kernel TEXT:{\([^}]*\)}.*/\1/p' | tr ',' ' ')
for _ in $(seq "$repeats"); do
  for kernel in $kernel_sets; do
    [[ $kernel == auto ]] && continue
    for m in f32 q8_0 q4_0; do
      act=q8_0
      [[ $m == f32 ]] && act=f32
      wait_idle
      "$SLMCTL" run "$OUT/$m.slm" -p "once upon a time there was" -n 128 --ignore-eos --threads 1 \
        --activations "$act" --kernel "$kernel" --json > "$OUT/run.json" 2>/dev/null || continue  # not on this CPU
      tag_json "$OUT/run.json" "kind='kernel_set', model='$m'"
      [[ $m == f32 ]] && continue
      wait_idle  # the same with the file's layout (row kernels)
      "$SLMCTL" run "$OUT/$m.slm" -p "once upon a time there was" -n 128 --ignore-eos --threads 1 \
        --activations "$act" --kernel "$kernel" --no-repack --json > "$OUT/run.json"
      tag_json "$OUT/run.json" "kind='kernel_set_rows', model='$m'"
    done
  done
done
# The KV cache's type: f32 (the rows above) against f16, 1 thread, 250 tokens
# (attention's share grows with the position).
for _ in $(seq "$repeats"); do
  for m in f32 q4_0; do
    act=q8_0
    [[ $m == f32 ]] && act=f32
    for kv in f32 f16; do
      wait_idle
      "$SLMCTL" run "$OUT/$m.slm" -p "once upon a time there was" -n 250 --ignore-eos --threads 1 \
        --activations "$act" --kv-cache "$kv" --json > "$OUT/run.json"
      tag_json "$OUT/run.json" "kind='kv_cache', model='$m'"
    done
  done
done
# The WASM runtime in Node.js, 1 thread, beside the native rows above.
wasm="$build/wasm/apps/wasm/slm_runtime.wasm"
if [[ -f "$wasm" ]] && command -v node >/dev/null; then
  for _ in $(seq "$repeats"); do
    for m in f32 q8_0 q4_0; do
      activations="f32"
      [[ $m != f32 ]] && activations="f32 q8_0"
      for act in $activations; do
        wait_idle
        node bench/wasm_decode.mjs "$wasm" "$OUT/$m.slm" "once upon a time there was" 128 "$act" > "$OUT/run.json"
        tag_json "$OUT/run.json" "kind='wasm', model='$m', activations='$act'"
      done
    done
  done
fi
python3 bench/report.py "$results" > docs/benchmarks.md
wait_idle
{ echo; SLMCTL="$SLMCTL" SOURCE_DIR="$PWD" python3 bench/registry_bench.py 10000 50; } >> docs/benchmarks.md
if bash tests/peers/install.sh >/dev/null 2>&1; then
  python3 tests/peers/crosscheck.py --slmctl "$SLMCTL" --work "$OUT/cross" --timing --doc docs/benchmarks.md \
    "$OUT/f32.slm" "$OUT/q8_0.slm" "$OUT/q4_0.slm" >/dev/null ||
    echo "bench: crosscheck found differences (see the table)" >&2
fi
cat docs/benchmarks.md
