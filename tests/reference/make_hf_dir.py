#!/usr/bin/env python3
"""Writes a Hugging Face llama directory from one of the fixtures/ models.

    make_hf_dir.py FIXTURE_DIR OUT_DIR [options]

FIXTURE_DIR holds spec.yaml and the f32 weights it names (safetensors or a
raw-f32 directory, canonical .slm names, shape [out, in]). OUT_DIR gets

  config.json        LlamaForCausalLM with the spec's hyper-parameters
  model.safetensors  the same f32 values under Hugging Face names, with
                     q_proj / k_proj rows put in Hugging Face's "rotate half"
                     order exactly as transformers' convert_llama_weights_to_hf.py
                     does: permute(w, n_heads, dim1, dim2) =
                     w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)
  tokenizer.json     byte-level BPE: the fixture's vocab.json / merges.txt, or for
                     a byte-level (BTOK) fixture 256 byte tokens + <s> </s> and no
                     merges, which encodes every text to the same ids as BTOK

so `slmctl import OUT_DIR` must give back the fixture's weights bit for bit.
The options below break the directory in one way each, for error tests.
Needs numpy (Debian: python3-numpy).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def scalar(text):
    """A plain YAML scalar as make_fixtures writes them."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_spec(path):
    """The two-level mappings of a fixture spec.yaml (what make_fixtures writes;
    no PyYAML, which the test machines do not install)."""
    spec, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, value = line.strip().partition(":")
            if not line.startswith(" "):
                section = None
                if value.strip():
                    spec[key] = scalar(value)
                else:
                    section = spec[key] = {}
            elif section is not None:
                section[key] = scalar(value)
    return spec


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (OpenAI encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[base + begin:base + end], dtype="<f4").reshape(info["shape"])
    return out


def write_safetensors(path, tensors, dtype="F32"):
    np_type = {"F32": "<f4", "F16": "<f2"}[dtype]
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, array in tensors:
        blob = np.ascontiguousarray(array, dtype=np_type).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def hf_permute(w, n_heads, dim1, dim2):
    """transformers' convert_llama_weights_to_hf.py permute (torch view/transpose in numpy)."""
    return w.reshape(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(0, 2, 1, 3).reshape(dim1, dim2)


def load_weights(fixture, spec, model):
    w = spec["weights"]
    path = os.path.join(fixture, w["path"])
    if w["format"] == "safetensors":
        return read_safetensors(path)
    assert w["format"] == "raw-f32-dir", w["format"]
    dim = model["n_heads"] * model["head_dim"]
    kv = model["n_kv_heads"] * model["head_dim"]
    ffn = model["ffn_dim"]
    out = {}
    vocab = os.path.getsize(os.path.join(path, "tok_embeddings.weight.bin")) // (4 * dim)
    shapes = {"tok_embeddings.weight": (vocab, dim), "norm.weight": (dim,)}
    if not model.get("tied_output", False):
        shapes["output.weight"] = (vocab, dim)
    for i in range(model["n_layers"]):
        p = f"layers.{i}."
        shapes.update({p + "attention_norm.weight": (dim,), p + "ffn_norm.weight": (dim,),
                       p + "attention.wq.weight": (dim, dim), p + "attention.wk.weight": (kv, dim),
                       p + "attention.wv.weight": (kv, dim), p + "attention.wo.weight": (dim, dim),
                       p + "feed_forward.w1.weight": (ffn, dim), p + "feed_forward.w2.weight": (dim, ffn),
                       p + "feed_forward.w3.weight": (ffn, dim)})
    for name, shape in shapes.items():
        out[name] = np.fromfile(os.path.join(path, name + ".bin"), dtype="<f4").reshape(shape)
    return out


def hf_tensors(weights, model):
    """(name, array) in Hugging Face naming and q/k row order."""
    heads, kv_heads, hd = model["n_heads"], model["n_kv_heads"], model["head_dim"]
    dim = heads * hd
    out = [("model.embed_tokens.weight", weights["tok_embeddings.weight"])]
    for i in range(model["n_layers"]):
        s, h = f"layers.{i}.", f"model.layers.{i}."
        out += [
            (h + "input_layernorm.weight", weights[s + "attention_norm.weight"]),
            (h + "self_attn.q_proj.weight", hf_permute(weights[s + "attention.wq.weight"], heads, dim, dim)),
            (h + "self_attn.k_proj.weight", hf_permute(weights[s + "attention.wk.weight"], kv_heads, kv_heads * hd, dim)),
            (h + "self_attn.v_proj.weight", weights[s + "attention.wv.weight"]),
            (h + "self_attn.o_proj.weight", weights[s + "attention.wo.weight"]),
            (h + "post_attention_layernorm.weight", weights[s + "ffn_norm.weight"]),
            (h + "mlp.gate_proj.weight", weights[s + "feed_forward.w1.weight"]),
            (h + "mlp.up_proj.weight", weights[s + "feed_forward.w3.weight"]),
            (h + "mlp.down_proj.weight", weights[s + "feed_forward.w2.weight"]),
        ]
    out.append(("model.norm.weight", weights["norm.weight"]))
    if "output.weight" in weights:
        out.append(("lm_head.weight", weights["output.weight"]))
    return out


def byte_level_pipeline(tokenizer_json, bos_text):
    tokenizer_json.update({
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    })
    if bos_text is None:
        tokenizer_json["post_processor"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                                            "use_regex": True}
    else:
        bos_id = tokenizer_json["model"]["vocab"][bos_text]
        tokenizer_json["post_processor"] = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos_text, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos_text, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos_text, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos_text: {"id": bos_text, "ids": [bos_id], "tokens": [bos_text]}},
        }


def make_tokenizer(fixture, spec, merges_format):
    """tokenizer.json plus (bos id, eos id)."""
    tok = spec["tokenizer"]
    if tok["kind"] == "byte-level":
        table = bytes_to_unicode()
        vocab = {table[b]: b for b in range(256)}
        vocab["<s>"], vocab["</s>"] = 256, 257
        merges = []
        bos_text, eos_text = "<s>", "</s>"
        add_bos = tok.get("add_bos", True)
    elif tok["kind"] == "bpe":
        with open(os.path.join(fixture, tok["vocab"]), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(fixture, tok["merges"]), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [line for i, line in enumerate(lines) if line and not (i == 0 and line.startswith("#version"))]
        bos_text, eos_text = tok.get("bos", "<|endoftext|>"), tok.get("eos", "<|endoftext|>")
        add_bos = tok.get("add_bos", False)
    else:
        sys.exit(f"make_hf_dir: tokenizer kind {tok['kind']} has no tokenizer.json form here")
    if merges_format == "pairs":
        merges = [line.split(" ") for line in merges]
    specials = sorted({bos_text, eos_text}, key=lambda t: vocab[t])
    tokenizer_json = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in specials],
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    byte_level_pipeline(tokenizer_json, bos_text if add_bos else None)
    return tokenizer_json, vocab[bos_text], vocab[eos_text]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fixture")
    ap.add_argument("out")
    ap.add_argument("--merges-format", choices=["strings", "pairs"], default="strings",
                    help="model.merges as 'a b' strings (older tokenizers) or [a, b] pairs (newer)")
    ap.add_argument("--dtype", choices=["F32", "F16"], default="F32", help="tensor dtype in model.safetensors")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="set a config.json field")
    ap.add_argument("--delete", action="append", default=[], metavar="KEY", help="drop a config.json field")
    ap.add_argument("--shard", action="store_true",
                    help="write model-00001-of-00001.safetensors + model.safetensors.index.json instead")
    ap.add_argument("--transpose", action="append", default=[], metavar="TENSOR", help="store a tensor transposed")
    ap.add_argument("--drop", action="append", default=[], metavar="TENSOR", help="leave a tensor out")
    ap.add_argument("--extra", action="append", default=[], metavar="TENSOR",
                    help="add a tensor of 4 zeros under this name")
    ap.add_argument("--lm-head", choices=["same", "different"],
                    help="tied fixtures: also store lm_head.weight, equal to the embeddings or not")
    ap.add_argument("--nan", metavar="TENSOR", help="put a NaN into this tensor")
    args = ap.parse_args()

    spec = read_spec(os.path.join(args.fixture, "spec.yaml"))
    model = spec["model"]
    weights = load_weights(args.fixture, spec, model)
    tensors = hf_tensors(weights, model)
    vocab_size = weights["tok_embeddings.weight"].shape[0]
    tied = bool(model.get("tied_output", False))
    if args.lm_head:
        head = weights["tok_embeddings.weight"].copy()
        if args.lm_head == "different":
            head[0, 0] += 1.0
        tensors.append(("lm_head.weight", head))
    tensors = [(n, a.T.copy() if n in args.transpose else a) for n, a in tensors if n not in args.drop]
    tensors += [(n, np.zeros(4, dtype=np.float32)) for n in args.extra]
    if args.nan:
        tensors = [(n, a.copy()) for n, a in tensors]
        next(a for n, a in tensors if n == args.nan).reshape(-1)[1] = np.nan

    tokenizer_json, bos_id, eos_id = make_tokenizer(args.fixture, spec, args.merges_format)
    dim = model["n_heads"] * model["head_dim"]
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_act": "silu",
        "hidden_size": dim,
        "intermediate_size": model["ffn_dim"],
        "num_attention_heads": model["n_heads"],
        "num_key_value_heads": model["n_kv_heads"],
        "num_hidden_layers": model["n_layers"],
        "head_dim": model["head_dim"],
        "max_position_embeddings": model["context_length"],
        "rms_norm_eps": model["rms_eps"],
        "rope_theta": model["rope_theta"],
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": tied,
        "vocab_size": int(vocab_size),
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "torch_dtype": "float32" if args.dtype == "F32" else "float16",
    }
    for item in args.set:
        key, _, value = item.partition("=")
        config[key] = json.loads(value)
    for key in args.delete:
        config.pop(key, None)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json, f, indent=2, ensure_ascii=False)
    if args.shard:
        shard = "model-00001-of-00001.safetensors"
        write_safetensors(os.path.join(args.out, shard), tensors, args.dtype)
        with open(os.path.join(args.out, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
            json.dump({"metadata": {}, "weight_map": {n: shard for n, _ in tensors}}, f, indent=2)
    else:
        write_safetensors(os.path.join(args.out, "model.safetensors"), tensors, args.dtype)


if __name__ == "__main__":
    main()
