#!/usr/bin/env bash
# The trained skills (fixtures/skills/, tools/train/): packing reproduces the
# committed manifests, slmctl's runtime answers the held-out suites as the
# PyTorch model that was trained (>= 95 % exact match), q8_0 passes the
# quantization gate, and the subtraction adapter on arith-add reproduces
# arith-sub byte for byte and carries its digest into the eval sidecar.
source "$(dirname "$0")/lib.sh"
SKILLS="$SOURCE_DIR/fixtures/skills"
EVALS="$SOURCE_DIR/evals/skills"
sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
field() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }

for t in arith-add text-reverse date-iso arith-sub; do
  expect_exit 0 "pack $t" -- "$SLMCTL" pack "$SKILLS/$t/spec.yaml" -o "$t.slm"
  expect_same_file "$t.manifest.json" "$SOURCE_DIR/manifests/skill.$t.manifest.json" "$t manifest reproduces"
  expect_exit 0 "$t passes its held-out suite" -- "$SLMCTL" eval "$t.slm" --suite "$EVALS/$t.yaml" --sidecar "$t.eval.json"
  # slmctl and PyTorch agree on what the model answers: their exact-match
  # rates on the same 200 cases may differ only where float rounding flips
  # a near-tie (at most 2 cases).
  "$PY" - "$t.eval.json" "$SKILLS/$t/training.json" <<'PY' && ok || fail "$t: slmctl and PyTorch exact match differ"
import json, sys
s, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
native, torch = s["cases_passed"], round(t["heldout_exact_match_torch"] * (s["cases_passed"] + s["cases_failed"]))
assert abs(native - torch) <= 2, (native, torch)
PY
done

# json-date/v1 by shape: a JSON Schema scorer over the same held-out prompts.
expect_exit 0 "date-iso answers follow json-date/v1" -- \
  "$SLMCTL" eval date-iso.slm --suite "$EVALS/date-iso-schema.yaml" --sidecar date-schema.json

for t in arith-add text-reverse date-iso; do
  expect_exit 0 "quantize $t" -- "$SLMCTL" quantize "$t.slm" --to q8_0 -o "$t-q8_0.slm" --no-report
  expect_exit 0 "$t q8_0 passes the suite" -- "$SLMCTL" eval "$t-q8_0.slm" --suite "$EVALS/$t.yaml" --sidecar q8.json
  expect_exit 0 "$t q8_0 passes the gate" -- "$SLMCTL" eval "$t-q8_0.slm" --suite "$EVALS/$t-gate.yaml" \
    --parent "$t.slm" --sidecar q8-gate.json
done

# Without the adapter, arith-add does not subtract.
expect_exit 1 "arith-add fails the subtraction suite" -- \
  "$SLMCTL" eval arith-add.slm --suite "$EVALS/arith-sub.yaml" --sidecar sub-on-add.json
expect_exit 0 "create the subtraction adapter" -- \
  "$SLMCTL" adapter create arith-add.slm arith-sub.slm --kind dense -o sub.adp
expect_exit 0 "apply it" -- "$SLMCTL" adapter-apply arith-add.slm sub.adp -o adapted.slm
expect_same_file adapted.slm arith-sub.slm "arith-add + dense adapter = arith-sub"
expect_exit 0 "the adapted model subtracts" -- \
  "$SLMCTL" eval adapted.slm --suite "$EVALS/arith-sub.yaml" --sidecar adapted.json
[[ "$(field adapted.json '["adapter_digest"]')" == "$(sha sub.adp)" ]] && ok || fail "adapter_digest in the sidecar"

finish
