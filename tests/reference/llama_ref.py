#!/usr/bin/env python3
"""Independent float64 reference for slmctl's native runtime.

Reads a .slm v1 file on its own (struct + numpy, following the container
grammar in lib/format/layout.hpp and ARCHITECTURE.md section 3; nothing from
the C++ code base is reused), runs the llama-style forward pass in float64 and
prints or compares logits and greedy tokens:

  llama_ref.py logits  MODEL --tokens 256,104,105 --out logits.f64
      raw little-endian float64, vocab_size values per position
  llama_ref.py compare MODEL --native logits.f32 (--tokens IDS | --run-json RUN.json) [--max-nmse 1e-10]
      NMSE = sum((native - ref)^2) / sum(ref^2) over all positions; exit 1 above the bound.
      With --run-json (slmctl run --json --dump-logits output) the ids fed are
      prompt_tokens + generated_tokens, as many as the dump has rows.
  llama_ref.py greedy  MODEL --prompt-tokens IDS [-n 64]
      JSON: generated ids (EOS stops and is not included), stop_reason, and the
      smallest gap between the best and second-best logit over the steps
  llama_ref.py golden  MODEL --prompt-tokens IDS --prompt TEXT --fixture NAME [-n 64]
      the tests/data/golden/<fixture>.txt file on stdout

The model (same as lib/runtime/forward.hpp, written independently):
  x = tok_embeddings[token]
  per layer: h = rmsnorm(x) ; q, k, v = wq h, wk h, wv h ; rope(q, k) on pairs
  (2i, 2i+1) of each head with angle pos * theta^(-2i/head_dim) ; causal
  softmax(q.k / sqrt(head_dim)) attention, query head h reading kv head
  h // (n_heads / n_kv_heads) ; x += wo att ; h = rmsnorm(x) ;
  x += w2 (silu(w1 h) * w3 h)
  logits = output rmsnorm(x)   (output = tok_embeddings when the tied flag is set)
"""
import argparse
import json
import struct
import sys

import numpy as np

HEADER = struct.Struct("<4sIIIIIIIIIIIIIffQQQIQQ")  # 108 bytes
ENTRY = struct.Struct("<QII4IQQQII")  # 64 bytes
F32, Q8_0, Q4_0 = 1, 2, 3
NO_TOKEN = 0xFFFFFFFF


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class Model:
    def __init__(self, path):
        data = open(path, "rb").read()
        (magic, version, header_length, _r0, flags, vocab, n_layers, n_heads, n_kv_heads, head_dim,
         ffn, ctx, model_type, _r1, theta, eps, tok_off, tok_len, dir_off, count, _data_off,
         _checksum) = HEADER.unpack_from(data, 0)
        if magic != b"SLM1" or version != 1 or header_length < 108 or model_type != 1:
            raise SystemExit(f"{path}: not a llama-style .slm v1 file")
        self.vocab, self.n_layers, self.n_heads, self.n_kv_heads = vocab, n_layers, n_heads, n_kv_heads
        self.head_dim, self.ffn, self.ctx = head_dim, ffn, ctx
        self.dim = n_heads * head_dim
        self.theta, self.eps = float(theta), float(eps)
        self.tied = bool(flags & 1)
        # Tokenizer section: kind[4] version token_count bos eos ...; only EOS is needed.
        _kind, _tv, _count, self.bos, self.eos = struct.unpack_from("<4sIIII", data, tok_off)

        names = {fnv1a64(n): n for n in self.tensor_names()}
        self.w = {}
        for i in range(count):
            (name_hash, dtype, rank, d0, d1, d2, d3, data_offset, data_length, scale_offset,
             block_size, _res) = ENTRY.unpack_from(data, dir_off + 64 * i)
            dims = [d0, d1, d2, d3][:rank]
            n = int(np.prod(dims))
            if dtype == F32:
                values = np.frombuffer(data, "<f4", n, data_offset).astype(np.float64)
            elif dtype == Q8_0:
                q = np.frombuffer(data, "i1", n, data_offset).astype(np.float64)
                d = np.frombuffer(data, "<f4", n // block_size, scale_offset).astype(np.float64)
                values = (q.reshape(-1, block_size) * d[:, None]).reshape(-1)
            elif dtype == Q4_0:
                packed = np.frombuffer(data, "u1", n // 2, data_offset).reshape(-1, block_size // 2)
                q = np.concatenate([packed & 15, packed >> 4], axis=1).astype(np.float64) - 8.0
                d = np.frombuffer(data, "<f4", n // block_size, scale_offset).astype(np.float64)
                values = (q * d[:, None]).reshape(-1)
            else:
                raise SystemExit(f"{path}: tensor {i}: unknown dtype {dtype}")
            # dims[0] is the innermost (row length): numpy shape is reversed.
            self.w[names[name_hash]] = values.reshape(list(reversed(dims)))
        freqs = self.theta ** (-2.0 * np.arange(head_dim // 2) / head_dim)
        self.freqs = freqs

    def tensor_names(self):
        out = ["tok_embeddings.weight", "norm.weight", "output.weight"]
        for i in range(self.n_layers):
            out += [f"layers.{i}.{s}.weight" for s in (
                "attention_norm", "attention.wq", "attention.wk", "attention.wv", "attention.wo",
                "ffn_norm", "feed_forward.w1", "feed_forward.w2", "feed_forward.w3")]
        return out

    def rmsnorm(self, x, w):
        return x * w / np.sqrt(np.mean(x * x) + self.eps)

    def rope(self, v, pos):
        # v: (heads, head_dim); rotate pairs (2i, 2i+1).
        angle = pos * self.freqs
        c, s = np.cos(angle), np.sin(angle)
        x0, x1 = v[:, 0::2].copy(), v[:, 1::2].copy()
        out = np.empty_like(v)
        out[:, 0::2] = x0 * c - x1 * s
        out[:, 1::2] = x0 * s + x1 * c
        return out

    def step(self, cache, token, pos):
        """Feeds token at pos (cache: per-layer lists of keys and values); returns the logits."""
        hd, group = self.head_dim, self.n_heads // self.n_kv_heads
        x = self.w["tok_embeddings.weight"][token].copy()
        for l in range(self.n_layers):
            p = f"layers.{l}."
            keys, values = cache[l]
            h = self.rmsnorm(x, self.w[p + "attention_norm.weight"])
            q = self.rope((self.w[p + "attention.wq.weight"] @ h).reshape(self.n_heads, hd), pos)
            keys.append(self.rope((self.w[p + "attention.wk.weight"] @ h).reshape(self.n_kv_heads, hd), pos))
            values.append((self.w[p + "attention.wv.weight"] @ h).reshape(self.n_kv_heads, hd))
            K = np.stack(keys)  # (pos+1, n_kv_heads, hd)
            V = np.stack(values)
            att = np.empty((self.n_heads, hd))
            for head in range(self.n_heads):
                kv = head // group
                scores = K[:, kv, :] @ q[head] / np.sqrt(hd)
                a = np.exp(scores - scores.max())
                att[head] = (a / a.sum()) @ V[:, kv, :]
            x = x + self.w[p + "attention.wo.weight"] @ att.reshape(-1)
            h = self.rmsnorm(x, self.w[p + "ffn_norm.weight"])
            g = self.w[p + "feed_forward.w1.weight"] @ h
            u = self.w[p + "feed_forward.w3.weight"] @ h
            x = x + self.w[p + "feed_forward.w2.weight"] @ (g / (1.0 + np.exp(-g)) * u)
        out_w = self.w["tok_embeddings.weight"] if self.tied else self.w["output.weight"]
        return out_w @ self.rmsnorm(x, self.w["norm.weight"])

    def new_cache(self):
        return [([], []) for _ in range(self.n_layers)]

    def logits(self, tokens):
        """Logits (len(tokens), vocab) after feeding tokens at positions 0, 1, ..."""
        cache = self.new_cache()
        return np.array([self.step(cache, t, pos) for pos, t in enumerate(tokens)])

    def greedy(self, prompt, n):
        """Greedy continuation with the same stopping rules as runtime::generate."""
        cache = self.new_cache()
        for pos, t in enumerate(prompt):
            last = self.step(cache, t, pos)
        tokens, generated, margin = list(prompt), [], float("inf")
        while True:
            if len(generated) >= n:
                return generated, "max_tokens", margin
            if len(tokens) >= self.ctx:
                return generated, "context", margin
            order = np.argsort(-last, kind="stable")
            margin = min(margin, float(last[order[0]] - last[order[1]]))
            token = int(order[0])
            if token == self.eos:
                return generated, "eos", margin
            generated.append(token)
            tokens.append(token)
            last = self.step(cache, token, len(tokens) - 1)


def parse_ids(text):
    return [int(t) for t in text.replace(",", " ").split()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["logits", "compare", "greedy", "golden"])
    ap.add_argument("model")
    ap.add_argument("--tokens", help="ids fed at positions 0, 1, ... (comma or space separated)")
    ap.add_argument("--prompt-tokens", help="prompt ids for greedy / golden")
    ap.add_argument("--prompt", default="", help="prompt text recorded in the golden file")
    ap.add_argument("--fixture", default="", help="fixture name recorded in the golden file")
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("--out")
    ap.add_argument("--native", help="logits from slmctl run --dump-logits (raw f32)")
    ap.add_argument("--run-json", help="slmctl run --json output naming the ids that were fed")
    ap.add_argument("--max-nmse", type=float, default=1e-10)
    a = ap.parse_args()
    m = Model(a.model)

    if a.command == "logits":
        m.logits(parse_ids(a.tokens)).astype("<f8").tofile(a.out)
        return 0
    if a.command == "compare":
        native = np.fromfile(a.native, "<f4").astype(np.float64)
        if a.run_json:
            run = json.load(open(a.run_json))
            tokens = (run["prompt_tokens"] + run["generated_tokens"])[:native.size // m.vocab]
        else:
            tokens = parse_ids(a.tokens)
        ref = m.logits(tokens)
        if native.size != ref.size:
            print(f"native logits have {native.size} values, reference {ref.size} "
                  f"({ref.shape[0]} positions x {m.vocab})", file=sys.stderr)
            return 1
        native = native.reshape(ref.shape)
        nmse = float(np.sum((native - ref) ** 2) / np.sum(ref ** 2))
        print(json.dumps({"positions": ref.shape[0], "nmse": nmse, "max_abs_diff": float(np.abs(native - ref).max()),
                          "argmax_agree": bool((native.argmax(1) == ref.argmax(1)).all())}))
        return 0 if nmse <= a.max_nmse else 1

    prompt = parse_ids(a.prompt_tokens)
    generated, stop, margin = m.greedy(prompt, a.n)
    if a.command == "greedy":
        print(json.dumps({"generated_tokens": generated, "stop_reason": stop, "min_margin": margin}))
        return 0
    print(f"# Golden greedy output for fixture {a.fixture}: {a.n} tokens at most.")
    print("# Produced by tests/reference/llama_ref.py (independent float64 forward pass),")
    print("# not by slmctl. The prompt ids come from slmctl's tokenizer (run --json).")
    print(f"# Smallest top-1 / top-2 logit gap over the steps: {margin:.4f}")
    print("# Regenerate: tests/reference/make_golden.sh BUILD_DIR")
    print(f"prompt: {json.dumps(a.prompt)}")
    print("prompt_tokens: " + " ".join(map(str, prompt)))
    print("generated_tokens: " + " ".join(map(str, generated)))
    print(f"stop_reason: {stop}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
