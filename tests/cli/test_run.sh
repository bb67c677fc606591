#!/usr/bin/env bash
# slmctl run: logits against the independent float64 reference
# (tests/reference/llama_ref.py), golden greedy tokens, determinism across
# threads and kernels, sampling, verification and exit codes.
source "$(dirname "$0")/lib.sh"
FIX="$SOURCE_DIR/fixtures"
REF="$SOURCE_DIR/tests/reference/llama_ref.py"
GOLDEN="$SOURCE_DIR/tests/data/golden"
FIXTURES=(tiny tiny-bpe tiny-tied tiny-gqa tiny-mqa)

# The reference needs numpy (Debian: python3-numpy); pyenv shims may hide it.
PY=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import numpy' 2>/dev/null; then PY="$p"; break; fi
done
if [[ -z "$PY" ]]; then
  fail "no python3 with numpy: install python3-numpy (scripts/install-deps.sh --test)"
fi

# golden_field FILE KEY: the value of "KEY: ..." in a golden file.
golden_field() { sed -n "s/^$2: //p" "$1"; }

# json_ids FILE KEY: a JSON array of ids as space-separated text.
json_ids() { python3 -c "import json,sys; print(' '.join(map(str, json.load(open(sys.argv[1]))[sys.argv[2]])))" "$1" "$2"; }

for name in "${FIXTURES[@]}"; do
  expect_exit 0 "pack $name" -- "$SLMCTL" pack "$FIX/$name/spec.yaml" -o "$name.slm"

  # Logits over >= 16 positions agree with the float64 reference (NMSE <= 1e-10).
  expect_exit 0 "run $name --dump-logits" -- "$SLMCTL" run "$name.slm" -p "the quick brown fox" -n 24 \
    --json --dump-logits "$name.logits.f32"
  cp out "$name.run.json"
  if [[ -n "$PY" ]]; then
    if "$PY" "$REF" compare "$name.slm" --native "$name.logits.f32" --run-json "$name.run.json" \
        --max-nmse 1e-10 >"$name.nmse.json" 2>&1; then ok; else
      fail "$name logits vs float64 reference: $(cat "$name.nmse.json")"
    fi
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['positions'] >= 16, r" \
      "$name.nmse.json" && ok || fail "$name: fewer than 16 positions compared"
  fi

  # Golden greedy tokens (computed by the reference, stored in tests/data/golden/).
  golden="$GOLDEN/$name.txt"
  prompt="$(python3 -c "import json,sys; print(json.loads(sys.argv[1]))" "$(golden_field "$golden" prompt)")"
  expect_exit 0 "run $name golden prompt" -- "$SLMCTL" run "$name.slm" -p "$prompt" -n 64 --json
  cp out "$name.golden.json"
  want_prompt="$(golden_field "$golden" prompt_tokens)"
  want_tokens="$(golden_field "$golden" generated_tokens)"
  [[ "$(json_ids "$name.golden.json" prompt_tokens)" == "$want_prompt" ]] && ok || fail "$name prompt ids vs golden"
  [[ "$(json_ids "$name.golden.json" generated_tokens)" == "$want_tokens" ]] && ok || fail "$name greedy tokens vs golden"
  want_stop="$(golden_field "$golden" stop_reason)"
  grep -qF "\"stop_reason\": \"$want_stop\"" "$name.golden.json" && ok || fail "$name stop reason vs golden"

  # The same tokens with 2 threads and with every kernel set this CPU runs.
  for extra in "--threads 2" "--kernel scalar" "--kernel avx2" "--kernel avxvnni" "--kernel avx512" "--kernel avx512vnni" \
    "--threads 3 --kernel scalar"; do
    # shellcheck disable=SC2086
    "$SLMCTL" run "$name.slm" -p "$prompt" -n 64 --json $extra >variant.json 2>variant.err
    rc=$?
    if [[ $rc == 2 ]] && grep -q "kernel" variant.err; then continue; fi  # not on this CPU
    if [[ $rc == 0 && "$(json_ids variant.json generated_tokens)" == "$want_tokens" ]]; then ok; else
      fail "$name $extra: exit $rc or tokens differ from golden"
    fi
  done
done

# Quantized models (slmctl quantize): the reference dequantizes q8_0/q4_0 in
# float64, so the quantized kernels are held to the same bound as f32; greedy
# tokens agree across kernel sets and threads.
for base in tiny-gqa tiny-tied; do
  for q in q8_0 q4_0; do
    expect_exit 0 "quantize $base $q" -- "$SLMCTL" quantize "$base.slm" --to "$q" -o "$base-$q.slm" --no-report
    expect_exit 0 "run $base-$q" -- "$SLMCTL" run "$base-$q.slm" -p "the quick brown fox" -n 24 --json \
      --dump-logits "$base-$q.f32"
    cp out "$base-$q.json"
    if [[ -n "$PY" ]]; then
      "$PY" "$REF" compare "$base-$q.slm" --native "$base-$q.f32" --run-json "$base-$q.json" --max-nmse 1e-10 \
        >"$base-$q.nmse.json" 2>&1 && ok || fail "$base $q logits vs float64 reference: $(cat "$base-$q.nmse.json")"
    fi
    expect_exit 0 "run $base-$q scalar" -- "$SLMCTL" run "$base-$q.slm" -p "the quick brown fox" -n 48 --json \
      --kernel scalar
    json_ids out generated_tokens >"$base-$q.scalar"
    for extra in "--threads 2" "--kernel avx2" "--kernel avxvnni" "--kernel avx512" "--kernel avx512vnni"; do
      # shellcheck disable=SC2086
      "$SLMCTL" run "$base-$q.slm" -p "the quick brown fox" -n 48 --json $extra >variant.json 2>variant.err
      rc=$?
      if [[ $rc == 2 ]] && grep -q "kernel" variant.err; then continue; fi
      if [[ $rc == 0 && "$(json_ids variant.json generated_tokens)" == "$(cat "$base-$q.scalar")" ]]; then ok; else
        fail "$base $q $extra: exit $rc or tokens differ from scalar"
      fi
    done
  done
done

# Int8 activations load quantized matrices packed (every set here has packed
# kernels); --no-repack keeps the file's layout. Packed products are the
# scalar reference rows' bits, so with the scalar set the logits match.
expect_exit 0 "run --activations q8_0 (packed)" -- "$SLMCTL" run tiny-tied-q4_0.slm -p "the quick brown fox" -n 16 \
  --activations q8_0 --kernel scalar --json --dump-logits packed.f32
cp out packed.json
expect_exit 0 "run --activations q8_0 --no-repack" -- "$SLMCTL" run tiny-tied-q4_0.slm -p "the quick brown fox" \
  -n 16 --activations q8_0 --kernel scalar --no-repack --json --dump-logits rows.f32
python3 - "$WORK/packed.json" "$WORK/out" <<'PY' && ok || fail "packed_bytes with and without --no-repack"
import json, sys
packed, rows = (json.load(open(p)) for p in sys.argv[1:])
assert packed["packed_bytes"] > 0 and rows["packed_bytes"] == 0, (packed["packed_bytes"], rows["packed_bytes"])
PY
expect_same_file packed.f32 rows.f32 "scalar logits packed and not"

# JSON report fields.
python3 - "$WORK/tiny.golden.json" "$(sha256sum tiny.slm | cut -d' ' -f1)" <<'PY' && ok || fail "run --json fields"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ["prompt_tokens", "generated_tokens", "text", "stop_reason", "load_ms", "prefill_tok_s",
          "decode_tok_s", "peak_rss_bytes", "threads", "kernel", "artifact_digest"]:
    assert k in r, k
assert r["artifact_digest"] == "sha256:" + sys.argv[2], r["artifact_digest"]
assert r["threads"] == 1 and r["peak_rss_bytes"] > 0 and r["decode_tok_s"] > 0
assert r["kernel"] in ("scalar", "avx2", "avxvnni", "avx512", "avx512vnni"), r["kernel"]
assert r["prompt_tokens"][0] == 256  # BOS
PY

# An f16 KV cache: reported by --json (f32 by default); ggml numerics, which
# reproduce llama.cpp with an f32 cache, refuse it.
expect_exit 0 "run --kv-cache f16" -- "$SLMCTL" run tiny.slm -p "the quick brown fox" -n 32 --kv-cache f16 --json
python3 - "$WORK/out" <<'PY' && ok || fail "run --kv-cache f16 --json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["kv_cache"] == "f16" and len(r["generated_tokens"]) == 32, r
PY
[[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kv_cache"])' "$WORK/tiny.golden.json")" == f32 ]] \
  && ok || fail "default KV cache is f32"
expect_exit 2 "--numerics ggml with --kv-cache f16" -- "$SLMCTL" run tiny.slm -p x --numerics ggml --kv-cache f16
expect_exit 2 "--kv-cache q8_0" -- "$SLMCTL" run tiny.slm -p x --kv-cache q8_0

# Streaming: stdout carries exactly the generated bytes (byte-level: id = byte).
"$SLMCTL" run tiny.slm -p "the quick brown fox" -n 64 >stream.out 2>stream.err
python3 - "$WORK/tiny.golden.json" "$WORK/stream.out" <<'PY' && ok || fail "streamed text = generated bytes"
import json, sys
ids = json.load(open(sys.argv[1]))["generated_tokens"]
assert open(sys.argv[2], "rb").read() == bytes(i for i in ids if i < 256)
PY
grep -q "tok/s" stream.err && ok || fail "statistics on stderr"

# -f reads the prompt from a file.
printf 'the quick brown fox' > prompt.txt
expect_exit 0 "run -f" -- "$SLMCTL" run tiny.slm -f prompt.txt -n 64 --json
[[ "$(json_ids out generated_tokens)" == "$(json_ids tiny.golden.json generated_tokens)" ]] && ok || fail "-f = -p"
expect_exit 2 "-p and -f together" -- "$SLMCTL" run tiny.slm -p x -f prompt.txt
expect_exit 5 "missing prompt file" -- "$SLMCTL" run tiny.slm -f nope.txt

# Sampling: a seed fixes the output; another seed changes it.
expect_exit 0 "sample seed 1" -- "$SLMCTL" run tiny.slm -p "the" -n 48 --temp 1.0 --top-k 40 --top-p 0.95 \
  --repeat-penalty 1.1 --seed 1 --json
json_ids out generated_tokens >seed1.a
"$SLMCTL" run tiny.slm -p "the" -n 48 --temp 1.0 --top-k 40 --top-p 0.95 --repeat-penalty 1.1 --seed 1 \
  --threads 2 --json >seed.json 2>/dev/null
json_ids seed.json generated_tokens >seed1.b
"$SLMCTL" run tiny.slm -p "the" -n 48 --temp 1.0 --top-k 40 --top-p 0.95 --repeat-penalty 1.1 --seed 2 \
  --json >seed.json 2>/dev/null
json_ids seed.json generated_tokens >seed2
expect_same_file seed1.a seed1.b "same seed, same tokens"
if ! cmp -s seed1.a seed2; then ok; else fail "different seeds gave the same 48 tokens"; fi
"$SLMCTL" run tiny.slm -p "the" -n 48 --top-k 1 --temp 0.7 --seed 9 --json >topk1.json 2>/dev/null
"$SLMCTL" run tiny.slm -p "the" -n 48 --json >greedy.json 2>/dev/null
[[ "$(json_ids topk1.json generated_tokens)" == "$(json_ids greedy.json generated_tokens)" ]] && ok ||
  fail "--top-k 1 is greedy"

# Invalid settings are usage errors (exit 2).
expect_exit 2 "--temp -1" -- "$SLMCTL" run tiny.slm --temp -1
expect_stderr_contains "temperature" "bad temperature named"
expect_exit 2 "--top-p 0" -- "$SLMCTL" run tiny.slm --top-p 0
expect_stderr_contains "top_p" "bad top-p named"
expect_exit 2 "--top-p 1.5" -- "$SLMCTL" run tiny.slm --top-p 1.5
expect_exit 2 "--top-k -3" -- "$SLMCTL" run tiny.slm --top-k -3
expect_exit 2 "--repeat-penalty 0" -- "$SLMCTL" run tiny.slm --repeat-penalty 0
expect_exit 2 "--kernel bogus" -- "$SLMCTL" run tiny.slm --kernel bogus
expect_exit 2 "no model" -- "$SLMCTL" run

# A prompt longer than the context (128) is invalid input, with both numbers.
long="$(head -c 200 /dev/zero | tr '\0' 'a')"
expect_exit 3 "prompt too long" -- "$SLMCTL" run tiny.slm -p "$long"
expect_stderr_contains "201 tokens" "prompt length reported"
expect_stderr_contains "context length is 128" "context length reported"
# Stopping at the context: 126 prompt tokens leave room for 2.
fits="$(head -c 125 /dev/zero | tr '\0' 'a')"
expect_exit 0 "prompt that nearly fills the context" -- "$SLMCTL" run tiny.slm -p "$fits" -n 50 --json
python3 -c "import json; r=json.load(open('$WORK/out')); assert r['stop_reason'] in ('context','eos') and len(r['generated_tokens']) <= 2, r" \
  && ok || fail "stops at the context length"

# Verification before anything runs: a bad checksum is refused unless --no-verify.
cp tiny.slm badsum.slm
printf '\x01' | dd of=badsum.slm bs=1 seek=100 conv=notrunc status=none
expect_exit 3 "run with a wrong checksum" -- "$SLMCTL" run badsum.slm -n 4
expect_stderr_contains "badsum.slm" "checksum error names the file"
expect_exit 0 "run --no-verify skips the checksum" -- "$SLMCTL" run badsum.slm -n 4 --no-verify --json
grep -q '"checksum_verified": false' out && ok || fail "--no-verify reported"
head -c 3000 tiny.slm > truncated.slm
expect_exit 3 "--no-verify still checks the structure" -- "$SLMCTL" run truncated.slm --no-verify
expect_exit 5 "missing model" -- "$SLMCTL" run nope.slm

# --dump-logits: prompt positions plus fed generated tokens, vocab floats each.
expect_exit 0 "dump logits" -- "$SLMCTL" run tiny.slm -p "ab" -n 5 --dump-logits d.f32 --json
size=$(stat -c %s d.f32)
[[ "$size" == $(( (3 + 4) * 258 * 4 )) ]] && ok || fail "dump size $size"

# Ctrl-C stops generation after the current token: exit 130, statistics still
# printed, stop reason "cancelled". Scalar kernels on the 15M-parameter bench
# model make 250 tokens take seconds, so the signal lands mid-generation.
"$MAKE_FIXTURES" --bench bench >/dev/null 2>&1 && "$SLMCTL" pack bench/bench-15m/spec.yaml -o bench.slm 2>/dev/null
"$SLMCTL" run bench.slm -p "once" -n 250 --ignore-eos --kernel scalar >sigint.out 2>sigint.err &
pid=$!
# Signal once text streams (generation has started), however slow the build.
for _ in $(seq 600); do [[ -s sigint.out ]] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"; rc=$?
[[ "$rc" == 130 ]] && ok || fail "Ctrl-C: expected exit 130, got $rc"
grep -q "stop: cancelled" sigint.err && ok || fail "Ctrl-C: statistics with stop reason cancelled"
generated=$(grep -o '+ [0-9]* generated' sigint.err | grep -o '[0-9]*')
[[ -n "$generated" && "$generated" -lt 250 ]] && ok || fail "Ctrl-C: generation went on ($generated tokens)"

expect_exit 0 "run --help" -- "$SLMCTL" run --help
grep -q -- "--dump-logits" out && ok || fail "--help documents --dump-logits"

finish
