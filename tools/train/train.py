#!/usr/bin/env python3
"""Trains one tiny skill model and writes it ready for `slmctl pack`.

  python3 tools/train/train.py TASK --out DIR [--seed S] [--steps N] [--init DIR] [--eval-cases N]

TASK is one of tasks.TASKS. DIR receives:
  weights.safetensors   the trained f32 weights (canonical .slm names)
  spec.yaml             the skill spec (byte-level tokenizer, contracts from the task)
  training.json         data generator, seeds, hyper-parameters, parameter count,
                        the training curve and held-out exact match of the
                        PyTorch model (slmctl's own numbers come from `slmctl eval`)
  eval-cases.jsonl      held-out cases (prompts never seen in training)
  gate-text.txt         40 held-out examples, one per line (quantization gate text)
--init DIR starts from another skill's weights (fine-tuning, e.g. arith-sub from
arith-add); the model shape is then that skill's.

Deterministic for a seed on one machine and torch version: data from
random.Random, weights from torch.manual_seed, one intra-op thread pool size.
"""
import argparse
import json
import math
import os
import random
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import BOS, EOS, Config, Llama  # noqa: E402
from tasks import TASKS, eval_case, held_out  # noqa: E402


def encode(text):
    return list(text.encode("ascii"))


def batch(task, rng, size, exclude, context):
    """Token ids (padded with EOS) and a loss mask over the answer and its EOS."""
    seqs, masks = [], []
    while len(seqs) < size:
        prompt, answer = TASKS[task]["generate"](rng)
        if prompt in exclude:
            continue
        p, a = [BOS] + encode(prompt), encode(answer) + [EOS]
        ids = p + a
        assert len(ids) <= context, (prompt, answer)
        seqs.append(ids)
        masks.append([0] * len(p) + [1] * len(a))
    width = max(len(s) for s in seqs)
    x = torch.full((size, width), EOS, dtype=torch.long)
    m = torch.zeros((size, width))
    for i, (s, k) in enumerate(zip(seqs, masks)):
        x[i, :len(s)] = torch.tensor(s)
        m[i, :len(k)] = torch.tensor(k, dtype=torch.float)
    return x, m


def exact_match(model, cases):
    hits = 0
    for prompt, answer in cases:
        out = model.greedy([BOS] + encode(prompt), len(answer) + 2)
        hits += bytes(out) == answer.encode()
    return hits / len(cases)


def write_safetensors(path, arrays):
    header, blobs, offset = {}, [], 0
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack_from("<Q", data)[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data, "<f4", (e - b) // 4, 8 + n + b).reshape(t["shape"]).copy()
    return out


def write_spec(path, task, c, version):
    t = TASKS[task]
    text = f"""# Trained by tools/train/train.py ({task}); see training.json next to this file.
name: skill.{task}
version: {version}
description: "{t['description'].replace('"', "'")}"
contracts:
  input: {t['contracts']['input']}
  output: {t['contracts']['output']}
license: CC0-1.0
risk:
  data_lineage: synthetic-generated-task-data
  safety_tier: low
model:
  n_layers: {c.n_layers}
  n_heads: {c.n_heads}
  n_kv_heads: {c.n_kv_heads}
  head_dim: {c.head_dim}
  ffn_dim: {c.ffn_dim}
  context_length: {c.context_length}
  rope_theta: {c.rope_theta}
  rms_eps: {c.rms_eps:.1e}
  tied_output: false
weights:
  format: safetensors
  path: weights.safetensors
tokenizer:
  kind: byte-level
resource_profile:
  expected_p95_ms: 5
"""
    open(path, "w").write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=sorted(TASKS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--init", help="directory of a trained skill to fine-tune from")
    ap.add_argument("--eval-cases", type=int, default=200)
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    task = TASKS[args.task]
    hp = dict(task["train"])
    if args.steps:  # one stage of that length
        hp["stages"] = [{"steps": args.steps, "lr": (hp.get("stages") or [hp])[0]["lr"]}]
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.init:
        base = json.load(open(os.path.join(args.init, "training.json")))
        c = Config(**base["model"])
    else:
        n_layers, n_heads, n_kv_heads, head_dim, ffn_dim, ctx = task["model"]
        c = Config(n_layers, n_heads, n_kv_heads, head_dim, ffn_dim, ctx)
    model = Llama(c)
    if args.init:
        model.load(read_safetensors(os.path.join(args.init, "weights.safetensors")))

    eval_cases = held_out(args.task, args.seed, args.eval_cases)
    exclude = {p for p, _ in eval_cases}
    rng = random.Random(f"{args.task}/train/{args.seed}")
    # One or more cosine cycles ("stages": a warm restart at a lower peak lets
    # a small model settle the last carries). Each warms up over 5 % of its steps.
    stages = hp.get("stages") or [{"steps": hp["steps"], "lr": hp["lr"]}]
    hp["steps"] = sum(st["steps"] for st in stages)

    def learning_rate(step):
        for st in stages:
            if step < st["steps"]:
                warmup = max(1, st["steps"] // 20)
                return st["lr"] * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / st["steps"]))
            step -= st["steps"]
        return 0.0

    opt = torch.optim.AdamW(model.parameters(), lr=1.0, betas=(0.9, 0.98), weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, learning_rate)
    curve, started = [], time.time()
    print(f"{args.task}: {model.parameter_count():,} parameters, {hp['steps']} steps", file=sys.stderr)
    for step in range(1, hp["steps"] + 1):
        x, m = batch(args.task, rng, hp["batch"], exclude, c.context_length)
        logits = model(x[:, :-1])
        loss = (torch.nn.functional.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none")
                * m[:, 1:]).sum() / m[:, 1:].sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        if step % 100 == 0 or step == hp["steps"]:
            point = {"step": step, "loss": round(float(loss), 5), "seconds": round(time.time() - started, 1)}
            if step % 500 == 0 or step == hp["steps"]:
                point["heldout_exact_match"] = exact_match(model, eval_cases[:100])
            curve.append(point)
            print(json.dumps(point), file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "weights.safetensors"), model.state())
    write_spec(os.path.join(args.out, "spec.yaml"), args.task, c, args.version)
    with open(os.path.join(args.out, "eval-cases.jsonl"), "w") as f:
        for i, (prompt, answer) in enumerate(eval_cases):
            f.write(json.dumps(eval_case(args.task, i, prompt, answer), separators=(",", ":")) + "\n")
    # The text the quantization gate measures KL and same-top-1 on.
    with open(os.path.join(args.out, "gate-text.txt"), "w") as f:
        f.write("".join(f"{prompt}{answer}\n" for prompt, answer in eval_cases[:40]))
    record = {
        "task": args.task,
        "generator": f"tools/train/tasks.py:{task['generate'].__name__}",
        "description": task["description"],
        "seed": args.seed,
        "data_seeds": {"train": f"{args.task}/train/{args.seed}", "eval": f"{args.task}/eval/{args.seed}"},
        "init": os.path.basename(os.path.normpath(args.init)) if args.init else None,
        "model": c.as_dict(),
        "parameters": model.parameter_count(),
        "hyper_parameters": dict(hp, optimizer="AdamW", betas=[0.9, 0.98], weight_decay=0.01, grad_clip=1.0,
                                 schedule="per stage: linear warm-up over 5 % of its steps, cosine decay to 0",
                                 threads=args.threads),
        "torch": torch.__version__,
        "seconds": round(time.time() - started, 1),
        "curve": curve,
        "heldout_exact_match_torch": exact_match(model, eval_cases),
    }
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"{args.task}: held-out exact match {record['heldout_exact_match_torch']:.3f} "
          f"after {record['seconds']} s", file=sys.stderr)


if __name__ == "__main__":
    main()
