#!/usr/bin/env bash
# slmctl run --batch-size: a prompt fed in batches gives the logits (every
# position, --dump-logits) and tokens of feeding it one position at a time,
# byte for byte, for f32/q8_0/q4_0 models, both activation modes and 1-2
# threads; bad values are usage errors.
source "$(dirname "$0")/lib.sh"
FIX="$SOURCE_DIR/fixtures"
# 70 prompt positions: two full batches of 32 and a partial one.
PROMPT="the quick brown fox jumps over the lazy dog while the cat sleeps on the mat in the sun"

expect_exit 0 "pack tiny-gqa" -- "$SLMCTL" pack "$FIX/tiny-gqa/spec.yaml" -o f32.slm
for q in q8_0 q4_0; do
  expect_exit 0 "quantize $q" -- "$SLMCTL" quantize f32.slm --to "$q" -o "$q.slm" --no-report
done

for m in f32 q8_0 q4_0; do
  activations="f32"
  [[ $m != f32 ]] && activations="f32 q8_0"
  for act in $activations; do
    for threads in 1 2; do
      tag="$m/$act/$threads threads"
      for batch in 1 7 32; do
        expect_exit 0 "run $tag --batch-size $batch" -- "$SLMCTL" run "$m.slm" -p "$PROMPT" -n 12 \
          --threads "$threads" --activations "$act" --batch-size "$batch" --json \
          --dump-logits "$m-$act-$threads-$batch.f32"
        "$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print(' '.join(map(str, r['generated_tokens'])))" \
          out > "$m-$act-$threads-$batch.tokens"
        "$PY" -c "import json,sys; assert json.load(open(sys.argv[1]))['batch_size'] == int(sys.argv[2])" out "$batch" \
          && ok || fail "$tag: --json does not report batch_size $batch"
      done
      n=$("$PY" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['prompt_tokens']))" out)
      [[ "$n" -gt 64 ]] && ok || fail "$tag: the prompt has only $n positions (want more than two batches)"
      for batch in 7 32; do
        expect_same_file "$m-$act-$threads-1.f32" "$m-$act-$threads-$batch.f32" "$tag logits, batch $batch vs 1"
        expect_same_file "$m-$act-$threads-1.tokens" "$m-$act-$threads-$batch.tokens" "$tag tokens, batch $batch vs 1"
      done
    done
  done
done

expect_exit 2 "--batch-size 0" -- "$SLMCTL" run f32.slm -p "hi" --batch-size 0
expect_stderr_contains "--batch-size" "--batch-size 0 names the option"
finish
