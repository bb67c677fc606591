#!/usr/bin/env bash
# adapter create / adapter-apply / inspect / eval: round trips for the three
# kinds, identity refusals (exit 4), corrupt adapters (exit 3), quantized
# bases, stacks, registry references and the sidecar's adapter_digest.
source "$(dirname "$0")/lib.sh"
FIX="$SOURCE_DIR/fixtures"
EVALS="$SOURCE_DIR/evals"

for f in tiny tiny-tied tiny-gqa; do
  "$SLMCTL" pack "$FIX/$f/spec.yaml" -o "$f.slm" 2>/dev/null || fail "pack $f"
done

# Model variants written with numpy next to copies of the tiny spec:
#   tuned     the tiny weights plus a rank-2 update of every matrix, spikes in wq, shifted norms
#             (changes rounded to multiples of 2^-12)
#   reshaped  8 heads of 4, 2 KV heads, ffn 80: tiny's tensor count, flags and parameter count, other shapes
#   bos       tiny's weights, tokenizer without add_bos
"$PY" - "$FIX/tiny" <<'PY' || fail "write model variants"
import json, os, re, struct, sys
import numpy as np
src = sys.argv[1]

def read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == "__metadata__": continue
        lo, hi = h["data_offsets"]
        out[name] = np.frombuffer(b[8 + n + lo:8 + n + hi], dtype="<f4").reshape(h["shape"]).copy()
    return out

def write(path, tensors):
    header, blobs, at = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [at, at + a.nbytes]}
        blobs.append(a.tobytes()); at += a.nbytes
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

def spec(folder, name, model_edits={}, tokenizer_extra=""):
    text = open(os.path.join(src, "spec.yaml")).read().replace("skill.fixture.tiny", "skill.fixture." + name)
    for key, value in model_edits.items():
        text = re.sub(r"(\n  %s: )\S+" % key, r"\g<1>%s" % value, text)
    text = text.replace("  kind: byte-level\n", "  kind: byte-level\n" + tokenizer_extra)
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "spec.yaml"), "w").write(text)

w = read(os.path.join(src, "weights.safetensors"))
tuned, raw = {}, {}
for name, a in w.items():
    if a.ndim == 1:
        d = 0.01 * (np.arange(a.size) % 3)
    else:
        rows, cols = a.shape
        i, j = np.arange(rows)[:, None], np.arange(cols)[None, :]
        d = 0.05 * np.sin(0.3 * (i + 1)) * np.cos(0.7 * j) + 0.02 * np.cos(1.1 * i) * np.sin(0.5 * (j + 2))
        if ".wq." in name:
            d.reshape(-1)[::7] += 0.3
    # raw: the changes unrounded, and every 11th weight decayed to 1e-6 of itself,
    # so that many tuned values are out of reach of any single f32 delta.
    r = (a.astype(np.float64) + d)
    r.reshape(-1)[::11] = a.reshape(-1)[::11] * 1e-6
    raw[name] = r.astype(np.float32)
    # Changes on a 2^-12 grid (as a low-precision training step leaves them):
    # tuned - base is then an f32 value.
    d = np.round(d * 4096) / 4096
    tuned[name] = (a.astype(np.float64) + d).astype(np.float32)
spec("tuned", "tuned"); write("tuned/weights.safetensors", tuned)
spec("raw", "raw"); write("raw/weights.safetensors", raw)

rng = np.random.default_rng(3)
shapes = {"tok_embeddings.weight": (258, 32), "norm.weight": (32,), "output.weight": (258, 32)}
for l in range(2):
    p = "layers.%d." % l
    shapes.update({p + "attention_norm.weight": (32,), p + "ffn_norm.weight": (32,),
                   p + "attention.wq.weight": (32, 32), p + "attention.wk.weight": (8, 32),
                   p + "attention.wv.weight": (8, 32), p + "attention.wo.weight": (32, 32),
                   p + "feed_forward.w1.weight": (80, 32), p + "feed_forward.w2.weight": (32, 80),
                   p + "feed_forward.w3.weight": (80, 32)})
spec("reshaped", "reshaped", {"n_heads": 8, "head_dim": 4, "n_kv_heads": 2, "ffn_dim": 80})
write("reshaped/weights.safetensors", {k: rng.uniform(-0.5, 0.5, s) for k, s in shapes.items()})

spec("bos", "bos", tokenizer_extra="  add_bos: false\n")
write("bos/weights.safetensors", w)
PY
for f in tuned raw reshaped bos; do
  "$SLMCTL" pack "$f/spec.yaml" -o "$f.slm" 2>/dev/null || fail "pack $f"
done

# Tensor values of a .slm as float64 numpy arrays, by name (through inspect --json).
cat > values.py <<'PY'
import json, subprocess, os
import numpy as np
def values(path):
    d = json.loads(subprocess.check_output([os.environ["SLMCTL"], "inspect", path, "--json"]))
    b = open(path, "rb").read()
    out = {}
    for t in d["tensors"]:
        assert t["dtype"] == "f32", t
        out[t["name"]] = np.frombuffer(b, dtype="<f4", count=t["elements"], offset=t["offset"]).astype(np.float64)
    return out
PY
export SLMCTL

# --- dense, unrounded changes: residuals make create+apply byte-exact too.
expect_exit 0 "create dense (raw)" -- "$SLMCTL" adapter create tiny.slm raw.slm --kind dense -o raw.adp --json
cp out raw.json
expect_exit 0 "apply dense (raw)" -- "$SLMCTL" adapter-apply tiny.slm raw.adp -o raw-applied.slm
expect_same_file raw-applied.slm raw.slm "dense create+apply reproduces unrounded changes"
expect_exit 0 "inspect raw.adp" -- "$SLMCTL" inspect raw.adp --json
"$PY" - raw.json out <<'PY' && ok || fail "raw dense report: residuals used, nothing inexact"
import json, sys
r, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
residuals = sum(p["residuals"] for p in d["payloads"])
assert r["inexact"] == 0 and r["error_norm"] == 0, r
assert residuals > 1000, residuals  # every 11th of 37,152 weights at least
print("  raw: %d of %d elements carry a residual" % (residuals, sum(t["elements"] for t in r["tensors"])))
PY

# --- dense: create then apply gives the tuned model byte for byte.
expect_exit 0 "create dense" -- "$SLMCTL" adapter create tiny.slm tuned.slm --kind dense -o dense.adp --json
cp out dense.json
expect_exit 0 "apply dense" -- "$SLMCTL" adapter-apply tiny.slm dense.adp -o dense.slm --json
cp out dense-apply.json
expect_same_file dense.slm tuned.slm "dense create+apply reproduces tuned"
expect_exit 0 "verify adapted" -- "$SLMCTL" verify dense.slm
"$PY" - dense.json dense-apply.json dense.manifest.json tiny.slm dense.adp <<'PY' && ok || fail "dense report and manifest"
import hashlib, json, sys
r, a, m = (json.load(open(p)) for p in sys.argv[1:4])
sha = lambda p: "sha256:" + hashlib.sha256(open(p, "rb").read()).hexdigest()
assert r["kind"] == "dense" and r["inexact"] == 0 and r["error_norm"] == 0 and r["digest"] == sha(sys.argv[5]), r
assert m["operator"] == "adapter-apply", m["operator"]
assert m["parents"] == [{"digest": sha(sys.argv[4]), "role": "base", "format": "slm"},
                        {"digest": sha(sys.argv[5]), "role": "adapter", "format": "ADP1"}], m["parents"]
assert m["version"].startswith("0.1.0+adapted-") and m["operator_parameters"]["scale"] == 1.0, m
assert a["adapter_stack_digest"] == sha(sys.argv[5]) and a["artifact_digest"] == m["artifact"]["digest"]
PY
if "$PY" "$SOURCE_DIR/tests/scripts/check_json_schema.py" "$SOURCE_DIR/schemas/skill-manifest.schema.json" \
    dense.manifest.json >/dev/null; then ok; else fail "adapted manifest vs schema"; fi
"$PY" - <<'PY' && ok || fail "in-toto provenance of the adapted model"
import hashlib, json
s = json.load(open("dense.intoto.json"))
assert s["subject"][0]["digest"]["sha256"] == hashlib.sha256(open("dense.slm", "rb").read()).hexdigest(), s["subject"]
assert "adapter" in json.dumps(s["predicate"]), s["predicate"]
PY

# --- sparse: every element within the threshold.
expect_exit 0 "create sparse" -- "$SLMCTL" adapter create tiny.slm tuned.slm --kind sparse --threshold 0.05 -o sparse.adp --json
cp out sparse.json
expect_exit 0 "apply sparse" -- "$SLMCTL" adapter-apply tiny.slm sparse.adp -o sparse.slm
"$PY" - sparse.json <<'PY' && ok || fail "sparse within threshold"
import json, sys
sys.path.insert(0, ".")
from values import values
r = json.load(open(sys.argv[1]))
out, tuned = values("sparse.slm"), values("tuned.slm")
worst = max(abs(out[k] - tuned[k]).max() for k in tuned)
assert worst <= 0.05 and abs(worst - r["max_abs_error"]) < 1e-12, (worst, r["max_abs_error"])
stored = sum(t["stored"] for t in r["tensors"]); total = sum(t["elements"] for t in r["tensors"])
assert 0 < stored < total / 2, (stored, total)
PY

# --- low-rank: within the reported error, per tensor and overall; full rank within rounding.
for rank in 1 2 4 32; do
  expect_exit 0 "create lowrank $rank" -- "$SLMCTL" adapter create tiny.slm tuned.slm --kind lowrank --rank $rank -o lr$rank.adp --json
  cp out lr$rank.json
  expect_exit 0 "apply lowrank $rank" -- "$SLMCTL" adapter-apply tiny.slm lr$rank.adp -o lr$rank.slm
  "$PY" - lr$rank.json lr$rank.slm $rank <<'PY' && ok || fail "lowrank $rank error as reported"
import json, sys
import numpy as np
sys.path.insert(0, ".")
from values import values
r = json.load(open(sys.argv[1])); rank = int(sys.argv[3])
out, tuned, base = values(sys.argv[2]), values("tuned.slm"), values("tiny.slm")
e2 = d2 = 0.0
for t in r["tensors"]:
    e = np.linalg.norm(out[t["name"]] - tuned[t["name"]]); d = np.linalg.norm(tuned[t["name"]] - base[t["name"]])
    assert e <= t["error_norm"] * (1 + 1e-9) + 1e-12, (t["name"], e, t["error_norm"])
    if t["encoding"] == "lowrank": assert t["rank"] <= rank
    e2 += e * e; d2 += d * d
assert abs(np.sqrt(e2 / d2) - r["rel_error"]) <= 1e-9 * max(1.0, r["rel_error"]), (np.sqrt(e2 / d2), r["rel_error"])
if rank == 32: assert r["rel_error"] < 1e-5 and r["max_abs_error"] < 1e-6, r["rel_error"]
PY
done
"$PY" -c "
import json
e = [json.load(open('lr%d.json' % r))['rel_error'] for r in (1, 2, 4, 32)]
assert e == sorted(e, reverse=True), e
" && ok || fail "low-rank error falls with rank"

# --- identity refusals: exit 4, naming the field, expected and found.
expect_exit 4 "adapter on a tied model" -- "$SLMCTL" adapter-apply tiny-tied.slm dense.adp -o x.slm
expect_stderr_contains "flags: expected 0x00000001 (tied output), found 0x00000000 (untied output)" "flags named"
expect_exit 4 "adapter on a GQA model" -- "$SLMCTL" adapter-apply tiny-gqa.slm dense.adp -o x.slm
expect_stderr_contains "parameter_count: expected" "parameter count named"
expect_exit 4 "adapter on a reshaped model" -- "$SLMCTL" adapter-apply reshaped.slm dense.adp -o x.slm
expect_stderr_contains "tensor_layout_checksum (tensor names and shapes): expected sha256:" "layout named"
expect_exit 4 "adapter on another tokenizer" -- "$SLMCTL" adapter-apply bos.slm dense.adp -o x.slm
expect_stderr_contains "tokenizer_checksum (SHA-256 of the tokenizer section): expected sha256:" "tokenizer named"
expect_exit 4 "create across layouts" -- "$SLMCTL" adapter create tiny.slm reshaped.slm -o x.adp
expect_stderr_contains "reshaped.slm does not fit tiny.slm: tensor_layout_checksum" "create names both"
[[ ! -e x.slm && ! -e x.adp ]] && ok || fail "nothing written on refusal"

# --- corrupt adapters: exit 3.
corrupt() {  # corrupt NAME PYTHON-EDIT (b = bytearray of dense.adp)
  "$PY" -c "
import struct
b = bytearray(open('dense.adp', 'rb').read())
$2
open('$1', 'wb').write(bytes(b))"
}
corrupt flipped.adp "b[len(b) - 3] ^= 0x01"
corrupt truncated.adp "b = b[:len(b) - 100]"
corrupt nan.adp "struct.pack_into('<f', b, struct.unpack_from('<Q', b, 128 + 40)[0] + 8, float('nan'))"
corrupt offset.adp "struct.pack_into('<Q', b, 128 + 40, 1 << 40)"
corrupt magic.adp "b[0:4] = b'XDP1'"
for bad in flipped truncated nan offset magic; do
  expect_exit 3 "corrupt adapter: $bad" -- "$SLMCTL" adapter-apply tiny.slm $bad.adp -o x.slm
done
expect_exit 3 "flipped byte" -- "$SLMCTL" adapter-apply tiny.slm flipped.adp -o x.slm
expect_stderr_contains "checksum at offset 120" "checksum named"
expect_exit 3 "NaN delta" -- "$SLMCTL" adapter-apply tiny.slm nan.adp -o x.slm
expect_stderr_contains "expected a finite f32, found nan" "NaN named"
expect_exit 3 "bad offset" -- "$SLMCTL" adapter-apply tiny.slm offset.adp -o x.slm
expect_stderr_contains "data_offset/data_length at offset 168" "offset named"
expect_exit 3 "inspect corrupt adapter" -- "$SLMCTL" inspect truncated.adp
expect_exit 5 "missing adapter" -- "$SLMCTL" adapter-apply tiny.slm nope.adp -o x.slm
expect_exit 2 "bad kind" -- "$SLMCTL" adapter create tiny.slm tuned.slm --kind svd -o x.adp
expect_exit 2 "bad --name" -- "$SLMCTL" adapter-apply tiny.slm dense.adp -o x.slm --name "Bad Name"
expect_stderr_contains "--name: expected a skill name" "bad --name message"
expect_exit 2 "bad --version" -- "$SLMCTL" adapter-apply tiny.slm dense.adp -o x.slm --version 1.0
[[ ! -e x.slm ]] && ok || fail "a refused apply wrote x.slm"
expect_exit 0 "apply as a skill of its own" -- \
  "$SLMCTL" adapter-apply tiny.slm dense.adp -o named.slm --name skill.fixture.named --version 2.0.0
"$PY" -c "import json,sys; m=json.load(open('named.manifest.json')); assert (m['name'], m['version']) == ('skill.fixture.named', '2.0.0'), m" \
  && ok || fail "--name/--version in the manifest"

# --- inspect understands adapters.
expect_exit 0 "inspect sparse adapter" -- "$SLMCTL" inspect sparse.adp --json
"$PY" - out sparse.adp <<'PY' && ok || fail "inspect adapter json"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "sparse" and d["format"]["magic"] == "ASP1", d["format"]
assert d["identity"]["tensor_count"] == 21 and d["identity"]["tied_output"] is False
assert d["digest"] == "sha256:" + hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert all(p["name"] and p["nnz"] > 0 for p in d["payloads"]), d["payloads"][:2]
PY
expect_exit 0 "inspect lowrank adapter" -- "$SLMCTL" inspect lr2.adp --tensors
grep -q "rank 2" "$WORK/out" "$WORK/err" && ok || fail "inspect shows ranks"
grep -q "ALR1" "$WORK/out" && ok || fail "inspect shows the magic"

# --- stacks and scale.
expect_exit 0 "stack of two" -- "$SLMCTL" adapter-apply tiny.slm lr2.adp sparse.adp -o stack.slm --json
"$SLMCTL" adapter-apply tiny.slm lr2.adp -o one.slm 2>/dev/null
"$SLMCTL" adapter-apply one.slm sparse.adp -o two.slm --manifest one.manifest.json 2>/dev/null
expect_same_file stack.slm two.slm "a stack equals applying one at a time"
expect_exit 0 "scale 0" -- "$SLMCTL" adapter-apply tiny.slm dense.adp -o zero.slm --scale 0
expect_same_file zero.slm tiny.slm "scale 0 leaves the base"

# --- quantized base: refused without --requantize (exit 2), re-quantized with it.
"$SLMCTL" quantize tiny.slm --to q8_0 -o tiny-q8.slm --no-report 2>/dev/null
expect_exit 2 "quantized base" -- "$SLMCTL" adapter-apply tiny-q8.slm dense.adp -o x.slm
expect_stderr_contains "--requantize" "refusal explains the flag"
expect_exit 0 "quantized base --requantize" -- "$SLMCTL" adapter-apply tiny-q8.slm dense.adp -o q8-adapted.slm --requantize
"$SLMCTL" quantize tuned.slm --to q8_0 -o tuned-q8.slm --no-report 2>/dev/null
"$PY" - <<'PY' && ok || fail "requantized result"
import json, subprocess, os
ins = lambda p: json.loads(subprocess.check_output([os.environ["SLMCTL"], "inspect", p, "--json"]))
a, b = ins("q8-adapted.slm"), ins("tuned-q8.slm")
assert a["quantization"] == "q8_0"
assert [(t["name"], t["dtype"], t["block_size"]) for t in a["tensors"]] == [(t["name"], t["dtype"], t["block_size"]) for t in b["tensors"]]
PY

# --- registry: BASE as a reference, result added.
"$SLMCTL" add tiny.slm >/dev/null 2>&1 || fail "add tiny to the registry"
expect_exit 0 "apply to a registry reference" -- "$SLMCTL" adapter-apply skill.fixture.tiny:0.1.0 dense.adp -o reg.slm --add --json
"$PY" -c "
import json; d = json.load(open('$WORK/out'))
assert d['registry']['reference'].startswith('skill.fixture.tiny:0.1.0+adapted-'), d['registry']
" && ok || fail "adapted version in the registry"
expect_same_file reg.slm tuned.slm "registry base gives the same result"

# --- eval fills adapter_digest: one adapter its digest, a stack the stack digest.
expect_exit 0 "apply scale 0 for eval" -- "$SLMCTL" adapter-apply tiny.slm dense.adp -o evalme.slm --scale 0
expect_exit 0 "eval adapted model" -- "$SLMCTL" eval evalme.slm --suite "$EVALS/fixtures/tiny.yaml" --sidecar evalme.json
"$SLMCTL" eval stack.slm --suite "$EVALS/fixtures/tiny.yaml" --sidecar stack-eval.json >/dev/null 2>&1
"$SLMCTL" eval tiny.slm --suite "$EVALS/fixtures/tiny.yaml" --sidecar base-eval.json >/dev/null 2>&1
"$PY" - <<'PY' && ok || fail "sidecar adapter_digest"
import hashlib, json
sha = lambda p: "sha256:" + hashlib.sha256(open(p, "rb").read()).hexdigest()
one, stack, base = (json.load(open(p)) for p in ("evalme.json", "stack-eval.json", "base-eval.json"))
assert one["adapter_digest"] == sha("dense.adp") and one["source_kind"] == "adapted", one["adapter_digest"]
want = "sha256:" + hashlib.sha256((sha("lr2.adp") + "\n" + sha("sparse.adp") + "\n").encode()).hexdigest()
assert stack["adapter_digest"] == want, (stack["adapter_digest"], want)
assert base["adapter_digest"] is None
PY
finish
