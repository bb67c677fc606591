#!/usr/bin/env bash
# pack / verify / inspect on every fixture, determinism and exit codes.
source "$(dirname "$0")/lib.sh"
FIX="$SOURCE_DIR/fixtures"
SCHEMAS="$SOURCE_DIR/schemas"

for name in tiny tiny-bpe tiny-tied tiny-gqa tiny-mqa; do
  expect_exit 0 "pack $name" -- "$SLMCTL" pack "$FIX/$name/spec.yaml" -o "$name.slm"
  expect_exit 0 "verify $name" -- "$SLMCTL" verify "$name.slm"
  expect_exit 0 "inspect $name" -- "$SLMCTL" inspect "$name.slm" --json
  cp out "$name.inspect.json"
  # Round trip: packing again gives byte-identical artifact and manifest.
  expect_exit 0 "pack $name again" -- "$SLMCTL" pack "$FIX/$name/spec.yaml" -o "$name.again.slm"
  expect_same_file "$name.slm" "$name.again.slm" "pack $name twice"
  expect_same_file "$name.manifest.json" "$name.again.manifest.json" "manifest $name twice"
  expect_same_file "$name.manifest.json" "$SOURCE_DIR/manifests/skill.fixture.$name.manifest.json" \
    "manifest $name equals the committed manifests/ copy"
  # The manifest validates against its schema with an independent validator,
  # and its id is the sha256 of the file's bytes.
  if "$PY" "$SOURCE_DIR/tests/scripts/check_json_schema.py" "$SCHEMAS/skill-manifest.schema.json" \
      "$name.manifest.json" >/dev/null; then ok; else fail "manifest $name vs schema (python jsonschema)"; fi
  digest="sha256:$(sha256sum "$name.slm" | cut -d' ' -f1)"
  if grep -qF "\"digest\":\"$digest\"" "$name.manifest.json"; then ok; else fail "manifest $name names $digest"; fi
done

# inspect reports what the spec said.
"$PY" - "$WORK/tiny-gqa.inspect.json" "$WORK/tiny-tied.inspect.json" <<'PY' && ok || fail "inspect fields"
import json, sys
gqa = json.load(open(sys.argv[1])); tied = json.load(open(sys.argv[2]))
assert gqa["model"]["n_heads"] == 4 and gqa["model"]["n_kv_heads"] == 2, gqa["model"]
assert gqa["tokenizer"]["kind"] == "BTOK" and gqa["tokenizer"]["tokens"] == 258
assert tied["model"]["tied_output"] is True
assert all(t["name"] != "output.weight" for t in tied["tensors"])
assert gqa["checksum"]["verified"] is True
wk = [t for t in gqa["tensors"] if t["name"] == "layers.0.attention.wk.weight"][0]
assert wk["shape"] == [32, 16], wk
PY

# verify --json lists every check.
expect_exit 0 "verify --json" -- "$SLMCTL" verify tiny.slm --json
"$PY" -c "
import json,sys; r=json.load(open('$WORK/out'))
names=[c['name'] for c in r['checks']]
assert r['passed'] and r['exit_code']==0, r
for n in ['container.structure','container.checksum','manifest.valid','manifest.artifact_digest','manifest.tokenizer']:
    assert n in names, n
" && ok || fail "verify --json content"

# Exit codes.
expect_exit 5 "verify missing file" -- "$SLMCTL" verify nope.slm
expect_exit 2 "verify without a file" -- "$SLMCTL" verify
expect_exit 2 "unknown command" -- "$SLMCTL" frobnicate
cp tiny.slm flipped.slm
printf '\xff' | dd of=flipped.slm bs=1 seek=5000 conv=notrunc status=none
expect_exit 3 "verify flipped byte" -- "$SLMCTL" verify flipped.slm --manifest tiny.manifest.json
head -c 4000 tiny.slm > truncated.slm
expect_exit 3 "verify truncated" -- "$SLMCTL" verify truncated.slm
expect_exit 3 "inspect truncated" -- "$SLMCTL" inspect truncated.slm
expect_stderr_contains "truncated.slm" "inspect error names the file"
# A manifest that belongs to another artifact: the check fails (exit 1).
expect_exit 1 "verify against another model's manifest" -- "$SLMCTL" verify tiny.slm --manifest tiny-gqa.manifest.json
# A hand-edited manifest is no longer canonical, so its id does not hold.
"$PY" -c "import json; m=json.load(open('tiny.manifest.json')); open('edited.json','w').write(json.dumps(m, indent=1))"
expect_exit 3 "verify edited manifest" -- "$SLMCTL" verify tiny.slm --manifest edited.json
expect_stderr_contains "not canonical" "edited manifest explained"

# Policies.
cat > ok-policy.yaml <<'YAML'
allowed_input_contracts: [text/v1]
allowed_output_contracts: [text/v1]
supported_backends: [cpu]
memory_ceiling_bytes: 100000000
max_safety_tier: medium
YAML
expect_exit 0 "policy satisfied" -- "$SLMCTL" verify tiny.slm --policy ok-policy.yaml
cat > strict-policy.yaml <<'YAML'
memory_ceiling_bytes: 1000
require_evaluation_card: true
YAML
expect_exit 4 "policy violated" -- "$SLMCTL" verify tiny.slm --policy strict-policy.yaml --json
"$PY" -c "
import json; r=json.load(open('$WORK/out'))
bad=[c['name'] for c in r['checks'] if c['outcome']=='fail']
assert bad==['policy.memory_ceiling','policy.evaluation_card'], bad
" && ok || fail "policy failures listed"
printf 'max_safety_tier: extreme\n' > bad-policy.yaml
expect_exit 3 "malformed policy" -- "$SLMCTL" verify tiny.slm --policy bad-policy.yaml
expect_stderr_contains "bad-policy.yaml:1" "policy error names file and line"

# Bad specs: schema violations name the file, line and field.
sed 's/n_heads: 4/n_heads: -4/' "$FIX/tiny/spec.yaml" > bad-spec.yaml
cp "$FIX/tiny/weights.safetensors" .
expect_exit 3 "spec with negative n_heads" -- "$SLMCTL" pack bad-spec.yaml -o bad.slm
expect_stderr_contains "/model/n_heads" "spec error names the field"
expect_stderr_contains "bad-spec.yaml:" "spec error names the file"
if [[ ! -e bad.slm ]]; then ok; else fail "failed pack left an output behind"; fi
sed 's/head_dim: 8/head_dim: 16/' "$FIX/tiny/spec.yaml" > wrong-shape.yaml
expect_exit 3 "spec whose shapes disagree with the weights" -- "$SLMCTL" pack wrong-shape.yaml -o bad.slm
expect_stderr_contains "expected shape" "shape mismatch explained"
printf 'name: [unclosed\n' > broken.yaml
expect_exit 3 "malformed YAML" -- "$SLMCTL" pack broken.yaml -o bad.slm
expect_stderr_contains "broken.yaml:" "YAML error names the file"

# Every command has --help.
for cmd in pack verify inspect; do
  expect_exit 0 "$cmd --help" -- "$SLMCTL" "$cmd" --help
done

finish
