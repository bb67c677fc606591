#!/usr/bin/env bash
# quantize: outputs, manifests, quality report, refusals.
source "$(dirname "$0")/lib.sh"
FIX="$SOURCE_DIR/fixtures"

for name in tiny tiny-gqa tiny-tied; do
  "$SLMCTL" pack "$FIX/$name/spec.yaml" -o "$name.slm" 2>/dev/null
  for dt in q8_0 q4_0; do
    expect_exit 0 "quantize $name $dt" -- "$SLMCTL" quantize "$name.slm" --to "$dt" -o "$name-$dt.slm" --json
    cp out "$name-$dt.json"
    expect_exit 0 "verify $name-$dt" -- "$SLMCTL" verify "$name-$dt.slm"
    "$PY" - "$name-$dt.json" "$name-$dt.manifest.json" "$name.slm" "$dt" <<'PY' && ok || fail "quantize $name $dt report/manifest"
import hashlib, json, sys
r = json.load(open(sys.argv[1])); m = json.load(open(sys.argv[2])); parent = open(sys.argv[3], "rb").read(); dt = sys.argv[4]
assert m["operator"] == "quantize" and m["runtime"]["quantization"] == dt, m
assert m["parents"][0]["digest"] == "sha256:" + hashlib.sha256(parent).hexdigest()
assert m["version"] == "0.1.0+" + dt.replace("_", "-")
q = r["quality"]
assert q["positions"] > 100 and 0 <= q["mean_kl"] < (0.05 if dt == "q8_0" else 2.0), q
assert q["same_top1"] > (0.9 if dt == "q8_0" else 0.3), q
for t in r["tensors"]:
    want = "f32" if t["name"].endswith("norm.weight") else dt
    assert t["to"] == want, t
assert r["size"] < r["input_size"] / (3 if dt == "q8_0" else 5)
PY
  done
done

# Deterministic: the same input gives the same bytes.
"$SLMCTL" quantize tiny.slm --to q4_0 -o again.slm --no-report 2>/dev/null
expect_same_file tiny-q4_0.slm again.slm "quantize twice"

# Refusals.
expect_exit 2 "re-quantizing without --requantize" -- "$SLMCTL" quantize tiny-q4_0.slm --to q8_0 -o x.slm
expect_stderr_contains "--requantize" "refusal explains the flag"
expect_exit 0 "re-quantizing with --requantize" -- "$SLMCTL" quantize tiny-q4_0.slm --to q8_0 -o x.slm --requantize --no-report
"$PY" -c "import json; v=json.load(open('x.manifest.json'))['version']; assert v.endswith('+q4-0.q8-0'), v" \
  && ok || fail "re-quantized version joins the build tags with a dot"
expect_exit 2 "bad target dtype" -- "$SLMCTL" quantize tiny.slm --to q3_k -o x.slm
expect_exit 5 "missing input" -- "$SLMCTL" quantize nope.slm --to q8_0 -o x.slm
expect_exit 1 "manifest of another artifact" -- "$SLMCTL" quantize tiny.slm --to q8_0 -o mm.slm --manifest tiny-gqa.manifest.json
# The output is staged while the input is hashed: a refused input leaves no
# file behind, not even the temporary one.
if compgen -G "mm.*" >/dev/null; then fail "refused input left files: $(echo mm.*)"; else ok; fi
expect_exit 5 "output directory missing" -- "$SLMCTL" quantize tiny.slm --to q8_0 -o no-such-dir/x.slm --no-report
grep -q "no-such-dir/x.slm" "$WORK/err" && ok || fail "missing output directory not named: $(cat "$WORK/err")"
# A block size that does not divide rows keeps those tensors f32 (stated in the report).
expect_exit 0 "block size 64" -- "$SLMCTL" quantize tiny.slm --to q8_0 --block-size 64 -o b64.slm --json --no-report
"$PY" -c "
import json; r=json.load(open('$WORK/out'))
kept=[t for t in r['tensors'] if t['to']=='f32' and 'norm' not in t['name']]
assert kept and all('not a multiple' in t['note'] for t in kept), kept
" && ok || fail "block 64 keeps 32-wide rows f32"
finish
