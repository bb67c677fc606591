#!/usr/bin/env bash
# Retrains every skill under fixtures/skills/ from scratch (Debian's PyTorch,
# CPU; installed when missing) and refreshes their eval cases in evals/skills/.
# About half an hour on 2 cores. The committed results are what the tests and
# the demo use; nothing else needs PyTorch.
#   tools/train/run.sh [TASK...]     default: all, in dependency order
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --train
tasks=("$@")
((${#tasks[@]})) || tasks=(arith-add arith-sub text-reverse date-iso)
for task in "${tasks[@]}"; do
  init=()
  [[ "$task" == arith-sub ]] && init=(--init fixtures/skills/arith-add)
  /usr/bin/python3 tools/train/train.py "$task" --out "fixtures/skills/$task" "${init[@]}"
  mv "fixtures/skills/$task/eval-cases.jsonl" "evals/skills/$task.jsonl"
  mv "fixtures/skills/$task/gate-text.txt" "evals/skills/$task-gate.txt"
done
