#!/usr/bin/env python3
"""Compare llama.cpp's logits (llama_generate.mjs --logits) with slmctl's.

  compare_logits.py --peer RUN.json --peer-logits L.f32 --native SLM.json --native-logits S.f32
                    [--max-nmse 1e-10] [--min-top1 1.0]

RUN.json / L.f32: llama_generate.mjs output. Without --prompt-logits, row i =
  the logits that picked generated token i (fed position P-1+i); with it, one
  row per fed position like slmctl.
SLM.json / S.f32: `slmctl run --prompt-ids IDS --ignore-eos -n N --json --dump-logits S.f32`
  (one row per fed position, prompt included).
Both must have been fed the same prompt ids. Rows are matched by position and
compared only while both runs have fed the same tokens, i.e. up to the row
that picked the first differing generated token (after it the contexts
differ). To compare a whole sequence even where greedy choices diverge, give
both tools the full sequence as the prompt (-n 1, llama_generate.mjs with
--prompt-logits).
Prints one JSON object: rows (compared), nmse = sum((native - peer)^2) /
sum(peer^2), max_abs_diff, top1_agree (fraction of rows with the same
argmax), first_token_mismatch (index into the generated tokens, or null).
Exit 1 when nmse > --max-nmse or top1_agree < --min-top1; 3 on bad input.

Expected (README.md): f32 weights ~1e-14..1e-12; f16 weights ~1e-7 (llama.cpp
rounds activations to f16); q8_0/q4_0 ~1e-5..1e-4 (llama.cpp quantizes
activations to q8_0, slmctl keeps them f32), with occasional greedy flips.
"""
import argparse
import json
import sys
from array import array


def bad(msg):
    print(f"compare_logits: {msg}", file=sys.stderr)
    sys.exit(3)


def load(path, n_vocab):
    a = array("f")  # plain Python: no numpy needed
    with open(path, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    if len(a) % n_vocab:
        bad(f"{path}: {len(a)} floats is not a multiple of n_vocab {n_vocab}")
    return a


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--peer-logits", required=True)
    ap.add_argument("--native", required=True)
    ap.add_argument("--native-logits", required=True)
    ap.add_argument("--max-nmse", type=float, default=1e-10)
    ap.add_argument("--min-top1", type=float, default=1.0)
    a = ap.parse_args()

    peer, native = json.load(open(a.peer)), json.load(open(a.native))
    prompt = native["prompt_tokens"]
    if peer["prompt_ids"] != prompt:
        bad("peer and native were fed different prompts")
    n_vocab = peer["logits"]["n_vocab"]
    p, s = load(a.peer_logits, n_vocab), load(a.native_logits, n_vocab)
    peer_first = 0 if peer["logits"].get("prompt_rows") else len(prompt) - 1  # position of peer row 0

    pt, nt = peer["tokens"], native["generated_tokens"]
    mismatch = next((i for i, (x, y) in enumerate(zip(pt, nt)) if x != y), None)
    if mismatch is None and len(pt) != len(nt):
        mismatch = min(len(pt), len(nt))
    last = len(prompt) - 1 + (mismatch if mismatch is not None else 1 << 30)  # last comparable position
    positions = range(peer_first, min(peer_first + len(p) // n_vocab, len(s) // n_vocab, last + 1))
    if not positions:
        bad("no rows to compare")

    num = den = max_abs = 0.0
    same_top1 = 0
    for pos in positions:
        pr = p[(pos - peer_first) * n_vocab:(pos - peer_first + 1) * n_vocab]
        sr = s[pos * n_vocab:(pos + 1) * n_vocab]
        for x, y in zip(pr, sr):
            d = y - x
            num += d * d
            den += x * x
            max_abs = max(max_abs, abs(d))
        same_top1 += max(range(n_vocab), key=pr.__getitem__) == max(range(n_vocab), key=sr.__getitem__)
    nmse = num / den
    top1 = same_top1 / len(positions)
    result = {"rows": len(positions), "n_vocab": n_vocab, "nmse": nmse, "max_abs_diff": max_abs,
              "top1_agree": top1, "first_token_mismatch": mismatch,
              "ok": nmse <= a.max_nmse and top1 >= a.min_top1}
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
