#!/usr/bin/env bash
# The embedded registry: add, references, promote gate, rollback, lifecycle
# rules, signatures, freshness, bad input, fsck/gc, and OCI tools reading it.
source "$SOURCE_DIR/tests/cli/lib.sh"
FIX="$SOURCE_DIR/fixtures"
SUITE="$SOURCE_DIR/evals/fixtures/tiny.yaml"
S="$SLMCTL"
N=skill.fixture.tiny
json_field() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }

# --- add: pack --add, quantize --add (from a reference), add of an existing file
expect_exit 5 "ls before any registry exists" -- "$S" ls
expect_stderr_contains "no registry here" "missing registry is named"
expect_exit 0 "pack --add" -- "$S" pack "$FIX/tiny/spec.yaml" -o t.slm --add
[[ -f t.intoto.json ]] && ok || fail "pack writes the in-toto statement"
$PY - t.intoto.json t.manifest.json <<'PY' && ok || fail "in-toto statement names the artifact and its inputs"
import json, sys
st, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert st["_type"] == "https://in-toto.io/Statement/v1" and st["predicateType"] == "https://slsa.dev/provenance/v1"
assert "sha256:" + st["subject"][0]["digest"]["sha256"] == m["artifact"]["digest"]
deps = st["predicate"]["buildDefinition"]["resolvedDependencies"]
assert ["sha256:" + d["digest"]["sha256"] for d in deps] == [p["digest"] for p in m["parents"]]
PY
expect_exit 0 "the same pack --add again is a no-op" -- "$S" pack "$FIX/tiny/spec.yaml" -o t.slm --add --json
[[ "$(json_field "$WORK/out" '["registry"]["already_present"]')" == True ]] && ok || fail "already_present reported"
expect_exit 0 "quantize a registry reference with --add" -- "$S" quantize "$N:0.1.0" --to q8_0 -o t8.slm --add --no-report
expect_exit 0 "ls lists the skill" -- "$S" ls
grep -q "$N .*2 version" "$WORK/out" && ok || fail "ls shows 2 versions"
expect_exit 0 "ls NAME --json" -- "$S" ls "$N" --json
[[ "$(json_field "$WORK/out" '[1]["version"]')" == "0.1.0+q8-0" ]] && ok || fail "versions listed in order of addition"

# A different artifact under an existing NAME:VERSION is a conflict.
sed -e 's/^description: .*/description: changed/' -e "s#^  path: #  path: $FIX/tiny/#" "$FIX/tiny/spec.yaml" > changed.yaml
expect_exit 0 "pack a changed manifest of the same version" -- "$S" pack changed.yaml -o changed.slm
expect_exit 6 "NAME:VERSION exists with another manifest" -- "$S" add changed.slm
expect_stderr_contains "immutable" "conflict explains immutability"

# --- references in model commands
expect_exit 0 "run NAME:VERSION" -- "$S" run "$N:0.1.0" -p hi -n 4 --json
expect_exit 0 "inspect NAME@latest" -- "$S" inspect "$N@latest" --json
[[ "$(json_field "$WORK/out" '["digest"]')" == "$(json_field t8.manifest.json '["artifact"]["digest"]')" ]] && ok || fail "@latest is the newest version"
DIGEST=$(json_field t.manifest.json '["artifact"]["digest"]')
expect_exit 0 "verify NAME@sha256:prefix" -- "$S" verify "$N@${DIGEST:0:19}"
expect_exit 0 "tokenize via reference" -- "$S" tokenize "$N:0.1.0" -p abc
expect_exit 2 "bad reference syntax" -- "$S" show "$N:one"
expect_stderr_contains "not a semantic version" "bad version named"
expect_exit 2 "path traversal in a name" -- "$S" show "../etc:1.0.0"
expect_exit 2 "upper-case / slash names refused" -- "$S" run "a/b:1.0.0" -p x
expect_exit 5 "unknown alias" -- "$S" run "$N@champoin" -p x
expect_exit 5 "unknown version, with a suggestion" -- "$S" show "$N:0.1.1"
expect_stderr_contains "did you mean '0.1.0'" "did-you-mean for versions"
expect_exit 5 "unknown skill, with a suggestion" -- "$S" show "skill.fixture.tiyn:0.1.0"
expect_stderr_contains "did you mean 'skill.fixture.tiny'" "did-you-mean for names"
expect_exit 2 "a bare NAME is not a model" -- "$S" run "$N" -p x
expect_exit 2 "alias 'latest' is reserved" -- "$S" promote "$N:0.1.0" --alias latest

# --- the promote gate
expect_exit 1 "promote without evidence is refused" -- "$S" promote "$N:0.1.0" --to champion
expect_stderr_contains "no eval sidecar" "refusal names the missing sidecar"
expect_exit 0 "eval --add attaches a passing sidecar" -- "$S" eval "$N:0.1.0" --suite "$SUITE" --add --out ev
expect_exit 1 "eval --add attaches a failing sidecar too" -- "$S" eval "$N:0.1.0+q8-0" --suite "$SUITE" --add --out ev
expect_exit 0 "promote to canary" -- "$S" promote "$N:0.1.0" --to canary --reason "canary it"
expect_exit 0 "promote to champion" -- "$S" promote "$N:0.1.0" --to champion --json
[[ "$(json_field "$WORK/out" '["alias_moves"][0]["to"]')" == "0.1.0" ]] && ok || fail "champion moved to 0.1.0"
expect_exit 1 "a worse candidate is refused by the eval gate" -- "$S" promote "$N:0.1.0+q8-0" --to champion
expect_stderr_contains "decision is fail" "refusal names the failing decision"
expect_exit 0 "run NAME@champion" -- "$S" run "$N@champion" -p hi -n 4
expect_exit 2 "stages only move forward" -- "$S" promote "$N:0.1.0" --to shadow

# Freshness: the same evidence, judged 200 hours later, is too old.
expect_exit 1 "stale sidecar refused" -- env SLMCTL_NOW=2099-01-01T00:00:00Z "$S" promote "$N:0.1.0" --alias blue
expect_stderr_contains "max_eval_age_hours" "refusal names the freshness window"
printf 'max_eval_age_hours: 1000000000\n' > lax.yaml
expect_exit 0 "a policy can widen the window" -- env SLMCTL_NOW=2099-01-01T00:00:00Z "$S" promote "$N:0.1.0" --alias blue --policy lax.yaml
printf 'required_eval_suites: [no.such.suite]\n' > strict.yaml
expect_exit 1 "required suite missing" -- "$S" promote "$N:0.1.0" --alias green --policy strict.yaml
printf 'allowed_licenses: [MIT]\n' > lic.yaml
expect_exit 1 "policy manifest checks gate promote" -- "$S" promote "$N:0.1.0" --alias green --policy lic.yaml
expect_stderr_contains "policy.license" "refusal names the policy check"

# --- a second champion, rollback, history
# 0.2.0: the same weights re-released with a new version (same artifact digest).
sed -e 's/^version: .*/version: 0.2.0/' -e "s#^  path: #  path: $FIX/tiny/#" "$FIX/tiny/spec.yaml" > v2.yaml
expect_exit 0 "pack 0.2.0 --add" -- "$S" pack v2.yaml -o v2.slm --add
expect_exit 0 "eval 0.2.0 --add" -- "$S" eval "$N:0.2.0" --suite "$SUITE" --add --out ev
expect_exit 0 "promote 0.2.0 to champion" -- "$S" promote "$N:0.2.0" --to champion --reason "better"
expect_exit 0 "show champion" -- "$S" show "$N@champion" --json
[[ "$(json_field "$WORK/out" '["version"]')" == "0.2.0" ]] && ok || fail "champion is 0.2.0"
expect_exit 0 "rollback champion" -- "$S" rollback "$N" --reason "regression"
expect_exit 0 "show champion after rollback" -- "$S" show "$N@champion" --json
[[ "$(json_field "$WORK/out" '["version"]')" == "0.1.0" ]] && ok || fail "champion back at 0.1.0"
expect_exit 1 "nothing further to roll back" -- "$S" rollback "$N"
expect_exit 5 "rollback of an unknown alias" -- "$S" rollback "$N" --alias nosuch
expect_exit 0 "log shows the alias history" -- "$S" log "$N" --alias champion --json
$PY - "$WORK/out" <<'PY' && ok || fail "log records who/when/why, from and to"
import json, sys
recs = json.load(open(sys.argv[1]))
moves = [(r["op"], r["from"], r["to"], r["reason"]) for r in recs]
assert moves == [("promote", None, "0.1.0", ""), ("promote", "0.1.0", "0.2.0", "better"),
                 ("rollback", "0.2.0", "0.1.0", "regression")], moves
assert all(r["actor"] and r["time"].endswith("Z") and r["prev"].startswith("sha256:") for r in recs)
PY
expect_exit 0 "promote 0.2.0 again" -- "$S" promote "$N:0.2.0" --to champion
expect_exit 1 "retiring an aliased version is refused" -- "$S" promote "$N:0.2.0" --to retired
"$S" promote "$N:0.2.0" --alias canary >/dev/null 2>&1 || fail "move canary by --alias"
"$S" promote "$N:0.2.0" --alias blue >/dev/null 2>&1 || fail "move blue"
expect_exit 0 "retire 0.1.0 once no alias points at it" -- "$S" promote "$N:0.1.0" --to retired
expect_exit 1 "rollback to a retired version is refused" -- "$S" rollback "$N" --to 0.1.0
expect_stderr_contains "retired" "refusal names the state"

# --- signatures
expect_exit 0 "keygen" -- "$S" keygen -o release.key
expect_exit 6 "keygen does not overwrite" -- "$S" keygen -o release.key
"$S" keygen -o other.key >/dev/null 2>&1
printf 'require_signature: true\ntrusted_keys: [release.key.pub]\n' > signed.yaml
expect_exit 1 "unsigned version refused when the policy requires signatures" -- "$S" promote "$N:0.2.0" --alias signed --policy signed.yaml
expect_exit 0 "sign with an untrusted key" -- "$S" sign "$N:0.2.0" --key other.key
expect_exit 1 "an untrusted signature does not count" -- "$S" promote "$N:0.2.0" --alias signed --policy signed.yaml
expect_stderr_contains "not a trusted key" "refusal names the untrusted key"
expect_exit 0 "sign with the trusted key" -- "$S" sign "$N:0.2.0" --key release.key
expect_exit 0 "signed version promoted" -- "$S" promote "$N:0.2.0" --alias signed --policy signed.yaml
expect_exit 0 "verify REF checks signatures" -- "$S" verify "$N:0.2.0" --policy signed.yaml --json
$PY -c "import json,sys; c=json.load(open(sys.argv[1]))['checks']; assert any(x['name'].startswith('signature') and x['outcome']=='pass' for x in c)" "$WORK/out" && ok || fail "verify reports the valid signature"

# --- OCI tools read the layout
if command -v skopeo >/dev/null; then
  expect_exit 0 "skopeo inspect --raw reads a version" -- skopeo inspect --raw "oci:$SLM_HOME:$N:0.2.0"
  $PY - "$WORK/out" <<'PY' && ok || fail "skopeo sees the skill artifact"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["artifactType"] == "application/vnd.slmctl.skill.v1"
assert m["layers"][0]["mediaType"] == "application/vnd.slmctl.model.v1+slm"
PY
  expect_exit 0 "skopeo inspect --config reads the skill manifest" -- skopeo inspect --raw --config "oci:$SLM_HOME:$N:0.2.0"
  grep -q '"name":"skill.fixture.tiny"' "$WORK/out" && ok || fail "config is the skill manifest"
else
  fail "skopeo is not installed (scripts/install-deps.sh --test installs it)"
fi

# --- fsck, gc, corruption
expect_exit 0 "fsck clean" -- "$S" fsck
cp -r "$SLM_HOME" pristine
echo junk > "$SLM_HOME/blobs/sha256/$(printf '0%.0s' {1..64})"
touch -d '2 hours ago' "$SLM_HOME/blobs/sha256/$(printf '0%.0s' {1..64})"
expect_exit 0 "gc removes an old unreferenced blob" -- "$S" gc --json
[[ "$(json_field "$WORK/out" '["removed"]')" == "['$(printf '0%.0s' {1..64})']" ]] && ok || fail "gc removed exactly the junk blob"
expect_exit 0 "fsck still clean after gc" -- "$S" fsck
ART=$(json_field t.manifest.json '["artifact"]["digest"][7:]')
printf 'X' | dd of="$SLM_HOME/blobs/sha256/$ART" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_exit 3 "fsck finds a corrupted blob" -- "$S" fsck
expect_stderr_contains "corrupt" "fsck names the corruption"
expect_exit 3 "running a corrupted version is refused" -- "$S" run "$N:0.1.0" -p x
expect_exit 1 "promote of a corrupted version quarantines it" -- "$S" promote "$N:0.1.0+q8-0" --alias x
rm -rf "$SLM_HOME" && cp -r pristine "$SLM_HOME"
expect_exit 0 "a damaged state.json cache is rebuilt from the journal" -- bash -c "echo garbage > '$SLM_HOME/slmctl/state.json' && '$S' show '$N@champion'"
printf '{"seq":' >> "$SLM_HOME/slmctl/journal.jsonl"
expect_exit 0 "an uncommitted journal tail is ignored by readers" -- "$S" show "$N@champion"
expect_exit 0 "fsck repairs it" -- "$S" fsck
expect_stderr_contains "repaired" "fsck says what it repaired"
rm -rf "$SLM_HOME" && cp -r pristine "$SLM_HOME"
sed -i '3s/"reason":""/"reason":"edited"/' "$SLM_HOME/slmctl/journal.jsonl"
expect_exit 3 "an edited journal record breaks the chain" -- "$S" fsck
expect_stderr_contains "line 3" "fsck names the line"
rm -rf "$SLM_HOME" && cp -r pristine "$SLM_HOME"
sed -i '4d' "$SLM_HOME/slmctl/journal.jsonl"; rm "$SLM_HOME/slmctl/state.json"
expect_exit 3 "a removed journal record is detected" -- "$S" ls
cp -r pristine after && rm -rf "$SLM_HOME" && cp -r pristine "$SLM_HOME"
expect_exit 0 "nothing already stored was lost" -- diff -r pristine "$SLM_HOME"

# --- lock contention is exit 6
(flock "$SLM_HOME/slmctl/lock" sleep 3) & sleep 0.5
expect_exit 6 "registry locked" -- "$S" promote "$N:0.2.0" --alias z --lock-timeout 200
wait
finish
