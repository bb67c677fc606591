"""Writes docs/skills.md from the sidecars and reports of scripts/skills-report.sh.

  python3 scripts/skills_report.py OUT_DIR > docs/skills.md
"""
import json
import os
import platform
import sys

out = sys.argv[1]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def sidecar(name):
    return json.load(open(os.path.join(out, "evals", name + ".json")))


def training(task):
    return json.load(open(os.path.join(ROOT, "fixtures", "skills", task, "training.json")))


def size(path):
    n = os.path.getsize(os.path.join(out, path))
    return f"{n / 1024:.0f} KiB"


def match(s):
    return f"{s['cases_passed']}/{s['cases_passed'] + s['cases_failed']} ({100 * s['pass_rate']:.1f} %)"


def num(v, fmt="{:.4f}"):
    return "–" if v is None else fmt.format(v)


print("# Skills: trained models and their evidence\n")
print("Produced by `scripts/skills-report.sh` from the eval sidecars of one run (numbers are measured,")
print("never typed in); rerun it to refresh. The models are trained by `tools/train/` (PyTorch, CPU,")
print("fixed seeds; `tools/train/README.md`); their weights and specs are committed under")
print("`fixtures/skills/`, so nothing here needs PyTorch. Suites: `evals/skills/`; every case is a")
print("held-out prompt the training never saw; greedy decoding, byte-level tokenizer.\n")
print(f"Runtime: slmctl on {platform.machine()}, native numerics, f32 activations.\n")

print("## Skills\n")
print("| skill | contracts | parameters | training | PyTorch held-out exact match |")
print("|---|---|---:|---|---:|")
for t in ("arith-add", "text-reverse", "date-iso", "arith-sub"):
    r = training(t)
    m = r["model"]
    shape = f"{m['n_layers']} layers, dim {m['n_heads'] * m['head_dim']}, {m['n_heads']}/{m['n_kv_heads']} heads, FFN {m['ffn_dim']}"
    how = f"{r['hyper_parameters']['steps']} steps × {r['hyper_parameters']['batch']}, {r['seconds']:.0f} s"
    if r["init"]:
        how += f", from {r['init']}"
    spec = open(os.path.join(ROOT, "fixtures", "skills", t, "spec.yaml")).read()
    contracts = [line.split(":", 1)[1].strip() for line in spec.splitlines() if line.strip().startswith(("input:", "output:"))]
    print(f"| `{t}` | `{contracts[0]}` → `{contracts[1]}` | {r['parameters']:,} ({shape}) | {how} | "
          f"{100 * r['heldout_exact_match_torch']:.1f} % |")

print("\n## slmctl eval: held-out exact match and the quantization gate\n")
print("Gate: `evals/skills/<skill>-gate.yaml`, mean KL(f32 parent ‖ model) per position ≤ 0.01 and")
print("same top-1 ≥ 0.98 on 40 held-out examples. The skill suite passes at ≥ 95 % exact match.\n")
print("| skill | weights | file | exact match | suite | KL vs f32 | same top-1 | gate |")
print("|---|---|---:|---:|---|---:|---:|---|")
for t in ("arith-add", "text-reverse", "date-iso"):
    for dt in ("f32", "q8_0", "q4_0"):
        s = sidecar(f"{t}.{dt}")
        path = f"{t}.slm" if dt == "f32" else f"{t}-{dt}.slm"
        kl = top1 = gate = "–"
        if dt != "f32":
            g = sidecar(f"{t}.{dt}.gate")
            kl, top1, gate = num(g["metrics"]["kl_vs_parent"]), num(g["metrics"]["same_top1_vs_parent"], "{:.3f}"), g["decision"]
        print(f"| `{t}` | {dt} | {size(path)} | {match(s)} | {s['decision']} | {kl} | {top1} | {gate} |")

print("\n## Adapters: arith-sub on top of arith-add\n")
print("`arith-sub` is `arith-add` fine-tuned on subtraction. Its difference from `arith-add`, written as")
print("an adapter by `slmctl adapter create` and applied to `arith-add` by `slmctl adapter-apply`, is")
print("evaluated on the subtraction suite (`evals/skills/arith-sub.yaml`). Relative error: ‖applied − tuned‖ /")
print("‖tuned − base‖ over all tensors, from the create report.\n")
print("| model | adapter file | relative error | exact match on subtraction | suite |")
print("|---|---:|---:|---:|---|")
s = sidecar("sub-on-add")
print(f"| `arith-add`, no adapter | – | – | {match(s)} | {s['decision']} |")
s = sidecar("arith-sub.f32")
print(f"| `arith-sub` (the fine-tuned model itself) | – | 0 | {match(s)} | {s['decision']} |")
for name in ("dense", "sparse-1e-3", "sparse-1e-2", "lowrank-4", "lowrank-16", "lowrank-32"):
    c = json.load(open(os.path.join(out, f"sub-{name}.create.json")))
    s = sidecar(f"sub-{name}")
    kind, _, param = name.partition("-")
    label = {"dense": "ADP1 dense", "sparse": f"ASP1 sparse, T = {param}", "lowrank": f"ALR1 low-rank, R = {param}"}[kind]
    print(f"| `arith-add` + {label} | {size(f'sub-{name}.adp')} | {c['rel_error']:.2g} | {match(s)} | {s['decision']} |")
print("\nThe adapted models' sidecars carry the adapter digest (`adapter_digest`).")
