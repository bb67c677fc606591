#!/usr/bin/env bash
# slmctl eval: decisions and exit codes, the sidecar schema, JUnit, determinism
# across thread counts, shard + merge == one run, parent gates, bad suites.
source "$SOURCE_DIR/tests/cli/lib.sh"
FIX="$SOURCE_DIR/fixtures"
EVALS="$SOURCE_DIR/evals"

for f in tiny tiny-bpe tiny-tied tiny-gqa tiny-mqa; do
  "$SLMCTL" pack "$FIX/$f/spec.yaml" -o "$f.slm" 2>/dev/null || fail "pack $f"
  expect_exit 0 "eval $f against its reference suite" -- \
    "$SLMCTL" eval "$f.slm" --suite "$EVALS/fixtures/$f.yaml" --out sidecars --junit "$f.junit.xml"
done

# Sidecar against its schema; JUnit parsed; counts agree.
check_outputs() {  # check_outputs SIDECAR JUNIT CASES FAILURES
  if $PY - "$SOURCE_DIR/schemas/eval-sidecar.schema.json" "$@" <<'PY'; then ok; else fail "outputs of $1"; fi
import json, sys, xml.etree.ElementTree as ET
import jsonschema
schema, sidecar_path, junit_path, cases, failures = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
s = json.load(open(sidecar_path))
jsonschema.Draft202012Validator(json.load(open(schema))).validate(s)
assert len(s["cases"]) == cases and s["cases_failed"] == failures, (len(s["cases"]), s["cases_failed"])
root = ET.parse(junit_path).getroot()
suite = root.find("testsuite")
tc = suite.findall("testcase")
case_tcs = [t for t in tc if not t.get("classname").endswith(".metrics")]
assert len(case_tcs) == cases, len(case_tcs)
assert len([t for t in case_tcs if t.find("failure") is not None]) == failures
for t in case_tcs:
    f = t.find("failure")
    if f is not None:
        assert "expected" in f.text and f.get("message"), f.text
PY
}
check_outputs sidecars/tiny.eval.fixtures.tiny.reference.json tiny.junit.xml 6 0

# A suite meant to half-fail passes at pass_rate 0.5 and fails at 1.0.
expect_exit 0 "scorer examples at pass_rate 0.5" -- \
  "$SLMCTL" eval tiny-gqa.slm --suite "$EVALS/examples/scorers.yaml" --sidecar scorers.json --junit scorers.xml
check_outputs scorers.json scorers.xml 9 4
sed 's/pass_rate: 0.5/pass_rate: 1.0/' "$EVALS/examples/scorers.yaml" >strict.yaml
expect_exit 1 "the same cases at pass_rate 1.0" -- \
  "$SLMCTL" eval tiny-gqa.slm --suite strict.yaml --sidecar strict.json --junit strict.xml --json
grep -q '"decision": "fail"' "$WORK/out" && ok || fail "--json shows the fail decision"
check_outputs strict.json strict.xml 9 4

# Same content for 1 and 2 threads, and for 3 shards merged (timestamps and timings aside).
same_content() {  # same_content A.json B.json WHAT
  if $PY - "$1" "$2" <<'PY'; then ok; else fail "$3"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for s in (a, b):
    s.pop("generated_at_utc"); s.pop("timings")
assert a == b, [k for k in a if a[k] != b.get(k)]
PY
}
"$SLMCTL" eval tiny-bpe.slm --suite "$EVALS/fixtures/tiny-bpe.yaml" --threads 1 --sidecar t1.json 2>/dev/null
"$SLMCTL" eval tiny-bpe.slm --suite "$EVALS/fixtures/tiny-bpe.yaml" --threads 2 --sidecar t2.json 2>/dev/null
same_content t1.json t2.json "1 thread vs 2 threads"
for i in 1 2 3; do
  expect_exit 0 "shard $i/3" -- "$SLMCTL" eval tiny-bpe.slm --suite "$EVALS/fixtures/tiny-bpe.yaml" --shard "$i/3" --sidecar "s$i.json"
done
expect_exit 0 "merge the shards" -- "$SLMCTL" eval merge s3.json s1.json s2.json -o merged.json --junit merged.xml
same_content t1.json merged.json "3 merged shards vs one run"
expect_exit 3 "merge with a shard missing" -- "$SLMCTL" eval merge s1.json s2.json -o x.json
expect_exit 3 "merge of different models" -- "$SLMCTL" eval merge s1.json s2.json sidecars/tiny.eval.fixtures.tiny.reference.json -o x.json
expect_exit 2 "a bad --shard" -- "$SLMCTL" eval tiny.slm --suite "$EVALS/fixtures/tiny.yaml" --shard 4/3

# Parent gates: q8_0 stays close to its f32 parent, q4_0 of this random model does not.
"$SLMCTL" quantize tiny-gqa.slm --to q8_0 -o gqa-q8.slm --no-report 2>/dev/null
"$SLMCTL" quantize tiny-gqa.slm --to q4_0 -o gqa-q4.slm --no-report 2>/dev/null
expect_exit 0 "q8_0 passes the quantization gate" -- \
  "$SLMCTL" eval gqa-q8.slm --suite "$EVALS/examples/gate-quantized.yaml" --parent tiny-gqa.slm --sidecar gate-q8.json
grep -q '"source_kind": "quantized"' gate-q8.json && ok || fail "source_kind of a quantized model"
expect_exit 1 "q4_0 fails the quantization gate" -- \
  "$SLMCTL" eval gqa-q4.slm --suite "$EVALS/examples/gate-quantized.yaml" --parent tiny-gqa.slm --sidecar gate-q4.json
expect_exit 2 "a parent gate without --parent" -- "$SLMCTL" eval gqa-q8.slm --suite "$EVALS/examples/gate-quantized.yaml"

# Bad suites: exit 3 (4 for contracts), the file and line named, no sidecar left behind.
bad_suite() {  # bad_suite NAME EXIT MESSAGE  (suite text on stdin)
  cat >"$1.yaml"
  expect_exit "$2" "suite $1" -- "$SLMCTL" eval tiny.slm --suite "$1.yaml" --sidecar "$1.json"
  expect_stderr_contains "$3" "message of suite $1"
  [[ ! -e "$1.json" ]] && ok || fail "suite $1 left a sidecar"
}
head='suite: bad.suite
version: 1.0.0
contracts: {input: text/v1, output: text/v1}'
printf '%s\ncases: [{id: a, input: "x", expected: "y", scorer: bleu}]\n' "$head" | bad_suite unknown-scorer 3 "unknown-scorer.yaml:4"
printf '%s\ncases: [{id: a, input: "x", scorer: {kind: regex, pattern: "(x"}}]\n' "$head" | bad_suite bad-regex 3 "invalid regex"
printf '%s\nscorer: exact\ncases:\n  - {id: a, input: "x", expected: "y"}\n  - {id: a, input: "z", expected: "y"}\n' "$head" |
  bad_suite duplicate 3 "case id 'a' is already used at duplicate.yaml:6"
printf '%s\n' "$head" | bad_suite empty 3 "no cases and no metrics"
printf '%s\ncases: [{id: a, input: 3}]\n' "$head" | bad_suite schema 3 "/cases/0/input"
printf 'suite: [unclosed\n' | bad_suite malformed 3 "malformed.yaml"
printf 'suite: bad.suite\nversion: 1.0.0\ncontracts: {input: chat/v1, output: text/v1}\nscorer: exact\ncases: [{id: a, input: "x", expected: "y"}]\n' |
  bad_suite contracts 4 "implements text/v1 -> text/v1"
printf '{"id": "a", "input": "x", "expected": "y"}\n{"id": "b", "input": 7}\n' >cases.jsonl
printf '%s\nscorer: exact\ncases_file: cases.jsonl\n' "$head" | bad_suite jsonl 3 "cases.jsonl:2"
expect_exit 5 "a missing suite" -- "$SLMCTL" eval tiny.slm --suite nowhere.yaml

# Cases from JSONL run like inline ones.
printf '{"id": "j1", "input": "the quick brown fox", "expected_tokens": [150, 243, 202, 101]}\n\n' >good.jsonl
printf '%s\nscorer: exact_tokens\ngeneration: {max_tokens: 4}\ncases_file: good.jsonl\n' "$head" >jsonl.yaml
expect_exit 0 "cases from a JSONL file" -- "$SLMCTL" eval tiny.slm --suite jsonl.yaml --sidecar jsonl.json

finish
