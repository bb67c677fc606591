#!/usr/bin/env bash
# Measures the trained skills (fixtures/skills/) with slmctl alone and writes
# docs/skills.md: held-out exact match of every skill in f32, q8_0 and q4_0,
# the quantization gate (KL and same-top-1 against the f32 parent), and the
# adapter scenario (arith-sub as ADP1 / ASP1 / ALR1 adapters on arith-add).
# Every number in the document comes from an eval sidecar of this run.
#   scripts/skills-report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
release_slmctl build/skills
mkdir -p "$OUT/evals"
quiet() { "$SLMCTL" "$@" >/dev/null 2>&1; }
# eval exits 1 when a suite fails: that is a result here, not an error.
evaluate() { "$SLMCTL" eval "$@" >/dev/null 2>&1 || [[ $? == 1 ]]; }

for t in arith-add text-reverse date-iso arith-sub; do
  quiet pack "fixtures/skills/$t/spec.yaml" -o "$OUT/$t.slm"
  evaluate "$OUT/$t.slm" --suite "evals/skills/$t.yaml" --sidecar "$OUT/evals/$t.f32.json"
  [[ $t == arith-sub ]] && continue
  for dt in q8_0 q4_0; do
    quiet quantize "$OUT/$t.slm" --to "$dt" -o "$OUT/$t-$dt.slm" --no-report
    evaluate "$OUT/$t-$dt.slm" --suite "evals/skills/$t.yaml" --sidecar "$OUT/evals/$t.$dt.json"
    evaluate "$OUT/$t-$dt.slm" --suite "evals/skills/$t-gate.yaml" --parent "$OUT/$t.slm" \
      --sidecar "$OUT/evals/$t.$dt.gate.json"
  done
done

# The adapter scenario: arith-sub was fine-tuned from arith-add.
evaluate "$OUT/arith-add.slm" --suite evals/skills/arith-sub.yaml --sidecar "$OUT/evals/sub-on-add.json"
adapters=(dense "--kind dense" sparse-1e-3 "--kind sparse --threshold 0.001" sparse-1e-2 "--kind sparse --threshold 0.01"
  lowrank-4 "--kind lowrank --rank 4" lowrank-16 "--kind lowrank --rank 16" lowrank-32 "--kind lowrank --rank 32")
for ((i = 0; i < ${#adapters[@]}; i += 2)); do
  name=${adapters[i]}
  # shellcheck disable=SC2086
  "$SLMCTL" adapter create "$OUT/arith-add.slm" "$OUT/arith-sub.slm" ${adapters[i + 1]} \
    -o "$OUT/sub-$name.adp" --json > "$OUT/sub-$name.create.json" 2>/dev/null
  quiet adapter-apply "$OUT/arith-add.slm" "$OUT/sub-$name.adp" -o "$OUT/add+sub-$name.slm"
  evaluate "$OUT/add+sub-$name.slm" --suite evals/skills/arith-sub.yaml --sidecar "$OUT/evals/sub-$name.json"
done

python3 scripts/skills_report.py "$OUT" > docs/skills.md
cat docs/skills.md
