#!/usr/bin/env bash
# slmctl import / export: GGUF round trips are byte-exact, imports record their
# source, llama2.c checkpoints give the same logits as the model they came from,
# and bad sources fail with the documented exit codes.
source "$SOURCE_DIR/tests/cli/lib.sh"
FIX="$SOURCE_DIR/fixtures"
REF="$SOURCE_DIR/tests/reference"

# import(export(x)) == x, for every fixture and for q8_0 / q4_0 models.
for f in tiny tiny-bpe tiny-tied tiny-gqa tiny-mqa; do
  "$SLMCTL" pack "$FIX/$f/spec.yaml" -o "$f.slm" 2>/dev/null || fail "pack $f"
  expect_exit 0 "export $f" -- "$SLMCTL" export "$f.slm" -o "$f.gguf"
  expect_exit 0 "import $f" -- "$SLMCTL" import "$f.gguf" -o "$f.back.slm"
  expect_same_file "$f.slm" "$f.back.slm" "GGUF round trip of $f"
done
for dt in q8_0 q4_0; do
  "$SLMCTL" quantize tiny-gqa.slm --to "$dt" -o "gqa-$dt.slm" --no-report 2>/dev/null || fail "quantize $dt"
  expect_exit 0 "export $dt" -- "$SLMCTL" export "gqa-$dt.slm" -o "gqa-$dt.gguf"
  expect_exit 0 "import $dt" -- "$SLMCTL" import "gqa-$dt.gguf" -o "gqa-$dt.back.slm"
  expect_same_file "gqa-$dt.slm" "gqa-$dt.back.slm" "GGUF round trip of $dt"
done

# The import manifest names the source by digest and format, and keeps the
# name and version the export carried in general.name / general.version.
"$SLMCTL" import tiny.gguf -o named.slm --json >import.json 2>/dev/null || fail "import --json"
digest="sha256:$(sha256sum tiny.gguf | cut -d' ' -f1)"
if $PY - "$digest" named.manifest.json <<'PY'; then ok; else fail "import manifest"; fi
import json, sys
m = json.load(open(sys.argv[2]))
assert m["operator"] == "import", m["operator"]
assert m["parents"] == [{"digest": sys.argv[1], "role": "import-source", "format": "gguf"}], m["parents"]
assert (m["name"], m["version"]) == ("skill.fixture.tiny", "0.1.0"), (m["name"], m["version"])
assert m["operator_parameters"]["source_format"] == "gguf"
PY
expect_exit 0 "import --name --version" -- "$SLMCTL" import tiny.gguf -o renamed.slm --name skill.other --version 2.0.0
grep -q '"name":"skill.other"' renamed.manifest.json && ok || fail "--name not in the manifest"
expect_exit 2 "import with an invalid --name" -- "$SLMCTL" import tiny.gguf -o bad.slm --name "Not A Name"

# Refusals: missing source, unsupported architecture, truncated file.
expect_exit 5 "import of a missing file" -- "$SLMCTL" import nothing.gguf -o x.slm
$PY -c "import sys; b=open('tiny.gguf','rb').read(); open('arch.gguf','wb').write(b.replace(b'llama', b'llamb', 1))"
expect_exit 4 "import of a non-llama architecture" -- "$SLMCTL" import arch.gguf -o x.slm
expect_stderr_contains "architecture 'llamb' is not supported" "architecture message"
head -c 5000 tiny.gguf >cut.gguf
expect_exit 3 "import of a truncated GGUF" -- "$SLMCTL" import cut.gguf -o x.slm
expect_stderr_contains "cut.gguf" "the message names the file"
[[ ! -e x.slm ]] && ok || fail "a failed import left an output file"
"$SLMCTL" pack "$FIX/tiny/spec.yaml" -o blk.slm 2>/dev/null
"$SLMCTL" quantize blk.slm --to q8_0 --block-size 64 -o blk64.slm --no-report 2>/dev/null || fail "quantize --block-size 64"
expect_exit 4 "export of block size 64" -- "$SLMCTL" export blk64.slm -o blk64.gguf
expect_stderr_contains "--block-size 32" "block size hint"

# llama2.c: the same weights give bit-identical logits, legacy and version 1.
logits() {  # logits MODEL OUT: every step's logits for a fixed prompt
  "$SLMCTL" run "$1" --prompt-ids 1,7,42,3 -n 8 --ignore-eos --json --dump-logits "$2" >/dev/null 2>&1
}
for f in tiny tiny-gqa; do
  for v in legacy v1; do
    mkdir -p "l2c-$f-$v"
    $PY "$REF/make_llama2c.py" from-safetensors "$FIX/$f/weights.safetensors" "$FIX/$f/spec.yaml" \
      "l2c-$f-$v/model.bin" $([[ $v == v1 ]] && echo --v1) || fail "make_llama2c $f $v"
    expect_exit 0 "import llama2.c $f $v" -- "$SLMCTL" import "l2c-$f-$v/model.bin" -o "l2c-$f-$v.slm"
    logits "$f.slm" "$f.logits" && logits "l2c-$f-$v.slm" "l2c-$f-$v.logits" || fail "run $f"
    expect_same_file "$f.logits" "l2c-$f-$v.logits" "llama2.c $v logits of $f"
  done
done
grep -q '"format":"llama2c"' l2c-tiny-legacy.manifest.json && ok || fail "llama2.c source format not recorded"
# A GQA model whose FFN width (40) is not a multiple of 32 imports, runs,
# quantizes (keeping the 40-wide rows f32) and survives a GGUF round trip.
mkdir -p odd
$PY "$REF/make_llama2c.py" random odd/model.bin --dim 64 --hidden 40 --layers 2 --heads 4 --kv-heads 2 \
  --vocab 300 --seq-len 64 --untied || fail "make odd model"
expect_exit 0 "import odd-FFN GQA model" -- "$SLMCTL" import odd/model.bin -o odd.slm
# Its SPM tokenizer came along (pieces from make_llama2c.py, worked out by
# hand with sentencepiece's highest-score-first merging): "▁" has no piece and
# falls back to its three UTF-8 bytes (<0xE2> = 3 + 0xE2 ...), then he ll o,
# and "▁world" becomes ▁w or ld.
ids=$("$SLMCTL" tokenize odd.slm -p "hello world" --bos no)
[[ "$ids" == "229 153 132 261 262 263 264 265 266" ]] && ok || fail "llama2.c tokenizer (odd model): got '$ids'"

expect_exit 0 "run odd-FFN GQA model" -- "$SLMCTL" run odd.slm -p "hello" -n 8
"$SLMCTL" quantize odd.slm --to q8_0 -o odd-q8.slm --no-report --json >odd-q8.json 2>/dev/null || fail "quantize odd"
if $PY - odd-q8.json <<'PY'; then ok; else fail "w2 rows of 40 should stay f32"; fi
import json, sys
t = {x["name"]: x for x in json.load(open(sys.argv[1]))["tensors"]}
assert t["layers.0.feed_forward.w2.weight"]["to"] == "f32", t["layers.0.feed_forward.w2.weight"]
assert t["layers.0.feed_forward.w1.weight"]["to"] == "q8_0"
PY
expect_exit 0 "run odd q8_0" -- "$SLMCTL" run odd-q8.slm -p "hello" -n 8
expect_exit 0 "export odd q8_0" -- "$SLMCTL" export odd-q8.slm -o odd-q8.gguf
expect_exit 0 "import odd q8_0" -- "$SLMCTL" import odd-q8.gguf -o odd-q8.back.slm
expect_same_file odd-q8.slm odd-q8.back.slm "round trip of the mixed odd-FFN model"

# llama2.c refusals: size mismatch and a missing tokenizer.
head -c 1000 l2c-tiny-legacy/model.bin >l2c-tiny-legacy/cut.bin
expect_exit 3 "truncated llama2.c checkpoint" -- "$SLMCTL" import l2c-tiny-legacy/cut.bin --format llama2c -o x.slm
expect_stderr_contains "calls for" "size mismatch message"
mkdir -p lonely && cp l2c-tiny-legacy/model.bin lonely/
expect_exit 5 "llama2.c without tokenizer.bin" -- "$SLMCTL" import lonely/model.bin -o x.slm
expect_stderr_contains "--tokenizer" "tokenizer hint"

finish
