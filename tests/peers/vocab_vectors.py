#!/usr/bin/env python3
"""llama.cpp tokenizer test vectors (.inp/.out) -> JSON [{"text": ..., "ids": [...]}].

  vocab_vectors.py VOCAB.gguf            reads VOCAB.gguf.inp and VOCAB.gguf.out
  vocab_vectors.py --inp F.inp --out F.out
  [-o OUT.json]                          default: stdout

Format (llama.cpp tests/test-tokenizer-0.cpp reads it, convert_hf_to_gguf_update.py
writes it):
  .inp  UTF-8; every test text is followed by "\\n__ggml_vocab_test__\\n"
        (texts may be empty or contain newlines; split on the whole marker).
  .out  one line per test, in the same order: the ids as " id id id" (each id
        preceded by one space; an empty line means no tokens).
  The ids are HF tokenizer.encode(text, add_special_tokens=False) and
  llama.cpp checks them with common_tokenize(ctx, text, add_special=false,
  parse_special=false): no BOS/EOS, special-token text is not parsed.
  For SPM ("llama") vocabs the leading-space prefix is included: "Hello" ->
  [15043] (▁Hello), " Hello" -> [29871, 15043].
"""
import argparse
import json
import sys

MARKER = "\n__ggml_vocab_test__\n"


def parse(inp_bytes, out_text):
    raw = inp_bytes.decode("utf-8")  # bytes: no newline translation
    texts = raw.split(MARKER)
    if texts and texts[-1] == "":  # the file ends with the marker
        texts.pop()
    lines = out_text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(texts) != len(lines):
        raise SystemExit(f"vocab_vectors: {len(texts)} inputs but {len(lines)} output lines")
    return [{"text": t, "ids": [int(x) for x in l.split()]} for t, l in zip(texts, lines)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vocab", nargs="?", help="VOCAB.gguf (uses VOCAB.gguf.inp / .out)")
    ap.add_argument("--inp")
    ap.add_argument("--out")
    ap.add_argument("-o", dest="output", help="write the JSON here (default stdout)")
    a = ap.parse_args()
    inp = a.inp or (a.vocab and a.vocab + ".inp")
    out = a.out or (a.vocab and a.vocab + ".out")
    if not inp or not out:
        ap.error("give VOCAB.gguf or --inp and --out")
    with open(inp, "rb") as f:
        inp_bytes = f.read()
    with open(out, "rb") as f:
        out_text = f.read().decode("ascii")
    text = json.dumps(parse(inp_bytes, out_text), ensure_ascii=False, indent=1) + "\n"
    if a.output:
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
