#!/usr/bin/env python3
"""Writes a llama2.c checkpoint and tokenizer.bin, following run.c / export.py.

  make_llama2c.py from-safetensors WEIGHTS.safetensors SPEC.yaml OUT.bin [--v1]
      the fixture's weights (canonical .slm names) in llama2.c's layout
  make_llama2c.py random OUT.bin --dim D --hidden H --layers L --heads N --kv-heads K
                  --vocab V --seq-len S [--untied] [--seed X] [--v1]
      fixed-seed random weights (for shapes no fixture has)

Either way a tokenizer.bin for the vocabulary size goes next to OUT.bin:
<unk>, "\\n<s>\\n", "\\n</s>\\n", byte pieces <0x00>.., then pieces with
spaces, as llama2.c's tokenizer.py writes them (U+2581 replaced by ' ').
Written independently of slmctl's importer, from llama2.c's own format.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", name
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(raw[base + b:base + end], dtype="<f4").reshape(e["shape"])
    return out


def spec_value(spec_text, key):
    for line in spec_text.splitlines():
        s = line.strip()
        if s.startswith(key + ":"):
            return s.split(":", 1)[1].strip()
    raise KeyError(key)


def random_weights(a):
    rng = np.random.default_rng(a.seed)
    hd = a.dim // a.heads
    kv = hd * a.kv_heads

    def m(rows, cols):
        return rng.uniform(-0.5, 0.5, size=(rows, cols)).astype("<f4")

    def v(n):
        return rng.uniform(0.5, 1.5, size=(n,)).astype("<f4")

    w = {"tok_embeddings.weight": m(a.vocab, a.dim), "norm.weight": v(a.dim)}
    for i in range(a.layers):
        p = f"layers.{i}."
        w[p + "attention_norm.weight"] = v(a.dim)
        w[p + "attention.wq.weight"] = m(a.dim, a.dim)
        w[p + "attention.wk.weight"] = m(kv, a.dim)
        w[p + "attention.wv.weight"] = m(kv, a.dim)
        w[p + "attention.wo.weight"] = m(a.dim, a.dim)
        w[p + "ffn_norm.weight"] = v(a.dim)
        w[p + "feed_forward.w1.weight"] = m(a.hidden, a.dim)
        w[p + "feed_forward.w2.weight"] = m(a.dim, a.hidden)
        w[p + "feed_forward.w3.weight"] = m(a.hidden, a.dim)
    if a.untied:
        w["output.weight"] = m(a.vocab, a.dim)
    return w


def write_checkpoint(path, w, p, v1):
    L = p["layers"]
    shared = "output.weight" not in w
    per_layer = lambda suffix: [w[f"layers.{i}.{suffix}"] for i in range(L)]
    mats = [*per_layer("attention.wq.weight"), *per_layer("attention.wk.weight"),
            *per_layer("attention.wv.weight"), *per_layer("attention.wo.weight")]
    ffn = [*per_layer("feed_forward.w1.weight"), *per_layer("feed_forward.w2.weight"),
           *per_layer("feed_forward.w3.weight")]
    params = (p["dim"], p["hidden"], L, p["heads"], p["kv_heads"], p["vocab"], p["seq_len"])
    with open(path, "wb") as f:
        if v1:
            f.write(struct.pack("<Ii", 0x616B3432, 1) + struct.pack("<7i", *params) + struct.pack("<B", int(shared)))
            f.write(b"\0" * (256 - f.tell()))
            arrays = [*per_layer("attention_norm.weight"), *per_layer("ffn_norm.weight"), w["norm.weight"],
                      w["tok_embeddings.weight"], *mats, *ffn]
        else:
            vocab = p["vocab"] if shared else -p["vocab"]
            f.write(struct.pack("<7i", p["dim"], p["hidden"], L, p["heads"], p["kv_heads"], vocab, p["seq_len"]))
            half = p["dim"] // p["heads"] // 2
            # run.c's legacy file also carries RoPE tables (unused by run.c since 2023).
            pos = np.arange(p["seq_len"])[:, None]
            freqs = 1.0 / 10000.0 ** (np.arange(0, 2 * half, 2)[None, :] / (2 * half))
            arrays = [w["tok_embeddings.weight"], *per_layer("attention_norm.weight"), *mats,
                      *per_layer("ffn_norm.weight"), *ffn, w["norm.weight"],
                      np.cos(pos * freqs).astype("<f4"), np.sin(pos * freqs).astype("<f4")]
        if not shared:
            arrays.append(w["output.weight"])
        for arr in arrays:
            f.write(np.ascontiguousarray(arr, dtype="<f4").tobytes())


def write_tokenizer(path, vocab):
    pieces = [(b"<unk>", 0.0), (b"\n<s>\n", 0.0), (b"\n</s>\n", 0.0)]
    pieces += [(b"<0x%02X>" % b, 0.0) for b in range(256)]
    words = [" the", " a", "he", "ll", "o", " w", "or", "ld", " hello", " world", "in", "on"]
    k = 0
    while len(pieces) < vocab:
        word = words[k % len(words)] + ("" if k < len(words) else str(k))
        pieces.append((word.encode(), -float(k)))
        k += 1
    pieces = pieces[:vocab]
    max_len = max(len(t) for t, _ in pieces)
    with open(path, "wb") as f:
        f.write(struct.pack("<i", max_len))
        for text, score in pieces:
            f.write(struct.pack("<fi", score, len(text)) + text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    fs = sub.add_parser("from-safetensors")
    fs.add_argument("weights")
    fs.add_argument("spec")
    fs.add_argument("out")
    fs.add_argument("--v1", action="store_true")
    r = sub.add_parser("random")
    r.add_argument("out")
    for name in ("dim", "hidden", "layers", "heads", "kv_heads", "vocab", "seq_len"):
        r.add_argument("--" + name.replace("_", "-"), dest=name, type=int, required=True)
    r.add_argument("--untied", action="store_true")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--v1", action="store_true")
    a = ap.parse_args()

    if a.mode == "from-safetensors":
        w = read_safetensors(a.weights)
        spec = open(a.spec).read()
        heads = int(spec_value(spec, "n_heads"))
        p = {"dim": heads * int(spec_value(spec, "head_dim")), "hidden": int(spec_value(spec, "ffn_dim")),
             "layers": int(spec_value(spec, "n_layers")), "heads": heads,
             "kv_heads": int(spec_value(spec, "n_kv_heads")), "vocab": w["tok_embeddings.weight"].shape[0],
             "seq_len": int(spec_value(spec, "context_length"))}
    else:
        w = random_weights(a)
        p = {k: getattr(a, k) for k in ("dim", "hidden", "layers", "heads", "kv_heads", "vocab", "seq_len")}
    write_checkpoint(a.out, w, p, a.v1)
    write_tokenizer(os.path.join(os.path.dirname(os.path.abspath(a.out)), "tokenizer.bin"), p["vocab"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
